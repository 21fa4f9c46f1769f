#include "kernels/binning.hpp"

#include "kernels/error.hpp"

namespace tomo {

std::vector<float> bin_pixels(std::span<const float> frames, int rows, int frame_count, int columns, int factor) {
  if (factor < 1) fail("binning factor {} must be at least 1", factor);
  if (rows % factor != 0) fail("binning: {} rows are not a multiple of the factor {}", rows, factor);
  const std::size_t b = static_cast<std::size_t>(factor), n = static_cast<std::size_t>(columns);
  const std::size_t f = static_cast<std::size_t>(frame_count), out_rows = static_cast<std::size_t>(rows) / b;
  const std::size_t out_columns = n / b;
  if (frames.size() != static_cast<std::size_t>(rows) * f * n)
    fail("binning: {} values do not make {} rows x {} frames x {} columns", frames.size(), rows, frame_count, columns);
  std::vector<float> out(out_rows * f * out_columns, 0.0f);
  const float scale = 1.0f / static_cast<float>(b * b);
  for (std::size_t r = 0; r < out_rows; ++r)
    for (std::size_t frame = 0; frame < f; ++frame) {
      float* binned = out.data() + (r * f + frame) * out_columns;
      for (std::size_t k = 0; k < b; ++k) {
        const float* line = frames.data() + ((r * b + k) * f + frame) * n;
        for (std::size_t j = 0; j < out_columns; ++j)
          for (std::size_t i = 0; i < b; ++i) binned[j] += line[j * b + i];
      }
      for (std::size_t j = 0; j < out_columns; ++j) binned[j] *= scale;
    }
  return out;
}

}  // namespace tomo
