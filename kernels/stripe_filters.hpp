#pragma once
// The stripe filters behind remove_rings() (kernels/ring_removal.hpp), one sinogram at a time.
// Each removes the part of a column that stays the same at every angle and differs from the
// neighbouring columns; docs/ring_removal.md says how each one tells that part apart.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "kernels/stripe_filter_math.hpp"
#include "kernels/stripe_filter_tables.hpp"

namespace tomo {

class ColumnFourierFilter;

// One sinogram of `projections` rows (angles) by `columns` (detector pixels), row-major,
// filtered in place.
struct SinogramView {
  float* values = nullptr;
  int projections = 0;
  int columns = 0;
  std::size_t size() const { return static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns); }
  float* row(int p) const { return values + static_cast<std::size_t>(p) * static_cast<std::size_t>(columns); }
};

// --- STP's methods (kernels/stripe_filters_stp.cpp) ---

// Rivers: each column loses (its mean over angles − the running median of those means over
// `width` columns), the part of the mean profile too sharp to belong to the object.
void rivers_filter(SinogramView sinogram, int width);

// Boin & Haibel: each column is scaled by (running median of the column sums over `width`
// columns) / (its own sum), undoing a gain error of its pixel.
void boin_haibel_filter(SinogramView sinogram, int width);

// Oimoen: the horizontal high-pass (value − running median over `horizontal_width` columns)
// median-filtered down each column over `vertical_width` angles is the stripe; it is subtracted.
void oimoen_filter(SinogramView sinogram, int horizontal_width, int vertical_width);

// Sijbers & Postnov: a window of `window` columns slides across; in each position the rows
// whose segment varies less than `variance_threshold` (line integral²) hold nothing but the
// stripes, and the median of those segments (each less its mean) is the stripe profile.
void sijbers_postnov_filter(SinogramView sinogram, int window, double variance_threshold);

// Münch et al. (kernels/stripe_filter_wavelet_fourier.cpp): `levels` of db5 wavelet
// decomposition; in each level's vertical detail band the frequencies along the angle near
// zero are damped by 1 − exp(−k² / 2σ²), k in cycles per band height.
class WaveletFourierFilter {
 public:
  WaveletFourierFilter(int projections, int columns, int levels, double sigma);
  ~WaveletFourierFilter();
  void apply(SinogramView sinogram) const;

 private:
  int projections_, columns_;
  std::vector<std::unique_ptr<ColumnFourierFilter>> band_filters_;  // one per level
};

// Raven (kernels/stripe_filter_raven.cpp): the sinogram, padded to twice its size with tapered
// margins, is 2-D Fourier transformed; the `window` lowest vertical frequencies are low-passed
// across by a Gaussian whose width shrinks as `smoothing` (0..1) grows.
class RavenFilter {
 public:
  RavenFilter(int projections, int columns, int window, double smoothing);
  ~RavenFilter();
  void apply(SinogramView sinogram) const;

 private:
  struct Plans;
  int projections_, columns_;
  int padded_rows_, padded_columns_;
  std::vector<std::vector<float>> row_gains_;  // per filtered frequency row: gain per column bin
  std::vector<int> filtered_rows_;             // their indices in the transform
  std::unique_ptr<Plans> plans_;
};

// --- Vo, Atwood & Drakopoulos, Opt. Express 26(22), 28396 (2018) (kernels/stripe_filters_vo.cpp) ---

// Sorting: sorting each column by value turns a stripe into a smooth band the same across all
// rows; a median of the sorted image removes it, across `size` columns (dim 1) or over `size` ×
// `size` pixels (dim 2: also smooths along the sorted rows, for noisier data); then unsort.
void vo_sorting_filter(SinogramView sinogram, int size, int dim = 1);

// Filtering: the sorting filter applied only to each column's low-pass along the angle
// (Gaussian of width `sigma` frequency bins), leaving the sharp detail untouched.
class VoFilteringFilter {
 public:
  VoFilteringFilter(int projections, int columns, double sigma, int size, int dim = 1);
  ~VoFilteringFilter();
  void apply(SinogramView sinogram) const;

 private:
  int projections_, columns_, pad_, size_, dim_;
  std::unique_ptr<ColumnFourierFilter> low_pass_;
};

// Fitting (kernels/stripe_filter_vo_fitting.cpp; algorithm 1, algotom's
// remove_stripe_based_fitting): each column's trend along the angle, a Savitzky–Golay polynomial
// of `order` over the whole column, is low-passed across by a Gaussian of `sigma` frequency bins
// (of the columns padded by a tenth of the projections, at most 150, each side; smaller is
// stronger), and each value is multiplied by low-passed trend / trend: gain errors of single
// pixels go, the angular detail stays. It divides by the trend, so it is meant for values that
// are positive where there is anything to correct (transmissions, or line integrals through
// matter): where the trend or its low-pass is below 1 % of the largest trend (air, noise about
// zero) values are left as they are. A stripe in air, an offset on ~0, is beyond it.
class VoFittingFilter {
 public:
  VoFittingFilter(int projections, int columns, int order, double sigma);
  ~VoFittingFilter();
  void apply(SinogramView sinogram) const;

 private:
  struct Plans;
  VoFitTables t_;  // the fit's and the low-pass's sizes and gains, shared with the GPU
  std::unique_ptr<Plans> plans_;
};

// Large stripes: columns whose sorted mean departs from their neighbours' by more than `snr`
// times the spread of the ordinary columns are replaced by the neighbours' sorted median;
// every column is first rescaled by that ratio. `drop_ratio` of the sorted values (half at
// each end) is left out of the means.
void vo_large_stripe_filter(SinogramView sinogram, double snr, int size, double drop_ratio = kVoLargeDropRatio);

// Dead stripes: columns much smoother or rougher along the angle than their neighbours (a dead
// pixel is constant, a flickering one jumps) are found as for large stripes and interpolated
// linearly across from the nearest good columns; then, if `residual`, the large-stripe filter.
void vo_dead_stripe_filter(SinogramView sinogram, double snr, int size, bool residual);

// The columns vo_dead_stripe_filter interpolates, from each column's roughness along the angle
// (stripe_filter_math.hpp's vo_column_roughness); `size` is the median width across.
std::vector<bool> vo_dead_columns(std::span<const double> roughness, double snr, int size);

// All stripes (algotom's remove_all_stripe): dead stripes without their residual step, then
// large stripes (`large_size`), then the sorting filter (`small_size`, `dim`), the last two
// sharing one sort of the columns.
void vo_all_filter(SinogramView sinogram, double snr, int large_size, int small_size, int dim = 1);

// Vo's stripe detector: true where `ratio` stands out from the straight line fitted to the
// middle half of its sorted values by more than snr / 2 times that line's rise.
std::vector<bool> vo_detect_stripes(std::span<const float> ratio, double snr);

}  // namespace tomo
