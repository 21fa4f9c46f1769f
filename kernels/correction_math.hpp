#pragma once
// Flat/dark correction and the Beer–Lambert log, per detector pixel (shared by CPU and CUDA).
#include <math.h>

#include "kernels/host_device.hpp"

namespace tomo {

// Transmission I/I0 outside [min, 1/min] is clamped before the log: a pixel at or below the
// dark level (or NaN/Inf from a broken frame) would otherwise give +inf or NaN and spread
// through the whole slice in the backprojection.
struct TransmissionBounds {
  float min = 1e-4f;
  float max = 1e4f;
};

// Beer–Lambert: I = I0 exp(-∫μ ds), so the line integral is -log((raw - dark) / (flat - dark)).
// `inverse_gain` is 1 / (flat - dark), prepared once per pixel. Returns the line integral;
// sets *clamped when the transmission had to be clamped (NaN counts as clamped).
TOMO_HD inline float line_integral(float raw, float dark, float inverse_gain, TransmissionBounds bounds,
                                   bool* clamped) {
  float transmission = (raw - dark) * inverse_gain;
  *clamped = false;
  if (!(transmission >= bounds.min)) {  // also catches NaN
    transmission = bounds.min;
    *clamped = true;
  } else if (transmission > bounds.max) {
    transmission = bounds.max;
    *clamped = true;
  }
  return -logf(transmission);
}

// Flat/dark correction without the log (for data reconstructed as transmission).
TOMO_HD inline float flat_corrected(float raw, float dark, float inverse_gain) {
  return (raw - dark) * inverse_gain;
}

}  // namespace tomo
