#pragma once
// Pixel-driven parallel-beam backprojection with linear interpolation (CPU).
#include <cstdint>
#include <span>
#include <vector>

namespace tomo {

struct ParallelGeometry {
  int columns = 0;                 // detector width N; slices are N × N
  float axis = 0;                  // rotation axis in 0-based detector columns (N/2 + offset)
  std::vector<float> angles_rad;   // one per projection
};

// What a backprojection does with `out`: replaces it, or adds to what it holds — the running sums
// of a reconstruction that grows as projections arrive (kernels/streaming_fbp.hpp), since the
// backprojection is linear in the projections.
enum class BackprojectionOutput { overwrite, accumulate };

// Backprojects `slices` filtered sinograms laid out (slice, projection, column) into
// (slice, N, N) images: out = scale · Σ_θ q_θ(x cos θ + y sin θ + axis), or out += that.
// All slices in turn: the reference-accurate path, and the one for a single slice (an in-register
// gather with AVX-512, kernels/backprojection.cpp). It makes a padded copy of one slice's sinogram
// with its differences, about 3 times the slice's sinogram.
void backproject(std::span<const float> sinograms, int slices, const ParallelGeometry& geometry, float scale,
                 std::span<float> out, int threads,
                 BackprojectionOutput output = BackprojectionOutput::overwrite);

// Slices processed together: the SIMD lanes of the inner loop.
inline constexpr int kSlabLanes = 16;

// The same result as backproject() for several slices at once (kernels/backprojection_slab.cpp):
// groups of kSlabLanes slices share each interpolation position, 6 times faster per slice than
// backproject() for a whole group. A group costs the same however few slices it holds, so groups of
// fewer than 9 slices (with AVX-512; else 2) go through backproject(). It needs one extra copy of
// kSlabLanes filtered sinograms.
void backproject_slab(std::span<const float> sinograms, int slices, const ParallelGeometry& geometry, float scale,
                      std::span<float> out, int threads,
                      BackprojectionOutput output = BackprojectionOutput::overwrite);

// Bytes of the largest copy backproject_slab() makes for `projections` × `n` sinograms: a group's
// interleaved sinograms (backproject()'s padded copy of one slice, ≤ 4 P (N + 64) floats, is
// smaller).
std::int64_t backproject_slab_workspace_bytes(int projections, int n);

}  // namespace tomo
