#include "kernels/stripe_filter_tables.hpp"

#include <algorithm>

#include "kernels/error.hpp"
#include "kernels/median_filter.hpp"
#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {

RavenTables raven_tables(int projections, int columns, int window, double smoothing) {
  if (projections <= 0 || columns <= 0) fail("Raven stripe filter: {} x {} is not a sinogram", projections, columns);
  if (window < 1) fail("Raven stripe filter: window {} is below 1", window);
  if (!(smoothing >= 0 && smoothing <= 1)) fail("Raven stripe filter: smoothing {} is outside [0, 1]", smoothing);
  RavenTables t;
  t.projections = projections, t.columns = columns;
  t.row_margin = projections / 2, t.column_margin = columns / 2;
  t.padded_rows = projections + 2 * t.row_margin, t.padded_columns = columns + 2 * t.column_margin;
  t.bins = t.padded_columns / 2 + 1;
  const double sigma = raven_sigma(smoothing, columns);
  for (int i = 0; i < t.padded_rows; ++i) {
    const int u = signed_frequency(i, t.padded_rows);
    if (!raven_filters_row(u, window)) continue;
    t.filtered_rows.push_back(i);
    for (int v = 0; v < t.bins; ++v) t.gains.push_back(raven_gain(u, v, sigma));
  }
  for (int i = 0; i < t.padded_rows; ++i) t.row_taper.push_back(raven_taper(i, t.row_margin, projections));
  for (int j = 0; j < t.padded_columns; ++j) t.column_taper.push_back(raven_taper(j, t.column_margin, columns));
  return t;
}

std::vector<float> munch_notch_gains(int band_rows, double sigma) {
  std::vector<float> gain(static_cast<std::size_t>(band_rows / 2 + 1));
  for (std::size_t k = 0; k < gain.size(); ++k) gain[k] = munch_notch_gain(static_cast<int>(k), sigma);
  return gain;
}

int vo_filter_padding(int projections) { return std::min(150, projections / 10); }

std::vector<float> vo_low_pass_gains(int rows, double sigma) {
  std::vector<float> gain(static_cast<std::size_t>(rows / 2 + 1));
  for (std::size_t k = 0; k < gain.size(); ++k) gain[k] = vo_low_pass_gain(static_cast<int>(k), sigma);
  return gain;
}

std::vector<float> rivers_correction(std::span<const double> column_sums, int projections, int width) {
  if (projections < 1) fail("Rivers profile: needs at least one projection, got {}", projections);
  std::vector<float> means(column_sums.size()), smooth(column_sums.size());
  for (std::size_t c = 0; c < means.size(); ++c) means[c] = static_cast<float>(column_sums[c] / projections);
  median_filter(means, width, Boundary::nearest, smooth);
  for (std::size_t c = 0; c < means.size(); ++c) means[c] -= smooth[c];
  return means;
}

std::vector<float> boin_haibel_gains(std::span<const double> column_sums, int width) {
  std::vector<float> totals(column_sums.size()), smooth(column_sums.size());
  for (std::size_t c = 0; c < totals.size(); ++c) totals[c] = static_cast<float>(column_sums[c]);
  median_filter(totals, width, Boundary::nearest, smooth);
  // The ratio is a gain only where the column holds attenuation: in air the sums are noise
  // about zero and their ratio anything, so columns below 1 % of the largest sum keep theirs.
  const float floor = 0.01f * std::max(0.0f, *std::max_element(totals.begin(), totals.end()));
  std::vector<float> gain(totals.size(), 1.0f);
  for (std::size_t c = 0; c < totals.size(); ++c)
    if (totals[c] > floor && smooth[c] > floor) gain[c] = smooth[c] / totals[c];
  return gain;
}

std::vector<unsigned char> vo_large_stripe_columns(std::span<const float> ratio, double snr) {
  const std::vector<bool> detected = vo_detect_stripes(ratio, snr);
  std::vector<unsigned char> stripes(detected.size());
  for (std::size_t c = 0; c < stripes.size(); ++c) stripes[c] = vo_dilated(detected, detected.size(), c) ? 1 : 0;
  return stripes;
}

VoDeadSources vo_dead_sources(std::span<const double> roughness, double snr, int size) {
  const std::vector<bool> dead = vo_dead_columns(roughness, snr, size);
  VoDeadSources sources{std::vector<int>(dead.size(), -1), std::vector<int>(dead.size(), -1)};
  // vo_dead_columns never flags the edge columns, so every run has a good column each side.
  for (std::size_t c = 0; c < dead.size();) {
    if (!dead[c]) {
      ++c;
      continue;
    }
    std::size_t end = c;
    while (end < dead.size() && dead[end]) ++end;
    for (std::size_t j = c; j < end; ++j)
      sources.left[j] = static_cast<int>(c) - 1, sources.right[j] = static_cast<int>(end);
    c = end;
  }
  return sources;
}

}  // namespace tomo
