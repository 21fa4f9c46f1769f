#include "kernels/correction.hpp"

#include <atomic>
#include <cmath>
#include <limits>

#include "kernels/error.hpp"
#include "kernels/outliers.hpp"
#include "kernels/parallel.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo {
namespace {

constexpr float kInvalid = std::numeric_limits<float>::quiet_NaN();

// Transmission of one line (projection p of a detector row), invalid readings as NaN.
void line_transmission(float* values, std::size_t n, const float* dark, const float* gain, const float* gain_after,
                       float after_weight, float saturation) {
  for (std::size_t c = 0; c < n; ++c) {
    const float g = gain_after ? blended_inverse_gain(gain[c], gain_after[c], after_weight) : gain[c];
    const bool saturated = saturation > 0.0f && values[c] >= saturation;
    values[c] = saturated ? kInvalid : flat_corrected(values[c], dark[c], g);
  }
}

// The same with the projection's own flat, f̄ + Σ w_k u_k of this row (dynamic flat fielding);
// a flat that comes out at or below zero marks the pixel invalid.
void line_transmission_dynamic(float* values, std::size_t n, const float* dark, const EigenFlats& flats, std::size_t row,
                               const float* weights, float saturation) {
  const std::size_t rows = static_cast<std::size_t>(flats.rows), k_count = static_cast<std::size_t>(flats.components);
  const float* mean = flats.mean.data() + row * n;
  for (std::size_t c = 0; c < n; ++c) {
    float flat = mean[c];
    for (std::size_t k = 0; k < k_count; ++k) flat += weights[k] * flats.basis[(k * rows + row) * n + c];
    const bool saturated = saturation > 0.0f && values[c] >= saturation;
    values[c] = saturated || !(flat > 0.0f) ? kInvalid : flat_corrected(values[c], dark[c], 1.0f / flat);
  }
}


}  // namespace

CorrectionCounts correct_projections(std::span<float> sinograms, int projections, const FlatField& flat_field,
                                     const CorrectionOptions& options, int threads) {
  const std::size_t n = static_cast<std::size_t>(flat_field.columns), p = static_cast<std::size_t>(projections);
  const std::size_t rows = static_cast<std::size_t>(flat_field.rows);
  if (sinograms.size() != rows * p * n)
    fail("correct_projections: {} values do not make {} rows x {} projections x {} columns", sinograms.size(),
         flat_field.rows, projections, n);
  if (flat_field.two_references() && flat_field.after_weight.size() != p)
    fail("correct_projections: {} flat weights for {} projections", flat_field.after_weight.size(), projections);
  if (flat_field.dynamic_flats() && flat_field.dynamic_weights.size() != p * static_cast<std::size_t>(flat_field.dynamic.components))
    fail("correct_projections: {} dynamic flat weights for {} projections", flat_field.dynamic_weights.size(), projections);
  if (options.air_left < 0 || options.air_right < 0 ||
      static_cast<std::size_t>(options.air_left) + static_cast<std::size_t>(options.air_right) >= n)
    fail("air normalisation: {} + {} air columns do not fit lines of {} columns (at least one column must remain for the sample)",
         options.air_left, options.air_right, n);
  const bool air = options.air_left + options.air_right > 0;
  // The log can go with the first pass unless zingers are removed from the transmission first.
  const bool log_in_first_pass = options.minus_log && options.zinger_threshold == 0.0f;

  std::atomic<std::int64_t> repaired{0}, zingers{0}, clamped{0};
  parallel_for(rows * p, threads, [&](std::size_t begin, std::size_t end) {
    std::int64_t repaired_here = 0, clamped_here = 0;
    for (std::size_t line = begin; line < end; ++line) {
      const std::size_t row = line / p, projection = line % p;
      float* values = sinograms.data() + line * n;
      if (flat_field.dynamic_flats())
        line_transmission_dynamic(values, n, flat_field.dark.data() + row * n, flat_field.dynamic, row,
                                  flat_field.dynamic_weights.data() + projection * static_cast<std::size_t>(flat_field.dynamic.components),
                                  options.saturation);
      else
        line_transmission(values, n, flat_field.dark.data() + row * n, flat_field.inverse_gain.data() + row * n,
                          flat_field.two_references() ? flat_field.inverse_gain_after.data() + row * n : nullptr,
                          flat_field.two_references() ? flat_field.after_weight[projection] : 0.0f, options.saturation);
      // Transmission 1 (no attenuation) stands in for a line with no valid pixel at all.
      repaired_here += interpolate_invalid({values, n}, 1.0f);
      if (air) normalise_line_to_air(values, static_cast<int>(n), options.air_left, options.air_right);
      if (!log_in_first_pass) continue;
      for (std::size_t c = 0; c < n; ++c) {
        bool was_clamped = false;
        values[c] = clamped_minus_log(values[c], options.bounds, &was_clamped);
        clamped_here += was_clamped;
      }
    }
    repaired += repaired_here;
    clamped += clamped_here;
  });
  CorrectionCounts counts{repaired.load(), 0, clamped.load()};
  if (options.zinger_threshold > 0.0f) {
    parallel_for(rows, threads, [&](std::size_t begin, std::size_t end) {
      std::int64_t here = 0;
      for (std::size_t row = begin; row < end; ++row)
        here += remove_zingers(sinograms.subspan(row * p * n, p * n), projections, flat_field.columns, options.zinger_threshold);
      zingers += here;
    });
    counts.zingers = zingers.load();
    if (options.minus_log) counts.clamped = to_line_integrals(sinograms, options.bounds, threads);
  }
  return counts;
}

std::int64_t to_line_integrals(std::span<float> values, TransmissionBounds bounds, int threads) {
  std::atomic<std::int64_t> clamped{0};
  parallel_for(values.size(), threads, [&](std::size_t begin, std::size_t end) {
    std::int64_t here = 0;
    for (std::size_t i = begin; i < end; ++i) {
      bool was_clamped = false;
      values[i] = clamped_minus_log(values[i], bounds, &was_clamped);
      here += was_clamped;
    }
    clamped += here;
  });
  return clamped.load();
}

}  // namespace tomo
