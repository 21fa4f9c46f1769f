// Without nvcc at build time there are no CUDA kernels: the GPU path reports why and the CPU
// path runs. (With CUDA, the *.cu files define these functions and this file's body is not built.)
#ifndef TOMO_HAVE_CUDA
#include "kernels/error.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/preprocessing_cuda.hpp"
#include "kernels/ring_removal_cuda.hpp"

namespace tomo::cuda {

bool device_available(std::string* why) {
  if (why) *why = "this build of tomoedge has no CUDA kernels (nvcc was not found at build time)";
  return false;
}

std::vector<DeviceInfo> devices() { return {}; }

CorrectionCounts correct_projections(std::span<float>, int, const FlatField&, const CorrectionOptions&) {
  fail("this build of tomoedge has no CUDA kernels");
}

void reconstruct(const FbpSettings&, std::span<const float>, int, std::span<float>) {
  fail("this build of tomoedge has no CUDA kernels");
}

void reconstruct_gridrec(const GridrecReconstructor&, std::span<const float>, int, std::span<float>) {
  fail("this build of tomoedge has no CUDA kernels");
}

std::int64_t remove_zingers(std::span<float>, int, int, int, float) { fail("this build of tomoedge has no CUDA kernels"); }

std::vector<float> bin_pixels(std::span<const float>, int, int, int, int) { fail("this build of tomoedge has no CUDA kernels"); }

std::vector<float> stitch_half_acquisition(std::span<const float>, int, int, int, double, const StitchOptions&) {
  fail("this build of tomoedge has no CUDA kernels");
}

std::int64_t retrieve_phase(const PhaseRetriever&, std::span<float>, int) { fail("this build of tomoedge has no CUDA kernels"); }

void remove_rings(std::span<float>, int, int, int, const RingFilter&) { fail("this build of tomoedge has no CUDA kernels"); }

}  // namespace tomo::cuda
#endif
