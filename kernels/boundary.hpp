#pragma once
// How filters read past the ends of a line of samples (a detector row, a sinogram column).
#include <cstddef>

#include "kernels/host_device.hpp"

namespace tomo {

enum class Boundary {
  nearest,  // repeat the end sample: a a a | a b c (STP's _medfilt)
  mirror,   // reflect about the end, repeating it: c b a | a b c (numpy's and PyWavelets' 'symmetric')
};

// Index into [0, n) for a position i that may lie any distance outside it (n > 0). Also called
// by the CUDA stripe filters (kernels/stripe_filter_gpu_steps.hpp).
TOMO_HD inline std::size_t boundary_index(std::ptrdiff_t i, std::size_t n, Boundary boundary) {
  const auto size = static_cast<std::ptrdiff_t>(n);
  if (i >= 0 && i < size) return static_cast<std::size_t>(i);
  if (boundary == Boundary::nearest) return i < 0 ? 0 : n - 1;
  // The mirrored line repeats with period 2n: fold i into one period, then reflect.
  const std::ptrdiff_t period = 2 * size;
  std::ptrdiff_t j = i % period;
  if (j < 0) j += period;
  return static_cast<std::size_t>(j < size ? j : period - 1 - j);
}

}  // namespace tomo
