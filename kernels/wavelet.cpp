#include "kernels/wavelet.hpp"

namespace tomo {

std::array<double, kDb5Taps> db5_high_pass() {
  std::array<double, kDb5Taps> g{};
  for (int j = 0; j < kDb5Taps; ++j) g[static_cast<std::size_t>(j)] = db5_high_tap(j);
  return g;
}

namespace {

// The CPU's loops run the arithmetic of dwt_coefficients and idwt_sample (stripe_filter_math.hpp,
// which the GPU's steps call) term for term, in the same order, so the results are the same to
// the bit (tests/test_ring_removal_gpu_steps.cpp); they differ in reading the taps from tables
// (the functions' taps, an array local to a constexpr function, were copied to the stack at
// every call: muenchetal 54 → 81 ms a slice), in skipping the mirror where no tap reaches past
// an end, and in going down the columns a whole row at a time, every column side by side.
const std::array<double, kDb5Taps> kLow = kDb5LowPass;
const std::array<double, kDb5Taps> kHigh = db5_high_pass();

// Coefficient k of the row x (n samples, contiguous), as dwt_coefficients.
inline void dwt_row_coefficient(const float* x, int n, int k, float* low, float* high) {
  double sum_low = 0, sum_high = 0;
  const int t = 2 * k + 1;
  if (t - (kDb5Taps - 1) >= 0 && t < n) {
    for (int j = 0; j < kDb5Taps; ++j) {
      const double v = x[t - j];
      sum_low += kLow[j] * v;
      sum_high += kHigh[j] * v;
    }
  } else {
    for (int j = 0; j < kDb5Taps; ++j) {
      const double v = x[boundary_index(t - j, static_cast<std::size_t>(n), Boundary::mirror)];
      sum_low += kLow[j] * v;
      sum_high += kHigh[j] * v;
    }
  }
  *low = static_cast<float>(sum_low);
  *high = static_cast<float>(sum_high);
}

// Sample i of a row from its coefficients (contiguous), as idwt_sample.
inline float idwt_row_sample(const float* low, const float* high, int i) {
  double sum = 0;
  for (int j = (i + 1) % 2; j < kDb5Taps; j += 2) {  // i + j odd
    const int k = (i + j - 1) / 2;
    sum += kLow[j] * low[k] + kHigh[j] * high[k];
  }
  return static_cast<float>(sum);
}

}  // namespace

// Both directions one coefficient (or sample) at a time, in the functions the GPU's wavelet
// steps call too (stripe_filter_math.hpp).
void dwt(const float* x, int n, std::size_t stride, float* low, float* high) {
  const int m = dwt_length(n);
  for (int k = 0; k < m; ++k) dwt_coefficients(x, n, stride, k, low + k, high + k);
}

void idwt(const float* low, const float* high, int n, float* x, std::size_t stride) {
  for (int i = 0; i < n; ++i) x[static_cast<std::size_t>(i) * stride] = idwt_sample(low, high, 1, i);
}

WaveletLevel dwt2(std::span<const float> image, int rows, int columns) {
  WaveletLevel level{rows, columns, dwt_length(rows), dwt_length(columns), {}, {}, {}, {}};
  const auto bc = static_cast<std::size_t>(level.band_columns);
  const auto br = static_cast<std::size_t>(level.band_rows);
  const auto c = static_cast<std::size_t>(columns);
  // Across each row first: low and high halves, rows × band_columns each.
  std::vector<float> across_low(static_cast<std::size_t>(rows) * bc), across_high(across_low.size());
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r)
    for (int k = 0; k < level.band_columns; ++k)
      dwt_row_coefficient(image.data() + r * c, columns, k, &across_low[r * bc + static_cast<std::size_t>(k)],
                          &across_high[r * bc + static_cast<std::size_t>(k)]);
  // Then down each column of both halves, all columns of a band row at once.
  for (auto* band : {&level.approximation, &level.horizontal, &level.vertical, &level.diagonal}) band->resize(br * bc);
  std::vector<double> approximation(bc), horizontal(bc), vertical(bc), diagonal(bc);
  for (std::size_t k = 0; k < br; ++k) {
    std::fill(approximation.begin(), approximation.end(), 0.0);
    std::fill(horizontal.begin(), horizontal.end(), 0.0);
    std::fill(vertical.begin(), vertical.end(), 0.0);
    std::fill(diagonal.begin(), diagonal.end(), 0.0);
    for (int j = 0; j < kDb5Taps; ++j) {
      const std::size_t r =
          boundary_index(2 * static_cast<std::ptrdiff_t>(k) + 1 - j, static_cast<std::size_t>(rows), Boundary::mirror);
      const float* low = across_low.data() + r * bc;
      const float* high = across_high.data() + r * bc;
      const double h = kLow[static_cast<std::size_t>(j)], g = kHigh[static_cast<std::size_t>(j)];
      for (std::size_t col = 0; col < bc; ++col) {
        const double v = low[col];
        approximation[col] += h * v;
        horizontal[col] += g * v;
        const double u = high[col];
        vertical[col] += h * u;
        diagonal[col] += g * u;
      }
    }
    for (std::size_t col = 0; col < bc; ++col) {
      level.approximation[k * bc + col] = static_cast<float>(approximation[col]);
      level.horizontal[k * bc + col] = static_cast<float>(horizontal[col]);
      level.vertical[k * bc + col] = static_cast<float>(vertical[col]);
      level.diagonal[k * bc + col] = static_cast<float>(diagonal[col]);
    }
  }
  return level;
}

void idwt2(const WaveletLevel& level, std::span<float> image) {
  const auto bc = static_cast<std::size_t>(level.band_columns);
  const auto rows = static_cast<std::size_t>(level.rows);
  const auto c = static_cast<std::size_t>(level.columns);
  // Down the columns first, all columns of a row at once.
  std::vector<float> across_low(rows * bc), across_high(rows * bc);
  std::vector<double> low(bc), high(bc);
  for (std::size_t i = 0; i < rows; ++i) {
    std::fill(low.begin(), low.end(), 0.0);
    std::fill(high.begin(), high.end(), 0.0);
    for (std::size_t j = (i + 1) % 2; j < static_cast<std::size_t>(kDb5Taps); j += 2) {  // i + j odd
      const std::size_t k = (i + j - 1) / 2;
      const float* approximation = level.approximation.data() + k * bc;
      const float* horizontal = level.horizontal.data() + k * bc;
      const float* vertical = level.vertical.data() + k * bc;
      const float* diagonal = level.diagonal.data() + k * bc;
      const double h = kLow[j], g = kHigh[j];
      for (std::size_t col = 0; col < bc; ++col) {
        low[col] += h * approximation[col] + g * horizontal[col];
        high[col] += h * vertical[col] + g * diagonal[col];
      }
    }
    for (std::size_t col = 0; col < bc; ++col) {
      across_low[i * bc + col] = static_cast<float>(low[col]);
      across_high[i * bc + col] = static_cast<float>(high[col]);
    }
  }
  for (std::size_t r = 0; r < rows; ++r)
    for (int i = 0; i < level.columns; ++i)
      image[r * c + static_cast<std::size_t>(i)] = idwt_row_sample(across_low.data() + r * bc, across_high.data() + r * bc, i);
}

}  // namespace tomo
