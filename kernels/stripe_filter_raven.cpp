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
#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/boundary.hpp"
#include "kernels/error.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/stripe_filters.hpp"

namespace tomo {
namespace {

// Weight of padded sample i of a line whose data start `margin` samples in and span `length`:
// 1 over the data, rising smoothly from ~0 at the outer edge of each margin.
float taper(int i, int margin, int length) {
  const int from_outer_edge = i < margin ? i : margin + length + margin - 1 - i;
  if (from_outer_edge >= margin) return 1.0f;
  const double s = std::sin(std::numbers::pi * (from_outer_edge + 1) / (2.0 * (margin + 1)));
  return static_cast<float>(s * s);
}

}  // namespace

struct RavenFilter::Plans {
  fftw::Plan forward;
  fftw::Plan backward;
};

RavenFilter::RavenFilter(int projections, int columns, int window, double smoothing)
    : projections_(projections),
      columns_(columns),
      padded_rows_(projections + 2 * (projections / 2)),
      padded_columns_(columns + 2 * (columns / 2)),
      plans_(std::make_unique<Plans>()) {
  if (projections <= 0 || columns <= 0) fail("Raven stripe filter: {} x {} is not a sinogram", projections, columns);
  if (window < 1) fail("Raven stripe filter: window {} is below 1", window);
  if (!(smoothing >= 0 && smoothing <= 1)) fail("Raven stripe filter: smoothing {} is outside [0, 1]", smoothing);
  // σ of the Gaussian across, in bins of the padded transform: half the Nyquist frequency at
  // smoothing 0, shrinking to nothing (all but the mean removed) at smoothing 1.
  const double sigma = (1.0 - smoothing) * columns / 2.0;
  const int bins = padded_columns_ / 2 + 1;
  // Vertical frequencies |u| < window / 2: u = 0 and the nearest ones (3 rows for window 3).
  for (int i = 0; i < padded_rows_; ++i) {
    const int u = i <= padded_rows_ / 2 ? i : i - padded_rows_;
    if (2 * std::abs(u) >= window) continue;
    std::vector<float> gains(static_cast<std::size_t>(bins));
    for (int v = 0; v < bins; ++v) {
      const double d2 = static_cast<double>(u) * u + static_cast<double>(v) * v;
      gains[static_cast<std::size_t>(v)] =
          sigma > 0 ? static_cast<float>(std::exp(-d2 / (2 * sigma * sigma))) : (d2 == 0 ? 1.0f : 0.0f);
    }
    filtered_rows_.push_back(i);
    row_gains_.push_back(std::move(gains));
  }
  const std::size_t values = static_cast<std::size_t>(padded_rows_) * static_cast<std::size_t>(padded_columns_);
  auto real = fftw::alloc_real(values);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded_rows_) * static_cast<std::size_t>(bins));
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
  for (int j = 0; j < padded_columns_; ++j) column_taper[static_cast<std::size_t>(j)] = taper(j, column_margin, columns_);
  for (int i = 0; i < padded_rows_; ++i) {
    const auto source_row = boundary_index(i - row_margin, static_cast<std::size_t>(projections_), Boundary::mirror);
    const float* row = sinogram.row(static_cast<int>(source_row));
    const float row_taper = taper(i, row_margin, projections_);
    float* padded = real.get() + static_cast<std::size_t>(i) * width;
    for (int j = 0; j < padded_columns_; ++j) {
      const auto c = boundary_index(j - column_margin, static_cast<std::size_t>(columns_), Boundary::nearest);
      padded[j] = row[c] * row_taper * column_taper[static_cast<std::size_t>(j)];
    }
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
