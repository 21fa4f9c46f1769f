#pragma once
// Per-element math of the preprocessing steps, shared by the CPU kernels and their CUDA versions
// (kernels/preprocessing.cu): zinger removal, half-acquisition stitching, and the edge-replicated
// padding of phase retrieval.
#include <math.h>

#include "kernels/backprojection_math.hpp"
#include "kernels/host_device.hpp"

namespace tomo {

// Replaces every non-finite value of line[0..n) by linear interpolation between the nearest
// finite values left and right of it (the nearest one at the ends; `fill` when there is none);
// returns how many (see interpolate_invalid in outliers.hpp).
TOMO_HD inline long long interpolate_invalid_line(float* line, int n, float fill) {
  long long replaced = 0;
  int c = 0;
  while (c < n) {
    if (isfinite(line[c])) {
      ++c;
      continue;
    }
    int end = c;  // [c, end) is a run of invalid values
    while (end < n && !isfinite(line[end])) ++end;
    const bool has_left = c > 0, has_right = end < n;
    const float left = has_left ? line[c - 1] : 0.0f, right = has_right ? line[end] : 0.0f;
    for (int k = c; k < end; ++k) {
      if (has_left && has_right) line[k] = left + static_cast<float>(k - c + 1) / static_cast<float>(end - c + 1) * (right - left);
      else line[k] = has_left ? left : has_right ? right : fill;
    }
    replaced += end - c;
    c = end;
  }
  return replaced;
}

// Divides line[0..n) by the mean of its first `left` and last `right` values (air columns),
// unless that mean is not positive and finite (see CorrectionOptions in correction.hpp).
TOMO_HD inline void normalise_line_to_air(float* line, int n, int left, int right) {
  double sum = 0;
  for (int c = 0; c < left; ++c) sum += line[c];
  for (int c = n - right; c < n; ++c) sum += line[c];
  const double air = sum / (left + right);
  if (!(air > 0.0) || !isfinite(air)) return;  // nothing usable in the air: leave the line as it is
  const float scale = static_cast<float>(1.0 / air);
  for (int c = 0; c < n; ++c) line[c] *= scale;
}

// Value i of binned frames laid out (row, frame, column) with `out_columns` = columns / factor,
// from frames (row, frame, column) of `columns`: the mean of its factor × factor block (see
// bin_pixels in binning.hpp).
TOMO_HD inline float binned_value(const float* frames, int frame_count, int columns, int factor, int out_columns,
                                  long long i) {
  const long long out_column = i % out_columns, line = i / out_columns;
  const long long frame = line % frame_count, out_row = line / frame_count;
  float sum = 0.0f;
  for (int k = 0; k < factor; ++k) {
    const float* source = frames + ((out_row * factor + k) * frame_count + frame) * columns + out_column * factor;
    for (int j = 0; j < factor; ++j) sum += source[j];
  }
  return sum / static_cast<float>(factor * factor);
}

TOMO_HD inline float median_of_3(float a, float b, float c) {
  const float low = a < b ? a : b, high = a < b ? b : a;
  return low > c ? low : (high < c ? high : c);
}

// A pixel's value after zinger removal: the median of it and the same pixel in the frames before
// and after when it differs from that median by more than `threshold` times its magnitude (see
// remove_zingers in outliers.hpp), else itself; *replaced says which.
TOMO_HD inline float zinger_filtered(float before, float here, float after, float threshold, bool* replaced) {
  const float median = median_of_3(before, here, after);
  *replaced = fabsf(here - median) > threshold * fabsf(median);
  return *replaced ? median : here;
}

// How the two projections of a half-acquisition pair are joined across their overlap (STP's
// "average" switch; see half_acquisition.hpp).
enum class StitchBlend {
  ramp,     // the near projection's weight ramps linearly from 0 to 1 across the overlap: no seam
  average,  // both weigh 1/2 over the whole overlap (STP's "average"): steps at its two edges
  cut,      // each side up to the axis, nothing blended (STP's "half-half sticking")
};

// The far projection (θ + 180°) of a half-acquisition pair at stitched column k, for the axis at
// distance a from the nearer edge's pixel centre: read mirrored at column 2a + left − k, linearly
// interpolated. With the axis on the right (`mirrored`), read right to left.
TOMO_HD inline float far_side_value(const float* far, int n, double a, int left, int k, bool mirrored) {
  // Linear interpolation is the same read from either end: at t of the reversed row, n − 1 − t.
  const float t = static_cast<float>(2.0 * a + left - k);
  return sample_linear(far, n, mirrored ? static_cast<float>(n - 1) - t : t);
}

// What the far projection's line integrals need added to agree with the near one's over the
// overlap (STP's "normalise" switch): the mean difference there. A beam brighter by a factor
// at one of the two angles is an offset in line integrals, the same for every column of the line.
TOMO_HD inline float overlap_offset(const float* near, const float* far, int n, double a, int left, bool mirrored) {
  double sum = 0;
  int count = 0;
  for (int c = 0; c <= static_cast<int>(2.0 * a) && c < n; ++c, ++count)
    sum += near[mirrored ? n - 1 - c : c] - far_side_value(far, n, a, left, left + c, mirrored);
  return count > 0 ? static_cast<float>(sum / count) : 0.0f;
}

// Stitched column k of a half-acquisition pair (see stitch_half_acquisition in
// half_acquisition.hpp): `near` (projection θ) lands on stitched columns left + c; `far`, raised
// by `far_offset`, is read as far_side_value says; across the overlap (near columns 0 … 2a) they
// are joined as `blend` says. With the axis on the right (`mirrored`), both projections are read
// right to left and k counts from the right: the same stitch, mirrored.
TOMO_HD inline float stitched_value(const float* near, const float* far, int n, double a, int left, int k, bool mirrored,
                                    StitchBlend blend, float far_offset) {
  const double overlap = 2.0 * a;
  // Stitched column 0 lies a step past the far projection's last column (stitched_geometry): 0
  // there, as sample_linear reads outside a line, not shifted.
  const bool past_far = 2.0 * a + left - k > n - 1;
  const float from_far = far_side_value(far, n, a, left, k, mirrored) + (past_far ? 0.0f : far_offset);
  const int c = k - left;  // the near projection's column
  if (c < 0) return from_far;
  double w = 1.0;  // the near projection's weight
  if (c <= overlap) {
    if (blend == StitchBlend::ramp) w = overlap > 0 ? c / overlap : 1.0;
    else if (blend == StitchBlend::average) w = 0.5;
    else w = c >= a ? 1.0 : 0.0;
  }
  return static_cast<float>(w * near[mirrored ? n - 1 - c : c] + (1.0 - w) * from_far);
}

// Pixel (r, c) of a projection of rows × columns (its rows `row_stride` values apart) padded to a
// larger image in which it starts at (top, left): outside it, the nearest border pixel (edge
// replication, see phase_retrieval.hpp).
TOMO_HD inline float edge_padded(const float* projection, int rows, int columns, long long row_stride, int top, int left,
                                 int r, int c) {
  int source_r = r - top, source_c = c - left;
  source_r = source_r < 0 ? 0 : (source_r >= rows ? rows - 1 : source_r);
  source_c = source_c < 0 ? 0 : (source_c >= columns ? columns - 1 : source_c);
  return projection[source_r * row_stride + source_c];
}

}  // namespace tomo
