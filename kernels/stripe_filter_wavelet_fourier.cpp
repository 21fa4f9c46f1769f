// Münch, Trtik, Marone & Stampanoni, "Stripe and ring artifact removal with combined
// wavelet–Fourier filtering", Opt. Express 17(10), 8567 (2009).
//
// The wavelet decomposition sorts the sinogram's detail by scale and orientation: a stripe
// (narrow across, constant down) lands in the vertical detail band of the level matching its
// width. Within that band it is still constant down the column, so a Fourier transform along
// the angle puts it at and next to zero frequency, where the Gaussian notch 1 − exp(−k²/2σ²)
// takes it out; the object's detail in that band varies with angle and mostly survives.
//
// σ is in frequency bins of each band's own height (as in the paper and in tomopy). STP pads
// each band to twice its height before the transform, so its σ = 1 is about σ = 0.5 here. No
// padding here: a stripe is constant down the band, so the periodic transform sees it whole.
#include <algorithm>

#include "kernels/column_fourier_filter.hpp"
#include "kernels/error.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/stripe_filters.hpp"
#include "kernels/wavelet.hpp"

namespace tomo {

WaveletFourierFilter::WaveletFourierFilter(int projections, int columns, int levels, double sigma)
    : projections_(projections), columns_(columns) {
  if (levels < 1) fail("wavelet-Fourier stripe filter: {} levels", levels);
  if (!(sigma > 0)) fail("wavelet-Fourier stripe filter: sigma {} is not positive", sigma);
  int rows = projections, width = columns;
  for (int level = 0; level < levels; ++level) {
    rows = dwt_length(rows), width = dwt_length(width);
    band_filters_.push_back(std::make_unique<ColumnFourierFilter>(rows, width, munch_notch_gains(rows, sigma)));
  }
}

WaveletFourierFilter::~WaveletFourierFilter() = default;

void WaveletFourierFilter::apply(SinogramView sinogram) const {
  if (sinogram.projections != projections_ || sinogram.columns != columns_)
    fail("wavelet-Fourier stripe filter made for {} x {} given {} x {}", projections_, columns_, sinogram.projections,
         sinogram.columns);
  std::vector<WaveletLevel> levels;
  std::vector<float> approximation(sinogram.values, sinogram.values + sinogram.size());
  int rows = projections_, width = columns_;
  for (const auto& band_filter : band_filters_) {
    levels.push_back(dwt2(approximation, rows, width));
    WaveletLevel& level = levels.back();
    band_filter->apply(level.vertical);
    approximation = std::move(level.approximation);
    rows = level.band_rows, width = level.band_columns;
  }
  for (auto level = levels.rbegin(); level != levels.rend(); ++level) {
    level->approximation = std::move(approximation);
    approximation.assign(static_cast<std::size_t>(level->rows) * static_cast<std::size_t>(level->columns), 0.0f);
    idwt2(*level, approximation);
  }
  std::copy(approximation.begin(), approximation.end(), sinogram.values);
}

}  // namespace tomo
