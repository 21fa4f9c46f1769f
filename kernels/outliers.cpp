#include "kernels/outliers.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo {
std::int64_t interpolate_invalid(std::span<float> line, float fill) {
  const std::size_t n = line.size();
  std::int64_t replaced = 0;
  std::size_t c = 0;
  while (c < n) {
    if (std::isfinite(line[c])) {
      ++c;
      continue;
    }
    std::size_t end = c;  // [c, end) is a run of invalid values
    while (end < n && !std::isfinite(line[end])) ++end;
    const bool has_left = c > 0, has_right = end < n;
    const float left = has_left ? line[c - 1] : 0.0f, right = has_right ? line[end] : 0.0f;
    for (std::size_t k = c; k < end; ++k) {
      if (has_left && has_right) {
        const float w = static_cast<float>(k - c + 1) / static_cast<float>(end - c + 1);
        line[k] = left + w * (right - left);
      } else {
        line[k] = has_left ? left : has_right ? right : fill;
      }
    }
    replaced += static_cast<std::int64_t>(end - c);
    c = end;
  }
  return replaced;
}

std::int64_t remove_zingers(std::span<float> sinogram, int projections, int columns, float threshold) {
  const std::size_t n = static_cast<std::size_t>(columns), lines = static_cast<std::size_t>(projections);
  if (sinogram.size() != lines * n) fail("remove_zingers: {} values are not {} x {}", sinogram.size(), projections, columns);
  if (!(threshold > 0.0f)) fail("zinger threshold {} must be positive", threshold);
  if (lines < 2 || n == 0) return 0;  // one frame: nothing to compare a pixel with
  // The line before line p as it was before any replacement (line −1 mirrors line 1).
  std::vector<float> before(sinogram.begin() + static_cast<std::ptrdiff_t>(n), sinogram.begin() + static_cast<std::ptrdiff_t>(2 * n));
  std::vector<float> here(n);
  std::int64_t replaced = 0;
  for (std::size_t p = 0; p < lines; ++p) {
    float* values = sinogram.data() + p * n;
    // The line after, as it is still unchanged; past the last line, the mirror of the one before.
    const float* after = p + 1 < lines ? values + n : before.data();
    std::copy_n(values, n, here.begin());
    for (std::size_t c = 0; c < n; ++c) {
      bool was_replaced = false;
      values[c] = zinger_filtered(before[c], here[c], after[c], threshold, &was_replaced);
      replaced += was_replaced;
    }
    std::swap(before, here);
  }
  return replaced;
}

}  // namespace tomo
