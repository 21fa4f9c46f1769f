#pragma once
// Filtered backprojection of a slab of sinograms: ramp filter, backprojection, scaling and
// the circular mask — the per-slab reconstruction that commands and actors call.
#include <span>
#include <vector>

#include "kernels/backprojection.hpp"
#include "kernels/ramp_filter.hpp"
#include "kernels/slab_plan.hpp"

namespace tomo {

struct FbpSettings {
  FilterWindow filter = FilterWindow::ram_lak;
  float filter_cutoff = 1.0f;
  ParallelGeometry geometry;
  // Multiplies every value, e.g. 1e4 / pixel_size_um to go from per pixel to per cm.
  float value_scale = 1.0f;
  bool circular_mask = true;
  float mask_ratio = 1.0f;
  int threads = 0;
};

// The backprojection weight for P projections: Δθ = π/P whether the angles span 180° or 360°
// (over 360° every line is measured twice, which halves the weight of 2π/P).
float fbp_weight(int projections);

class FbpReconstructor {
 public:
  explicit FbpReconstructor(FbpSettings settings);

  // Reconstructs `slices` sinograms of line integrals laid out (slice, projection, column) into
  // (slice, N, N) images of attenuation per pixel (times value_scale). The sinograms are
  // filtered in place.
  void reconstruct(std::span<float> sinograms, int slices, std::span<float> out) const;

  const FbpSettings& settings() const { return settings_; }

  // Working memory of reconstruct(), for the memory planner: the backprojection's copy of a group
  // of sinograms and the filter's buffers (the sinograms are filtered in place).
  MemoryNeed memory_need() const;

 private:
  FbpSettings settings_;
  RampFilter filter_;
};

// Zeroes every pixel of each N × N slice outside the disc of radius ratio · N/2 about the
// slice centre (outside it, not every angle saw the pixel).
void apply_circular_mask(std::span<float> slices, int n, float ratio);

}  // namespace tomo
