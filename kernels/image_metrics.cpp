#include "kernels/image_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/error.hpp"

namespace tomo {

std::vector<bool> disc_region(int n, float ratio) {
  std::vector<bool> region(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
  const double half = 0.5 * n, radius = ratio * half;
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < n; ++j) {
      const double x = j - half, y = half - r;
      region[static_cast<std::size_t>(r) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)] = x * x + y * y <= radius * radius;
    }
  return region;
}

namespace {

void check_sizes(std::span<const float> image, std::span<const float> truth, const std::vector<bool>& region) {
  if (image.size() != truth.size() || region.size() != truth.size())
    fail("image metrics: image ({}), truth ({}) and region ({}) differ in size", image.size(), truth.size(), region.size());
}

}  // namespace

double psnr(std::span<const float> image, std::span<const float> truth, const std::vector<bool>& region) {
  check_sizes(image, truth, region);
  double low = std::numeric_limits<double>::max(), high = std::numeric_limits<double>::lowest(), squared = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (!region[i]) continue;
    low = std::min(low, double(truth[i]));
    high = std::max(high, double(truth[i]));
    const double d = double(image[i]) - double(truth[i]);
    squared += d * d;
    ++count;
  }
  if (count == 0) fail("image metrics: the region is empty");
  const double mse = squared / static_cast<double>(count), peak = high - low;
  return 10.0 * std::log10(peak * peak / std::max(mse, 1e-300));
}

double ssim(std::span<const float> image, std::span<const float> truth, int n, const std::vector<bool>& region) {
  check_sizes(image, truth, region);
  double low = std::numeric_limits<double>::max(), high = std::numeric_limits<double>::lowest();
  for (std::size_t i = 0; i < truth.size(); ++i)
    if (region[i]) {
      low = std::min(low, double(truth[i]));
      high = std::max(high, double(truth[i]));
    }
  const double range = high - low, c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
  constexpr int half_window = 3;  // 7 × 7
  constexpr double count = 49.0;
  double total = 0;
  std::size_t windows = 0;
  const auto at = [n](std::span<const float> v, int r, int j) { return double(v[static_cast<std::size_t>(r) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)]); };
  for (int r = half_window; r < n - half_window; ++r)
    for (int j = half_window; j < n - half_window; ++j) {
      if (!region[static_cast<std::size_t>(r) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)]) continue;
      double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (int dr = -half_window; dr <= half_window; ++dr)
        for (int dj = -half_window; dj <= half_window; ++dj) {
          const double x = at(image, r + dr, j + dj), y = at(truth, r + dr, j + dj);
          sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
        }
      const double mx = sx / count, my = sy / count;
      // Sample (co)variances, as scikit-image computes them.
      const double vx = (sxx - count * mx * mx) / (count - 1), vy = (syy - count * my * my) / (count - 1);
      const double cxy = (sxy - count * mx * my) / (count - 1);
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      ++windows;
    }
  if (windows == 0) fail("image metrics: the region has no 7 x 7 window");
  return total / static_cast<double>(windows);
}

double total_variation(std::span<const float> image, int n, const std::vector<bool>& region) {
  if (image.size() != region.size()) fail("image metrics: image ({}) and region ({}) differ in size", image.size(), region.size());
  const std::size_t nn = static_cast<std::size_t>(n);
  double total = 0;
  for (std::size_t r = 0; r + 1 < nn; ++r)
    for (std::size_t j = 0; j + 1 < nn; ++j) {
      const std::size_t i = r * nn + j;
      if (!region[i]) continue;
      const double dx = double(image[i + 1]) - image[i], dy = double(image[i + nn]) - image[i];
      total += std::sqrt(dx * dx + dy * dy);
    }
  return total;
}

double region_mean(std::span<const float> image, const std::vector<bool>& region) {
  if (image.size() != region.size()) fail("image metrics: image ({}) and region ({}) differ in size", image.size(), region.size());
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < image.size(); ++i)
    if (region[i]) {
      sum += image[i];
      ++count;
    }
  if (count == 0) fail("image metrics: the region is empty");
  return sum / static_cast<double>(count);
}

}  // namespace tomo
