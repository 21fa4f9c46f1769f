// CUDA versions of preprocessing steps (kernels/preprocessing_cuda.hpp): one thread per output
// value, each a call to the per-element math the CPU kernels use.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/correction_math.hpp"
#include "kernels/cuda_support.cuh"
#include "kernels/half_acquisition.hpp"
#include "kernels/preprocessing_cuda.hpp"
#include "kernels/preprocessing_math.hpp"

namespace tomo::cuda {
namespace {

// One thread per value of (row, projection, column); line −1 mirrors line 1, the line after
// the last mirrors the one before it (as on the CPU). Reads `in`, writes `out`: no thread sees
// another's replacement, which the CPU's order of updates also guarantees.
__global__ void zinger_kernel(const float* in, float* out, int rows, int projections, int columns, float threshold,
                              unsigned long long* replaced) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  const std::size_t n = columns, p = projections;
  if (i >= static_cast<std::size_t>(rows) * p * n) return;
  const std::size_t c = i % n, line = i / n, projection = line % p, row = line / p;
  const std::size_t before = projection > 0 ? projection - 1 : 1;
  const std::size_t after = projection + 1 < p ? projection + 1 : p - 2;
  const float* sinogram = in + row * p * n;
  bool was_replaced = false;
  out[i] = zinger_filtered(sinogram[before * n + c], in[i], sinogram[after * n + c], threshold, &was_replaced);
  if (was_replaced) atomicAdd(replaced, 1ull);
}

// One thread per stitched value of (row, pair, stitched column), as the CPU's loop.
__global__ void stitch_kernel(const float* in, float* out, int rows, int projections, int columns, double a, int left,
                              int width, bool mirrored) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  const std::size_t half = projections / 2, w = width, n = columns;
  if (i >= static_cast<std::size_t>(rows) * half * w) return;
  const int written = static_cast<int>(i % w), k = mirrored ? width - 1 - written : written;
  const std::size_t item = i / w, row = item / half, pair = item % half;
  out[i] = stitched_value(in + (row * projections + pair) * n, in + (row * projections + pair + half) * n, columns, a, left, k,
                          mirrored);
}

// Gathers projection `projection` of the band (row, projection, column) into its padded image.
__global__ void pad_kernel(const float* sinograms, float* padded, int rows, int projections, int columns, int top,
                           int left, int padded_rows, int padded_columns, int projection) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= static_cast<std::size_t>(padded_rows) * padded_columns) return;
  const int r = static_cast<int>(i / padded_columns), c = static_cast<int>(i % padded_columns);
  // The projection's rows are `projections` lines apart in the band.
  padded[i] = edge_padded(sinograms + static_cast<std::size_t>(projection) * columns, rows, columns,
                          static_cast<long long>(projections) * columns, top, left, r, c);
}

__global__ void filter_kernel(cufftComplex* spectrum, const float* response, std::size_t bins) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= bins) return;
  spectrum[i].x *= response[i];
  spectrum[i].y *= response[i];
}

// The retrieved band back into the slab, as line integrals (the flat-field correction's clamp).
__global__ void crop_log_kernel(const float* padded, float* sinograms, int rows, int projections, int columns, int top,
                                int left, int padded_columns, int projection, unsigned long long* clamped) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= static_cast<std::size_t>(rows) * columns) return;
  const int r = static_cast<int>(i / columns), c = static_cast<int>(i % columns);
  bool was_clamped = false;
  const float transmission = padded[static_cast<std::size_t>(r + top) * padded_columns + c + left];
  sinograms[(static_cast<std::size_t>(r) * projections + projection) * columns + c] =
      clamped_minus_log(transmission, TransmissionBounds{}, &was_clamped);
  if (was_clamped) atomicAdd(clamped, 1ull);
}

}  // namespace

std::int64_t remove_zingers(std::span<float> sinograms, int rows, int projections, int columns, float threshold) {
  const std::size_t count = static_cast<std::size_t>(rows) * projections * columns;
  if (sinograms.size() != count) cuda_fail("CUDA zinger removal: the sizes do not match");
  if (!(threshold > 0.0f)) cuda_fail("zinger threshold must be positive");
  if (projections < 2 || count == 0) return 0;
  DeviceBuffer<float> in(count), out(count);
  DeviceBuffer<unsigned long long> replaced(1);
  in.upload(sinograms.data());
  replaced.zero();
  zinger_kernel<<<blocks_for(count, 256), 256>>>(in.get(), out.get(), rows, projections, columns, threshold, replaced.get());
  check(cudaGetLastError(), "zinger kernel");
  out.download(sinograms.data());
  unsigned long long total = 0;
  replaced.download(&total);
  return static_cast<std::int64_t>(total);
}

std::vector<float> stitch_half_acquisition(std::span<const float> sinograms, int rows, int projections, int columns,
                                           double axis) {
  if (projections < 2 || projections % 2 != 0) cuda_fail("half acquisition needs an even number of projections");
  const std::size_t count = static_cast<std::size_t>(rows) * projections * columns;
  if (sinograms.size() != count) cuda_fail("CUDA stitching: the sizes do not match");
  const StitchedGeometry g = stitched_geometry(columns, axis);
  const double a = g.axis_left ? axis : columns - 1 - axis;
  const std::size_t out_count = static_cast<std::size_t>(rows) * (projections / 2) * g.width;
  DeviceBuffer<float> in(count), out(out_count);
  in.upload(sinograms.data());
  stitch_kernel<<<blocks_for(out_count, 256), 256>>>(in.get(), out.get(), rows, projections, columns, a,
                                                     g.width - columns, g.width, !g.axis_left);
  check(cudaGetLastError(), "stitching kernel");
  std::vector<float> result(out_count);
  out.download(result.data());
  return result;
}

std::int64_t retrieve_phase(const PhaseRetriever& retriever, std::span<float> sinograms, int projections) {
  const int rows = retriever.rows(), columns = retriever.columns();
  const int pr = retriever.padded_rows(), pc = retriever.padded_columns();
  const std::size_t count = static_cast<std::size_t>(rows) * projections * columns;
  if (sinograms.size() != count) cuda_fail("CUDA phase retrieval: the sizes do not match");
  const std::size_t padded = static_cast<std::size_t>(pr) * pc, bins = static_cast<std::size_t>(pr) * (pc / 2 + 1);
  if (retriever.response().size() != bins) cuda_fail("CUDA phase retrieval: the retriever has no filter (method none)");
  DeviceBuffer<float> band(count), image(padded), response(retriever.response());
  DeviceBuffer<cufftComplex> spectrum(bins);
  DeviceBuffer<unsigned long long> clamped(1);
  band.upload(sinograms.data());
  clamped.zero();
  FftPlan forward({pr, pc}, 1, CUFFT_R2C), backward({pr, pc}, 1, CUFFT_C2R);
  for (int projection = 0; projection < projections; ++projection) {
    pad_kernel<<<blocks_for(padded, 256), 256>>>(band.get(), image.get(), rows, projections, columns, retriever.top(),
                                                 retriever.left(), pr, pc, projection);
    check(cufftExecR2C(forward.get(), image.get(), spectrum.get()), "phase retrieval forward transform");
    filter_kernel<<<blocks_for(bins, 256), 256>>>(spectrum.get(), response.get(), bins);
    check(cufftExecC2R(backward.get(), spectrum.get(), image.get()), "phase retrieval inverse transform");
    crop_log_kernel<<<blocks_for(static_cast<std::size_t>(rows) * columns, 256), 256>>>(
        image.get(), band.get(), rows, projections, columns, retriever.top(), retriever.left(), pc, projection, clamped.get());
  }
  check(cudaGetLastError(), "phase retrieval kernels");
  band.download(sinograms.data());
  unsigned long long total = 0;
  clamped.download(&total);
  return static_cast<std::int64_t>(total);
}

}  // namespace tomo::cuda
