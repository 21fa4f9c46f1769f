#include "kernels/outliers.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo {
std::int64_t interpolate_invalid(std::span<float> line, float fill) {
  return interpolate_invalid_line(line.data(), static_cast<int>(line.size()), fill);
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
