#include "kernels/half_acquisition.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/backprojection_math.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {
namespace {

// The stitch with the axis at column `a` < N/2, for one pair: `near` (the projection at θ, its
// column c at t = c − a) and `far` (at θ + 180°, which sees t at its column a − t). Stitched
// column k is t = k − left − a: the near projection's columns land on whole stitched columns.
void stitch_left(const float* near, const float* far, int n, double a, int left, float* out) {
  const int width = left + n;
  const double overlap = 2.0 * a;
  for (int k = 0; k < width; ++k) {
    const int c = k - left;  // the near projection's column
    const float from_far = sample_linear(far, n, static_cast<float>(overlap + left - k));
    if (c < 0) {
      out[k] = from_far;
      continue;
    }
    // Across the overlap [left, left + 2a] the near projection's weight ramps from 0 to 1.
    const double w = overlap > 0 ? std::clamp(c / overlap, 0.0, 1.0) : 1.0;
    out[k] = static_cast<float>(w * near[c] + (1.0 - w) * from_far);
  }
}

}  // namespace

StitchedGeometry stitched_geometry(int columns, double axis) {
  const double n = columns;
  const bool left = axis < 0.5 * (n - 1);
  const double a = left ? axis : n - 1 - axis;  // the axis' distance from the nearer edge's pixel centre
  if (!(a >= 0.0 && a <= 0.5 * (n - 1) - 1.0))
    fail("half acquisition needs the rotation axis near an edge of the detector: column {} of {} is {}", axis, columns,
         a < 0 ? "off the detector" : "too close to the centre to extend the field of view");
  // Columns left of the near projection's first: to t = −(N − a), one step past the far
  // projection's last column, so that for a whole 2a the axis is the centre of an even width
  // 2N − 2a (the field of view of a sample up to that wide).
  const int left_columns = static_cast<int>(std::ceil(n - 2 * a - 1e-9));
  StitchedGeometry g;
  g.width = left_columns + columns;
  g.axis = left ? left_columns + a : g.width - 1 - (left_columns + a);
  g.axis_left = left;
  g.overlap = 2 * a;
  return g;
}

std::vector<float> stitch_half_acquisition(std::span<const float> sinograms, int rows, int projections, int columns,
                                           double axis, int threads) {
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
  parallel_for(static_cast<std::size_t>(rows) * half, threads, [&](std::size_t begin, std::size_t end) {
    std::vector<float> near(n), far(n), stitched(width);
    for (std::size_t item = begin; item < end; ++item) {
      const std::size_t row = item / half, i = item % half;
      const float* first = sinograms.data() + (row * p + i) * n;
      const float* second = sinograms.data() + (row * p + i + half) * n;
      // With the axis on the right, mirror both projections, stitch as on the left, mirror back.
      if (g.axis_left) {
        std::copy_n(first, n, near.begin());
        std::copy_n(second, n, far.begin());
      } else {
        std::reverse_copy(first, first + n, near.begin());
        std::reverse_copy(second, second + n, far.begin());
      }
      stitch_left(near.data(), far.data(), columns, a, left, stitched.data());
      float* to = out.data() + item * width;
      if (g.axis_left) std::copy(stitched.begin(), stitched.end(), to);
      else std::reverse_copy(stitched.begin(), stitched.end(), to);
    }
  });
  return out;
}

}  // namespace tomo
