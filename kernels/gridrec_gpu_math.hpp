#pragma once
// The per-element steps of the GPU's gridrec (kernels/gridrec.cu), one call per CUDA thread.
// They are here, compiled for the host too, so that tests/test_gridrec_gpu_steps.cpp runs
// exactly these steps on the CPU (FFTW for the transforms) and checks them against
// GridrecReconstructor: the CUDA file only launches them.
//
// The GPU grids the CPU's values (GridrecTables) differently: the grid is G × G and wraps its
// indices modulo G instead of folding a halo, samples are added with atomics, and the axis
// phase is computed per bin in double instead of by a recurrence.
#include <math.h>

#include <cstddef>

#include "kernels/gridrec_math.hpp"
#include "kernels/gridrec_tables.hpp"
#include "kernels/host_device.hpp"

namespace tomo {

// A complex float laid out as cufftComplex and fftwf_complex (re, im).
struct GpuComplex {
  float re, im;
};

// GridrecTables' per-bin and per-projection arrays, wherever they live (device or host).
struct GridrecLineTables {
  const float* line_weight;   // per |k|
  const float* angle_weight;  // per projection
  const double* axis_shift;   // per projection, pixels
  const float* step_x;        // per projection, grid cells per bin
  const float* step_y;
  const int* line_end;        // per projection, last |k|
  const float* end_share;     // per projection
  const float* kernel_table;  // kTableResolution × kKernelWidth
};

TOMO_HD inline int wrap_index(int index, int period) {
  const int r = index % period;
  return r < 0 ? r + period : r;
}

// Value i of the radial lines, laid out (pair, projection, M bins): slice 2·pair in the real
// part, slice 2·pair + 1 (if there is one) in the imaginary part, zero-padded from N to M.
TOMO_HD inline GpuComplex packed_line_value(const float* sinograms, int slices, int projections, int n, int radial,
                                            std::size_t i) {
  const std::size_t line = i / static_cast<std::size_t>(radial), k = i % static_cast<std::size_t>(radial);
  const std::size_t pair = line / static_cast<std::size_t>(projections);
  const std::size_t projection = line % static_cast<std::size_t>(projections);
  GpuComplex value{0.0f, 0.0f};
  if (k < static_cast<std::size_t>(n)) {
    const std::size_t a = 2 * pair, b = a + 1, p = static_cast<std::size_t>(projections), w = static_cast<std::size_t>(n);
    value.re = sinograms[(a * p + projection) * w + k];
    if (b < static_cast<std::size_t>(slices)) value.im = sinograms[(b * p + projection) * w + k];
  }
  return value;
}

// e^{2πi·turns}, turns first reduced to [0, 1) so that double keeps its precision.
TOMO_HD inline void unit_phase(double turns, float* cosine, float* sine) {
  turns -= floor(turns);
  double s = 0, c = 0;
#if defined(__CUDA_ARCH__)
  sincospi(2.0 * turns, &s, &c);
#else
  s = sin(2.0 * kGridrecPi * turns);
  c = cos(2.0 * kGridrecPi * turns);
#endif
  *cosine = static_cast<float>(c);
  *sine = static_cast<float>(s);
}

// Radial bin k of `projection` of `pair` (spectra laid out as packed_line_value's, transformed):
// weighed as GridrecTables says (ramp × interpolation response × the angle's share, the edge
// bin's share, the axis phase e^{2πik·t0/M}) and added, times the Kaiser–Bessel kernel, to its
// W × W points of the pair's G × G grid, where frequency m sits at index (m + G/2) mod G (the
// CPU's block). `add(float* to, float value)` is an atomic add on the GPU.
template <class Add>
TOMO_HD inline void grid_radial_bin(const GpuComplex* spectra, int projections, int radial, int grid, int k,
                                    int projection, int pair, const GridrecLineTables& t, GpuComplex* grids, Add add) {
  const int last = t.line_end[projection];
  if (k < -last || k > last) return;
  const int magnitude = k < 0 ? -k : k;
  const GpuComplex s = spectra[(static_cast<std::size_t>(pair) * static_cast<std::size_t>(projections) +
                                static_cast<std::size_t>(projection)) * static_cast<std::size_t>(radial) +
                               static_cast<std::size_t>(wrap_index(k, radial))];
  float weight = t.line_weight[magnitude] * t.angle_weight[projection];
  if (magnitude == last) weight *= t.end_share[projection];
  float cosine = 0, sine = 0;
  unit_phase(static_cast<double>(k) * t.axis_shift[projection] / radial, &cosine, &sine);
  const float wr = cosine * weight, wi = sine * weight;
  const float value_re = s.re * wr - s.im * wi, value_im = s.re * wi + s.im * wr;

  const GridFootprint at = grid_footprint(static_cast<float>(k), t.step_x[projection], t.step_y[projection],
                                          kKernelWidth, kTableResolution);
  const float* along_x = t.kernel_table + at.table_x * kKernelWidth;
  const float* along_y = t.kernel_table + at.table_y * kKernelWidth;
  const std::size_t g = static_cast<std::size_t>(grid);
  GpuComplex* values = grids + static_cast<std::size_t>(pair) * g * g;
  for (int i = 0; i < kKernelWidth; ++i) {
    const std::size_t row = static_cast<std::size_t>(wrap_index(at.first_y + i + grid / 2, grid)) * g;
    for (int j = 0; j < kKernelWidth; ++j) {
      const float kernel = along_y[i] * along_x[j];
      GpuComplex* point = values + row + static_cast<std::size_t>(wrap_index(at.first_x + j + grid / 2, grid));
      add(&point->re, kernel * value_re);
      add(&point->im, kernel * value_im);
    }
  }
}

// Output pixel i of the slices, laid out (slice, N, N), from the pairs' inverse-transformed G × G
// grids: row r, column j of a slice is grid point (row_source[r], (j − ⌊N/2⌋) mod G), the real
// part for the pair's first slice and the imaginary part for its second, de-apodised.
TOMO_HD inline float cropped_pixel(const GpuComplex* images, int n, int grid, const float* row_factor,
                                   const float* column_factor, const int* row_source, std::size_t i) {
  const std::size_t nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n), g = static_cast<std::size_t>(grid);
  const std::size_t slice = i / nn, r = (i % nn) / static_cast<std::size_t>(n), j = i % static_cast<std::size_t>(n);
  const int column = wrap_index(static_cast<int>(j) - n / 2, grid);
  const GpuComplex v = images[(slice / 2) * g * g + static_cast<std::size_t>(row_source[r]) * g + static_cast<std::size_t>(column)];
  return (slice % 2 == 0 ? v.re : v.im) * row_factor[r] * column_factor[j];
}

}  // namespace tomo
