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
TOMO_HD inline float detector_column(float x, float y, float cos_theta, float sin_theta, float axis) {
  return x * cos_theta + y * sin_theta + axis;
}

// Linear interpolation of one filtered projection row q[0..n) at fractional column t. Beyond
// the detector the projection is zero: the half pixel past each edge blends towards zero.
TOMO_HD inline float sample_linear(const float* q, int n, float t) {
  const float floor_t = floorf(t);
  const int i = static_cast<int>(floor_t);
  if (i < -1 || i >= n) return 0.0f;
  const float w = t - floor_t;
  const float left = i >= 0 ? q[i] : 0.0f;
  const float right = i + 1 < n ? q[i + 1] : 0.0f;
  return left + w * (right - left);
}

}  // namespace tomo
