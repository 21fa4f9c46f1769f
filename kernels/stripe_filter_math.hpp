#pragma once
// Per-element math of the stripe filters (kernels/stripe_filters.hpp), written once and called by
// both the CPU filters and their CUDA versions (kernels/stripe_filters_stp.cu,
// kernels/stripe_filters_vo.cu, through kernels/stripe_filter_gpu_steps.hpp): the db5 taps and one
// wavelet coefficient, the frequency gains of Raven, Münch et al. and Vo's filtering, Raven's
// padding, Sijbers & Postnov's window statistics, Vo's roughness, gain ratio, dilation and
// interpolation, and the reflection, column statistics and rescaling of Vo's fitting method. The
// CPU tests of the filters therefore check the arithmetic the GPU runs.
#include <math.h>

#include <cstddef>

#include "kernels/boundary.hpp"
#include "kernels/host_device.hpp"

namespace tomo {

// ---------------------------------------------------------------------------------------------
// db5 (Münch et al.)

inline constexpr int kDb5Taps = 10;

// db5's low-pass (scaling) decomposition filter h, normalised to Σh = √2, Σh² = 1: Daubechies,
// "Ten Lectures on Wavelets" (SIAM 1992), Table 6.1 for N = 5, as PyWavelets lists it (dec_lo).
// A function rather than an array so that device code can read it too.
TOMO_HD constexpr double db5_low_tap(int j) {
  constexpr double taps[kDb5Taps] = {0.003335725285001549, -0.012580751999015526, -0.006241490213011705,
                                     0.07757149384006515,  -0.03224486958502952,  -0.24229488706619015,
                                     0.13842814590110342,  0.7243085284385744,    0.6038292697974729,
                                     0.160102397974125};
  return taps[j];
}

// The high-pass filter g[j] = (−1)^j h[9 − j]; it annihilates polynomials up to degree 4.
TOMO_HD constexpr double db5_high_tap(int j) { return (j % 2 == 0 ? 1.0 : -1.0) * db5_low_tap(kDb5Taps - 1 - j); }

// Coefficients per band for a line of n samples: every output of the full convolution that
// touches a real sample, downsampled.
TOMO_HD constexpr int dwt_length(int n) { return (n + kDb5Taps - 1) / 2; }

// Low- and high-pass coefficient k of one db5 level of x[j · stride], j in [0, n), the line
// mirrored at its ends: output t = 2k + 1 of the full convolution y[t] = Σ_j h[j] x[t − j]
// (PyWavelets keeps the odd outputs), summed in double.
TOMO_HD inline void dwt_coefficients(const float* x, int n, std::size_t stride, int k, float* low, float* high) {
  double sum_low = 0, sum_high = 0;
  for (int j = 0; j < kDb5Taps; ++j) {
    const double v = x[boundary_index(2 * k + 1 - j, static_cast<std::size_t>(n), Boundary::mirror) * stride];
    sum_low += db5_low_tap(j) * v;
    sum_high += db5_high_tap(j) * v;
  }
  *low = static_cast<float>(sum_low);
  *high = static_cast<float>(sum_high);
}

// Sample i of the inverse from coefficients low[k · stride], high[k · stride]. The filter pair is
// orthogonal on infinite lines, so the inverse is the transpose, x[i] = Σ_{t = i + j odd} h[j]
// y_low[t] + g[j] y_high[t]; for i in [0, n) it needs only the outputs dwt_coefficients keeps.
TOMO_HD inline float idwt_sample(const float* low, const float* high, std::size_t stride, int i) {
  double sum = 0;
  for (int j = (i + 1) % 2; j < kDb5Taps; j += 2) {  // i + j odd
    const std::size_t k = static_cast<std::size_t>((i + j - 1) / 2) * stride;
    sum += db5_low_tap(j) * low[k] + db5_high_tap(j) * high[k];
  }
  return static_cast<float>(sum);
}

// ---------------------------------------------------------------------------------------------
// Frequency gains, k in cycles per transform length

// Münch et al.'s notch on a vertical detail band: 1 − exp(−k² / 2σ²), σ in bins of the band.
TOMO_HD inline float munch_notch_gain(int k, double sigma) {
  const double f = static_cast<double>(k);
  return static_cast<float>(-expm1(-f * f / (2 * sigma * sigma)));
}

// Vo's separation of a column into its smooth part: the Gaussian low-pass exp(−k² / 2σ²).
TOMO_HD inline float vo_low_pass_gain(int k, double sigma) {
  const double f = static_cast<double>(k);
  return static_cast<float>(exp(-f * f / (2 * sigma * sigma)));
}

// Frequency of bin i of an n-point transform, negative past the middle.
TOMO_HD constexpr int signed_frequency(int i, int n) { return i <= n / 2 ? i : i - n; }

// Raven filters the vertical frequencies |u| < window / 2: u = 0 and the nearest ones (3 rows for
// window 3).
TOMO_HD constexpr bool raven_filters_row(int u, int window) { return 2 * (u < 0 ? -u : u) < window; }

// σ of Raven's Gaussian across, in bins of the padded transform: half the Nyquist frequency at
// smoothing 0, shrinking to nothing (all but the mean removed) at smoothing 1.
TOMO_HD inline double raven_sigma(double smoothing, int columns) { return (1.0 - smoothing) * columns / 2.0; }

// Raven's gain at vertical frequency u, horizontal bin v: exp(−(u² + v²) / 2σ²).
TOMO_HD inline float raven_gain(int u, int v, double sigma) {
  const double d2 = static_cast<double>(u) * u + static_cast<double>(v) * v;
  return sigma > 0 ? static_cast<float>(exp(-d2 / (2 * sigma * sigma))) : (d2 == 0 ? 1.0f : 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Raven's padding

// Weight of padded sample i of a line whose data start `margin` samples in and span `length`:
// 1 over the data, rising smoothly (half-Hann) from ~0 at the outer edge of each margin.
TOMO_HD inline float raven_taper(int i, int margin, int length) {
  constexpr double kPi = 3.14159265358979323846;
  const int from_outer_edge = i < margin ? i : margin + length + margin - 1 - i;
  if (from_outer_edge >= margin) return 1.0f;
  const double s = sin(kPi * (from_outer_edge + 1) / (2.0 * (margin + 1)));
  return static_cast<float>(s * s);
}

// Sample (i, j) of the padded sinogram: mirrored down, repeated across, times the tapers of its
// padded row and column.
TOMO_HD inline float raven_padded_value(const float* sinogram, int projections, int columns, int row_margin,
                                        int column_margin, float row_taper, float column_taper, int i, int j) {
  const std::size_t p = boundary_index(i - row_margin, static_cast<std::size_t>(projections), Boundary::mirror);
  const std::size_t c = boundary_index(j - column_margin, static_cast<std::size_t>(columns), Boundary::nearest);
  return sinogram[p * static_cast<std::size_t>(columns) + c] * row_taper * column_taper;
}

// ---------------------------------------------------------------------------------------------
// Sijbers & Postnov

// Running Σv and Σv² of one row's window, in double (the variance is a small difference).
struct WindowMoments {
  double sum = 0, sum_sq = 0;
  TOMO_HD void add(double v) { sum += v, sum_sq += v * v; }
  // The window moves one sample on: `out` leaves, `in` enters.
  TOMO_HD void slide(double out, double in) { sum += in - out, sum_sq += in * in - out * out; }
  TOMO_HD double mean(int width) const { return sum / width; }
  // Whether the `width` values vary less than `threshold` (line integral²): nothing but stripes.
  TOMO_HD bool homogeneous(int width, double threshold) const {
    const double m = mean(width), variance = sum_sq / width - m * m;
    return (variance > 0.0 ? variance : 0.0) < threshold;
  }
};

// ---------------------------------------------------------------------------------------------
// Vo et al.

// Vo's dead-stripe roughness smooths along the angle over this many rows (algotom's
// smooth_strength 10, made odd to centre it).
inline constexpr int kVoRoughnessWindow = 11;

// Roughness of column[p · stride], p in [0, rows): Σ |value − its running mean over
// kVoRoughnessWindow angles|, the column mirrored at its ends, the window sum slid in double.
TOMO_HD inline double vo_column_roughness(const float* column, int rows, std::size_t stride) {
  constexpr int half = kVoRoughnessWindow / 2;
  const auto n = static_cast<std::size_t>(rows);
  double window_sum = 0, roughness = 0;
  for (int k = -half; k <= half; ++k) window_sum += column[boundary_index(k, n, Boundary::mirror) * stride];
  for (int p = 0; p < rows; ++p) {
    roughness += fabs(column[static_cast<std::size_t>(p) * stride] - window_sum / kVoRoughnessWindow);
    const std::size_t leaving = boundary_index(p - half, n, Boundary::mirror);
    const std::size_t entering = boundary_index(p + half + 1, n, Boundary::mirror);
    window_sum += column[entering * stride] - column[leaving * stride];
  }
  return roughness;
}

// The share of each column's sorted values vo-large leaves out of its means, half at each end
// (algotom's drop_ratio default).
inline constexpr double kVoLargeDropRatio = 0.1;

// The sorted rows whose means vo-large compares, [*first, *end): all but `drop_ratio` of them,
// half dropped at each end (zingers, edges).
TOMO_HD inline void vo_kept_rows(int rows, double drop_ratio, int* first, int* end) {
  const int drop = static_cast<int>(0.5 * drop_ratio * rows);
  *first = drop < (rows - 1) / 2 ? drop : (rows - 1) / 2;
  *end = rows - *first;
}

// A column's gain for vo-large: the mean of its sorted values over its neighbours' sorted median,
// both over the kept rows (values k · stride apart), summed in double. Line integrals are ≥ 0
// where there is matter; a ratio of means at or below zero (air, noise) is no gain, 1.
TOMO_HD inline float vo_column_gain(const float* sorted, const float* smooth, std::size_t stride, int kept_first,
                                   int kept_end) {
  double own = 0, neighbours = 0;
  for (int k = kept_first; k < kept_end; ++k) {
    own += sorted[static_cast<std::size_t>(k) * stride];
    neighbours += smooth[static_cast<std::size_t>(k) * stride];
  }
  return own > 0 && neighbours > 0 ? static_cast<float>(own / neighbours) : 1.0f;
}

// A detected stripe widened by one column each side: its edge columns are partly defective too
// (algotom's binary_dilation, one iteration). `mask` is indexable by column, n columns.
template <class Mask>
TOMO_HD bool vo_dilated(const Mask& mask, std::size_t n, std::size_t c) {
  return mask[c] || (c > 0 && mask[c - 1]) || (c + 1 < n && mask[c + 1]);
}

// A dead column `offset` columns right of the good column `left_value` is read from, `span`
// columns short of the good one on the right: linear interpolation across. An explicit fused
// multiply-add: nvcc contracts the expression, a host compiler may or may not, and vo-all sorts
// these values afterwards, where one rounding apart can reorder a column.
TOMO_HD inline float vo_interpolated(float left_value, float right_value, std::size_t offset, std::size_t span) {
  const float t = static_cast<float>(offset) / static_cast<float>(span);
  return fmaf(t, right_value - left_value, left_value);
}

// ---------------------------------------------------------------------------------------------
// Vo et al.'s fitting method (kernels/stripe_filter_vo_fitting.cpp)

// Index into [0, n) for a position i reflected about the end samples without repeating them
// (d c b | a b c d | c b a: scipy's 'mirror', which savgol_filter uses; Boundary::mirror repeats
// them), i any distance outside.
TOMO_HD inline std::size_t reflect_index(std::ptrdiff_t i, std::size_t n) {
  if (n == 1) return 0;
  const auto period = 2 * static_cast<std::ptrdiff_t>(n - 1);
  std::ptrdiff_t j = i % period;
  if (j < 0) j += period;
  return static_cast<std::size_t>(j < static_cast<std::ptrdiff_t>(n) ? j : period - j);
}

// The mean of column[p · stride], p in [0, rows), summed in double: the value the fit's low-pass
// pads each column with above and below.
TOMO_HD inline float vo_fit_column_mean(const float* column, std::size_t stride, int rows) {
  double sum = 0;
  for (int p = 0; p < rows; ++p) sum += column[static_cast<std::size_t>(p) * stride];
  return static_cast<float>(sum / static_cast<double>(rows));
}

// One column's share of what decides the rescaling: Σ |fit| and Σ |low-pass| down the column, in
// double and in row order, and the largest fit (from 0).
struct VoFitMagnitudes {
  double fit = 0, smooth = 0;
  float largest = 0;
  TOMO_HD void add(float trend, float smooth_trend) {
    fit += fabsf(trend);
    smooth += fabsf(smooth_trend);
    largest = largest < trend ? trend : largest;
  }
};

// Fit and low-pass of one column, fit[p · fit_stride] and smooth[p · smooth_stride].
TOMO_HD inline VoFitMagnitudes vo_fit_column_magnitudes(const float* fit, std::size_t fit_stride, const float* smooth,
                                                        std::size_t smooth_stride, int rows) {
  VoFitMagnitudes m;
  for (int p = 0; p < rows; ++p)
    m.add(fit[static_cast<std::size_t>(p) * fit_stride], smooth[static_cast<std::size_t>(p) * smooth_stride]);
  return m;
}

// A sinogram's rescaling (vo_fit_rescaling, stripe_filter_tables.hpp): the low-pass times
// `scale` is the target trend; where the fit or the target is not above `floor` the value stays.
// A floor of +∞ leaves the whole sinogram as it is.
struct VoFitRescaling {
  float scale = 1, floor = 0;
};

// A value whose column's fitted trend here is `trend` and whose low-pass is `smooth`, rescaled
// from the trend to the target: the gain error of its pixel goes, its angular detail stays.
TOMO_HD inline float vo_fit_rescaled(float value, float trend, float smooth, VoFitRescaling r) {
  const float target = r.scale * smooth;
  return trend > r.floor && target > r.floor ? value * (target / trend) : value;
}

}  // namespace tomo
