// Without nvcc at build time there are no CUDA kernels: the GPU path reports why and the CPU
// path runs. (With CUDA, fbp.cu and gridrec.cu define these functions and this file is not built.)
#ifndef TOMO_HAVE_CUDA
#include "kernels/error.hpp"
#include "kernels/fbp_cuda.hpp"

namespace tomo::cuda {

bool device_available(std::string* why) {
  if (why) *why = "this build of tomoedge has no CUDA kernels (nvcc was not found at build time)";
  return false;
}

std::int64_t correct_projections(std::span<float>, int, const FlatField&, bool, TransmissionBounds) {
  fail("this build of tomoedge has no CUDA kernels");
}

void reconstruct(const FbpSettings&, std::span<const float>, int, std::span<float>) {
  fail("this build of tomoedge has no CUDA kernels");
}

void reconstruct_gridrec(const GridrecReconstructor&, std::span<const float>, int, std::span<float>) {
  fail("this build of tomoedge has no CUDA kernels");
}

}  // namespace tomo::cuda
#endif
