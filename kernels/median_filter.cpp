#include "kernels/median_filter.hpp"

#include <algorithm>
#include <vector>

namespace tomo {

// The window slides one sample at a time: it is kept sorted, and each step removes the sample
// that leaves and inserts the one that enters by binary search — a move of at most `width`
// floats, against a selection over the whole window per sample (on 1800 × 2048 sinograms:
// oimoen:51;51 9× faster, vo-large 2.6×, vo-all 2.1×; bench/bench_preprocessing.cpp). The values
// are those of a selection: the same median of the same samples.
void median_filter(const float* in, std::size_t n, std::size_t stride, int width, Boundary boundary, float* out) {
  const std::ptrdiff_t half = width / 2;  // an even width acts as width + 1
  const auto sample = [&](std::ptrdiff_t i) { return in[boundary_index(i, n, boundary) * stride]; };
  std::vector<float> window;
  window.reserve(static_cast<std::size_t>(2 * half + 1));
  for (std::ptrdiff_t k = -half; k <= half; ++k) window.push_back(sample(k));
  std::sort(window.begin(), window.end());
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = window[static_cast<std::size_t>(half)];
    if (i + 1 == n) break;
    const auto at = static_cast<std::ptrdiff_t>(i);
    window.erase(std::lower_bound(window.begin(), window.end(), sample(at - half)));
    const float entering = sample(at + half + 1);
    window.insert(std::upper_bound(window.begin(), window.end(), entering), entering);
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
