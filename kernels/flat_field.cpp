#include "kernels/flat_field.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {

FrameAverage parse_frame_average(const std::string& name) {
  if (name == "mean") return FrameAverage::mean;
  if (name == "median") return FrameAverage::median;
  fail("unknown flat/dark average '{}' (use mean or median)", name);
}

void average_frames(std::span<const float> frames, int rows, int images, int columns, FrameAverage how,
                    std::span<float> out) {
  const std::size_t n = static_cast<std::size_t>(columns);
  if (images <= 0) fail("cannot average zero frames");
  if (frames.size() != static_cast<std::size_t>(rows) * images * n || out.size() != static_cast<std::size_t>(rows) * n)
    fail("average_frames: buffer sizes do not match {} rows x {} images x {} columns", rows, images, columns);
  std::vector<float> values(static_cast<std::size_t>(images));
  for (int r = 0; r < rows; ++r) {
    const float* block = frames.data() + static_cast<std::size_t>(r) * images * n;
    float* result = out.data() + static_cast<std::size_t>(r) * n;
    for (std::size_t c = 0; c < n; ++c) {
      for (int i = 0; i < images; ++i) values[static_cast<std::size_t>(i)] = block[static_cast<std::size_t>(i) * n + c];
      if (how == FrameAverage::mean) {
        double sum = 0;
        for (float v : values) sum += v;
        result[c] = static_cast<float>(sum / images);
      } else {
        auto middle = values.begin() + images / 2;
        std::nth_element(values.begin(), middle, values.end());
        float median = *middle;
        if (images % 2 == 0) median = 0.5f * (median + *std::max_element(values.begin(), middle));
        result[c] = median;
      }
    }
  }
}

FlatField make_flat_field(std::span<const float> dark, std::span<const float> flat, int rows, int columns,
                          double max_defective_fraction) {
  const std::size_t n = static_cast<std::size_t>(columns);
  const std::size_t pixels = static_cast<std::size_t>(rows) * n;
  if (dark.size() != pixels || flat.size() != pixels)
    fail("flat field: dark/flat frames do not have {} rows x {} columns", rows, columns);
  FlatField result{rows, columns, std::vector<float>(dark.begin(), dark.end()), std::vector<float>(pixels), 0};
  std::vector<bool> good(pixels);
  for (std::size_t p = 0; p < pixels; ++p) {
    if (!std::isfinite(flat[p]) || !std::isfinite(dark[p]))
      fail("flat field: the flats or darks contain NaN/Inf (first at row {}, column {})", p / n, p % n);
    const float gain = flat[p] - dark[p];
    good[p] = gain > 0;
    if (good[p]) result.inverse_gain[p] = 1.0f / gain;
    else ++result.defective_pixels;
  }
  if (static_cast<double>(result.defective_pixels) > max_defective_fraction * static_cast<double>(pixels))
    fail("flat field: {} of {} pixels have flat <= dark (more than {:.0f}%); are the flats missing, zero or "
         "swapped with the darks?",
         result.defective_pixels, pixels, 100 * max_defective_fraction);
  // Borrow the gain of the nearest good pixel in the same row.
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
    for (std::size_t c = 0; c < n; ++c) {
      if (good[r * n + c]) continue;
      for (std::size_t d = 1; d < n; ++d) {
        if (c >= d && good[r * n + c - d]) { result.inverse_gain[r * n + c] = result.inverse_gain[r * n + c - d]; break; }
        if (c + d < n && good[r * n + c + d]) { result.inverse_gain[r * n + c] = result.inverse_gain[r * n + c + d]; break; }
      }
    }
  }
  return result;
}

FlatField identity_flat_field(int rows, int columns) {
  const std::size_t pixels = static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns);
  return FlatField{rows, columns, std::vector<float>(pixels, 0.0f), std::vector<float>(pixels, 1.0f), 0};
}

std::int64_t correct_projections(std::span<float> sinograms, int projections, const FlatField& flat_field,
                                 bool minus_log, TransmissionBounds bounds, int threads) {
  const std::size_t n = static_cast<std::size_t>(flat_field.columns);
  const std::size_t per_row = static_cast<std::size_t>(projections) * n;
  if (sinograms.size() != static_cast<std::size_t>(flat_field.rows) * per_row)
    fail("correct_projections: {} values do not make {} rows x {} projections x {} columns", sinograms.size(),
         flat_field.rows, projections, n);
  std::atomic<std::int64_t> clamped_total{0};
  parallel_for(static_cast<std::size_t>(flat_field.rows) * static_cast<std::size_t>(projections), threads,
               [&](std::size_t begin, std::size_t end) {
                 std::int64_t clamped = 0;
                 for (std::size_t line = begin; line < end; ++line) {
                   const std::size_t row = line / static_cast<std::size_t>(projections);
                   const float* dark = flat_field.dark.data() + row * n;
                   const float* inverse_gain = flat_field.inverse_gain.data() + row * n;
                   float* values = sinograms.data() + line * n;
                   for (std::size_t c = 0; c < n; ++c) {
                     if (minus_log) {
                       bool was_clamped = false;
                       values[c] = line_integral(values[c], dark[c], inverse_gain[c], bounds, &was_clamped);
                       clamped += was_clamped;
                     } else {
                       values[c] = flat_corrected(values[c], dark[c], inverse_gain[c]);
                     }
                   }
                 }
                 clamped_total += clamped;
               });
  return clamped_total.load();
}

}  // namespace tomo
