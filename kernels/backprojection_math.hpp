#pragma once
// Pixel-driven parallel-beam backprojection, per pixel and angle (shared by CPU and CUDA).
//
// Geometry (TomoPy / scikit-image convention): detector columns are 0-based pixel centres; the
// rotation axis sits at column `axis` = N/2 + centre offset; slice pixel (r, j) sits at
// x = j - N/2, y = N/2 - r; the projection at angle θ integrates along x cos θ + y sin θ = t,
// t = column - axis.
#include <math.h>

#include "kernels/host_device.hpp"

namespace tomo {

// Detector column (fractional) that the ray through (x, y) hits at the angle with (cos, sin).
// In double, like the CPU kernels' positions: a float position up to ~1.2 N columns keeps only
// ~1e-4 of a pixel for N = 2048, which shows in the interpolation weights.
TOMO_HD inline double detector_column(double x, double y, double cos_theta, double sin_theta, double axis) {
  return x * cos_theta + y * sin_theta + axis;
}

// Linear interpolation of one filtered projection row q[0..n) between columns i and i + 1, at
// weight w ∈ [0, 1) towards i + 1. Beyond the detector the projection is zero: the half pixel
// past each edge blends towards zero.
TOMO_HD inline float sample_linear_at(const float* q, int n, int i, float w) {
  if (i < -1 || i >= n) return 0.0f;
  const float left = i >= 0 ? q[i] : 0.0f;
  const float right = i + 1 < n ? q[i + 1] : 0.0f;
  return left + w * (right - left);
}

// sample_linear_at() at fractional column t.
TOMO_HD inline float sample_linear(const float* q, int n, float t) {
  const float floor_t = floorf(t);
  return sample_linear_at(q, n, static_cast<int>(floor_t), t - floor_t);
}

// Whether slice pixel (r, j) of an N × N slice lies inside the disc of radius ratio · N/2 about
// the slice centre (outside it, not every angle saw the pixel): the circular mask.
TOMO_HD inline bool inside_circular_mask(int r, int j, int n, float ratio) {
  const float half = 0.5f * static_cast<float>(n), radius = ratio * half;
  const float x = static_cast<float>(j) - half, y = half - static_cast<float>(r);
  return x * x + y * y <= radius * radius;
}

}  // namespace tomo
