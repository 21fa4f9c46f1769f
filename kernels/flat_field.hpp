#pragma once
// Flat/dark correction of raw projections: averaging the reference frames, preparing the
// per-pixel gain, and turning raw counts into line integrals.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernels/correction_math.hpp"

namespace tomo {

enum class FrameAverage { mean, median };
FrameAverage parse_frame_average(const std::string& name);  // "mean" | "median"

// Averages `images` frames laid out (row, image, column) into one frame per row, out (row,
// column). The median resists zingers in the flats; the mean is what STP computes.
void average_frames(std::span<const float> frames, int rows, int images, int columns, FrameAverage how,
                    std::span<float> out);

// What the correction needs per detector pixel of a slab of rows.
struct FlatField {
  int rows = 0;
  int columns = 0;
  std::vector<float> dark;          // (row, column) counts
  std::vector<float> inverse_gain;  // (row, column) 1 / (flat - dark)
  // Pixels whose flat is not above the dark (or not finite); they borrow the gain of the nearest
  // good pixel in their row so that one dead pixel does not make a ring of infinities.
  std::int64_t defective_pixels = 0;
};

// Builds the per-pixel correction from averaged dark and flat frames (row, column). Throws
// tomo::Error when the flats are unusable: any NaN/Inf, or more than `max_defective_fraction`
// of the pixels at or below the dark (flats missing, all zero, or swapped with the darks).
FlatField make_flat_field(std::span<const float> dark, std::span<const float> flat, int rows, int columns,
                          double max_defective_fraction = 0.01);

// A flat field that leaves data as it is: dark 0, gain 1 (for data already normalised).
FlatField identity_flat_field(int rows, int columns);

// Converts raw counts (row, projection, column) in place into line integrals
// -log((raw - dark) / (flat - dark)), or into transmission when minus_log is false.
// Returns how many pixels had their transmission clamped (see TransmissionBounds).
std::int64_t correct_projections(std::span<float> sinograms, int projections, const FlatField& flat_field,
                                 bool minus_log, TransmissionBounds bounds, int threads);

}  // namespace tomo
