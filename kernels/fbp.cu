// CUDA kernels of the reconstruction. The per-element math is the CPU's (the *_math.hpp
// headers); this file only moves data and launches threads.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/backprojection_math.hpp"
#include "kernels/cuda_support.cuh"
#include "kernels/fbp_cuda.hpp"
#include "kernels/ramp_filter.hpp"

namespace tomo::cuda {
namespace {

// Copies each detector row into its zero-padded transform line.
__global__ void pad_kernel(const float* rows, float* padded, std::size_t lines, int columns, int length) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= lines * length) return;
  const std::size_t line = i / length, k = i % length;
  padded[i] = k < static_cast<std::size_t>(columns) ? rows[line * columns + k] : 0.0f;
}

__global__ void multiply_kernel(cufftComplex* spectrum, const float* response, std::size_t lines, int bins) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= lines * bins) return;
  const float h = response[i % bins];
  spectrum[i].x *= h;
  spectrum[i].y *= h;
}

// Slices one thread backprojects together: they share each pixel's position, floor and weight
// at every angle (the CPU's multi-slice kernel shares them over 16 SIMD lanes the same way).
constexpr int kSlicesPerThread = 4;

// One thread per slice pixel and group of kSlicesPerThread slices; the projections are summed in
// order, as on the CPU, from positions in double like the CPU's.
__global__ void backprojection_kernel(const float* filtered, int slices, int projections, int columns, int length,
                                      const double* cosines, const double* sines, double axis, float scale,
                                      bool mask, float mask_ratio, float* out) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  const int r = blockIdx.y * blockDim.y + threadIdx.y;
  const int first = blockIdx.z * kSlicesPerThread;
  if (j >= columns || r >= columns) return;
  const int count = min(kSlicesPerThread, slices - first);
  float sums[kSlicesPerThread] = {};
  if (!mask || inside_circular_mask(r, j, columns, mask_ratio)) {
    const double half = 0.5 * columns, x = j - half, y = half - r;
    const std::size_t slice_stride = static_cast<std::size_t>(projections) * length;
    const float* q = filtered + first * slice_stride;
    for (int p = 0; p < projections; ++p, q += length) {
      const double t = detector_column(x, y, cosines[p], sines[p], axis);
      const double floor_t = floor(t);
      const int i = static_cast<int>(floor_t);
      const float w = static_cast<float>(t - floor_t);
#pragma unroll
      for (int s = 0; s < kSlicesPerThread; ++s)
        if (s < count) sums[s] += sample_linear_at(q + s * slice_stride, columns, i, w);
    }
  }
  for (int s = 0; s < count; ++s)
    out[(static_cast<std::size_t>(first + s) * columns + r) * columns + j] = scale * sums[s];
}

}  // namespace

bool device_available(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {  // e.g. no driver: "CUDA driver version is insufficient"
    if (why) *why = cudaGetErrorString(status);
    return false;
  }
  if (count == 0) {
    if (why) *why = "no CUDA device";
    return false;
  }
  return true;
}

std::vector<DeviceInfo> devices() {
  std::vector<DeviceInfo> found;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return found;
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, d) != cudaSuccess) continue;
    found.push_back({properties.name, static_cast<std::int64_t>(properties.totalGlobalMem)});
  }
  return found;
}

void reconstruct(const FbpSettings& settings, std::span<const float> sinograms, int slices, std::span<float> out) {
  const auto& g = settings.geometry;
  const int n = g.columns, projections = static_cast<int>(g.angles_rad.size());
  const int length = padded_length(n), bins = length / 2 + 1;
  const std::size_t lines = static_cast<std::size_t>(slices) * projections;
  if (sinograms.size() != lines * n || out.size() != static_cast<std::size_t>(slices) * n * n)
    cuda_fail("CUDA reconstruction: buffer sizes do not match " + std::to_string(slices) + " slices x " +
              std::to_string(projections) + " projections x " + std::to_string(n) + " columns");

  const auto response = ramp_response(length, settings.filter, settings.filter_cutoff);
  // Of the float angles, in double, like the CPU kernels.
  std::vector<double> cosines(projections), sines(projections);
  for (int p = 0; p < projections; ++p) {
    cosines[p] = std::cos(static_cast<double>(g.angles_rad[p]));
    sines[p] = std::sin(static_cast<double>(g.angles_rad[p]));
  }
  DeviceBuffer<float> rows(lines * n), padded(lines * length), filter(response);
  DeviceBuffer<double> cos_d(cosines), sin_d(sines);
  DeviceBuffer<cufftComplex> spectrum(lines * bins);
  DeviceBuffer<float> slices_d(static_cast<std::size_t>(slices) * n * n);
  rows.upload(sinograms.data());

  pad_kernel<<<blocks_for(lines * length, 256), 256>>>(rows.get(), padded.get(), lines, n, length);
  check(cudaGetLastError(), "padding kernel");
  FftPlan forward({length}, static_cast<int>(lines), CUFFT_R2C), backward({length}, static_cast<int>(lines), CUFFT_C2R);
  check(cufftExecR2C(forward.get(), padded.get(), spectrum.get()), "forward transform");
  multiply_kernel<<<blocks_for(lines * bins, 256), 256>>>(spectrum.get(), filter.get(), lines, bins);
  check(cudaGetLastError(), "filter kernel");
  check(cufftExecC2R(backward.get(), spectrum.get(), padded.get()), "inverse transform");

  const dim3 block(16, 16), grid((n + 15) / 16, (n + 15) / 16, (slices + kSlicesPerThread - 1) / kSlicesPerThread);
  const float scale = fbp_weight(projections) * settings.value_scale;
  backprojection_kernel<<<grid, block>>>(padded.get(), slices, projections, n, length, cos_d.get(), sin_d.get(), g.axis,
                                         scale, settings.circular_mask, settings.mask_ratio, slices_d.get());
  check(cudaGetLastError(), "backprojection kernel");
  check(cudaDeviceSynchronize(), "reconstruction");
  slices_d.download(out.data());
}

}  // namespace tomo::cuda
