// Raven, "Numerical removal of ring artifacts in microtomography", Rev. Sci. Instrum. 69(8),
// 2978 (1998), in STP-Core's form: a Gaussian low-pass instead of Raven's Butterworth (one
// parameter fewer), padding and tapered margins.
//
// A stripe is constant down its column, so the 2-D spectrum of a sinogram puts the stripes in
// the row of zero vertical frequency (and, since the scan is finite, its nearest rows), at high
// horizontal frequencies: a stripe is one column wide. The object's mean profile lives there
// too, but at low horizontal frequencies. Low-passing those few rows across removes the
// stripes and keeps the object.
//
// Padding to twice the size keeps the transform from wrapping one edge onto the other; the
// padded margins (mirrored down, repeated across) fade to zero with a half-Hann taper so the
// padding adds no edge of its own.
#include "kernels/error.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {

struct RavenFilter::Plans {
  fftw::Plan forward;
  fftw::Plan backward;
};

// The gains and sizes are raven_tables' (stripe_filter_tables.hpp), which the GPU uses too.
RavenFilter::RavenFilter(int projections, int columns, int window, double smoothing)
    : projections_(projections), columns_(columns), plans_(std::make_unique<Plans>()) {
  const RavenTables tables = raven_tables(projections, columns, window, smoothing);
  padded_rows_ = tables.padded_rows, padded_columns_ = tables.padded_columns;
  filtered_rows_ = tables.filtered_rows;
  const auto bins = static_cast<std::size_t>(tables.bins);
  for (std::size_t r = 0; r < filtered_rows_.size(); ++r)
    row_gains_.emplace_back(tables.gains.begin() + static_cast<std::ptrdiff_t>(r * bins),
                            tables.gains.begin() + static_cast<std::ptrdiff_t>((r + 1) * bins));
  const std::size_t values = static_cast<std::size_t>(padded_rows_) * static_cast<std::size_t>(padded_columns_);
  auto real = fftw::alloc_real(values);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded_rows_) * bins);
  std::lock_guard lock(fftw::planner_mutex());
  plans_->forward.reset(fftwf_plan_dft_r2c_2d(padded_rows_, padded_columns_, real.get(), spectrum.get(), FFTW_ESTIMATE));
  plans_->backward.reset(fftwf_plan_dft_c2r_2d(padded_rows_, padded_columns_, spectrum.get(), real.get(), FFTW_ESTIMATE));
  if (!plans_->forward || !plans_->backward)
    fail("FFTW could not plan a {} x {} transform", padded_rows_, padded_columns_);
}

RavenFilter::~RavenFilter() = default;

void RavenFilter::apply(SinogramView sinogram) const {
  if (sinogram.projections != projections_ || sinogram.columns != columns_)
    fail("Raven stripe filter made for {} x {} given {} x {}", projections_, columns_, sinogram.projections,
         sinogram.columns);
  const int row_margin = projections_ / 2, column_margin = columns_ / 2;
  const auto width = static_cast<std::size_t>(padded_columns_);
  const std::size_t bins = width / 2 + 1;
  auto real = fftw::alloc_real(static_cast<std::size_t>(padded_rows_) * width);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded_rows_) * bins);
  std::vector<float> column_taper(width);
  for (int j = 0; j < padded_columns_; ++j) column_taper[static_cast<std::size_t>(j)] = raven_taper(j, column_margin, columns_);
  for (int i = 0; i < padded_rows_; ++i) {
    const float row_taper = raven_taper(i, row_margin, projections_);
    float* padded = real.get() + static_cast<std::size_t>(i) * width;
    for (int j = 0; j < padded_columns_; ++j)
      padded[j] = raven_padded_value(sinogram.values, projections_, columns_, row_margin, column_margin, row_taper,
                                     column_taper[static_cast<std::size_t>(j)], i, j);
  }
  fftwf_execute_dft_r2c(plans_->forward.get(), real.get(), spectrum.get());
  for (std::size_t r = 0; r < filtered_rows_.size(); ++r) {
    fftwf_complex* bin = spectrum.get() + static_cast<std::size_t>(filtered_rows_[r]) * bins;
    for (std::size_t v = 0; v < bins; ++v) {
      bin[v][0] *= row_gains_[r][v];
      bin[v][1] *= row_gains_[r][v];
    }
  }
  fftwf_execute_dft_c2r(plans_->backward.get(), spectrum.get(), real.get());
  const float normalisation = 1.0f / static_cast<float>(static_cast<double>(padded_rows_) * padded_columns_);
  for (int p = 0; p < projections_; ++p) {
    const float* padded = real.get() + static_cast<std::size_t>(p + row_margin) * width + column_margin;
    float* row = sinogram.row(p);
    for (int c = 0; c < columns_; ++c) row[c] = padded[c] * normalisation;
  }
}

}  // namespace tomo
