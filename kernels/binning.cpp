#include "kernels/binning.hpp"

#include "kernels/error.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo {

std::vector<float> bin_pixels(std::span<const float> frames, int rows, int frame_count, int columns, int factor) {
  if (factor < 1) fail("binning factor {} must be at least 1", factor);
  if (rows % factor != 0) fail("binning: {} rows are not a multiple of the factor {}", rows, factor);
  const std::size_t b = static_cast<std::size_t>(factor), n = static_cast<std::size_t>(columns);
  const std::size_t f = static_cast<std::size_t>(frame_count), out_rows = static_cast<std::size_t>(rows) / b;
  const std::size_t out_columns = n / b;
  if (frames.size() != static_cast<std::size_t>(rows) * f * n)
    fail("binning: {} values do not make {} rows x {} frames x {} columns", frames.size(), rows, frame_count, columns);
  std::vector<float> out(out_rows * f * out_columns);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = binned_value(frames.data(), frame_count, columns, factor, static_cast<int>(out_columns), static_cast<long long>(i));
  return out;
}

}  // namespace tomo
