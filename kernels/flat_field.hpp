#pragma once
// Flat/dark correction of raw projections: averaging the reference frames, preparing the
// per-pixel gain, and turning raw counts into line integrals.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernels/correction_math.hpp"
#include "kernels/dynamic_flat_field.hpp"

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
  // Pixels whose flat is not above the dark: dead pixels or columns. Their inverse_gain is NaN,
  // so that the correction interpolates their values from their row's neighbours (a dead column
  // would otherwise make a ring of clamped values).
  std::int64_t defective_pixels = 0;
  // With flats from both ends of the scan (see with_flats_after): 1 / (flat − dark) of the flats
  // taken after it, and per projection of the slab the weight of those (blended_inverse_gain).
  // Empty with one set of flats.
  std::vector<float> inverse_gain_after;
  std::vector<float> after_weight;
  // Dynamic flat fielding (dynamic_flat_field.hpp): these rows' mean flat and eigen flats, dark
  // subtracted, and per projection of the slab its weights (projection, component); the flat a
  // projection saw is f̄ + Σ w_k u_k. No components when not used.
  EigenFlats dynamic;
  std::vector<float> dynamic_weights;

  bool two_references() const { return !after_weight.empty(); }
  bool dynamic_flats() const { return dynamic.components > 0; }
};

// Which flats correct which projection (STP's flat-field choices).
enum class FlatMode {
  mean,         // all flats averaged, whenever taken (what STP does with "both")
  before,       // only those taken before the scan
  after,        // only those taken after it
  interpolate,  // before and after, interpolated linearly in projection index
  half_half,    // before for projections below a given one, after for the rest (STP's half-half)
  dynamic,      // each projection its own flat from the eigen flats of all flats (dynamic_flat_field.hpp)
};
// "auto" resolves to interpolate when the scan has flats before and after it, else mean.
FlatMode parse_flat_mode(const std::string& name, bool flats_before_and_after);

// Weight of the after-scan flats for each of `chosen` projections (indices into the scan's
// `total` projections): i / (total − 1) when interpolating; 0 below `half_half_line`, 1 from it,
// for half-half.
std::vector<float> after_flat_weights(FlatMode mode, const std::vector<int>& chosen, int total, int half_half_line);

// `before` (made by make_flat_field from the flats taken before the scan) combined with the gain
// of those taken after it, `after` (same rows, columns and dark), weighted per projection.
FlatField with_flats_after(FlatField before, const FlatField& after, std::vector<float> after_weight);

// Builds the per-pixel correction from averaged dark and flat frames (row, column). Throws
// tomo::Error when the flats are unusable: any NaN/Inf, or more than `max_defective_fraction`
// of the pixels at or below the dark (flats missing, all zero, or swapped with the darks).
FlatField make_flat_field(std::span<const float> dark, std::span<const float> flat, int rows, int columns,
                          double max_defective_fraction = 0.01);

// A flat field that leaves data as it is: dark 0, gain 1 (for data already normalised).
FlatField identity_flat_field(int rows, int columns);


}  // namespace tomo
