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

#include "kernels/stripe_filter_math.hpp"

namespace tomo {

// db5's low-pass filter h (the taps are defined once, in stripe_filter_math.hpp, for the CPU and
// the GPU alike).
inline constexpr std::array<double, kDb5Taps> kDb5LowPass = [] {
  std::array<double, kDb5Taps> h{};
  for (int j = 0; j < kDb5Taps; ++j) h[static_cast<std::size_t>(j)] = db5_low_tap(j);
  return h;
}();

// The high-pass filter g[j] = (−1)^j h[9 − j].
std::array<double, kDb5Taps> db5_high_pass();

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
