#include "kernels/wavelet.hpp"

#include "kernels/boundary.hpp"

namespace tomo {

std::array<double, kDb5Taps> db5_high_pass() {
  std::array<double, kDb5Taps> g{};
  for (int j = 0; j < kDb5Taps; ++j) g[j] = (j % 2 == 0 ? 1.0 : -1.0) * kDb5LowPass[kDb5Taps - 1 - j];
  return g;
}

// Coefficient k is output t = 2k + 1 of the full convolution y[t] = Σ_j h[j] x[t − j] of the
// mirrored line (PyWavelets keeps the odd outputs). The filter pair is orthogonal on infinite
// lines, so the inverse is the transpose, x[i] = Σ_{t = i + j odd} h[j] y_low[t] + g[j] y_high[t];
// for i in [0, n) it needs only the outputs t ≤ n + 8 that dwt() keeps.
void dwt(const float* x, int n, std::size_t stride, float* low, float* high) {
  static const auto g = db5_high_pass();
  const int m = dwt_length(n);
  const auto size = static_cast<std::size_t>(n);
  for (int k = 0; k < m; ++k) {
    double sum_low = 0, sum_high = 0;
    for (int j = 0; j < kDb5Taps; ++j) {
      const double v = x[boundary_index(2 * k + 1 - j, size, Boundary::mirror) * stride];
      sum_low += kDb5LowPass[j] * v;
      sum_high += g[j] * v;
    }
    low[k] = static_cast<float>(sum_low);
    high[k] = static_cast<float>(sum_high);
  }
}

void idwt(const float* low, const float* high, int n, float* x, std::size_t stride) {
  static const auto g = db5_high_pass();
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    for (int j = (i + 1) % 2; j < kDb5Taps; j += 2) {  // i + j odd
      const int k = (i + j - 1) / 2;
      sum += kDb5LowPass[j] * low[k] + g[j] * high[k];
    }
    x[static_cast<std::size_t>(i) * stride] = static_cast<float>(sum);
  }
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
