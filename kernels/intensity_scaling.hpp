#pragma once
// Linear conversion of reconstructed values to integer grey levels (STP's linear8/linear16):
// [low, high] maps onto the type's full range, values outside are clipped, NaN becomes 0.
#include <algorithm>
#include <cmath>
#include <limits>

namespace tomo {

template <class Integer>
Integer to_grey_level(float value, float low, float high) {
  const double top = static_cast<double>(std::numeric_limits<Integer>::max());
  const double v = (static_cast<double>(value) - low) / (static_cast<double>(high) - low) * top;
  if (!(v > 0)) return 0;
  return static_cast<Integer>(std::min(top, std::round(v)));
}

}  // namespace tomo
