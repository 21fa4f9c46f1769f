#pragma once
// What the stripe filters compute on the host, for the CPU filters (kernels/stripe_filters.hpp)
// and their CUDA versions (kernels/ring_removal_cuda.hpp) alike:
// - tables made once per sinogram size: Raven's gains and tapers, the column gains of Münch et
//   al.'s notch and Vo's low-pass, the fit and low-pass of Vo's fitting method;
// - the column profiles that decide each column's correction from one number per column (its
//   sum, gain ratio or roughness): Rivers', Boin & Haibel's, Vo's large and dead stripes, and the
//   rescaling of Vo's fitting method. They are
//   a few thousand values per slice; the GPU reduces each sinogram to its profile and hands it
//   here, which is cheaper than a kernel launch per step of a 1-D sort, median or line fit.
#include <span>
#include <vector>

#include "kernels/stripe_filter_math.hpp"

namespace tomo {

// Raven's filter for sinograms of one size (RavenFilter in stripe_filters.hpp).
struct RavenTables {
  int projections = 0, columns = 0;
  int row_margin = 0, column_margin = 0;    // where the data start in the padded sinogram
  int padded_rows = 0, padded_columns = 0;  // the data plus both margins: about twice the size
  int bins = 0;                             // padded_columns / 2 + 1, the real transform's width
  std::vector<int> filtered_rows;           // the rows of the 2-D transform that are low-passed
  std::vector<float> gains;                 // (filtered row, bin)
  std::vector<float> row_taper;             // per padded row
  std::vector<float> column_taper;          // per padded column
};

// Throws tomo::Error for an empty sinogram, a window below 1 or a smoothing outside [0, 1].
RavenTables raven_tables(int projections, int columns, int window, double smoothing);

// Münch et al.'s notch for a vertical detail band of `band_rows` rows: band_rows / 2 + 1 gains
// for ColumnFourierFilter.
std::vector<float> munch_notch_gains(int band_rows, double sigma);

// Vo's filtering pads each column by mirroring 10 % of its rows (at most 150) at each end, so
// that the transform does not wrap its last rows onto its first.
int vo_filter_padding(int projections);

// Vo's Gaussian low-pass along a padded column of `rows`: rows / 2 + 1 gains.
std::vector<float> vo_low_pass_gains(int rows, double sigma);

// Rivers: what each column loses, its mean over the angles (column sum / projections) less the
// running median of those means over `width` columns (ends repeated). From column sums, so that
// a reconstruction that never holds the whole sinogram (streaming_fbp.hpp) can keep running sums.
std::vector<float> rivers_correction(std::span<const double> column_sums, int projections, int width);

// Boin & Haibel: each column's gain, (running median of the column sums over `width` columns) /
// (its own sum), 1 where the sums are too small to be a gain.
std::vector<float> boin_haibel_gains(std::span<const double> column_sums, int width);

// vo-large: 1 for the columns replaced by their neighbours' sorted median (Vo's detector on the
// columns' gain ratios, widened by a column each side), else 0.
std::vector<unsigned char> vo_large_stripe_columns(std::span<const float> ratio, double snr);

// vo-dead: for each column found dead from the columns' roughness (vo_dead_columns), the good
// columns it is interpolated between; −1 in both for a good column.
struct VoDeadSources {
  std::vector<int> left, right;
};
VoDeadSources vo_dead_sources(std::span<const double> roughness, double snr, int size);

// Vo's fitting method for sinograms of one size (VoFittingFilter in stripe_filters.hpp, whose
// comments say where each choice comes from).
struct VoFitTables {
  int projections = 0, columns = 0;
  int fit_half = 0;                  // the fit's window is 2 · fit_half + 1 angles
  int fit_rows = 0;                  // a column reflected by fit_half rows each end, then zero-padded
  std::vector<float> fit_gains;      // the fit as a convolution down each column: fit_rows / 2 + 1
                                     // gains, normalised (normalised_column_gains)
  int pad = 0;                       // the fit padded by this much on every side for its low-pass,
  int padded_rows = 0, padded_columns = 0;  // and on to lengths FFTW and cuFFT transform fast
  std::vector<float> row_gains;      // the low-pass along the angle, per padded row (all
                                     // padded_rows bins), times the 2-D inverse's normalisation
  std::vector<float> column_gains;   // across, per bin of the real transform (padded_columns / 2 + 1)
};

// Throws tomo::Error for an empty sinogram, an order below 1 or a sigma not above 0.
VoFitTables vo_fit_tables(int projections, int columns, int order, double sigma);

// Vo's fitting method: one sinogram's rescaling from its columns' VoFitMagnitudes, summed over
// the columns in order. algotom scales the low-pass to the fit's mean magnitude; the floor is 1 %
// of the largest fit (below it the trend is air or noise about zero, and no gain); with no
// positive fit, or a low-pass of nothing, nothing is rescaled (floor +∞).
VoFitRescaling vo_fit_rescaling(std::span<const VoFitMagnitudes> columns);

}  // namespace tomo
