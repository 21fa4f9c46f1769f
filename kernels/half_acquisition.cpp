#include "kernels/half_acquisition.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/backprojection_math.hpp"
#include "kernels/center_of_rotation_search.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo {

StitchBlend parse_stitch_blend(const std::string& text) {
  for (const StitchBlend blend : {StitchBlend::ramp, StitchBlend::average, StitchBlend::cut})
    if (text == to_string(blend)) return blend;
  fail("half-acquisition blend '{}' is not one of ramp, average, cut", text);
}

const char* to_string(StitchBlend blend) {
  switch (blend) {
    case StitchBlend::ramp: return "ramp";
    case StitchBlend::average: return "average";
    case StitchBlend::cut: return "cut";
  }
  return "?";
}

StitchedGeometry stitched_geometry(int columns, double axis) {
  const double n = columns;
  const bool left = axis < 0.5 * (n - 1);
  const double a = left ? axis : n - 1 - axis;  // the axis' distance from the nearer edge's pixel centre
  if (!(a >= 0.0 && a <= 0.5 * (n - 1) - 1.0))
    fail("half acquisition needs the rotation axis near an edge of the detector: column {} of {} is {}", axis, columns,
         a < 0 ? "off the detector" : "too close to the centre to extend the field of view");
  // Columns left of the near projection's first: to t = −(N − a), about one step past the far
  // projection's last column, so that the axis is the centre of a width of 2N − 2a rounded (the
  // field of view of a sample up to that wide), the same width for axes a hair apart.
  const int left_columns = static_cast<int>(std::lround(n - 2 * a));
  StitchedGeometry g;
  g.width = left_columns + columns;
  g.axis = left ? left_columns + a : g.width - 1 - (left_columns + a);
  g.axis_left = left;
  g.overlap = 2 * a;
  return g;
}

std::vector<float> stitch_half_acquisition(std::span<const float> sinograms, int rows, int projections, int columns,
                                           double axis, const StitchOptions& options, int threads) {
  if (projections < 2 || projections % 2 != 0)
    fail("half acquisition needs an even number of projections over 360°, got {}", projections);
  const std::size_t n = static_cast<std::size_t>(columns), p = static_cast<std::size_t>(projections);
  if (sinograms.size() != static_cast<std::size_t>(rows) * p * n)
    fail("stitch_half_acquisition: {} values do not make {} rows x {} projections x {} columns", sinograms.size(), rows,
         projections, columns);
  const StitchedGeometry g = stitched_geometry(columns, axis);
  const double a = g.axis_left ? axis : static_cast<double>(columns) - 1 - axis;
  const int left = g.width - columns;
  const std::size_t half = p / 2, width = static_cast<std::size_t>(g.width);
  std::vector<float> out(static_cast<std::size_t>(rows) * half * width);
  const bool mirrored = !g.axis_left;
  parallel_for(static_cast<std::size_t>(rows) * half, threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t item = begin; item < end; ++item) {
      const std::size_t row = item / half, i = item % half;
      const float* near = sinograms.data() + (row * p + i) * n;
      const float* far = sinograms.data() + (row * p + i + half) * n;
      float* to = out.data() + item * width;
      const float offset = options.normalise ? overlap_offset(near, far, columns, a, left, mirrored) : 0.0f;
      for (int k = 0; k < g.width; ++k)
        to[mirrored ? g.width - 1 - k : k] = stitched_value(near, far, columns, a, left, k, mirrored, options.blend, offset);
    }
  });
  return out;
}

CorEstimate estimate_half_acquisition_axis(std::span<const float> sinograms, int rows, int projections, int columns) {
  if (projections < 2 || projections % 2 != 0)
    fail("half acquisition needs an even number of projections over 360°, got {}", projections);
  const std::size_t n = static_cast<std::size_t>(columns), p = static_cast<std::size_t>(projections);
  if (columns < 24 || sinograms.size() != static_cast<std::size_t>(rows) * p * n)
    fail("half-acquisition axis: {} values do not make {} rows x {} projections x {} columns (at least 24)",
         sinograms.size(), rows, projections, columns);
  constexpr int kPairs = 32;         // enough pairs to average the noise, few enough to be quick
  constexpr std::ptrdiff_t kMinOverlap = 8;  // columns: below that a match says little
  const std::size_t half = p / 2, step = std::max<std::size_t>(1, half / kPairs);
  const auto metric = [&](double offset) {
    const double a = 0.5 * columns + offset;  // trial axis column
    const auto first = static_cast<std::ptrdiff_t>(std::ceil(std::max(0.0, 2 * a - (columns - 1))));
    const auto last = static_cast<std::ptrdiff_t>(std::floor(std::min(static_cast<double>(columns - 1), 2 * a)));
    if (last - first + 1 < kMinOverlap) return 1.0;  // as bad as no match at all
    double difference = 0, total = 0;
    for (std::size_t row = 0; row < static_cast<std::size_t>(rows); ++row)
      for (std::size_t i = 0; i < half; i += step) {
        const float* near = sinograms.data() + (row * p + i) * n;
        const float* far = sinograms.data() + (row * p + i + half) * n;
        for (std::ptrdiff_t c = first; c <= last; ++c) {
          const double x = near[c], y = sample_linear(far, columns, static_cast<float>(2 * a - static_cast<double>(c)));
          difference += (x - y) * (x - y);
          total += x * x + y * y;
        }
      }
    return total > 0 ? difference / total : 1.0;
  };
  return cor::search_offset(metric, 0.5 * columns - 1.0);
}

}  // namespace tomo
