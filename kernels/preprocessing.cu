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

// The flat field on the device, as correction_kernel reads it.
struct DeviceFlatField {
  const float* dark;
  const float* inverse_gain;
  const float* gain_after;      // null with one set of flats
  const float* after_weight;    // per projection, null with one set
  const float* mean_flat;       // dynamic flats: null when not used
  const float* eigen_flats;     // (component, row, column)
  const float* eigen_weights;   // (projection, component)
  int components;
  int rows;
};

// One thread per value of (row, projection, column): its transmission, NaN when saturated or
// its flat is unusable (as the CPU's line_transmission and line_transmission_dynamic).
__global__ void transmission_kernel(float* values, DeviceFlatField f, std::size_t lines, int projections, int columns,
                                    float saturation) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= lines * columns) return;
  const std::size_t line = i / columns, row = line / projections, projection = line % projections, column = i % columns;
  const std::size_t pixel = row * columns + column;
  float gain = f.inverse_gain[pixel];
  if (f.mean_flat) {
    float flat = f.mean_flat[pixel];
    for (int k = 0; k < f.components; ++k)
      flat += f.eigen_weights[projection * f.components + k] * f.eigen_flats[(static_cast<std::size_t>(k) * f.rows + row) * columns + column];
    gain = flat > 0.0f ? 1.0f / flat : nanf("");
  } else if (f.gain_after) {
    gain = blended_inverse_gain(gain, f.gain_after[pixel], f.after_weight[projection]);
  }
  const bool saturated = saturation > 0.0f && values[i] >= saturation;
  values[i] = saturated ? nanf("") : flat_corrected(values[i], f.dark[pixel], gain);
}

// One thread per line: invalid values interpolated, then (when asked) the line normalised to air.
__global__ void line_kernel(float* values, std::size_t lines, int columns, int air_left, int air_right,
                            unsigned long long* repaired) {
  const std::size_t line = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (line >= lines) return;
  float* v = values + line * columns;
  const long long count = interpolate_invalid_line(v, columns, 1.0f);
  if (count > 0) atomicAdd(repaired, static_cast<unsigned long long>(count));
  if (air_left + air_right > 0) normalise_line_to_air(v, columns, air_left, air_right);
}

__global__ void log_kernel(float* values, std::size_t count, TransmissionBounds bounds, unsigned long long* clamped) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= count) return;
  bool was_clamped = false;
  values[i] = clamped_minus_log(values[i], bounds, &was_clamped);
  if (was_clamped) atomicAdd(clamped, 1ull);
}

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

// One thread per pair of (row, pair): what its far projection needs added (overlap_offset).
__global__ void stitch_offset_kernel(const float* in, float* offsets, int rows, int projections, int columns, double a,
                                     int left, bool mirrored) {
  const std::size_t item = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  const std::size_t half = projections / 2, n = columns;
  if (item >= static_cast<std::size_t>(rows) * half) return;
  const std::size_t row = item / half, pair = item % half;
  offsets[item] = overlap_offset(in + (row * projections + pair) * n, in + (row * projections + pair + half) * n, columns,
                                 a, left, mirrored);
}

// One thread per stitched value of (row, pair, stitched column), as the CPU's loop; `offsets`
// per pair, or null (STP's "normalise" off).
__global__ void stitch_kernel(const float* in, const float* offsets, float* out, int rows, int projections, int columns,
                              double a, int left, int width, bool mirrored, StitchBlend blend) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  const std::size_t half = projections / 2, w = width, n = columns;
  if (i >= static_cast<std::size_t>(rows) * half * w) return;
  const int written = static_cast<int>(i % w), k = mirrored ? width - 1 - written : written;
  const std::size_t item = i / w, row = item / half, pair = item % half;
  out[i] = stitched_value(in + (row * projections + pair) * n, in + (row * projections + pair + half) * n, columns, a, left, k,
                          mirrored, blend, offsets ? offsets[item] : 0.0f);
}

__global__ void binning_kernel(const float* frames, float* out, std::size_t count, int frame_count, int columns, int factor,
                               int out_columns) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < count) out[i] = binned_value(frames, frame_count, columns, factor, out_columns, static_cast<long long>(i));
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

// Zinger removal of (row, projection, column) values already on the device, in place.
std::int64_t remove_zingers_on_device(DeviceBuffer<float>& values, int rows, int projections, int columns, float threshold) {
  if (!(threshold > 0.0f)) cuda_fail("zinger threshold must be positive");
  if (projections < 2 || values.size() == 0) return 0;
  DeviceBuffer<float> filtered(values.size());
  DeviceBuffer<unsigned long long> replaced(1);
  replaced.zero();
  zinger_kernel<<<blocks_for(values.size(), 256), 256>>>(values.get(), filtered.get(), rows, projections, columns, threshold,
                                                          replaced.get());
  check(cudaGetLastError(), "zinger kernel");
  check(cudaMemcpy(values.get(), filtered.get(), values.size() * sizeof(float), cudaMemcpyDeviceToDevice), "zinger copy");
  unsigned long long total = 0;
  replaced.download(&total);
  return static_cast<std::int64_t>(total);
}

}  // namespace

CorrectionCounts correct_projections(std::span<float> sinograms, int projections, const FlatField& flat_field,
                                     const CorrectionOptions& options) {
  const std::size_t lines = static_cast<std::size_t>(flat_field.rows) * projections;
  const std::size_t count = lines * flat_field.columns;
  if (sinograms.size() != count) cuda_fail("CUDA correction: the sinogram size does not match the flat field");
  if (options.air_left < 0 || options.air_right < 0 || options.air_left + options.air_right >= flat_field.columns)
    cuda_fail("CUDA correction: the air columns do not fit the lines");
  const bool two = flat_field.two_references(), dynamic = flat_field.dynamic_flats();
  const std::vector<float> none(1);  // stands in for an absent table (the kernel gets null)
  DeviceBuffer<float> values(count), dark(flat_field.dark), gain(flat_field.inverse_gain);
  DeviceBuffer<float> gain_after(two ? flat_field.inverse_gain_after : none), weights(two ? flat_field.after_weight : none);
  DeviceBuffer<float> mean(dynamic ? flat_field.dynamic.mean : none), eigen(dynamic ? flat_field.dynamic.basis : none),
      eigen_weights(dynamic ? flat_field.dynamic_weights : none);
  DeviceBuffer<unsigned long long> counters(2);  // repaired, clamped
  values.upload(sinograms.data());
  counters.zero();
  const DeviceFlatField device{dark.get(),  gain.get(),          two ? gain_after.get() : nullptr, two ? weights.get() : nullptr,
                               dynamic ? mean.get() : nullptr, eigen.get(), eigen_weights.get(), flat_field.dynamic.components,
                               flat_field.rows};
  transmission_kernel<<<blocks_for(count, 256), 256>>>(values.get(), device, lines, projections, flat_field.columns,
                                                       options.saturation);
  line_kernel<<<blocks_for(lines, 128), 128>>>(values.get(), lines, flat_field.columns, options.air_left, options.air_right,
                                               counters.get());
  check(cudaGetLastError(), "correction kernels");
  CorrectionCounts counts;
  if (options.zinger_threshold > 0.0f)
    counts.zingers = remove_zingers_on_device(values, flat_field.rows, projections, flat_field.columns, options.zinger_threshold);
  if (options.minus_log) {
    log_kernel<<<blocks_for(count, 256), 256>>>(values.get(), count, options.bounds, counters.get() + 1);
    check(cudaGetLastError(), "log kernel");
  }
  values.download(sinograms.data());
  unsigned long long totals[2] = {0, 0};
  counters.download(totals);
  counts.repaired = static_cast<std::int64_t>(totals[0]);
  counts.clamped = static_cast<std::int64_t>(totals[1]);
  return counts;
}

std::int64_t remove_zingers(std::span<float> sinograms, int rows, int projections, int columns, float threshold) {
  const std::size_t count = static_cast<std::size_t>(rows) * projections * columns;
  if (sinograms.size() != count) cuda_fail("CUDA zinger removal: the sizes do not match");
  DeviceBuffer<float> values(count);
  values.upload(sinograms.data());
  const std::int64_t replaced = remove_zingers_on_device(values, rows, projections, columns, threshold);
  values.download(sinograms.data());
  return replaced;
}

std::vector<float> bin_pixels(std::span<const float> frames, int rows, int frame_count, int columns, int factor) {
  if (factor < 1 || rows % factor != 0) cuda_fail("CUDA binning: rows must be a multiple of the factor");
  const std::size_t in_count = static_cast<std::size_t>(rows) * frame_count * columns;
  if (frames.size() != in_count) cuda_fail("CUDA binning: the sizes do not match");
  const int out_columns = columns / factor;
  const std::size_t count = static_cast<std::size_t>(rows / factor) * frame_count * out_columns;
  DeviceBuffer<float> in(in_count), out(count);
  in.upload(frames.data());
  binning_kernel<<<blocks_for(count, 256), 256>>>(in.get(), out.get(), count, frame_count, columns, factor, out_columns);
  check(cudaGetLastError(), "binning kernel");
  std::vector<float> result(count);
  out.download(result.data());
  return result;
}

std::vector<float> stitch_half_acquisition(std::span<const float> sinograms, int rows, int projections, int columns,
                                           double axis, const StitchOptions& options) {
  if (projections < 2 || projections % 2 != 0) cuda_fail("half acquisition needs an even number of projections");
  const std::size_t count = static_cast<std::size_t>(rows) * projections * columns;
  if (sinograms.size() != count) cuda_fail("CUDA stitching: the sizes do not match");
  const StitchedGeometry g = stitched_geometry(columns, axis);
  const double a = g.axis_left ? axis : columns - 1 - axis;
  const std::size_t out_count = static_cast<std::size_t>(rows) * (projections / 2) * g.width;
  const std::size_t pairs = static_cast<std::size_t>(rows) * (projections / 2);
  DeviceBuffer<float> in(count), out(out_count), offsets(options.normalise ? pairs : 0);
  in.upload(sinograms.data());
  if (options.normalise) {
    stitch_offset_kernel<<<blocks_for(pairs, 256), 256>>>(in.get(), offsets.get(), rows, projections, columns, a,
                                                          g.width - columns, !g.axis_left);
    check(cudaGetLastError(), "stitching offset kernel");
  }
  stitch_kernel<<<blocks_for(out_count, 256), 256>>>(in.get(), options.normalise ? offsets.get() : nullptr, out.get(),
                                                     rows, projections, columns, a, g.width - columns, g.width,
                                                     !g.axis_left, options.blend);
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
