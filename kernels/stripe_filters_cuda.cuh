#pragma once
// The CUDA stripe filters behind tomo::cuda::remove_rings (kernels/ring_removal.cu) and the
// building blocks they share: running medians of any width, a stable sort of every sinogram
// column, and column Fourier filters. Included by the ring-removal *.cu files only; every kernel
// is one call per thread (or warp) to a step of stripe_filter_gpu_steps.hpp.
#include <cstddef>
#include <memory>
#include <vector>

#include "kernels/cuda_support.cuh"
#include "kernels/ring_removal.hpp"
#include "kernels/stripe_filter_gpu_steps.hpp"

namespace tomo::cuda {

constexpr unsigned kThreadsPerBlock = 256;
constexpr unsigned kWarpSize = 32;

__device__ inline std::size_t thread_index() { return blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; }

// One thread per index below `count`, each running Step(buffers, index): a per-thread step of
// stripe_filter_gpu_steps.hpp on the device (the tests run the same steps on the CPU).
template <auto Step, class Buffers>
__global__ void for_each_index(Buffers buffers, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) Step(buffers, i);
}

// The value of rank `rank` among `count` values, selected by the calling warp together (every
// lane must call it with the same arguments): each lane counts its share, __reduce_add_sync
// (sm_80 and newer) sums the counts.
template <class Values>
__device__ float warp_select(const Values& values, int count, unsigned rank) {
  const int lane = static_cast<int>(threadIdx.x % kWarpSize);
  RadixSelection selection(rank);
  while (!selection.done())
    selection.advance(__reduce_add_sync(0xffffffffu, selection.count_zeros(values, count, lane, static_cast<int>(kWarpSize))));
  return selection.value();
}

// One filter for sinograms of one size: its tables on the device and its transforms planned once
// per remove_rings call; apply() then filters each round of slices.
class DeviceStripeFilter {
 public:
  virtual ~DeviceStripeFilter() = default;
  // Filters `slices` sinograms on the device, (slice, projection, column), in place.
  virtual void apply(float* sinograms, int slices) const = 0;
  // Device bytes apply() allocates per slice besides the sinograms, to size the rounds.
  virtual std::size_t scratch_bytes_per_slice() const = 0;
};

// rivers, boinhaibel, oimoen, sijberspostnov, raven, muenchetal (kernels/stripe_filters_stp.cu).
std::unique_ptr<DeviceStripeFilter> make_stp_stripe_filter(const RingFilter& filter, int projections, int columns);

// vo-sort, vo-filter, vo-large, vo-dead, vo-all, vo-fit (kernels/stripe_filters_vo.cu).
std::unique_ptr<DeviceStripeFilter> make_vo_stripe_filter(const RingFilter& filter, int projections, int columns);

// --- Shared building blocks (kernels/ring_removal.cu) ---

// A running median of `width` (odd) over every line of `slices` slices laid out as `layout`, a
// warp per output; `use` says what becomes of each median (stripe_filter_gpu_steps.hpp).
void running_median(const float* in, float* out, LineLayout layout, int slices, int width, Boundary boundary,
                    MedianUse use);

// Each column of `slices` sinograms sorted by value, stably (equal values keep their row order,
// as the CPU's sort of (value, row) pairs does): `sorted` and the rows they came from, `order`,
// both laid out (slice, column, rank).
void sort_columns(const float* sinograms, int slices, int projections, int columns, float* sorted, int* order);

// Bytes sort_columns allocates per slice (its copies of the columns and CUB's scratch, about).
std::size_t sort_scratch_bytes(int projections, int columns);

// Transforms along the columns of a rows × columns array (element r of column j at j + r ·
// columns), all columns of one array per call: cuFFT's advanced layout, stride `columns`,
// distance 1, the spectrum (rows / 2 + 1) × columns laid out alike.
class ColumnFftPlan {
 public:
  ColumnFftPlan(int rows, int columns, cufftType type);
  ColumnFftPlan(const ColumnFftPlan&) = delete;
  ColumnFftPlan& operator=(const ColumnFftPlan&) = delete;
  ~ColumnFftPlan() { cufftDestroy(plan_); }
  cufftHandle get() const { return plan_; }

 private:
  cufftHandle plan_ = 0;
};

// ColumnFourierFilter (column_fourier_filter.hpp) on the device: every column of each of a stack
// of rows × columns images filtered along the rows by `normalised_gain`
// (normalised_column_gains).
class DeviceColumnFilter {
 public:
  DeviceColumnFilter(int rows, int columns, const std::vector<float>& normalised_gain);
  // Filters `images` (image, row, column) in place.
  void apply(float* images, int count) const;
  std::size_t scratch_bytes_per_image() const;

 private:
  int rows_, columns_, bins_;
  DeviceBuffer<float> gain_;
  ColumnFftPlan forward_, backward_;
};

}  // namespace tomo::cuda
