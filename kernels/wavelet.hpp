#pragma once
// Daubechies' orthogonal wavelet with five vanishing moments (db5), one level at a time, with
// the signal mirrored at its ends (PyWavelets' default 'symmetric' mode, which Münch et al.'s
// stripe filter was published with).
//
// A line of n samples gives ⌊(n + 9)/2⌋ low-pass and as many high-pass coefficients: every
// output of the full convolution that touches a real sample, downsampled. That is a little
// redundant, and it makes the inverse exact at every sample, near the ends too.
#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace tomo {

inline constexpr int kDb5Taps = 10;

// db5's low-pass (scaling) decomposition filter h, normalised to Σh = √2, Σh² = 1: Daubechies,
// "Ten Lectures on Wavelets" (SIAM 1992), Table 6.1 for N = 5, as PyWavelets lists it (dec_lo).
// The high-pass filter is g[j] = (−1)^j h[9 − j]; it annihilates polynomials up to degree 4.
inline constexpr std::array<double, kDb5Taps> kDb5LowPass{
    0.003335725285001549, -0.012580751999015526, -0.006241490213011705, 0.07757149384006515,
    -0.03224486958502952, -0.24229488706619015,  0.13842814590110342,   0.7243085284385744,
    0.6038292697974729,   0.160102397974125};

std::array<double, kDb5Taps> db5_high_pass();

// Coefficients per band for a line of n samples.
inline int dwt_length(int n) { return (n + kDb5Taps - 1) / 2; }

// One level of the 1-D transform of x[j · stride], j in [0, n): dwt_length(n) coefficients
// into each of low and high (contiguous).
void dwt(const float* x, int n, std::size_t stride, float* low, float* high);

// The inverse: n samples into x[j · stride] from dwt_length(n) low and high coefficients.
void idwt(const float* low, const float* high, int n, float* x, std::size_t stride);

// One level of the 2-D transform of an image (rows × columns, row-major), into four bands of
// band_rows × band_columns. Named after the stripes each band holds: a vertical stripe (one
// column, constant down the rows, as a miscalibrated detector pixel makes in a sinogram) is
// high-pass across the columns and low-pass down the rows, so it lands in `vertical`.
struct WaveletLevel {
  int rows = 0, columns = 0;            // the image this level decomposes
  int band_rows = 0, band_columns = 0;  // dwt_length(rows), dwt_length(columns)
  std::vector<float> approximation;     // low across, low down
  std::vector<float> horizontal;        // low across, high down
  std::vector<float> vertical;          // high across, low down
  std::vector<float> diagonal;          // high across, high down
};

WaveletLevel dwt2(std::span<const float> image, int rows, int columns);

// Rebuilds the level's rows × columns image from its four bands.
void idwt2(const WaveletLevel& level, std::span<float> image);

}  // namespace tomo
