#pragma once
// Apodisation windows of the FBP ramp filter (shared by CPU and CUDA).
#include <math.h>

#include "kernels/host_device.hpp"

namespace tomo {

enum class FilterWindow { ram_lak, shepp_logan, cosine, hamming, hann, parzen };

// Window value at `nu`, the frequency as a fraction of Nyquist (0 = DC, 1 = Nyquist), for a
// cut-off `cutoff` in (0, 1]: the window is stretched to end at the cut-off, zero beyond it.
// Shapes as in TomoPy / scikit-image.
TOMO_HD inline float filter_window(FilterWindow window, float nu, float cutoff) {
  const float pi = 3.14159265358979f;
  const float x = nu / cutoff;
  if (x > 1.0f) return 0.0f;
  switch (window) {
    case FilterWindow::ram_lak: return 1.0f;
    case FilterWindow::shepp_logan: return x > 0 ? sinf(0.5f * pi * x) / (0.5f * pi * x) : 1.0f;
    case FilterWindow::cosine: return cosf(0.5f * pi * x);
    case FilterWindow::hamming: return 0.54f + 0.46f * cosf(pi * x);
    case FilterWindow::hann: return 0.5f + 0.5f * cosf(pi * x);
    case FilterWindow::parzen:  // cubic B-spline: 1 - 6x²(1-x) up to x = 1/2, then 2(1-x)³
      return x <= 0.5f ? 1.0f - 6.0f * x * x * (1.0f - x) : 2.0f * (1.0f - x) * (1.0f - x) * (1.0f - x);
  }
  return 1.0f;
}

}  // namespace tomo
