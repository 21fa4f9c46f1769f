#pragma once
// What a person tuning a slice reads off it: its range, mean and spread, the grey window that
// shows it (robust percentiles), and its histogram — over the reconstruction disc only, since
// outside it the mask's zeros (or the unseen corners) say nothing about the sample.
#include <array>
#include <cstdint>
#include <span>

namespace tomo {

struct SliceStatistics {
  double min = 0, max = 0, mean = 0, std = 0;  // of the finite pixels inside the disc
  float low = 0, high = 0;                     // their 0.5 and 99.5 percentiles: a display window
  std::array<std::int64_t, 256> histogram{};   // counts in 256 equal bins over [min, max]
};

// Of an n × n slice, over the disc of radius ratio · n/2 (image_metrics.hpp, disc_region).
// All zero when no pixel there is finite.
SliceStatistics slice_statistics(std::span<const float> slice, int n, float ratio);

}  // namespace tomo
