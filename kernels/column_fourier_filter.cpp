#include "kernels/column_fourier_filter.hpp"

#include <algorithm>

#include "kernels/error.hpp"
#include "kernels/fftw_handle.hpp"

namespace tomo {

std::vector<float> normalised_column_gains(std::vector<float> gain, int rows) {
  if (rows <= 0) fail("column Fourier filter: {} rows", rows);
  const std::size_t bins = static_cast<std::size_t>(rows / 2 + 1);
  if (gain.size() != bins) fail("column Fourier filter: {} gains for {} frequencies", gain.size(), bins);
  for (float& g : gain) g /= static_cast<float>(rows);
  return gain;
}

struct ColumnFourierFilter::Plans {
  fftw::Plan forward;
  fftw::Plan backward;
};

ColumnFourierFilter::ColumnFourierFilter(int rows, int columns, std::vector<float> gain)
    : rows_(rows), columns_(columns), plans_(std::make_unique<Plans>()) {
  if (rows <= 0 || columns <= 0) fail("column Fourier filter: {} x {} is not an image", rows, columns);
  gain_ = normalised_column_gains(std::move(gain), rows);
  const std::size_t bins = gain_.size();
  const std::size_t c = static_cast<std::size_t>(columns);
  auto real = fftw::alloc_real(static_cast<std::size_t>(rows) * c);
  auto spectrum = fftw::alloc_complex(bins * c);
  // Column j is the strided sequence real[j + r·columns]; its spectrum lies the same way.
  std::lock_guard lock(fftw::planner_mutex());
  plans_->forward.reset(fftwf_plan_many_dft_r2c(1, &rows_, columns, real.get(), nullptr, columns, 1, spectrum.get(),
                                                nullptr, columns, 1, FFTW_ESTIMATE));
  plans_->backward.reset(fftwf_plan_many_dft_c2r(1, &rows_, columns, spectrum.get(), nullptr, columns, 1, real.get(),
                                                 nullptr, columns, 1, FFTW_ESTIMATE));
  if (!plans_->forward || !plans_->backward) fail("FFTW could not plan {} transforms of {} points", columns, rows);
}

ColumnFourierFilter::~ColumnFourierFilter() = default;

void ColumnFourierFilter::apply(std::span<float> image) const {
  const std::size_t c = static_cast<std::size_t>(columns_);
  const std::size_t values = static_cast<std::size_t>(rows_) * c;
  if (image.size() != values) fail("column Fourier filter: {} values are not {} x {}", image.size(), rows_, columns_);
  // Buffers from fftwf_alloc have the alignment the plans were made for (new-array execute).
  auto real = fftw::alloc_real(values);
  auto spectrum = fftw::alloc_complex(gain_.size() * c);
  std::copy(image.begin(), image.end(), real.get());
  fftwf_execute_dft_r2c(plans_->forward.get(), real.get(), spectrum.get());
  for (std::size_t k = 0; k < gain_.size(); ++k)
    for (std::size_t j = 0; j < c; ++j) {
      spectrum[k * c + j][0] *= gain_[k];
      spectrum[k * c + j][1] *= gain_[k];
    }
  fftwf_execute_dft_c2r(plans_->backward.get(), spectrum.get(), real.get());
  std::copy(real.get(), real.get() + values, image.begin());
}

}  // namespace tomo
