#include "kernels/fbp.hpp"

#include <numbers>

#include "kernels/backprojection_math.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {

float fbp_weight(int projections) { return static_cast<float>(std::numbers::pi / projections); }

FbpReconstructor::FbpReconstructor(FbpSettings settings)
    : settings_(std::move(settings)),
      filter_(settings_.geometry.columns, settings_.filter, settings_.filter_cutoff) {
  if (settings_.geometry.angles_rad.empty()) fail("reconstruction needs at least one projection angle");
}

void FbpReconstructor::reconstruct(std::span<float> sinograms, int slices, std::span<float> out) const {
  const int threads = resolve_threads(settings_.threads);
  filter_.apply(sinograms, threads);
  const int projections = static_cast<int>(settings_.geometry.angles_rad.size());
  const float scale = fbp_weight(projections) * settings_.value_scale;
  // Several slices share every interpolation position: the slab kernel is ~9× faster per slice.
  if (slices > 1) backproject_slab(sinograms, slices, settings_.geometry, scale, out, threads);
  else backproject(sinograms, slices, settings_.geometry, scale, out, threads);
  if (settings_.circular_mask) apply_circular_mask(out, settings_.geometry.columns, settings_.mask_ratio);
}

MemoryNeed FbpReconstructor::memory_need() const {
  const auto& g = settings_.geometry;
  return {"backprojection and filter buffers",
          backproject_slab_workspace_bytes(static_cast<int>(g.angles_rad.size()), g.columns) +
              filter_.workspace_bytes(resolve_threads(settings_.threads)),
          0};
}

void apply_circular_mask(std::span<float> slices, int n, float ratio) {
  const std::size_t nn = static_cast<std::size_t>(n);
  for (std::size_t offset = 0; offset + nn * nn <= slices.size(); offset += nn * nn)
    for (int r = 0; r < n; ++r)
      for (int j = 0; j < n; ++j)
        if (!inside_circular_mask(r, j, n, ratio)) slices[offset + static_cast<std::size_t>(r) * nn + static_cast<std::size_t>(j)] = 0.0f;
}

}  // namespace tomo
