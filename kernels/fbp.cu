// CUDA kernels of the reconstruction. The per-element math is the CPU's (the *_math.hpp
// headers); this file only moves data and launches threads.
#include <cuda_runtime.h>
#include <cufft.h>

#include <cstdint>
#include <string>
#include <numbers>
#include <vector>

#include "kernels/backprojection_math.hpp"
#include "kernels/correction_math.hpp"
#include "kernels/error.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/ramp_filter.hpp"

namespace tomo::cuda {
namespace {

// fmt's compile-time format checks do not compile under nvcc, so messages here are built with
// std::string; they are still tomo::Error, the one error style.
[[noreturn]] void cuda_fail(const std::string& message) { throw Error(message); }

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) cuda_fail(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(status));
}
void check(cufftResult status, const char* what) {
  if (status != CUFFT_SUCCESS) cuda_fail(std::string("cuFFT: ") + what + " failed (error " + std::to_string(static_cast<int>(status)) + ")");
}

// Device memory owned like a std::vector: freed when the owner goes out of scope.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    check(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)), "cudaMalloc");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cudaFree(data_); }
  T* get() const { return data_; }
  void upload(const T* host) { check(cudaMemcpy(data_, host, count_ * sizeof(T), cudaMemcpyHostToDevice), "upload"); }
  void download(T* host) const { check(cudaMemcpy(host, data_, count_ * sizeof(T), cudaMemcpyDeviceToHost), "download"); }

 private:
  T* data_ = nullptr;
  std::size_t count_;
};

class FftPlan {
 public:
  FftPlan(int length, int batch, cufftType type) {
    check(cufftPlanMany(&plan_, 1, &length, nullptr, 1, 0, nullptr, 1, 0, type, batch), "cufftPlanMany");
  }
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;
  ~FftPlan() { cufftDestroy(plan_); }
  cufftHandle get() const { return plan_; }

 private:
  cufftHandle plan_ = 0;
};

__global__ void correction_kernel(float* values, const float* dark, const float* inverse_gain, std::size_t lines,
                                  int projections, int columns, bool minus_log, TransmissionBounds bounds,
                                  unsigned long long* clamped) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= lines * columns) return;
  const std::size_t line = i / columns, row = line / projections, column = i % columns;
  const std::size_t pixel = row * columns + column;
  if (minus_log) {
    bool was_clamped = false;
    values[i] = line_integral(values[i], dark[pixel], inverse_gain[pixel], bounds, &was_clamped);
    if (was_clamped) atomicAdd(clamped, 1ull);
  } else {
    values[i] = flat_corrected(values[i], dark[pixel], inverse_gain[pixel]);
  }
}

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

// One thread per slice pixel; the projections of that slice are summed in order, as on the CPU.
__global__ void backprojection_kernel(const float* filtered, int slices, int projections, int columns, int length,
                                      const float* cosines, const float* sines, float axis, float scale, bool mask,
                                      float mask_radius, float* out) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  const int r = blockIdx.y * blockDim.y + threadIdx.y;
  const int slice = blockIdx.z;
  if (j >= columns || r >= columns || slice >= slices) return;
  const float half = 0.5f * columns;
  const float x = j - half, y = half - r;
  float sum = 0.0f;
  if (!mask || x * x + y * y <= mask_radius * mask_radius) {
    for (int p = 0; p < projections; ++p) {
      const float* q = filtered + (static_cast<std::size_t>(slice) * projections + p) * length;
      sum += sample_linear(q, columns, detector_column(x, y, cosines[p], sines[p], axis));
    }
  }
  out[(static_cast<std::size_t>(slice) * columns + r) * columns + j] = scale * sum;
}

unsigned blocks_for(std::size_t count, unsigned threads) { return static_cast<unsigned>((count + threads - 1) / threads); }

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

std::int64_t correct_projections(std::span<float> sinograms, int projections, const FlatField& flat_field,
                                 bool minus_log, TransmissionBounds bounds) {
  const std::size_t lines = static_cast<std::size_t>(flat_field.rows) * projections;
  const std::size_t count = lines * flat_field.columns;
  if (sinograms.size() != count) cuda_fail("CUDA correction: the sinogram size does not match the flat field");
  DeviceBuffer<float> values(count), dark(flat_field.dark.size()), gain(flat_field.inverse_gain.size());
  DeviceBuffer<unsigned long long> clamped(1);
  values.upload(sinograms.data());
  dark.upload(flat_field.dark.data());
  gain.upload(flat_field.inverse_gain.data());
  check(cudaMemset(clamped.get(), 0, sizeof(unsigned long long)), "cudaMemset");
  correction_kernel<<<blocks_for(count, 256), 256>>>(values.get(), dark.get(), gain.get(), lines, projections,
                                                     flat_field.columns, minus_log, bounds, clamped.get());
  check(cudaGetLastError(), "correction kernel");
  values.download(sinograms.data());
  unsigned long long clamped_count = 0;
  clamped.download(&clamped_count);
  return static_cast<std::int64_t>(clamped_count);
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
  std::vector<float> cosines(projections), sines(projections);
  for (int p = 0; p < projections; ++p) {
    cosines[p] = std::cos(g.angles_rad[p]);
    sines[p] = std::sin(g.angles_rad[p]);
  }
  DeviceBuffer<float> rows(lines * n), padded(lines * length), filter(response.size()), cos_d(projections), sin_d(projections);
  DeviceBuffer<cufftComplex> spectrum(lines * bins);
  DeviceBuffer<float> slices_d(static_cast<std::size_t>(slices) * n * n);
  rows.upload(sinograms.data());
  filter.upload(response.data());
  cos_d.upload(cosines.data());
  sin_d.upload(sines.data());

  pad_kernel<<<blocks_for(lines * length, 256), 256>>>(rows.get(), padded.get(), lines, n, length);
  check(cudaGetLastError(), "padding kernel");
  FftPlan forward(length, static_cast<int>(lines), CUFFT_R2C), backward(length, static_cast<int>(lines), CUFFT_C2R);
  check(cufftExecR2C(forward.get(), padded.get(), spectrum.get()), "forward transform");
  multiply_kernel<<<blocks_for(lines * bins, 256), 256>>>(spectrum.get(), filter.get(), lines, bins);
  check(cudaGetLastError(), "filter kernel");
  check(cufftExecC2R(backward.get(), spectrum.get(), padded.get()), "inverse transform");

  const dim3 block(16, 16), grid((n + 15) / 16, (n + 15) / 16, slices);
  const float scale = fbp_weight(projections) * settings.value_scale;
  backprojection_kernel<<<grid, block>>>(padded.get(), slices, projections, n, length, cos_d.get(), sin_d.get(), g.axis,
                                         scale, settings.circular_mask, settings.mask_ratio * 0.5f * n, slices_d.get());
  check(cudaGetLastError(), "backprojection kernel");
  check(cudaDeviceSynchronize(), "reconstruction");
  slices_d.download(out.data());
}

}  // namespace tomo::cuda
