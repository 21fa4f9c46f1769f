#include "kernels/stripe_filter_tables.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "kernels/column_fourier_filter.hpp"
#include "kernels/error.hpp"
#include "kernels/fft_length.hpp"
#include "kernels/median_filter.hpp"
#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

// Savitzky–Golay weights: the value at the centre of the least-squares polynomial of `order`
// through the 2·half + 1 samples at −half … half, as a weighted sum of those samples. With φ_k
// the polynomials orthonormal over the samples, w_j = Σ_k φ_k(0) φ_k(j); the φ_k come from
// Gram–Schmidt on 1, x, x², … (x scaled to [−1, 1], in double, orthogonalised twice), which stays
// accurate at orders where the normal equations do not. An order of 2·half or more passes every
// sample through: the weights are then 1 at the centre.
std::vector<double> savitzky_golay_weights(int half, int order) {
  const auto n = static_cast<std::size_t>(2 * half + 1);
  const int degree = std::min(order, 2 * half);
  std::vector<std::vector<double>> basis;
  std::vector<double> weights(n, 0.0);
  for (int k = 0; k <= degree; ++k) {
    std::vector<double> phi(n);
    for (std::size_t i = 0; i < n; ++i)
      phi[i] = half > 0 ? std::pow((static_cast<double>(i) - half) / half, k) : 1.0;
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& previous : basis) {
        double dot = 0;
        for (std::size_t i = 0; i < n; ++i) dot += phi[i] * previous[i];
        for (std::size_t i = 0; i < n; ++i) phi[i] -= dot * previous[i];
      }
    double norm = 0;
    for (const double v : phi) norm += v * v;
    norm = std::sqrt(norm);
    for (double& v : phi) v /= norm;
    for (std::size_t i = 0; i < n; ++i) weights[i] += phi[static_cast<std::size_t>(half)] * phi[i];
    basis.push_back(std::move(phi));
  }
  return weights;
}

// The frequency response, for k = 0 … length / 2, of the weights as a circular convolution of
// `length` samples (they are symmetric, so it is real): w_0 + 2 Σ_j w_j cos(2π j k / length).
std::vector<float> symmetric_response(const std::vector<double>& weights, int length) {
  const auto n = static_cast<std::size_t>(length);
  const std::size_t half = weights.size() / 2;
  std::vector<double> cosine(n);
  for (std::size_t i = 0; i < n; ++i) cosine[i] = std::cos(2 * std::numbers::pi * static_cast<double>(i) / length);
  std::vector<float> response(n / 2 + 1);
  for (std::size_t k = 0; k < response.size(); ++k) {
    double sum = weights[half];
    for (std::size_t j = 1; j <= half; ++j) sum += (weights[half + j] + weights[half - j]) * cosine[j * k % n];
    response[k] = static_cast<float>(sum);
  }
  return response;
}

std::vector<float> gaussian_gains(int length, double sigma) {
  std::vector<float> gains(static_cast<std::size_t>(length));
  for (int i = 0; i < length; ++i) {
    const double f = i <= length / 2 ? i : i - length;  // signed frequency, bins
    gains[static_cast<std::size_t>(i)] = static_cast<float>(std::exp(-f * f / (2 * sigma * sigma)));
  }
  return gains;
}

}  // namespace

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

VoFitTables vo_fit_tables(int projections, int columns, int order, double sigma) {
  if (projections <= 0 || columns <= 0) fail("Vo's fitting filter: {} x {} is not a sinogram", projections, columns);
  if (order < 1) fail("Vo's fitting filter: polynomial order {} is below 1", order);
  if (!(sigma > 0)) fail("Vo's fitting filter: sigma {} is not above 0", sigma);
  VoFitTables t;
  t.projections = projections, t.columns = columns;
  // The fit: algotom's savgol_filter over the longest odd window the column holds, its ends
  // reflected, done as one circular convolution per column on the reflected column (long enough
  // that the convolution does not wrap).
  t.fit_half = ((projections % 2 == 1 ? projections : projections - 1) - 1) / 2;
  t.fit_rows = smooth_fft_length(projections + 2 * t.fit_half);
  t.fit_gains =
      normalised_column_gains(symmetric_response(savitzky_golay_weights(t.fit_half, order), t.fit_rows), t.fit_rows);
  // The low-pass: algotom pads the fit by `pad` on every side (the end columns repeated, then
  // each column's mean above and below) and takes its Gaussian in bins of that padded transform;
  // here the padding runs on to a length FFTW transforms fast, and σ scales with the length so
  // that the Gaussian is the same in cycles per pixel. Along the angle σ is algotom's: a tenth of
  // the columns, from 10 to 60 bins.
  t.pad = std::min(150, projections / 10);
  t.padded_rows = smooth_fft_length(projections + 2 * t.pad);
  t.padded_columns = smooth_fft_length(columns + 2 * t.pad);
  const double sigma_across = sigma * t.padded_columns / (columns + 2 * t.pad);
  const double sigma_along =
      std::clamp(columns / 10, 10, 60) * static_cast<double>(t.padded_rows) / (projections + 2 * t.pad);
  t.row_gains = gaussian_gains(t.padded_rows, sigma_along);
  t.column_gains = gaussian_gains(t.padded_columns, sigma_across);
  t.column_gains.resize(static_cast<std::size_t>(t.padded_columns / 2 + 1));  // the r2c half
  const float normalisation = 1.0f / static_cast<float>(static_cast<double>(t.padded_rows) * t.padded_columns);
  for (float& g : t.row_gains) g *= normalisation;
  return t;
}

VoFitRescaling vo_fit_rescaling(std::span<const VoFitMagnitudes> columns) {
  double fit_magnitude = 0, smooth_magnitude = 0;
  float largest_fit = 0;
  for (const VoFitMagnitudes& m : columns) {
    fit_magnitude += m.fit;
    smooth_magnitude += m.smooth;
    largest_fit = std::max(largest_fit, m.largest);
  }
  if (smooth_magnitude == 0 || !(largest_fit > 0)) return {1.0f, std::numeric_limits<float>::infinity()};
  return {static_cast<float>(fit_magnitude / smooth_magnitude), 0.01f * largest_fit};
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
