// Vo, Atwood & Drakopoulos, Opt. Express 26(22), 28396 (2018), algorithm 1, as algotom runs it
// (remove_stripe_based_fitting with its defaults: no sorting, the whole column as one chunk).
//
// Along the angle, a column of a sinogram is the object's sinusoids passing over a slow trend; a
// gain error of the pixel scales the whole column, trend included. The trend is fitted down each
// column (a polynomial, Savitzky–Golay over the whole column), the fitted image is low-passed
// across the columns (a 2-D Gaussian in Fourier space, wide along the angle, narrow across), and
// each column is rescaled from its own trend to the smoothed one: value × smoothed / fitted.
// Stripes go with the part of the trend that differs from the neighbouring columns'; the
// angular detail, divided out and multiplied back, is kept.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/boundary.hpp"
#include "kernels/column_fourier_filter.hpp"
#include "kernels/error.hpp"
#include "kernels/fft_length.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

// Index into [0, n) for a position i reflected about the end samples without repeating them
// (d c b | a b c d | c b a: scipy's 'mirror', which savgol_filter uses), i any distance outside.
std::size_t reflect(std::ptrdiff_t i, std::size_t n) {
  if (n == 1) return 0;
  const auto period = 2 * static_cast<std::ptrdiff_t>(n - 1);
  std::ptrdiff_t j = i % period;
  if (j < 0) j += period;
  return static_cast<std::size_t>(j < static_cast<std::ptrdiff_t>(n) ? j : period - j);
}

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

struct VoFittingFilter::Plans {
  fftw::Plan fit_forward, fit_backward;  // every column, each contiguous (a column-major copy)
  fftw::Plan forward, backward;          // the padded fit, 2-D
};

VoFittingFilter::VoFittingFilter(int projections, int columns, int order, double sigma)
    : projections_(projections), columns_(columns), plans_(std::make_unique<Plans>()) {
  if (projections <= 0 || columns <= 0) fail("Vo's fitting filter: {} x {} is not a sinogram", projections, columns);
  if (order < 1) fail("Vo's fitting filter: polynomial order {} is below 1", order);
  if (!(sigma > 0)) fail("Vo's fitting filter: sigma {} is not above 0", sigma);
  // The fit: algotom's savgol_filter over the longest odd window the column holds, its ends
  // reflected, done as one circular convolution per column on the reflected column (long enough
  // that the convolution does not wrap).
  fit_half_ = ((projections % 2 == 1 ? projections : projections - 1) - 1) / 2;
  fit_rows_ = smooth_fft_length(projections + 2 * fit_half_);
  fit_gains_ = normalised_column_gains(symmetric_response(savitzky_golay_weights(fit_half_, order), fit_rows_), fit_rows_);
  // The low-pass: algotom pads the fit by `pad_` on every side (the end columns repeated, then
  // each column's mean above and below) and takes its Gaussian in bins of that padded transform;
  // here the padding runs on to a length FFTW transforms fast, and σ scales with the length so
  // that the Gaussian is the same in cycles per pixel. Along the angle σ is algotom's: a tenth of
  // the columns, from 10 to 60 bins.
  pad_ = std::min(150, projections / 10);
  padded_rows_ = smooth_fft_length(projections + 2 * pad_);
  padded_columns_ = smooth_fft_length(columns + 2 * pad_);
  const double sigma_across = sigma * padded_columns_ / (columns + 2 * pad_);
  const double sigma_along = std::clamp(columns / 10, 10, 60) * static_cast<double>(padded_rows_) / (projections + 2 * pad_);
  row_gains_ = gaussian_gains(padded_rows_, sigma_along);
  column_gains_ = gaussian_gains(padded_columns_, sigma_across);
  column_gains_.resize(static_cast<std::size_t>(padded_columns_ / 2 + 1));  // the r2c half
  const float normalisation = 1.0f / static_cast<float>(static_cast<double>(padded_rows_) * padded_columns_);
  for (float& g : row_gains_) g *= normalisation;
  const auto values = static_cast<std::size_t>(padded_rows_) * static_cast<std::size_t>(padded_columns_);
  auto real = fftw::alloc_real(values);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded_rows_) * column_gains_.size());
  const std::size_t fit_bins = fit_gains_.size();
  auto fit_real = fftw::alloc_real(static_cast<std::size_t>(fit_rows_) * static_cast<std::size_t>(columns));
  auto fit_spectrum = fftw::alloc_complex(fit_bins * static_cast<std::size_t>(columns));
  std::lock_guard lock(fftw::planner_mutex());
  // Down the columns, each contiguous (a column-major copy): the same transforms on the columns a
  // row apart in memory, as ColumnFourierFilter plans them (the layout the GPU's cuFFT shares,
  // kept for vo-filter and muenchetal so that their GPU steps match the CPU's bit for bit), took
  // about 480 ms of a 2048 × 1800 sinogram's fit, these 60 with the copies in and out,
  // FFTW_ESTIMATE either way.
  const auto bins = static_cast<int>(fit_bins);
  plans_->fit_forward.reset(fftwf_plan_many_dft_r2c(1, &fit_rows_, columns, fit_real.get(), nullptr, 1, fit_rows_,
                                                    fit_spectrum.get(), nullptr, 1, bins, FFTW_ESTIMATE));
  plans_->fit_backward.reset(fftwf_plan_many_dft_c2r(1, &fit_rows_, columns, fit_spectrum.get(), nullptr, 1, bins,
                                                     fit_real.get(), nullptr, 1, fit_rows_, FFTW_ESTIMATE));
  if (!plans_->fit_forward || !plans_->fit_backward)
    fail("FFTW could not plan {} transforms of {} points", columns, fit_rows_);
  plans_->forward.reset(fftwf_plan_dft_r2c_2d(padded_rows_, padded_columns_, real.get(), spectrum.get(), FFTW_ESTIMATE));
  plans_->backward.reset(fftwf_plan_dft_c2r_2d(padded_rows_, padded_columns_, spectrum.get(), real.get(), FFTW_ESTIMATE));
  if (!plans_->forward || !plans_->backward)
    fail("FFTW could not plan a {} x {} transform", padded_rows_, padded_columns_);
}

VoFittingFilter::~VoFittingFilter() = default;

void VoFittingFilter::apply(SinogramView sinogram) const {
  if (sinogram.projections != projections_ || sinogram.columns != columns_)
    fail("Vo's fitting filter made for {} x {} given {} x {}", projections_, columns_, sinogram.projections,
         sinogram.columns);
  const auto rows = static_cast<std::size_t>(projections_), columns = static_cast<std::size_t>(columns_);

  // The fitted trend of every column, from a column-major copy, each column reflected at its ends
  // (and zero beyond, where the convolution never reaches).
  const auto length = static_cast<std::size_t>(fit_rows_), fit_bins = fit_gains_.size();
  auto column_major = fftw::alloc_real(length * columns);
  auto column_spectra = fftw::alloc_complex(fit_bins * columns);
  const std::size_t reflected = rows + 2 * static_cast<std::size_t>(fit_half_);
  for (std::size_t i = 0; i < length; ++i) {
    if (i >= reflected) {
      for (std::size_t c = 0; c < columns; ++c) column_major[c * length + i] = 0.0f;
      continue;
    }
    const float* source = sinogram.row(static_cast<int>(reflect(static_cast<std::ptrdiff_t>(i) - fit_half_, rows)));
    for (std::size_t c = 0; c < columns; ++c) column_major[c * length + i] = source[c];
  }
  fftwf_execute_dft_r2c(plans_->fit_forward.get(), column_major.get(), column_spectra.get());
  for (std::size_t c = 0; c < columns; ++c)
    for (std::size_t k = 0; k < fit_bins; ++k) {
      column_spectra[c * fit_bins + k][0] *= fit_gains_[k];
      column_spectra[c * fit_bins + k][1] *= fit_gains_[k];
    }
  fftwf_execute_dft_c2r(plans_->fit_backward.get(), column_spectra.get(), column_major.get());
  std::vector<float> fit(rows * columns);
  for (std::size_t p = 0; p < rows; ++p)
    for (std::size_t c = 0; c < columns; ++c)
      fit[p * columns + c] = column_major[c * length + p + static_cast<std::size_t>(fit_half_)];

  // Its low-pass across.
  const auto width = static_cast<std::size_t>(padded_columns_), bins = column_gains_.size();
  const auto pad = static_cast<std::size_t>(pad_);
  auto real = fftw::alloc_real(static_cast<std::size_t>(padded_rows_) * width);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded_rows_) * bins);
  std::vector<double> column_mean(columns, 0.0);
  for (std::size_t p = 0; p < rows; ++p)
    for (std::size_t c = 0; c < columns; ++c) column_mean[c] += fit[p * columns + c];
  std::vector<float> mean_row(columns);
  for (std::size_t c = 0; c < columns; ++c) mean_row[c] = static_cast<float>(column_mean[c] / static_cast<double>(rows));
  for (std::size_t i = 0; i < static_cast<std::size_t>(padded_rows_); ++i) {
    const bool inside = i >= pad && i < pad + rows;
    const float* source = inside ? fit.data() + (i - pad) * columns : mean_row.data();
    float* padded = real.get() + i * width;
    for (std::size_t j = 0; j < width; ++j)
      padded[j] = source[boundary_index(static_cast<std::ptrdiff_t>(j) - pad_, columns, Boundary::nearest)];
  }
  fftwf_execute_dft_r2c(plans_->forward.get(), real.get(), spectrum.get());
  for (std::size_t u = 0; u < static_cast<std::size_t>(padded_rows_); ++u) {
    fftwf_complex* bin = spectrum.get() + u * bins;
    for (std::size_t v = 0; v < bins; ++v) {
      const float gain = row_gains_[u] * column_gains_[v];
      bin[v][0] *= gain;
      bin[v][1] *= gain;
    }
  }
  fftwf_execute_dft_c2r(plans_->backward.get(), spectrum.get(), real.get());

  // algotom rescales the low-pass to the fit's mean magnitude, then each value by low-pass / fit.
  double fit_magnitude = 0, smooth_magnitude = 0;
  float largest_fit = 0;
  for (std::size_t p = 0; p < rows; ++p) {
    const float* smooth = real.get() + (p + pad) * width + pad;
    for (std::size_t c = 0; c < columns; ++c) {
      fit_magnitude += std::abs(fit[p * columns + c]);
      smooth_magnitude += std::abs(smooth[c]);
      largest_fit = std::max(largest_fit, fit[p * columns + c]);
    }
  }
  if (smooth_magnitude == 0 || !(largest_fit > 0)) return;  // nothing positive to rescale
  const auto scale = static_cast<float>(fit_magnitude / smooth_magnitude);
  // The trend is a positive intensity (or line integral of matter) only well above zero: where
  // the fit or its low-pass is below 1 % of the largest fit (air in line integrals, noise about
  // zero) their ratio is no gain, and the value is left as it is rather than divided by ~0.
  const float floor = 0.01f * largest_fit;
  for (std::size_t p = 0; p < rows; ++p) {
    const float* smooth = real.get() + (p + pad) * width + pad;
    float* row = sinogram.row(static_cast<int>(p));
    for (std::size_t c = 0; c < columns; ++c) {
      const float trend = fit[p * columns + c], target = scale * smooth[c];
      if (trend > floor && target > floor) row[c] *= target / trend;
    }
  }
}

}  // namespace tomo
