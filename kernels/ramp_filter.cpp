#include "kernels/ramp_filter.hpp"

#include <array>
#include <cmath>
#include <numbers>

#include "kernels/error.hpp"
#include "kernels/fftw_handle.hpp"
#include "kernels/parallel.hpp"

namespace tomo {
namespace {

constexpr std::array<std::pair<const char*, FilterWindow>, 6> kWindowNames{{
    {"ram-lak", FilterWindow::ram_lak},
    {"shepp-logan", FilterWindow::shepp_logan},
    {"cosine", FilterWindow::cosine},
    {"hamming", FilterWindow::hamming},
    {"hann", FilterWindow::hann},
    {"parzen", FilterWindow::parzen},
}};

// Rows filtered per FFTW call: enough to amortise the call, few enough to stay in cache.
constexpr int kBatch = 8;

}  // namespace

FilterWindow parse_filter_window(const std::string& name) {
  for (const auto& [known, window] : kWindowNames)
    if (name == known) return window;
  fail("unknown filter '{}' (use ram-lak, shepp-logan, cosine, hamming, hann or parzen)", name);
}

std::string to_string(FilterWindow window) {
  for (const auto& [known, w] : kWindowNames)
    if (w == window) return known;
  return "?";
}

int padded_length(int columns) {
  int m = 64;
  while (m < 2 * columns) m *= 2;
  return m;
}

std::vector<float> ramp_response(int padded, FilterWindow window, float cutoff) {
  // H_k = Σ_n h[n] e^{-2πikn/M} of the circularly symmetric Ram-Lak kernel, summed in double:
  // h[0] + 2 Σ_{n odd < M/2} h[n] cos(2πkn/M), plus the lone n = M/2 term when it is odd.
  const int half = padded / 2;
  std::vector<double> kernel(static_cast<std::size_t>(half) + 1, 0.0);
  kernel[0] = 0.25;
  for (int n = 1; n <= half; n += 2) kernel[static_cast<std::size_t>(n)] = -1.0 / (std::numbers::pi * std::numbers::pi * n * n);
  std::vector<float> response(static_cast<std::size_t>(half) + 1);
  for (int k = 0; k <= half; ++k) {
    double sum = kernel[0];
    for (int n = 1; n < half; n += 2)
      sum += 2.0 * kernel[static_cast<std::size_t>(n)] * std::cos(2.0 * std::numbers::pi * k * n / padded);
    if (half % 2 == 1) sum += kernel[static_cast<std::size_t>(half)] * std::cos(std::numbers::pi * k);
    const float nu = static_cast<float>(k) / static_cast<float>(half);
    response[static_cast<std::size_t>(k)] = static_cast<float>(sum / padded) * filter_window(window, nu, cutoff);
  }
  return response;
}

struct RampFilter::Plans {
  fftw::Plan forward;
  fftw::Plan backward;
};

RampFilter::RampFilter(int columns, FilterWindow window, float cutoff)
    : columns_(columns), padded_(padded_length(columns)), plans_(std::make_unique<Plans>()) {
  if (columns <= 0) fail("ramp filter: detector width must be positive, got {}", columns);
  if (!(cutoff > 0.0f && cutoff <= 1.0f)) fail("filter_cutoff = {} is out of range (0, 1]", cutoff);
  response_ = ramp_response(padded_, window, cutoff);
  const int bins = padded_ / 2 + 1;
  auto real = fftw::alloc_real(static_cast<std::size_t>(kBatch) * padded_);
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(kBatch) * bins);
  std::lock_guard lock(fftw::planner_mutex());
  plans_->forward.reset(fftwf_plan_many_dft_r2c(1, &padded_, kBatch, real.get(), nullptr, 1, padded_,
                                                spectrum.get(), nullptr, 1, bins, FFTW_ESTIMATE));
  plans_->backward.reset(fftwf_plan_many_dft_c2r(1, &padded_, kBatch, spectrum.get(), nullptr, 1, bins,
                                                 real.get(), nullptr, 1, padded_, FFTW_ESTIMATE));
  if (!plans_->forward || !plans_->backward) fail("FFTW could not plan a {}-point transform", padded_);
}

RampFilter::~RampFilter() = default;

std::int64_t RampFilter::workspace_bytes(int threads) const {
  const std::int64_t bins = padded_ / 2 + 1;
  return std::int64_t{threads} * kBatch * (padded_ * std::int64_t{sizeof(float)} + bins * std::int64_t{sizeof(fftwf_complex)});
}

void RampFilter::apply(std::span<float> rows, int threads) const {
  const std::size_t n = static_cast<std::size_t>(columns_);
  if (rows.size() % n != 0) fail("ramp filter: {} values are not whole rows of {}", rows.size(), n);
  const std::size_t count = rows.size() / n;
  const std::size_t batches = (count + kBatch - 1) / kBatch;
  const std::size_t m = static_cast<std::size_t>(padded_);
  const std::size_t bins = m / 2 + 1;
  parallel_for(batches, threads, [&](std::size_t first_batch, std::size_t end_batch) {
    // Buffers from fftwf_alloc have the alignment the plans were made for (new-array execute).
    auto real = fftw::alloc_real(kBatch * m);
    auto spectrum = fftw::alloc_complex(kBatch * bins);
    for (std::size_t batch = first_batch; batch < end_batch; ++batch) {
      const std::size_t first = batch * kBatch;
      const std::size_t in_batch = std::min<std::size_t>(kBatch, count - first);
      std::fill(real.get(), real.get() + kBatch * m, 0.0f);  // zero padding
      for (std::size_t r = 0; r < in_batch; ++r)
        std::copy_n(rows.data() + (first + r) * n, n, real.get() + r * m);
      fftwf_execute_dft_r2c(plans_->forward.get(), real.get(), spectrum.get());
      for (std::size_t r = 0; r < in_batch; ++r) {
        fftwf_complex* bin = spectrum.get() + r * bins;
        for (std::size_t k = 0; k < bins; ++k) {
          bin[k][0] *= response_[k];
          bin[k][1] *= response_[k];
        }
      }
      fftwf_execute_dft_c2r(plans_->backward.get(), spectrum.get(), real.get());
      for (std::size_t r = 0; r < in_batch; ++r)
        std::copy_n(real.get() + r * m, n, rows.data() + (first + r) * n);
    }
  });
}

}  // namespace tomo
