#pragma once
// Transform lengths FFTW handles fast: products of 2, 3, 5 and 7 only. Padding to the next such
// length instead of the next power of two saves up to half the work (2N = 2600 pads to 2688
// rather than 4096) at no loss of accuracy.

namespace tomo {

// The smallest 2^a 3^b 5^c 7^d that is ≥ minimum (and ≥ 1).
inline int smooth_fft_length(int minimum) {
  for (int n = minimum < 1 ? 1 : minimum;; ++n) {
    int rest = n;
    for (const int factor : {2, 3, 5, 7})
      while (rest % factor == 0) rest /= factor;
    if (rest == 1) return n;
  }
}

}  // namespace tomo
