#include "kernels/wavelet.hpp"

namespace tomo {

std::array<double, kDb5Taps> db5_high_pass() {
  std::array<double, kDb5Taps> g{};
  for (int j = 0; j < kDb5Taps; ++j) g[static_cast<std::size_t>(j)] = db5_high_tap(j);
  return g;
}

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
    dwt(image.data() + r * c, columns, 1, across_low.data() + r * bc, across_high.data() + r * bc);
  // Then down each column of both halves.
  for (auto* band : {&level.approximation, &level.horizontal, &level.vertical, &level.diagonal}) band->resize(br * bc);
  std::vector<float> low(br), high(br);
  for (std::size_t j = 0; j < bc; ++j) {
    dwt(across_low.data() + j, rows, bc, low.data(), high.data());
    for (std::size_t k = 0; k < br; ++k) level.approximation[k * bc + j] = low[k], level.horizontal[k * bc + j] = high[k];
    dwt(across_high.data() + j, rows, bc, low.data(), high.data());
    for (std::size_t k = 0; k < br; ++k) level.vertical[k * bc + j] = low[k], level.diagonal[k * bc + j] = high[k];
  }
  return level;
}

void idwt2(const WaveletLevel& level, std::span<float> image) {
  const auto bc = static_cast<std::size_t>(level.band_columns);
  const auto br = static_cast<std::size_t>(level.band_rows);
  const auto rows = static_cast<std::size_t>(level.rows);
  const auto c = static_cast<std::size_t>(level.columns);
  std::vector<float> across_low(rows * bc), across_high(rows * bc), low(br), high(br);
  for (std::size_t j = 0; j < bc; ++j) {
    for (std::size_t k = 0; k < br; ++k) low[k] = level.approximation[k * bc + j], high[k] = level.horizontal[k * bc + j];
    idwt(low.data(), high.data(), level.rows, across_low.data() + j, bc);
    for (std::size_t k = 0; k < br; ++k) low[k] = level.vertical[k * bc + j], high[k] = level.diagonal[k * bc + j];
    idwt(low.data(), high.data(), level.rows, across_high.data() + j, bc);
  }
  for (std::size_t r = 0; r < rows; ++r)
    idwt(across_low.data() + r * bc, across_high.data() + r * bc, level.columns, image.data() + r * c, 1);
}

}  // namespace tomo
