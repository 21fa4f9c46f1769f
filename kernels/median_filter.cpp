#include "kernels/median_filter.hpp"

#include <algorithm>
#include <vector>

namespace tomo {

void median_filter(const float* in, std::size_t n, std::size_t stride, int width, Boundary boundary, float* out) {
  const std::ptrdiff_t half = width / 2;
  std::vector<float> window(static_cast<std::size_t>(2 * half + 1));  // an even width acts as width + 1
  for (std::size_t i = 0; i < n; ++i) {
    for (std::ptrdiff_t k = -half; k <= half; ++k)
      window[static_cast<std::size_t>(k + half)] =
          in[boundary_index(static_cast<std::ptrdiff_t>(i) + k, n, boundary) * stride];
    auto middle = window.begin() + half;
    std::nth_element(window.begin(), middle, window.end());
    out[i] = *middle;
  }
}

float median_of(std::span<float> values) {
  if (values.empty()) return 0.0f;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  float median = *middle;
  if (values.size() % 2 == 0) median = 0.5f * (median + *std::max_element(values.begin(), middle));
  return median;
}

}  // namespace tomo
