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

// Flat/dark correction: the transmission I/I0 = (raw − dark) / (flat − dark), with
// `inverse_gain` = 1 / (flat − dark) prepared once per pixel.
TOMO_HD inline float flat_corrected(float raw, float dark, float inverse_gain) {
  return (raw - dark) * inverse_gain;
}

// The Beer–Lambert log of a transmission, I = I0 exp(−∫μ ds): the line integral −log(I/I0),
// the transmission clamped to `bounds` first. Sets *clamped when it was (NaN counts as clamped).
TOMO_HD inline float clamped_minus_log(float transmission, TransmissionBounds bounds, bool* clamped) {
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

// Both: the line integral −log((raw − dark) / (flat − dark)).
TOMO_HD inline float line_integral(float raw, float dark, float inverse_gain, TransmissionBounds bounds,
                                   bool* clamped) {
  return clamped_minus_log(flat_corrected(raw, dark, inverse_gain), bounds, clamped);
}

// 1 / (flat − dark) for flats interpolated between those taken before (g0 = 1 / (F0 − D)) and
// after (g1) the scan with weight w of the latter: the beam and the detector drift smoothly, so
// the flat a projection saw is (1 − w)(F0 − D) + w(F1 − D). w = 0 and w = 1 give g0 and g1
// exactly (STP's half-half mode uses only those).
TOMO_HD inline float blended_inverse_gain(float g0, float g1, float w) {
  if (w == 0.0f) return g0;
  if (w == 1.0f) return g1;
  return 1.0f / ((1.0f - w) / g0 + w / g1);
}

}  // namespace tomo
