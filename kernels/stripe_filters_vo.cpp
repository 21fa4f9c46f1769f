// Vo, Atwood & Drakopoulos, "Superior techniques for eliminating ring artifacts in X-ray
// micro-tomography", Opt. Express 26(22), 28396 (2018), as their algotom package runs them
// (remove_stripe_based_sorting, _filtering, remove_large_stripe, remove_dead_stripe).
//
// The key observation: sorting each column of a sinogram by value gives an image in which a
// column's values rise smoothly from its minimum to its maximum, and neighbouring columns of
// the object rise alike. A stripe shifts or scales its whole column, so in the sorted image it
// is a band that differs from its neighbours at every row — which a median across removes —
// while the object's own features, scattered over different rows in different columns, have
// become smooth.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "kernels/column_fourier_filter.hpp"
#include "kernels/median_filter.hpp"
#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

// Each column sorted by value: sorted(k, c) and the row it came from, order(k, c).
struct SortedColumns {
  std::vector<float> sorted;
  std::vector<std::int32_t> order;
};

SortedColumns sort_columns(SinogramView sinogram) {
  const auto rows = static_cast<std::size_t>(sinogram.projections), columns = static_cast<std::size_t>(sinogram.columns);
  SortedColumns result{std::vector<float>(rows * columns), std::vector<std::int32_t>(rows * columns)};
  // Columns are gathered a block at a time (16 floats of a row are one cache line) into
  // (value, row) pairs, sorted where they lie contiguously, and put back a block at a time; equal
  // values keep their row order (the pair compares the row second), as a stable sort would.
  // Sorting row indices through the sinogram in place, a row apart in memory for every
  // comparison, took vo-sort 196 ms a 2048 × 1800 slice, this 120 ms (bench/bench_preprocessing.cpp).
  constexpr std::size_t kBlock = 16;
  std::vector<std::vector<std::pair<float, std::int32_t>>> block(kBlock, std::vector<std::pair<float, std::int32_t>>(rows));
  for (std::size_t first = 0; first < columns; first += kBlock) {
    const std::size_t count = std::min(kBlock, columns - first);
    for (std::size_t k = 0; k < rows; ++k) {
      const float* row = sinogram.row(static_cast<int>(k)) + first;
      for (std::size_t b = 0; b < count; ++b) block[b][k] = {row[b], static_cast<std::int32_t>(k)};
    }
    for (std::size_t b = 0; b < count; ++b) std::sort(block[b].begin(), block[b].end());
    for (std::size_t k = 0; k < rows; ++k)
      for (std::size_t b = 0; b < count; ++b) {
        result.sorted[k * columns + first + b] = block[b][k].first;
        result.order[k * columns + first + b] = block[b][k].second;
      }
  }
  return result;
}

// Each row of a rows × columns image median-filtered across `size` columns (algotom uses
// scipy's default boundary, the mirror).
std::vector<float> median_across(const std::vector<float>& image, int rows, int columns, int size) {
  const auto width = static_cast<std::size_t>(columns);
  std::vector<float> out(image.size());
  for (std::size_t k = 0; k < static_cast<std::size_t>(rows); ++k)
    median_filter(image.data() + k * width, width, 1, size, Boundary::mirror, out.data() + k * width);
  return out;
}

// Widens every detected stripe by one column each side: a stripe's edge columns are partly
// defective too (algotom's binary_dilation, one iteration).
std::vector<bool> dilate(const std::vector<bool>& mask) {
  std::vector<bool> out(mask.size());
  for (std::size_t c = 0; c < mask.size(); ++c)
    out[c] = vo_dilated(mask, mask.size(), c);
  return out;
}

}  // namespace

void vo_sorting_filter(SinogramView sinogram, int size) {
  const auto columns = static_cast<std::size_t>(sinogram.columns);
  const auto sorted = sort_columns(sinogram);
  const auto smooth = median_across(sorted.sorted, sinogram.projections, sinogram.columns, size);
  for (std::size_t i = 0; i < smooth.size(); ++i) sinogram.row(sorted.order[i])[i % columns] = smooth[i];
}

// Low-pass along the angle by a Gaussian of σ frequency bins of the padded column (algotom's
// separate_frequency_component); the column is mirrored by up to 150 rows (10 %) at each end so
// that the transform does not wrap its last rows onto its first.
VoFilteringFilter::VoFilteringFilter(int projections, int columns, double sigma, int size)
    : projections_(projections), columns_(columns), pad_(vo_filter_padding(projections)), size_(size) {
  const int rows = projections + 2 * pad_;
  low_pass_ = std::make_unique<ColumnFourierFilter>(rows, columns, vo_low_pass_gains(rows, sigma));
}

VoFilteringFilter::~VoFilteringFilter() = default;

void VoFilteringFilter::apply(SinogramView sinogram) const {
  const auto columns = static_cast<std::size_t>(columns_);
  std::vector<float> padded(static_cast<std::size_t>(low_pass_->rows()) * columns);
  for (int i = 0; i < low_pass_->rows(); ++i) {
    const auto source = boundary_index(i - pad_, static_cast<std::size_t>(projections_), Boundary::mirror);
    std::copy_n(sinogram.row(static_cast<int>(source)), columns, padded.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * columns));
  }
  low_pass_->apply(padded);
  // The stripe is in the smooth part (it does not change with angle); the sharp part, the
  // sinogram less its low-pass, is the object's detail and passes untouched.
  std::vector<float> smooth(padded.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(pad_) * columns),
                            padded.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(pad_ + projections_) * columns));
  std::vector<float> sharp(sinogram.values, sinogram.values + sinogram.size());
  for (std::size_t i = 0; i < sharp.size(); ++i) sharp[i] -= smooth[i];
  vo_sorting_filter({smooth.data(), projections_, columns_}, size_);
  for (std::size_t i = 0; i < sharp.size(); ++i) sinogram.values[i] = smooth[i] + sharp[i];
}

std::vector<bool> vo_detect_stripes(std::span<const float> ratio, double snr) {
  const std::size_t n = ratio.size();
  std::vector<bool> mask(n, false);
  std::vector<float> sorted(ratio.begin(), ratio.end());
  std::sort(sorted.begin(), sorted.end());
  // Straight line through the middle half of the sorted values (algotom fits indices
  // [n/4, n − n/4 − 1)): its rise over the whole range is the spread of ordinary columns.
  const std::size_t drop = n / 4;
  if (n < 2 * drop + 3) return mask;  // too few columns to tell a stripe from the rest
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const std::size_t first = drop, end = n - drop - 1;
  for (std::size_t i = first; i < end; ++i) {
    const double x = static_cast<double>(i), y = sorted[i];
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  const double count = static_cast<double>(end - first);
  const double slope = (count * sxy - sx * sy) / (count * sxx - sx * sx);
  const double intercept = (sy - slope * sx) / count;
  const double y_end = intercept + slope * static_cast<double>(n - 1);
  const double noise = std::max(std::abs(y_end - intercept), 1e-6);
  if (std::abs(sorted.back() - y_end) / noise >= snr) {
    const double upper = y_end + 0.5 * snr * noise;
    for (std::size_t c = 0; c < n; ++c) mask[c] = mask[c] || ratio[c] > upper;
  }
  if (std::abs(intercept - sorted.front()) / noise >= snr) {
    const double lower = intercept - 0.5 * snr * noise;
    for (std::size_t c = 0; c < n; ++c) mask[c] = mask[c] || ratio[c] <= lower;
  }
  return mask;
}

void vo_large_stripe_filter(SinogramView sinogram, double snr, int size, double drop_ratio) {
  const int rows = sinogram.projections;
  const auto columns = static_cast<std::size_t>(sinogram.columns);
  const auto sorted = sort_columns(sinogram);
  const auto smooth = median_across(sorted.sorted, rows, sinogram.columns, size);
  // A wide stripe is a gain (or offset) error of a group of pixels: the ratio of a column's
  // mean to its neighbours' median, over the sorted rows bar the extremes (zingers, edges).
  int kept_first = 0, kept_end = 0;
  vo_kept_rows(rows, drop_ratio, &kept_first, &kept_end);
  std::vector<float> ratio(columns, 1.0f);
  // Ratios of means at or below zero (air, noise) are no gain (algotom only avoids dividing by zero).
  for (std::size_t c = 0; c < columns; ++c)
    ratio[c] = vo_column_gain(sorted.sorted.data() + c, smooth.data() + c, columns, kept_first, kept_end);
  const auto stripes = dilate(vo_detect_stripes(ratio, snr));
  for (int p = 0; p < rows; ++p) {
    float* row = sinogram.row(p);
    for (std::size_t c = 0; c < columns; ++c) row[c] /= ratio[c];
  }
  // The detected columns take their neighbours' sorted median, put back in their own order.
  for (std::size_t k = 0; k < static_cast<std::size_t>(rows); ++k)
    for (std::size_t c = 0; c < columns; ++c)
      if (stripes[c]) sinogram.row(sorted.order[k * columns + c])[c] = smooth[k * columns + c];
}

std::vector<bool> vo_dead_columns(std::span<const double> roughness, double snr, int size) {
  const std::size_t columns = roughness.size();
  std::vector<float> own(columns), background(columns), ratio(columns, 1.0f);
  for (std::size_t c = 0; c < columns; ++c) own[c] = static_cast<float>(roughness[c]);
  median_filter(own, size, Boundary::mirror, background);
  // Where the neighbours are perfectly smooth (no object), compare with the average roughness.
  double mean_background = 0;
  for (const float b : background) mean_background += std::abs(b);
  mean_background /= static_cast<double>(columns);
  for (std::size_t c = 0; c < columns; ++c) {
    const double reference = background[c] != 0 ? background[c] : mean_background;
    if (reference != 0) ratio[c] = static_cast<float>(own[c] / reference);
  }
  auto dead = dilate(vo_detect_stripes(ratio, snr));
  // The two columns at each edge have no neighbour on one side to interpolate from.
  for (std::size_t c = 0; c < std::min<std::size_t>(2, columns); ++c) dead[c] = dead[columns - 1 - c] = false;
  // A third of the detector "dead" is a detection gone wrong, not a detector (algotom's guard).
  if (static_cast<std::size_t>(std::count(dead.begin(), dead.end(), true)) * 3 >= columns) dead.assign(columns, false);
  return dead;
}

void vo_dead_stripe_filter(SinogramView sinogram, double snr, int size, bool residual) {
  const int rows = sinogram.projections;
  const auto columns = static_cast<std::size_t>(sinogram.columns);
  // A dead pixel reads the same at every angle, a flickering one jumps about: either way its
  // column's roughness along the angle, Σ |value − its running mean over kVoRoughnessWindow
  // angles|, stands out from its neighbours' (too low or too high), which follow the object.
  std::vector<double> roughness(columns, 0.0);
  for (std::size_t c = 0; c < columns; ++c) roughness[c] = vo_column_roughness(sinogram.values + c, rows, columns);
  const auto dead = vo_dead_columns(roughness, snr, size);
  for (std::size_t c = 0; c < columns;) {
    if (!dead[c]) { ++c; continue; }
    std::size_t end = c;
    while (end < columns && dead[end]) ++end;
    const std::size_t left = c - 1, right = end;  // good columns either side (edges are good)
    for (int p = 0; p < rows; ++p) {
      float* row = sinogram.row(p);
      for (std::size_t j = c; j < end; ++j) row[j] = vo_interpolated(row[left], row[right], j - left, right - left);
    }
    c = end;
  }
  if (residual) vo_large_stripe_filter(sinogram, snr, size);
}

}  // namespace tomo
