#pragma once
// The GPU path of the reconstruction: ramp filter with cuFFT, backprojection, and gridrec
// (kernels/gridrec.cu); the corrections before it are in preprocessing_cuda.hpp. Same contracts as the CPU functions (flat_field.hpp, fbp.hpp) and the same
// per-element math (correction_math.hpp, ramp_filter_math.hpp, backprojection_math.hpp), so
// the CPU tests check the arithmetic the GPU runs. Built only when nvcc was found.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/flat_field.hpp"
#include "kernels/gridrec.hpp"

namespace tomo::cuda {

// True when this build has CUDA kernels and a usable device; otherwise `why` says what is
// missing (no CUDA in this build, no driver, no device).
bool device_available(std::string* why);

// The CUDA devices this process can use (none without CUDA in this build, a driver or a device):
// what the service shows of a worker.
struct DeviceInfo {
  std::string name;
  std::int64_t memory_bytes = 0;
};
std::vector<DeviceInfo> devices();

// As FbpReconstructor::reconstruct, on the GPU (the sinograms are left unfiltered on the host).
void reconstruct(const FbpSettings& settings, std::span<const float> sinograms, int slices, std::span<float> out);

// As cpu.reconstruct(sinograms, slices, out), on the GPU, from the CPU reconstructor's tables
// (made once per scan, used for every slab).
void reconstruct_gridrec(const GridrecReconstructor& cpu, std::span<const float> sinograms, int slices,
                         std::span<float> out);

}  // namespace tomo::cuda
