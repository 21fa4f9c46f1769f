// Gridding (Fourier) reconstruction on the GPU: the CPU's algorithm (kernels/gridrec.hpp) with
// the CPU's tables (GridrecTables), its steps in kernels/gridrec_gpu_math.hpp, the transforms
// with cuFFT (one batched call for the radial lines, one per round for the 2-D inverse).
#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/cuda_support.cuh"
#include "kernels/fbp_cuda.hpp"
#include "kernels/gridrec_gpu_math.hpp"

namespace tomo::cuda {
namespace {

// Slice pairs per round of kernels: each needs its radial spectra (P × M complex values) and a
// G × G grid, about 110 MB for 1800 × 2048; 8 pairs keep a round under 1 GB of device memory.
constexpr int kPairsPerRound = 8;

// The kernels are one call each to the steps in gridrec_gpu_math.hpp (which the CPU tests run).
__global__ void pack_lines_kernel(const float* sinograms, int slices, int projections, int n, int radial,
                                  GpuComplex* lines) {
  const std::size_t pairs = (static_cast<std::size_t>(slices) + 1) / 2;
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < pairs * projections * radial) lines[i] = packed_line_value(sinograms, slices, projections, n, radial, i);
}

// Called from grid_radial_bin(), which is compiled for both sides: on the host (never used)
// a plain add.
struct AtomicAdd {
  __host__ __device__ void operator()(float* to, float value) const {
#if defined(__CUDA_ARCH__)
    atomicAdd(to, value);
#else
    *to += value;
#endif
  }
};

static_assert(sizeof(GpuComplex) == sizeof(cufftComplex), "GpuComplex is laid out as cufftComplex");

// Threads along x over the bins −max_bin…max_bin, blocks along y over projections, z over pairs.
__global__ void grid_kernel(const GpuComplex* spectra, int projections, int radial, int grid, int max_bin,
                            GridrecLineTables tables, GpuComplex* grids) {
  const int k = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x) - max_bin;
  if (k > max_bin) return;
  grid_radial_bin(spectra, projections, radial, grid, k, blockIdx.y, blockIdx.z, tables, grids, AtomicAdd{});
}

__global__ void crop_kernel(const GpuComplex* images, int slices, int n, int grid, const float* row_factor,
                            const float* column_factor, const int* row_source, float* out) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < static_cast<std::size_t>(slices) * n * n)
    out[i] = cropped_pixel(images, n, grid, row_factor, column_factor, row_source, i);
}

cufftComplex* as_cufft(GpuComplex* values) { return reinterpret_cast<cufftComplex*>(values); }

}  // namespace

void reconstruct_gridrec(const GridrecReconstructor& cpu, std::span<const float> sinograms, int slices,
                         std::span<float> out) {
  const GridrecTables& t = cpu.tables();
  const int n = t.n, projections = t.projections;
  const std::size_t nn = static_cast<std::size_t>(n) * n, sinogram_size = static_cast<std::size_t>(projections) * n;
  if (slices < 0 || sinograms.size() != static_cast<std::size_t>(slices) * sinogram_size ||
      out.size() != static_cast<std::size_t>(slices) * nn)
    cuda_fail("CUDA gridrec: buffer sizes do not match " + std::to_string(slices) + " slices x " +
              std::to_string(projections) + " projections x " + std::to_string(n) + " columns");
  if (projections > 65535) cuda_fail("CUDA gridrec: more than 65535 projections (one grid dimension each)");
  if (slices == 0) return;

  DeviceBuffer<float> line_weight(t.line_weight), angle_weight(t.angle_weight), step_x(t.step_x), step_y(t.step_y),
      end_share(t.end_share), kernel_table(t.kernel_table), row_factor(t.row_factor), column_factor(t.column_factor);
  DeviceBuffer<double> axis_shift(t.axis_shift);
  DeviceBuffer<int> line_end(t.line_end), row_source(t.row_source);
  const GridrecLineTables tables{line_weight.get(), angle_weight.get(), axis_shift.get(), step_x.get(), step_y.get(),
                          line_end.get(), end_share.get(), kernel_table.get()};

  const int round_pairs = std::min(kPairsPerRound, (slices + 1) / 2);
  const int round_slices = 2 * round_pairs;
  const std::size_t grid_points = static_cast<std::size_t>(t.grid) * t.grid;
  DeviceBuffer<float> sinograms_d(static_cast<std::size_t>(round_slices) * sinogram_size);
  DeviceBuffer<GpuComplex> lines(static_cast<std::size_t>(round_pairs) * projections * t.radial);
  DeviceBuffer<GpuComplex> grids(static_cast<std::size_t>(round_pairs) * grid_points);
  DeviceBuffer<float> slices_d(static_cast<std::size_t>(round_slices) * nn);

  for (int first = 0; first < slices; first += round_slices) {
    const int count = std::min(round_slices, slices - first), pairs = (count + 1) / 2;
    sinograms_d.upload(sinograms.data() + static_cast<std::size_t>(first) * sinogram_size,
                       static_cast<std::size_t>(count) * sinogram_size);
    const std::size_t line_values = static_cast<std::size_t>(pairs) * projections * t.radial;
    pack_lines_kernel<<<blocks_for(line_values, 256), 256>>>(sinograms_d.get(), count, projections, n, t.radial,
                                                             lines.get());
    check(cudaGetLastError(), "gridrec packing kernel");
    // A plan per round: the last round may hold fewer pairs.
    FftPlan radial({t.radial}, pairs * projections, CUFFT_C2C), inverse({t.grid, t.grid}, pairs, CUFFT_C2C);
    check(cufftExecC2C(radial.get(), as_cufft(lines.get()), as_cufft(lines.get()), CUFFT_FORWARD),
          "gridrec radial transforms");
    grids.zero();
    const dim3 grid_blocks(blocks_for(2 * static_cast<std::size_t>(t.max_bin) + 1, 128), projections, pairs);
    grid_kernel<<<grid_blocks, 128>>>(lines.get(), projections, t.radial, t.grid, t.max_bin, tables, grids.get());
    check(cudaGetLastError(), "gridding kernel");
    check(cufftExecC2C(inverse.get(), as_cufft(grids.get()), as_cufft(grids.get()), CUFFT_INVERSE),
          "gridrec inverse 2-D transform");
    const std::size_t pixels = static_cast<std::size_t>(count) * nn;
    crop_kernel<<<blocks_for(pixels, 256), 256>>>(grids.get(), count, n, t.grid, row_factor.get(), column_factor.get(),
                                                  row_source.get(), slices_d.get());
    check(cudaGetLastError(), "gridrec crop kernel");
    slices_d.download(out.data() + static_cast<std::size_t>(first) * nn, pixels);
  }
  const FbpSettings& settings = cpu.settings();
  if (settings.circular_mask) apply_circular_mask(out, n, settings.mask_ratio);
}

}  // namespace tomo::cuda
