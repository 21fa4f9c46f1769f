#include "kernels/percentile.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tomo {

float percentile(std::span<const float> values, double fraction) {
  std::vector<float> finite;
  finite.reserve(values.size());
  for (const float v : values)
    if (std::isfinite(v)) finite.push_back(v);
  if (finite.empty()) return 0;
  const double rank = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(finite.size() - 1);
  auto nth = finite.begin() + static_cast<std::ptrdiff_t>(rank);
  std::nth_element(finite.begin(), nth, finite.end());
  return *nth;
}

}  // namespace tomo
