#include "kernels/percentile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace tomo {
namespace {

// Bins of the first pass: the second sorts only the values of one bin, about 1/4096 of them for
// a slice (~800 of a 2048² one) instead of all.
constexpr int kBins = 4096;

}  // namespace

// Selection by histogram: a pass for the finite values' count and range, one to count them into
// bins, and one to gather the bin holding the wanted rank, whose values nth_element orders. The
// bin index is a non-decreasing function of the value, so that bin holds exactly the ranks from
// the count below it on: the result is the nearest-rank percentile, as sorting would give, at a
// few passes over the data rather than a copy and a selection over all of it (the interactive
// preview asks for two of a 2048² slice at every change).
float percentile(std::span<const float> values, double fraction) {
  std::size_t count = 0;
  float low = 0, high = 0;
  for (const float v : values) {
    if (!std::isfinite(v)) continue;
    if (count == 0 || v < low) low = v;
    if (count == 0 || v > high) high = v;
    ++count;
  }
  if (count == 0) return 0;
  if (low == high) return low;
  const auto rank = static_cast<std::size_t>(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count - 1));
  const double scale = kBins / (static_cast<double>(high) - static_cast<double>(low));
  const auto bin_of = [&](float v) {
    return std::min(kBins - 1, static_cast<int>((static_cast<double>(v) - static_cast<double>(low)) * scale));
  };
  std::vector<std::size_t> histogram(kBins, 0);
  for (const float v : values)
    if (std::isfinite(v)) ++histogram[static_cast<std::size_t>(bin_of(v))];
  int bin = 0;
  std::size_t below = 0;
  while (below + histogram[static_cast<std::size_t>(bin)] <= rank) below += histogram[static_cast<std::size_t>(bin++)];
  std::vector<float> in_bin;
  in_bin.reserve(histogram[static_cast<std::size_t>(bin)]);
  for (const float v : values)
    if (std::isfinite(v) && bin_of(v) == bin) in_bin.push_back(v);
  const auto nth = in_bin.begin() + static_cast<std::ptrdiff_t>(rank - below);
  std::nth_element(in_bin.begin(), nth, in_bin.end());
  return *nth;
}

}  // namespace tomo
