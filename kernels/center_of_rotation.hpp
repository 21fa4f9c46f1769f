#pragma once
// Automatic centre of rotation from the data: two independent methods, each giving the offset,
// a confidence and the metric it minimised.
//
// Convention (the project's, kernels/backprojection_math.hpp): detector columns are 0-based pixel
// centres and the rotation axis sits at column N/2 + offset. The README's "CoR = 296" of the
// 640-column tooth scan is offset −24; TomoPy's `center=` is N/2 + offset.
//
// Input: line integrals (−ln of the flat-corrected transmission), so that air reads 0. Both
// methods compare a projection with the mirror image of the one 180° away, p(θ + π, t) =
// p(θ, −t) with t = column − axis, and both assume the sample stays inside the detector at
// every angle (no truncation); a constant air level other than 0 biases them towards offset 0.
#include <span>
#include <utility>
#include <vector>

namespace tomo {

struct CorEstimate {
  double offset = 0;  // pixels: the axis is at column N/2 + offset
  // How clearly the data single out this offset, in [0, 1]: 1 − m(best) / m(second), where
  // m(second) is the lowest metric among offsets at least 2 pixels from the best. 0: another
  // offset fits as well (featureless or truncated data, a search range that misses the axis);
  // near 1: a deep, unique minimum. The two methods' metrics differ, so their confidences
  // are not comparable with each other: on the tests' simulated scans registration gives
  // 0.90–0.99 and Vo's method 0.12–0.26 (its metric keeps a floor from the noise and the
  // sample's own spectrum); pure noise gives ≤ 0.02 with either.
  double confidence = 0;
  // (offset, metric) at every offset evaluated, in increasing offset, for plotting.
  std::vector<std::pair<double, double>> metric;
};

// Registration of each projection p(θ) with the mirror image of the projection b 180° later,
// b found by linear interpolation in angle between the two projections around θ + 180° (or, at
// the end of a 180° scan, extrapolated from the last two by at most 1.5 angular steps). The
// metric is the normalised squared difference Σ(b(c) − p(2a − c))² / Σ(b² + p²), a the trial
// axis, summed over up to 32 pairs spread over the scan and over all rows; the mirror image is
// shifted in Fourier space (exact for band-limited rows, and, unlike linear interpolation, it
// favours no sub-pixel position). Evaluated at offsets every 0.5 pixel, then every 0.02 pixel
// within ±0.5 of the best, then refined by a parabola. Works for 180° scans (one pair: the
// first projection against the last two) and 360° scans (a pair for every projection of the
// first half, up to 32).
// Layout (row, projection, column); angles in radians, any order, one per projection.
// search_radius_px: offsets searched, ±; 0 = N/4.
CorEstimate estimate_cor_registration(std::span<const float> sinograms, int rows, int projections, int columns,
                                      std::span<const float> angles_rad, double search_radius_px = 0);

// Vo, Atwood & Drakopoulos (2014, Opt. Express 22:19078): the sinogram of [θ0, θ0 + 180°)
// followed by its mirror image, shifted by a trial amount, is the 360° sinogram of the sample
// only when the shift puts the axis in the right place. A consistent 360° sinogram of a sample
// within radius R of the axis has (almost) no energy in the double wedge |n| > 2πR|ν| of its
// 2-D spectrum (n: harmonic in angle, ν: cycles per pixel across the detector); a wrong centre
// puts a step at the 180° seam, whose energy spreads over all n. The metric is the mean
// |spectrum| in that wedge (R = N/2, the field of view; ν = 0 left out, as intensity drifts
// live there). Shifts are applied exactly in Fourier space (no interpolation), so the search
// is as fine as wanted: every 0.5 pixel of offset, then every 0.02 within ±0.5 of the best,
// then a parabola. A half turn of more than 360 projections is thinned to every d-th (d the
// smallest divisor that leaves ≤ 360): the work per trial offset grows as their square.
// One sinogram (projection, column), angles in radians, evenly spaced. A 360° scan uses its
// first 180°. search_radius_px: offsets searched, ±; 0 = N/4.
CorEstimate estimate_cor_vo(std::span<const float> sinogram, int projections, int columns,
                            std::span<const float> angles_rad, double search_radius_px = 0);

}  // namespace tomo
