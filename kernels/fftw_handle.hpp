#pragma once
// RAII owners for FFTW's single-precision plans and aligned buffers.
#include <fftw3.h>

#include <cstddef>
#include <memory>
#include <mutex>

namespace tomo::fftw {

struct PlanDeleter {
  void operator()(fftwf_plan_s* plan) const { fftwf_destroy_plan(plan); }
};
using Plan = std::unique_ptr<fftwf_plan_s, PlanDeleter>;

struct BufferDeleter {
  void operator()(void* p) const { fftwf_free(p); }
};
using RealBuffer = std::unique_ptr<float[], BufferDeleter>;
using ComplexBuffer = std::unique_ptr<fftwf_complex[], BufferDeleter>;

inline RealBuffer alloc_real(std::size_t n) { return RealBuffer(fftwf_alloc_real(n)); }
inline ComplexBuffer alloc_complex(std::size_t n) { return ComplexBuffer(fftwf_alloc_complex(n)); }

// FFTW's planner keeps process-wide state and is not thread-safe (executing plans is); every
// plan in tomoedge is made while holding this lock.
inline std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace tomo::fftw
