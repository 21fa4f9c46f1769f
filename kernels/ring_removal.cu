// Ring removal on the GPU (kernels/ring_removal_cuda.hpp): the sinograms go to the device a round
// of slices at a time, each method's filter (stripe_filters_stp.cu, stripe_filters_vo.cu) runs
// on the round, and they come back. Also here: the building blocks those filters share.
#include <cub/cub.cuh>

#include <algorithm>
#include <climits>
#include <string>

#include "kernels/ring_removal_cuda.hpp"
#include "kernels/stripe_filters_cuda.cuh"

namespace tomo::cuda {
namespace {

// Device memory a round may take, sinograms and scratch together (most methods need a few times
// the sinograms; Raven's padded transforms about eight times).
constexpr std::size_t kRoundBytes = std::size_t{1} << 30;

// The GPU runs every method with the parameters ring_removal.hpp lists for it (DIM 0, 1 or 2
// included). A RingFilter member set that the method's string has no field for is refused, naming
// the filter, rather than ignored: it is how an option added to the CPU filters since would
// arrive, and the GPU never runs a different filter from the one asked for.
bool runs_on_the_gpu(const RingFilter& f) {
  RingFilter known;
  known.method = f.method;
  switch (f.method) {
    case RingMethod::rivers:
    case RingMethod::boinhaibel: known.p1 = f.p1; break;
    case RingMethod::muenchetal:
    case RingMethod::raven:
    case RingMethod::oimoen:
    case RingMethod::sijberspostnov:
    case RingMethod::vo_sort:
    case RingMethod::vo_large:
    case RingMethod::vo_dead:
    case RingMethod::vo_fit: known.p1 = f.p1, known.p2 = f.p2; break;
    case RingMethod::vo_filter: known.p1 = f.p1, known.p2 = f.p2, known.p3 = f.p3; break;
    case RingMethod::vo_all: known.p1 = f.p1, known.p2 = f.p2, known.p3 = f.p3, known.p4 = f.p4; break;
    default: return false;
  }
  return known == f;
}

__global__ void running_median_kernel(const float* in, float* out, LineLayout layout, std::size_t outputs, int width,
                                      Boundary boundary, MedianUse use) {
  const std::size_t output = thread_index() / kWarpSize;
  if (output >= outputs) return;  // whole warps: the block size is a multiple of the warp
  const MedianWindow window = running_median_window(in, layout, width, boundary, output);
  const float median = warp_select(window, window.size, static_cast<unsigned>(window.size / 2));
  if (threadIdx.x % kWarpSize == 0) use_median(window, out, use, median);
}

__global__ void gather_columns_kernel(const float* sinograms, int projections, int columns, std::size_t count,
                                      float* keys, int* rows) {
  const std::size_t i = thread_index();
  if (i < count) vo_gather_columns_step(sinograms, projections, columns, keys, rows, i);
}

__global__ void column_gain_kernel(float* spectrum, const float* gain, int bins, int columns, std::size_t count) {
  const std::size_t i = thread_index();
  if (i < count) column_gain_step(spectrum, gain, bins, columns, i);
}

}  // namespace

void remove_rings(std::span<float> sinograms, int slices, int projections, int columns, const RingFilter& filter) {
  check_sinogram_stack(sinograms.size(), slices, projections, columns);
  check_ring_filter(filter);
  if (filter.method == RingMethod::none || slices == 0) return;
  if (!runs_on_the_gpu(filter))
    cuda_fail("CUDA ring removal: '" + tomo::to_string(filter) +
              "' is not available on the GPU (it runs every method with the parameters of ring_removal.hpp, and this "
              "filter sets a parameter its method does not have); remove the rings on the CPU");
  const bool vo = filter.method == RingMethod::vo_sort || filter.method == RingMethod::vo_filter ||
                  filter.method == RingMethod::vo_large || filter.method == RingMethod::vo_dead ||
                  filter.method == RingMethod::vo_all || filter.method == RingMethod::vo_fit;
  const auto device_filter =
      vo ? make_vo_stripe_filter(filter, projections, columns) : make_stp_stripe_filter(filter, projections, columns);
  const std::size_t slice_values = static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns);
  const std::size_t slice_bytes = slice_values * sizeof(float) + device_filter->scratch_bytes_per_slice();
  const int round = static_cast<int>(std::clamp<std::size_t>(kRoundBytes / slice_bytes, 1, static_cast<std::size_t>(slices)));
  DeviceBuffer<float> values(static_cast<std::size_t>(round) * slice_values);
  for (int first = 0; first < slices; first += round) {
    const int count = std::min(round, slices - first);
    const std::size_t offset = static_cast<std::size_t>(first) * slice_values, size = static_cast<std::size_t>(count) * slice_values;
    values.upload(sinograms.data() + offset, size);
    device_filter->apply(values.get(), count);
    check(cudaGetLastError(), "ring removal kernels");
    values.download(sinograms.data() + offset, size);
  }
}

void running_median(const float* in, float* out, LineLayout layout, int slices, int width, Boundary boundary,
                    MedianUse use) {
  const std::size_t outputs = static_cast<std::size_t>(slices) * static_cast<std::size_t>(layout.lines) *
                              static_cast<std::size_t>(layout.length);
  if (outputs == 0) return;
  running_median_kernel<<<blocks_for(outputs * kWarpSize, kThreadsPerBlock), kThreadsPerBlock>>>(in, out, layout, outputs,
                                                                                                   width, boundary, use);
  check(cudaGetLastError(), "running median kernel");
}

std::size_t sort_scratch_bytes(int projections, int columns) {
  // The gathered keys and rows, and CUB's buffers of about as much again.
  return 4 * static_cast<std::size_t>(projections) * static_cast<std::size_t>(columns) * sizeof(float);
}

void sort_columns(const float* sinograms, int slices, int projections, int columns, float* sorted, int* order) {
  const std::size_t count = static_cast<std::size_t>(slices) * static_cast<std::size_t>(projections) *
                            static_cast<std::size_t>(columns);
  if (count == 0) return;
  // CUB's segment offsets are ints here; a round holds at most kRoundBytes of sinograms.
  if (count > static_cast<std::size_t>(INT_MAX))
    cuda_fail("CUDA ring removal: " + std::to_string(count) + " values are too many to sort in one round");
  const int segments = slices * columns;
  std::vector<int> offsets(static_cast<std::size_t>(segments) + 1);
  for (std::size_t s = 0; s < offsets.size(); ++s) offsets[s] = static_cast<int>(s) * projections;
  DeviceBuffer<int> segment_offsets(offsets), rows(count);
  DeviceBuffer<float> keys(count);
  gather_columns_kernel<<<blocks_for(count, kThreadsPerBlock), kThreadsPerBlock>>>(sinograms, projections, columns, count,
                                                                                   keys.get(), rows.get());
  check(cudaGetLastError(), "column gathering kernel");
  std::size_t scratch_bytes = 0;
  check(cub::DeviceSegmentedSort::StableSortPairs(nullptr, scratch_bytes, keys.get(), sorted, rows.get(), order,
                                                  static_cast<long long>(count), segments, segment_offsets.get(),
                                                  segment_offsets.get() + 1),
        "CUB segmented sort (sizing)");
  DeviceBuffer<unsigned char> scratch(std::max<std::size_t>(scratch_bytes, 1));
  check(cub::DeviceSegmentedSort::StableSortPairs(scratch.get(), scratch_bytes, keys.get(), sorted, rows.get(), order,
                                                  static_cast<long long>(count), segments, segment_offsets.get(),
                                                  segment_offsets.get() + 1),
        "CUB segmented sort of the sinogram columns");
}

ColumnFftPlan::ColumnFftPlan(int rows, int columns, cufftType type) {
  int length = rows, real_embed = rows, complex_embed = rows / 2 + 1;
  // Non-null embeddings switch on the advanced layout; for rank 1 only the strides and distances count.
  int* in_embed = type == CUFFT_R2C ? &real_embed : &complex_embed;
  int* out_embed = type == CUFFT_R2C ? &complex_embed : &real_embed;
  check(cufftPlanMany(&plan_, 1, &length, in_embed, columns, 1, out_embed, columns, 1, type, columns),
        "cufftPlanMany (column transforms)");
}

DeviceColumnFilter::DeviceColumnFilter(int rows, int columns, const std::vector<float>& normalised_gain)
    : rows_(rows),
      columns_(columns),
      bins_(rows / 2 + 1),
      gain_(normalised_gain),
      forward_(rows, columns, CUFFT_R2C),
      backward_(rows, columns, CUFFT_C2R) {
  if (normalised_gain.size() != static_cast<std::size_t>(bins_))
    cuda_fail("CUDA column filter: " + std::to_string(normalised_gain.size()) + " gains for " + std::to_string(bins_) +
              " frequencies");
}

std::size_t DeviceColumnFilter::scratch_bytes_per_image() const {
  return static_cast<std::size_t>(bins_) * static_cast<std::size_t>(columns_) * sizeof(cufftComplex);
}

void DeviceColumnFilter::apply(float* images, int count) const {
  const std::size_t image = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(columns_);
  const std::size_t spectrum_image = static_cast<std::size_t>(bins_) * static_cast<std::size_t>(columns_);
  DeviceBuffer<cufftComplex> spectrum(static_cast<std::size_t>(count) * spectrum_image);
  for (int k = 0; k < count; ++k)
    check(cufftExecR2C(forward_.get(), images + static_cast<std::size_t>(k) * image, spectrum.get() + k * spectrum_image),
          "column transforms");
  const std::size_t bins = static_cast<std::size_t>(count) * spectrum_image;
  column_gain_kernel<<<blocks_for(bins, kThreadsPerBlock), kThreadsPerBlock>>>(reinterpret_cast<float*>(spectrum.get()),
                                                                               gain_.get(), bins_, columns_, bins);
  check(cudaGetLastError(), "column gain kernel");
  for (int k = 0; k < count; ++k)
    check(cufftExecC2R(backward_.get(), spectrum.get() + k * spectrum_image, images + static_cast<std::size_t>(k) * image),
          "inverse column transforms");
}

}  // namespace tomo::cuda
