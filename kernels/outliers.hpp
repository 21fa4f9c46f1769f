#pragma once
// Pixels a detector gets wrong, found and replaced before the reconstruction sees them: invalid
// readings (NaN/Inf from a broken frame, saturated pixels) and zingers (isolated bright spots from
// X-rays or electrons hitting the sensor directly, one frame and one pixel each).
#include <cstdint>
#include <span>

namespace tomo {

// Replaces every non-finite value of `line` by linear interpolation between the nearest finite
// values left and right of it (the nearest one at the ends; `fill` when the line has none).
// Returns how many values were replaced.
std::int64_t interpolate_invalid(std::span<float> line, float fill);

// Replaces each value of a sinogram (projections × columns, one detector row) that differs from
// the median of itself and the same pixel in the frames before and after it by more than
// `threshold` times that median's magnitude, with the median. A zinger lasts one frame; the
// object moves across a pixel smoothly from frame to frame (less than a pixel per frame when
// the scan samples its outer edge finely, P ≥ πN/2), so its values there run monotonically and
// the median of three leaves them as they are — even a line one pixel wide, which a 3 × 3 median
// in space would erase. The first and last frames mirror their neighbour. For transmission data,
// `threshold` is the relative change that counts as an outlier (0.1 = 10 %: well above the noise
// of ≥ 1000 photons). Returns how many values were replaced.
std::int64_t remove_zingers(std::span<float> sinogram, int projections, int columns, float threshold);

}  // namespace tomo
