#pragma once
// Per-element math of the gridding (Fourier) reconstruction, shared by CPU and CUDA: the
// Kaiser–Bessel gridding kernel, its Fourier transform (what the image is divided by afterwards)
// and the frequency response of the direct method's linear interpolation.
//
// Units: the kernel is written in cells of the oversampled 2-D frequency grid; its transform is
// evaluated at ξ = x / G cycles per cell for image position x (pixels) on a G-point grid.
#include <math.h>

#include "kernels/host_device.hpp"

namespace tomo {

inline constexpr double kGridrecPi = 3.14159265358979323846;

// Modified Bessel function of the first kind, order 0, by its power series Σ ((x/2)^k / k!)²:
// all terms are positive, so it converges without cancellation for the β ≤ 30 used here.
TOMO_HD inline double bessel_i0(double x) {
  const double quarter_x2 = 0.25 * x * x;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 100 && term > 1e-17 * sum; ++k) {
    term *= quarter_x2 / (static_cast<double>(k) * static_cast<double>(k));
    sum += term;
  }
  return sum;
}

// Kaiser–Bessel window of `width` W cells and shape β at offset u cells from its centre,
// I0(β√(1 − (2u/W)²)) / I0(β) (1 at the centre), zero for |u| > W/2.
TOMO_HD inline double kaiser_bessel(double u, double width, double beta) {
  const double r = 2.0 * u / width;
  if (r * r > 1.0) return 0.0;
  return bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
}

// Continuous Fourier transform of kaiser_bessel() at ξ cycles per cell, ∫ φ(u) e^{2πiuξ} du =
// W sinh(√(β² − (πWξ)²)) / √(β² − (πWξ)²) / I0(β); the root turns imaginary (sinh → sin) for
// |ξ| > β/(πW), far beyond the image, where only aliases fall.
TOMO_HD inline double kaiser_bessel_transform(double xi, double width, double beta) {
  const double a = kGridrecPi * width * xi;
  const double s = beta * beta - a * a;
  double shape = 1.0;
  if (s > 1e-12) shape = sinh(sqrt(s)) / sqrt(s);
  else if (s < -1e-12) shape = sin(sqrt(-s)) / sqrt(-s);
  return width * shape / bessel_i0(beta);
}

// Shape β that puts the kernel's first alias zero at the edge of the image for an oversampling
// σ (grid points per image pixel) and width W (Beatty, Nishimura & Pauly, IEEE TMI 24(6), 2005,
// eq. 5): β = π √(W²/σ² (σ − ½)² − 0.8).
TOMO_HD inline double kaiser_bessel_beta(double width, double oversampling) {
  const double a = width / oversampling * (oversampling - 0.5);
  return kGridrecPi * sqrt(a * a - 0.8);
}

// Frequency response of linear interpolation between detector pixels, sinc²(ν) at ν cycles per
// pixel: the transform of the triangle kernel that the direct backprojection interpolates with.
// Applied to the radial spectra it makes gridrec give the direct method's resolution and noise.
TOMO_HD inline float linear_interpolation_response(float nu) {
  if (nu == 0.0f) return 1.0f;
  const float a = 3.14159265358979f * nu;
  const float sinc = sinf(a) / a;
  return sinc * sinc;
}

// Where the W × W kernel footprint of radial bin k lands on the frequency grid, for a line at
// `step_x`, `step_y` grid cells per bin: the bin sits at κ = k · (step_x, step_y); its footprint
// starts at grid point ⌈κ − W/2⌉ (relative to the grid's origin) and the kernel table's row for
// each axis is that point's sub-cell offset from κ − W/2, in 1/resolution cells.
struct GridFootprint {
  int first_x, first_y;
  int table_x, table_y;
};
TOMO_HD inline GridFootprint grid_footprint(float k, float step_x, float step_y, int width, int resolution) {
  const float half_width = 0.5f * static_cast<float>(width), cells = static_cast<float>(resolution);
  const float left = k * step_x - half_width, bottom = k * step_y - half_width;
  // ⌈·⌉ from truncation (toward zero) so that the CPU's loop vectorises (std::ceil does not).
  const int truncated_x = static_cast<int>(left), truncated_y = static_cast<int>(bottom);
  GridFootprint at;
  at.first_x = truncated_x + (static_cast<float>(truncated_x) < left ? 1 : 0);
  at.first_y = truncated_y + (static_cast<float>(truncated_y) < bottom ? 1 : 0);
  const int tx = static_cast<int>((static_cast<float>(at.first_x) - left) * cells);
  const int ty = static_cast<int>((static_cast<float>(at.first_y) - bottom) * cells);
  at.table_x = tx < resolution - 1 ? tx : resolution - 1;
  at.table_y = ty < resolution - 1 ? ty : resolution - 1;
  return at;
}

}  // namespace tomo
