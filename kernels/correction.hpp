#pragma once
// From raw counts to what the reconstruction takes: flat/dark correction (one or two sets of
// flats), invalid pixels repaired, air normalisation, zinger removal, and the Beer–Lambert log.
#include <cstdint>
#include <span>

#include "kernels/correction_math.hpp"
#include "kernels/flat_field.hpp"

namespace tomo {

// Every step beyond the flat/dark correction is off by default.
struct CorrectionOptions {
  // Take −log of the transmission; off to stop at the transmission (for data reconstructed as
  // such, or for phase retrieval, which takes transmission: call to_line_integrals after it).
  bool minus_log = true;
  TransmissionBounds bounds;
  // Raw counts at or above this are saturated and repaired like NaN/Inf (0: no limit; e.g.
  // 65535 for a 16-bit detector that clips).
  float saturation = 0.0f;
  // Air normalisation: the first `air_left` and last `air_right` columns of each line (after
  // cropping) see only air; each line's transmission is divided by their mean, so that a beam
  // whose intensity drifts between projections, or data without flats, read 1 in air.
  int air_left = 0;
  int air_right = 0;
  // Zinger removal on the transmission (see remove_zingers, in outliers.hpp); 0 = off.
  float zinger_threshold = 0.0f;
};

// What the correction found, for the log.
struct CorrectionCounts {
  std::int64_t repaired = 0;  // NaN/Inf/saturated pixels, interpolated from their line
  std::int64_t zingers = 0;   // replaced by the median of their frame and its neighbours
  std::int64_t clamped = 0;   // transmissions clamped to the bounds before the log
  CorrectionCounts& operator+=(const CorrectionCounts& other) {
    repaired += other.repaired, zingers += other.zingers, clamped += other.clamped;
    return *this;
  }
};

// Corrects `sinograms` (row, projection, column) of raw counts in place, the steps in the order
// of this header: line integrals, or transmission without minus_log. Throws tomo::Error when the
// sizes do not match the flat field or the air columns do not fit the lines.
CorrectionCounts correct_projections(std::span<float> sinograms, int projections, const FlatField& flat_field,
                                     const CorrectionOptions& options, int threads);

// −log of transmission data in place, clamped to `bounds`; returns how many values were clamped.
std::int64_t to_line_integrals(std::span<float> values, TransmissionBounds bounds, int threads);

}  // namespace tomo
