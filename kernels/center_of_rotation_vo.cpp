// Centre of rotation by Vo's method: the double-wedge energy of the 360° sinogram built from the
// 180° one and its shifted mirror image.
#include <cmath>
#include <complex>
#include <numbers>

#include "kernels/center_of_rotation.hpp"
#include "kernels/center_of_rotation_search.hpp"
#include "kernels/error.hpp"
#include "kernels/fft_length.hpp"
#include "kernels/fftw_handle.hpp"

namespace tomo {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr const char* kMethod = "centre of rotation (Vo)";

// The projections of [θ0, θ0 + π), in increasing angle; throws unless they are evenly spaced
// and cover the half turn (the 360° sinogram built from them must be one period in angle).
std::vector<int> half_turn(std::span<const float> angles) {
  const auto order = cor::by_angle(angles);
  const double step = cor::median_step(angles, order);
  if (!(step > 0)) fail("{}: the angles are all the same", kMethod);
  const double first = angles[order.front()];
  std::vector<int> half;
  for (const int index : order)
    if (angles[index] - first < kPi - 0.5 * step) half.push_back(index);
  for (std::size_t i = 1; i < half.size(); ++i) {
    const double gap = double(angles[half[i]]) - angles[half[i - 1]];
    if (std::abs(gap - step) > 0.1 * step)
      fail("{}: needs evenly spaced angles; projections {} and {} are {:.4f}° apart, the usual step is {:.4f}°", kMethod,
           half[i - 1], half[i], gap * 180 / kPi, step * 180 / kPi);
  }
  const double covered = static_cast<double>(half.size()) * step;
  if (std::abs(covered - kPi) > 0.5 * step)
    fail("{}: the first half turn holds {} projections {:.4f}° apart, {:.2f}° in all; 180° is needed", kMethod, half.size(),
         step * 180 / kPi, covered * 180 / kPi);
  return half;
}

// Every d-th projection of a half turn of h, d the smallest divisor of h that leaves at most
// kMaxHalfTurn (so the rest still spans the half turn evenly); all of them when no divisor
// leaves at least kMinHalfTurn. The work per trial offset grows as h² (the wedge's cells), and
// 360 angles over 180° already resolve the seam's step far below a pixel.
constexpr int kMaxHalfTurn = 360, kMinHalfTurn = 90;
std::vector<int> thinned(const std::vector<int>& half) {
  const int h = static_cast<int>(half.size());
  for (int d = 1; d <= h; ++d) {
    if (h % d != 0 || h / d > kMaxHalfTurn) continue;
    if (h / d < kMinHalfTurn) break;
    std::vector<int> kept;
    for (int i = 0; i < h; i += d) kept.push_back(half[static_cast<std::size_t>(i)]);
    return kept;
  }
  return half;
}

}  // namespace

CorEstimate estimate_cor_vo(std::span<const float> sinogram, int projections, int columns,
                            std::span<const float> angles_rad, double search_radius_px) {
  cor::check_input(kMethod, sinogram, 1, projections, columns, angles_rad);
  const double radius = cor::search_radius(search_radius_px, columns);
  const auto half = thinned(half_turn(angles_rad));
  const int h = static_cast<int>(half.size()), turn = 2 * h;  // rows of the 360° sinogram

  // Shift of the mirror image for an offset: mirrored row q(c) = p(N − 1 − c), and
  // p(θ + π, c) = p(θ, 2a − c) = q(c − s) with s = 2a − (N − 1) = 2·offset + 1.
  // Columns are zero-padded (air) to hold the mirror image shifted by the largest |s| without
  // wrapping onto the other half.
  const int padded = smooth_fft_length(columns + static_cast<int>(std::ceil(2 * radius)) + 2);
  // The wedge |n| > 2πR k/padded (n harmonics per turn, k/padded cycles per pixel), for a
  // sample within R = N/2 of the axis: the field of view. Only columns k < kmax reach into it.
  const double object_radius = 0.5 * columns;
  const double wedge_slope = 2 * kPi * object_radius / padded;  // |n| at which column k = 1 enters
  const int kmax = std::min(padded / 2, static_cast<int>(std::ceil(h / wedge_slope)));
  if (kmax < 1) fail("{}: too few projections ({}) to resolve anything in angle", kMethod, projections);
  const int bins = kmax;  // columns k = 1 .. kmax, stored at k − 1

  // Column spectra of every projection of the half turn (A) and of its mirror image (B), then
  // their transforms along the angle over the full turn, each half zero-filled in the other:
  // the 360° sinogram's spectrum is FA(n, k) + (−1)^n e^{−2πiks/padded} FB(n, k) for a shift s.
  const std::size_t spectrum_size = static_cast<std::size_t>(turn) * bins;
  auto first_half = fftw::alloc_complex(spectrum_size), mirrored_half = fftw::alloc_complex(spectrum_size);
  auto row = fftw::alloc_real(static_cast<std::size_t>(padded));
  auto row_spectrum = fftw::alloc_complex(static_cast<std::size_t>(padded / 2 + 1));
  fftw::Plan row_plan, angle_plan;
  {
    std::lock_guard lock(fftw::planner_mutex());
    row_plan.reset(fftwf_plan_dft_r2c_1d(padded, row.get(), row_spectrum.get(), FFTW_ESTIMATE));
    const int n[] = {turn};
    // Transform each column k (stride `bins`) along the turn, in place.
    angle_plan.reset(fftwf_plan_many_dft(1, n, bins, first_half.get(), nullptr, bins, 1, first_half.get(), nullptr, bins,
                                         1, FFTW_FORWARD, FFTW_ESTIMATE));
  }
  if (!row_plan || !angle_plan) fail("{}: FFTW could not plan the transforms", kMethod);
  std::fill_n(&first_half[0][0], 2 * spectrum_size, 0.0f);
  std::fill_n(&mirrored_half[0][0], 2 * spectrum_size, 0.0f);
  const std::size_t n = static_cast<std::size_t>(columns);
  for (int i = 0; i < h; ++i) {
    const float* p = sinogram.data() + static_cast<std::size_t>(half[static_cast<std::size_t>(i)]) * n;
    for (int mirrored = 0; mirrored < 2; ++mirrored) {
      std::fill_n(row.get(), padded, 0.0f);
      for (std::size_t c = 0; c < n; ++c) row[c] = mirrored ? p[n - 1 - c] : p[c];
      fftwf_execute(row_plan.get());
      fftwf_complex* out = (mirrored ? mirrored_half : first_half).get() + static_cast<std::size_t>(i) * bins;
      for (int k = 1; k <= kmax; ++k) {
        out[k - 1][0] = row_spectrum[k][0];
        out[k - 1][1] = row_spectrum[k][1];
      }
    }
  }
  fftwf_execute_dft(angle_plan.get(), first_half.get(), first_half.get());
  fftwf_execute_dft(angle_plan.get(), mirrored_half.get(), mirrored_half.get());

  // The wedge, as (n, k) index lists: n from the DFT index (negative harmonics wrap).
  struct Cell {
    std::size_t index;
    float sign;  // (−1)^n: the mirrored half starts half a turn later
    int k;
  };
  std::vector<Cell> wedge;
  for (int i = 0; i < turn; ++i) {
    const int harmonic = i <= h ? i : i - turn;
    for (int k = 1; k <= kmax; ++k)
      if (std::abs(harmonic) > wedge_slope * k)
        wedge.push_back({static_cast<std::size_t>(i) * bins + static_cast<std::size_t>(k - 1), i % 2 ? -1.0f : 1.0f, k});
  }
  if (wedge.empty()) fail("{}: too few projections ({}) for the double-wedge mask", kMethod, projections);

  std::vector<std::complex<float>> phase(static_cast<std::size_t>(kmax) + 1);
  const auto metric = [&](double offset) {
    const double shift = 2 * offset + 1;
    for (int k = 1; k <= kmax; ++k)
      phase[static_cast<std::size_t>(k)] = std::complex<float>(std::polar(1.0, -2 * kPi * k * shift / padded));
    double sum = 0;
    for (const Cell& cell : wedge) {
      const std::complex<float> a(first_half[cell.index][0], first_half[cell.index][1]);
      const std::complex<float> b(mirrored_half[cell.index][0], mirrored_half[cell.index][1]);
      sum += std::abs(a + cell.sign * phase[static_cast<std::size_t>(cell.k)] * b);
    }
    return sum / static_cast<double>(wedge.size());
  };
  return cor::search_offset(metric, radius);
}

}  // namespace tomo
