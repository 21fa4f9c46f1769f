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
#include "kernels/boundary.hpp"
#include "kernels/error.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {

struct VoFittingFilter::Plans {
  fftw::Plan fit_forward, fit_backward;  // every column, each contiguous (a column-major copy)
  fftw::Plan forward, backward;          // the padded fit, 2-D
};

VoFittingFilter::VoFittingFilter(int projections, int columns, int order, double sigma)
    : t_(vo_fit_tables(projections, columns, order, sigma)), plans_(std::make_unique<Plans>()) {
  const auto values = static_cast<std::size_t>(t_.padded_rows) * static_cast<std::size_t>(t_.padded_columns);
  auto real = fftw::alloc_real(values);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(t_.padded_rows) * t_.column_gains.size());
  const std::size_t fit_bins = t_.fit_gains.size();
  auto fit_real = fftw::alloc_real(static_cast<std::size_t>(t_.fit_rows) * static_cast<std::size_t>(columns));
  auto fit_spectrum = fftw::alloc_complex(fit_bins * static_cast<std::size_t>(columns));
  std::lock_guard lock(fftw::planner_mutex());
  // Down the columns, each contiguous (a column-major copy): the same transforms on the columns a
  // row apart in memory, as ColumnFourierFilter plans them (the layout the GPU's cuFFT shares,
  // kept for vo-filter and muenchetal so that their GPU steps match the CPU's bit for bit), took
  // about 480 ms of a 2048 × 1800 sinogram's fit, these 60 with the copies in and out,
  // FFTW_ESTIMATE either way.
  const auto bins = static_cast<int>(fit_bins);
  plans_->fit_forward.reset(fftwf_plan_many_dft_r2c(1, &t_.fit_rows, columns, fit_real.get(), nullptr, 1, t_.fit_rows,
                                                    fit_spectrum.get(), nullptr, 1, bins, FFTW_ESTIMATE));
  plans_->fit_backward.reset(fftwf_plan_many_dft_c2r(1, &t_.fit_rows, columns, fit_spectrum.get(), nullptr, 1, bins,
                                                     fit_real.get(), nullptr, 1, t_.fit_rows, FFTW_ESTIMATE));
  if (!plans_->fit_forward || !plans_->fit_backward)
    fail("FFTW could not plan {} transforms of {} points", columns, t_.fit_rows);
  plans_->forward.reset(fftwf_plan_dft_r2c_2d(t_.padded_rows, t_.padded_columns, real.get(), spectrum.get(), FFTW_ESTIMATE));
  plans_->backward.reset(fftwf_plan_dft_c2r_2d(t_.padded_rows, t_.padded_columns, spectrum.get(), real.get(), FFTW_ESTIMATE));
  if (!plans_->forward || !plans_->backward)
    fail("FFTW could not plan a {} x {} transform", t_.padded_rows, t_.padded_columns);
}

VoFittingFilter::~VoFittingFilter() = default;

void VoFittingFilter::apply(SinogramView sinogram) const {
  if (sinogram.projections != t_.projections || sinogram.columns != t_.columns)
    fail("Vo's fitting filter made for {} x {} given {} x {}", t_.projections, t_.columns, sinogram.projections,
         sinogram.columns);
  const auto rows = static_cast<std::size_t>(t_.projections), columns = static_cast<std::size_t>(t_.columns);

  // The fitted trend of every column, from a column-major copy, each column reflected at its ends
  // (and zero beyond, where the convolution never reaches).
  const auto length = static_cast<std::size_t>(t_.fit_rows), fit_bins = t_.fit_gains.size();
  auto column_major = fftw::alloc_real(length * columns);
  auto column_spectra = fftw::alloc_complex(fit_bins * columns);
  const std::size_t reflected = rows + 2 * static_cast<std::size_t>(t_.fit_half);
  for (std::size_t i = 0; i < length; ++i) {
    if (i >= reflected) {
      for (std::size_t c = 0; c < columns; ++c) column_major[c * length + i] = 0.0f;
      continue;
    }
    const float* source = sinogram.row(static_cast<int>(reflect_index(static_cast<std::ptrdiff_t>(i) - t_.fit_half, rows)));
    for (std::size_t c = 0; c < columns; ++c) column_major[c * length + i] = source[c];
  }
  fftwf_execute_dft_r2c(plans_->fit_forward.get(), column_major.get(), column_spectra.get());
  for (std::size_t c = 0; c < columns; ++c)
    for (std::size_t k = 0; k < fit_bins; ++k) {
      column_spectra[c * fit_bins + k][0] *= t_.fit_gains[k];
      column_spectra[c * fit_bins + k][1] *= t_.fit_gains[k];
    }
  fftwf_execute_dft_c2r(plans_->fit_backward.get(), column_spectra.get(), column_major.get());
  std::vector<float> fit(rows * columns);
  for (std::size_t p = 0; p < rows; ++p)
    for (std::size_t c = 0; c < columns; ++c)
      fit[p * columns + c] = column_major[c * length + p + static_cast<std::size_t>(t_.fit_half)];

  // Its low-pass across.
  const auto width = static_cast<std::size_t>(t_.padded_columns), bins = t_.column_gains.size();
  const auto pad = static_cast<std::size_t>(t_.pad);
  auto real = fftw::alloc_real(static_cast<std::size_t>(t_.padded_rows) * width);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(t_.padded_rows) * bins);
  // vo_fit_column_mean of every column (the GPU's definition): the same sums in the same order,
  // a row at a time.
  std::vector<double> column_mean(columns, 0.0);
  for (std::size_t p = 0; p < rows; ++p)
    for (std::size_t c = 0; c < columns; ++c) column_mean[c] += fit[p * columns + c];
  std::vector<float> mean_row(columns);
  for (std::size_t c = 0; c < columns; ++c) mean_row[c] = static_cast<float>(column_mean[c] / static_cast<double>(rows));
  for (std::size_t i = 0; i < static_cast<std::size_t>(t_.padded_rows); ++i) {
    const bool inside = i >= pad && i < pad + rows;
    const float* source = inside ? fit.data() + (i - pad) * columns : mean_row.data();
    float* padded = real.get() + i * width;
    for (std::size_t j = 0; j < width; ++j)
      padded[j] = source[boundary_index(static_cast<std::ptrdiff_t>(j) - t_.pad, columns, Boundary::nearest)];
  }
  fftwf_execute_dft_r2c(plans_->forward.get(), real.get(), spectrum.get());
  for (std::size_t u = 0; u < static_cast<std::size_t>(t_.padded_rows); ++u) {
    fftwf_complex* bin = spectrum.get() + u * bins;
    for (std::size_t v = 0; v < bins; ++v) {
      const float gain = t_.row_gains[u] * t_.column_gains[v];
      bin[v][0] *= gain;
      bin[v][1] *= gain;
    }
  }
  fftwf_execute_dft_c2r(plans_->backward.get(), spectrum.get(), real.get());

  // algotom rescales the low-pass to the fit's mean magnitude, then each value by low-pass / fit
  // (vo_fit_rescaling, vo_fit_rescaled). The magnitudes are summed per column, a row at a time,
  // as vo_fit_column_magnitudes sums them on the GPU, then over the columns.
  std::vector<VoFitMagnitudes> magnitudes(columns);
  for (std::size_t p = 0; p < rows; ++p) {
    const float* smooth = real.get() + (p + pad) * width + pad;
    for (std::size_t c = 0; c < columns; ++c) magnitudes[c].add(fit[p * columns + c], smooth[c]);
  }
  const VoFitRescaling rescaling = vo_fit_rescaling(magnitudes);
  for (std::size_t p = 0; p < rows; ++p) {
    const float* smooth = real.get() + (p + pad) * width + pad;
    float* row = sinogram.row(static_cast<int>(p));
    for (std::size_t c = 0; c < columns; ++c) row[c] = vo_fit_rescaled(row[c], fit[p * columns + c], smooth[c], rescaling);
  }
}

}  // namespace tomo
