#include "kernels/slice_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/image_metrics.hpp"
#include "kernels/percentile.hpp"

namespace tomo {

SliceStatistics slice_statistics(std::span<const float> slice, int n, float ratio) {
  if (n <= 0 || slice.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(n))
    fail("slice statistics: {} values do not make a {} x {} slice", slice.size(), n, n);
  const std::vector<bool> disc = disc_region(n, ratio);
  std::vector<float> inside;
  inside.reserve(slice.size());
  for (std::size_t i = 0; i < slice.size(); ++i)
    if (disc[i] && std::isfinite(slice[i])) inside.push_back(slice[i]);
  SliceStatistics s;
  if (inside.empty()) return s;
  const auto [low, high] = std::minmax_element(inside.begin(), inside.end());
  s.min = *low;
  s.max = *high;
  double sum = 0;
  for (float v : inside) sum += v;
  s.mean = sum / static_cast<double>(inside.size());
  double squares = 0;  // about the mean, not Σv² − n·mean², which cancels badly for offset data
  for (float v : inside) squares += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(inside.size()));
  const double width = s.max > s.min ? (s.max - s.min) / 256.0 : 1.0;
  for (float v : inside) ++s.histogram[static_cast<std::size_t>(std::clamp((v - s.min) / width, 0.0, 255.0))];
  s.low = percentile(inside, 0.005);
  s.high = percentile(inside, 0.995);
  return s;
}

}  // namespace tomo
