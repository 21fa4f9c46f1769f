#pragma once
// Fourier (gridding) reconstruction of a slab of sinograms: the same answer as FbpReconstructor
// (same geometry, filter, scale, mask) from 2-D FFTs instead of a backprojection.
//
// By the Fourier slice theorem the 1-D transform of the projection at angle θ is the 2-D
// transform of the slice along the line through the origin at θ. Per pair of slices (a in the
// real part, b in the imaginary part: both are real, so a + ib is recovered exactly):
//   1. each projection row, zero-padded to M ≥ 2N, is transformed (FFTW, complex, length M);
//   2. its bins are weighted by the FBP ramp filter (ramp_response: the same discrete Ram-Lak
//      response and window as the direct method), by sinc²(ν) (the direct method's linear
//      interpolation, so both have the same resolution and noise), by the angle's share of the
//      half circle (the polar sampling density) and by a linear phase that moves the sub-pixel
//      rotation axis to the origin; the line runs past ½ cycle per pixel to the edge of the
//      pixel grid's square band with the spectrum's first image, which linear interpolation
//      passes too;
//   3. the weighted bins are spread onto a Cartesian G × G frequency grid, G ≈ 1.25 N, with a
//      4-cell Kaiser–Bessel kernel (tabulated);
//   4. an inverse 2-D FFT (rows, then only the N needed columns) gives the slice pair, whose
//      centre N × N is divided by the kernel's transform, scaled and masked.
// Exact arithmetic would give Σ_θ w_θ q_θ(x cos θ + y sin θ + axis), q the filtered projection
// interpolated linearly and band-limited to the pixel grid (what the direct method's
// interpolation folds into the grid from beyond is left out). Measured (tests/test_gridrec.cpp):
// ~3e-4 of the peak from that sum, and PSNR within 0.2 dB of the direct method on noise-free
// phantoms; 25 ms a slice for 2048 × 1800 on 2 cores (bench/bench_kernels.cpp, BM_Gridrec).
// Beyond the detector the filtered projections keep their tails (the direct method reads zero
// there): only pixels that some angles do not see differ — outside the circular mask, and just
// inside its edge when the axis is off centre.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/gridrec_tables.hpp"

namespace tomo {

class GridrecReconstructor {
 public:
  // Plans the FFTs (under fftw::planner_mutex) and tabulates the kernel and weights (~20 ms for
  // a 2048-wide detector): make one per reconstruction and use it for every slab. Throws
  // tomo::Error for no angles, a non-positive width or a cut-off outside (0, 1].
  explicit GridrecReconstructor(FbpSettings settings);
  ~GridrecReconstructor();
  GridrecReconstructor(const GridrecReconstructor&) = delete;
  GridrecReconstructor& operator=(const GridrecReconstructor&) = delete;
  GridrecReconstructor(GridrecReconstructor&&) noexcept;
  GridrecReconstructor& operator=(GridrecReconstructor&&) noexcept;

  // FbpReconstructor's contract: `slices` sinograms of line integrals laid out (slice,
  // projection, column) into (slice, N, N) images of attenuation per pixel (times value_scale),
  // circular mask as set. The sinograms are left as they are. Slices go in pairs; pairs are
  // split over the threads, and a pair left over (or a lone slice) uses all the threads itself.
  // May be called from several threads at once.
  void reconstruct(std::span<const float> sinograms, int slices, std::span<float> out) const;

  const FbpSettings& settings() const { return settings_; }

  // Working memory of reconstruct(), for the memory planner: one frequency grid and buffers per
  // thread, ~53 MB each for N = 2048, allocated by the first call and kept for the next ones
  // (re-allocating them per slab cost 6 ms a slice).
  MemoryNeed memory_need() const;

  // Transform sizes (for tests and logs): M the zero-padded radial length, G the grid side.
  int radial_length() const;
  int grid_size() const;

  // The sizes and tables the gridding uses, for the CUDA path (which grids the same values).
  const GridrecTables& tables() const;

 private:
  struct Plan;
  FbpSettings settings_;
  std::unique_ptr<const Plan> plan_;
};

}  // namespace tomo
