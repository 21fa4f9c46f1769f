#include "kernels/flat_field.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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
  FlatField result{rows, columns, std::vector<float>(dark.begin(), dark.end()), std::vector<float>(pixels), 0, {}, {}, {}, {}};
  for (std::size_t p = 0; p < pixels; ++p) {
    if (!std::isfinite(flat[p]) || !std::isfinite(dark[p]))
      fail("flat field: the flats or darks contain NaN/Inf (first at row {}, column {})", p / n, p % n);
    const float gain = flat[p] - dark[p];
    if (gain > 0) {
      result.inverse_gain[p] = 1.0f / gain;
    } else {
      // A dead pixel (or column): no gain to correct with. NaN makes the correction interpolate
      // its value from the row's neighbours in every projection (correction.hpp).
      result.inverse_gain[p] = std::numeric_limits<float>::quiet_NaN();
      ++result.defective_pixels;
    }
  }
  if (static_cast<double>(result.defective_pixels) > max_defective_fraction * static_cast<double>(pixels))
    fail("flat field: {} of {} pixels have flat <= dark (more than {:.0f}%); are the flats missing, zero or "
         "swapped with the darks?",
         result.defective_pixels, pixels, 100 * max_defective_fraction);
  return result;
}

FlatField identity_flat_field(int rows, int columns) {
  const std::size_t pixels = static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns);
  return FlatField{rows, columns, std::vector<float>(pixels, 0.0f), std::vector<float>(pixels, 1.0f), 0, {}, {}, {}, {}};
}

FlatMode parse_flat_mode(const std::string& name, bool flats_before_and_after) {
  if (name == "auto") return flats_before_and_after ? FlatMode::interpolate : FlatMode::mean;
  if (name == "mean") return FlatMode::mean;
  if (name == "before") return FlatMode::before;
  if (name == "after") return FlatMode::after;
  if (name == "interpolate") return FlatMode::interpolate;
  if (name == "half-half") return FlatMode::half_half;
  if (name == "dynamic") return FlatMode::dynamic;
  fail("unknown flat-field mode '{}' (use auto, mean, before, after, interpolate, half-half or dynamic)", name);
}

std::vector<float> after_flat_weights(FlatMode mode, const std::vector<int>& chosen, int total, int half_half_line) {
  std::vector<float> weights;
  weights.reserve(chosen.size());
  for (const int i : chosen) {
    if (mode == FlatMode::interpolate) weights.push_back(total > 1 ? static_cast<float>(i) / static_cast<float>(total - 1) : 0.0f);
    else if (mode == FlatMode::half_half) weights.push_back(i < half_half_line ? 0.0f : 1.0f);
    else fail("after_flat_weights: only interpolate and half-half weigh two sets of flats");
  }
  return weights;
}

FlatField with_flats_after(FlatField before, const FlatField& after, std::vector<float> after_weight) {
  if (after.rows != before.rows || after.columns != before.columns)
    fail("flat field: the flats after the scan have {} x {} pixels, those before {} x {}", after.rows, after.columns,
         before.rows, before.columns);
  before.inverse_gain_after = after.inverse_gain;
  before.defective_pixels += after.defective_pixels;
  before.after_weight = std::move(after_weight);
  return before;
}

}  // namespace tomo
