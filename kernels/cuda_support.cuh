#pragma once
// What every CUDA source of the GPU path needs: status checks that throw tomo::Error, device
// memory and cuFFT plans owned RAII-style, and launch sizes. Included by *.cu files only.
#include <cuda_runtime.h>
#include <cufft.h>

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/error.hpp"

namespace tomo::cuda {

// fmt's compile-time format checks do not compile under nvcc, so messages here are built with
// std::string; they are still tomo::Error, the one error style.
[[noreturn]] inline void cuda_fail(const std::string& message) { throw Error(message); }

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) cuda_fail(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(status));
}
inline void check(cufftResult status, const char* what) {
  if (status != CUFFT_SUCCESS)
    cuda_fail(std::string("cuFFT: ") + what + " failed (error " + std::to_string(static_cast<int>(status)) + ")");
}

// Device memory owned like a std::vector: freed when the owner goes out of scope.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    check(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)), "cudaMalloc");
  }
  // A copy of `host` on the device.
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host.data()); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cudaFree(data_); }
  T* get() const { return data_; }
  std::size_t size() const { return count_; }
  void upload(const T* host) { upload(host, count_); }
  void upload(const T* host, std::size_t count) {
    check(cudaMemcpy(data_, host, count * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  void download(T* host) const { download(host, count_); }
  void download(T* host, std::size_t count) const {
    check(cudaMemcpy(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost), "download");
  }
  void zero() { check(cudaMemset(data_, 0, count_ * sizeof(T)), "cudaMemset"); }

 private:
  T* data_ = nullptr;
  std::size_t count_;
};

// A cuFFT plan of `batch` transforms of rank 1 or 2 (`sizes`), contiguous and packed.
class FftPlan {
 public:
  FftPlan(std::vector<int> sizes, int batch, cufftType type) {
    check(cufftPlanMany(&plan_, static_cast<int>(sizes.size()), sizes.data(), nullptr, 1, 0, nullptr, 1, 0, type, batch),
          "cufftPlanMany");
  }
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;
  ~FftPlan() { cufftDestroy(plan_); }
  cufftHandle get() const { return plan_; }

 private:
  cufftHandle plan_ = 0;
};

inline unsigned blocks_for(std::size_t count, unsigned threads) {
  return static_cast<unsigned>((count + threads - 1) / threads);
}

}  // namespace tomo::cuda
