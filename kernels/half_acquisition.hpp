#pragma once
// Extended field of view by half acquisition: a sample up to twice as wide as the detector,
// scanned over 360° with the rotation axis near one edge of the detector. Each projection sees
// one side of the sample and the one taken 180° later sees the other side, mirrored; stitched
// side by side they make one projection of the whole sample, and the 360° scan becomes a 180°
// scan of a detector almost twice as wide.
#include <span>
#include <string>
#include <vector>

#include "kernels/center_of_rotation.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo {

// Where the stitched projections lie, for a detector of `columns` with the axis at column
// `axis` (0-based pixel centres).
struct StitchedGeometry {
  int width = 0;       // columns of a stitched projection
  double axis = 0;     // the rotation axis in stitched columns
  bool axis_left = true;  // the axis is left of the detector's centre (else right)
  double overlap = 0;  // pixels both projections of a pair see: twice the axis' distance from the nearer edge
};

// Throws tomo::Error when the axis is not between the detector's edge and a pixel short of its
// centre on either side (there would be nothing to extend).
StitchedGeometry stitched_geometry(int columns, double axis);

// STP's two switches for joining the pairs.
struct StitchOptions {
  StitchBlend blend = StitchBlend::ramp;
  // Shift each far projection's line integrals by the mean difference over the overlap, undoing
  // a change of beam intensity between the two angles of a pair (STP's "normalise").
  bool normalise = false;
};

// "ramp", "average", "cut" (tomo::Error naming the allowed words otherwise) and back.
StitchBlend parse_stitch_blend(const std::string& text);
const char* to_string(StitchBlend blend);

// Stitches `rows` sinograms of line integrals laid out (row, projection, column), `projections`
// even with projection i + P/2 taken 180° after projection i, into (row, P/2, width). Columns on
// the far side of the axis come from the projection 180° later, mirrored (and interpolated
// linearly when twice the axis is not a whole number); where both see the sample (the overlap)
// they are joined as options.blend says — by default with weights that ramp linearly across it,
// so that no seam shows.
std::vector<float> stitch_half_acquisition(std::span<const float> sinograms, int rows, int projections, int columns,
                                           double axis, const StitchOptions& options, int threads);

// The rotation axis of a half-acquisition scan from its data, as an offset from N/2 (the axis
// at column N/2 + offset): for each trial axis a, the columns c whose mirror image 2a − c lies on
// the detector (the overlap) of projection i against projection i + P/2 at 2a − c, linearly
// interpolated; the metric is Σ(difference²) / Σ(both²) over up to 32 pairs and all rows. Axes
// whose overlap is under 8 columns are not considered. Searched on both sides of the centre
// (kernels/center_of_rotation_search.hpp: every 0.5 pixel, then 0.02, then a parabola).
// Line integrals laid out (row, projection, column), projection i + P/2 taken 180° after i.
CorEstimate estimate_half_acquisition_axis(std::span<const float> sinograms, int rows, int projections, int columns);

}  // namespace tomo
