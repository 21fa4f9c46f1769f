// STP-Core's sinogram-domain stripe filters (ElettraSciComp/STP-Core, preprocess/ringremoval),
// written from the papers and STP's documented behaviour.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/median_filter.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

// Σ over angles of each column, in double: a sum of thousands of floats loses the small
// offsets that are the stripes.
std::vector<double> column_sums(SinogramView sinogram) {
  std::vector<double> sums(static_cast<std::size_t>(sinogram.columns), 0.0);
  for (int p = 0; p < sinogram.projections; ++p) {
    const float* row = sinogram.row(p);
    for (std::size_t c = 0; c < sums.size(); ++c) sums[c] += row[c];
  }
  return sums;
}

}  // namespace

void rivers_filter(SinogramView sinogram, int width) {
  const auto sums = column_sums(sinogram);
  std::vector<float> means(sums.size()), smooth(sums.size());
  for (std::size_t c = 0; c < sums.size(); ++c) means[c] = static_cast<float>(sums[c] / sinogram.projections);
  median_filter(means, width, Boundary::nearest, smooth);
  for (int p = 0; p < sinogram.projections; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < means.size(); ++c) row[c] -= means[c] - smooth[c];
  }
}

void boin_haibel_filter(SinogramView sinogram, int width) {
  const auto sums = column_sums(sinogram);
  std::vector<float> totals(sums.size()), smooth(sums.size());
  for (std::size_t c = 0; c < sums.size(); ++c) totals[c] = static_cast<float>(sums[c]);
  median_filter(totals, width, Boundary::nearest, smooth);
  // The ratio is a gain only where the column holds attenuation: in air the sums are noise
  // about zero and their ratio anything, so columns below 1 % of the largest sum keep theirs.
  const float floor = 0.01f * std::max(0.0f, *std::max_element(totals.begin(), totals.end()));
  std::vector<float> gain(totals.size(), 1.0f);
  for (std::size_t c = 0; c < totals.size(); ++c)
    if (totals[c] > floor && smooth[c] > floor) gain[c] = smooth[c] / totals[c];
  for (int p = 0; p < sinogram.projections; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < gain.size(); ++c) row[c] *= gain[c];
  }
}

void oimoen_filter(SinogramView sinogram, int horizontal_width, int vertical_width) {
  const std::size_t columns = static_cast<std::size_t>(sinogram.columns);
  // The horizontal high-pass holds the object's edges and the stripes; only the stripes
  // persist down a column, so its vertical median keeps them and drops the edges.
  std::vector<float> high_pass(sinogram.size());
  std::vector<float> smooth(std::max(columns, static_cast<std::size_t>(sinogram.projections)));
  for (int p = 0; p < sinogram.projections; ++p) {
    const float* row = sinogram.row(p);
    median_filter(row, columns, 1, horizontal_width, Boundary::nearest, smooth.data());
    for (std::size_t c = 0; c < columns; ++c) high_pass[static_cast<std::size_t>(p) * columns + c] = row[c] - smooth[c];
  }
  for (std::size_t c = 0; c < columns; ++c) {
    median_filter(high_pass.data() + c, static_cast<std::size_t>(sinogram.projections), columns, vertical_width,
                  Boundary::mirror, smooth.data());
    for (int p = 0; p < sinogram.projections; ++p) sinogram.row(p)[c] -= smooth[static_cast<std::size_t>(p)];
  }
}

void sijbers_postnov_filter(SinogramView sinogram, int window, double variance_threshold) {
  const int columns = sinogram.columns, projections = sinogram.projections;
  const int w = std::min(window, columns);  // a window wider than the row is the whole row
  const auto width = static_cast<std::size_t>(w);
  // Running Σv and Σv² of each row's window, in double (the variance is a small difference).
  std::vector<double> sum(static_cast<std::size_t>(projections), 0.0), sum_sq(sum.size(), 0.0);
  for (int p = 0; p < projections; ++p)
    for (int c = 0; c < w; ++c) {
      const double v = sinogram.row(p)[c];
      sum[static_cast<std::size_t>(p)] += v, sum_sq[static_cast<std::size_t>(p)] += v * v;
    }
  // STP keeps, for each column, the profile of one window: the last one that found more
  // homogeneous rows than the window before it. Every window covering a column estimates its
  // stripe; here they are averaged, weighted by the rows each found: the same where one window
  // dominates, and no steps where the chosen window changes.
  std::vector<double> stripe_sum(static_cast<std::size_t>(columns), 0.0), weight(stripe_sum.size(), 0.0);
  std::vector<float> segments;  // homogeneous segments less their means, row by row
  std::vector<float> values;
  for (int start = 0; start + w <= columns; ++start) {
    segments.clear();
    for (int p = 0; p < projections; ++p) {
      const auto pi = static_cast<std::size_t>(p);
      const double mean = sum[pi] / w;
      const double variance = std::max(0.0, sum_sq[pi] / w - mean * mean);
      const float* segment = sinogram.row(p) + start;
      if (variance < variance_threshold)
        for (std::size_t k = 0; k < width; ++k) segments.push_back(static_cast<float>(segment[k] - mean));
      if (start + w < columns) {  // slide this row's window one column on
        const double out = segment[0], in = segment[width];
        sum[pi] += in - out, sum_sq[pi] += in * in - out * out;
      }
    }
    const std::size_t found = segments.size() / width;
    if (found == 0) continue;
    values.resize(found);
    for (std::size_t k = 0; k < width; ++k) {
      for (std::size_t r = 0; r < found; ++r) values[r] = segments[r * width + k];
      const auto c = static_cast<std::size_t>(start) + k;
      stripe_sum[c] += static_cast<double>(found) * median_of(values);
      weight[c] += static_cast<double>(found);
    }
  }
  for (int p = 0; p < projections; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < stripe_sum.size(); ++c)
      if (weight[c] > 0) row[c] -= static_cast<float>(stripe_sum[c] / weight[c]);
  }
}

}  // namespace tomo
