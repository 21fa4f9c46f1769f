#include "kernels/center_of_rotation_search.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/error.hpp"

namespace tomo::cor {
namespace {

constexpr double kCoarseStep = 0.5, kFineStep = 0.02;
// Offsets at least this far from the best are "another answer" for the confidence: closer ones
// are the same valley.
constexpr double kDistinct = 2.0;

}  // namespace

CorEstimate search_offset(const std::function<double(double)>& metric, double radius) {
  std::vector<std::pair<double, double>> samples;
  const int half_steps = static_cast<int>(std::floor(radius / kCoarseStep));
  for (int i = -half_steps; i <= half_steps; ++i) samples.emplace_back(i * kCoarseStep, metric(i * kCoarseStep));
  const auto lowest = [](const auto& a, const auto& b) { return a.second < b.second; };
  const double coarse = std::min_element(samples.begin(), samples.end(), lowest)->first;

  std::vector<std::pair<double, double>> fine;
  const int fine_steps = static_cast<int>(std::lround(kCoarseStep / kFineStep));
  for (int i = -fine_steps; i <= fine_steps; ++i) {
    const double offset = coarse + i * kFineStep;
    if (std::abs(offset) <= radius) fine.emplace_back(offset, metric(offset));
  }
  const auto best = std::min_element(fine.begin(), fine.end(), lowest);
  CorEstimate estimate;
  estimate.offset = best->first;
  if (best != fine.begin() && best + 1 != fine.end()) {
    // Vertex of the parabola through the three samples around the minimum (at most half a step
    // from the best sample, as the best is lower than both neighbours).
    const double left = (best - 1)->second, middle = best->second, right = (best + 1)->second;
    const double curvature = left - 2 * middle + right;
    if (curvature > 0) estimate.offset += 0.5 * kFineStep * (left - right) / curvature;
  }

  double second = INFINITY;
  for (const auto& [offset, value] : samples)
    if (std::abs(offset - estimate.offset) >= kDistinct) second = std::min(second, value);
  estimate.confidence = std::isfinite(second) && second > 0 ? std::clamp(1.0 - best->second / second, 0.0, 1.0) : 0.0;

  samples.insert(samples.end(), fine.begin(), fine.end());
  std::sort(samples.begin(), samples.end());
  samples.erase(std::unique(samples.begin(), samples.end(),
                            [](const auto& a, const auto& b) { return std::abs(a.first - b.first) < 1e-9; }),
                samples.end());
  estimate.metric = std::move(samples);
  return estimate;
}

double search_radius(double requested, int columns) {
  if (requested == 0) return 0.25 * columns;
  if (!std::isfinite(requested) || requested < 0 || requested > 0.5 * columns)
    fail("centre of rotation: search_radius_px = {} is out of range (0, {}] (half the detector width)", requested,
         0.5 * columns);
  return requested;
}

void check_input(const char* method, std::span<const float> data, int rows, int projections, int columns,
                 std::span<const float> angles_rad) {
  if (rows <= 0 || projections < 2 || columns < 8)
    fail("{}: needs at least 1 row, 2 projections and 8 columns, got {} × {} × {}", method, rows, projections, columns);
  const std::size_t expected = static_cast<std::size_t>(rows) * projections * columns;
  if (data.size() != expected)
    fail("{}: {} values given for {} rows × {} projections × {} columns ({})", method, data.size(), rows, projections,
         columns, expected);
  if (angles_rad.size() != static_cast<std::size_t>(projections))
    fail("{}: {} angles given for {} projections", method, angles_rad.size(), projections);
  for (const float angle : angles_rad)
    if (!std::isfinite(angle)) fail("{}: the angles hold a NaN or infinity", method);
  for (std::size_t i = 0; i < data.size(); ++i)
    if (!std::isfinite(data[i]))
      fail("{}: value {} (row {}, projection {}, column {}) is not finite; replace NaN/Inf before estimating the centre",
           method, data[i], i / (static_cast<std::size_t>(projections) * columns),
           i / static_cast<std::size_t>(columns) % static_cast<std::size_t>(projections), i % static_cast<std::size_t>(columns));
}

std::vector<int> by_angle(std::span<const float> angles_rad) {
  std::vector<int> order(angles_rad.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return angles_rad[a] < angles_rad[b]; });
  return order;
}

double median_step(std::span<const float> angles_rad, const std::vector<int>& order) {
  std::vector<double> steps;
  for (std::size_t i = 1; i < order.size(); ++i) steps.push_back(double(angles_rad[order[i]]) - angles_rad[order[i - 1]]);
  if (steps.empty()) return 0.0;
  std::nth_element(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2), steps.end());
  return steps[steps.size() / 2];
}

}  // namespace tomo::cor
