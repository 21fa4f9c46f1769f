// Centre of rotation by registering projections with the mirror image of those 180° later.
#include <algorithm>
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
// More pairs than this add time, not accuracy: each pair already holds all the columns.
constexpr std::size_t kMaxPairs = 32;
// How far beyond the last angle θ + 180° may lie and still be extrapolated, in angular steps:
// a 180° scan over [0, π) ends one step short of 180°.
constexpr double kMaxExtrapolationSteps = 1.5;

// A projection at θ and the projection at θ + π, this one formed as (1 − w) p[before] + w p[after]
// (w > 1 extrapolates beyond `after`).
struct Pair {
  int first;
  int before, after;
  double w;
};

std::vector<Pair> mirror_pairs(std::span<const float> angles) {
  const auto order = cor::by_angle(angles);
  const double step = cor::median_step(angles, order);
  if (!(step > 0)) fail("centre of rotation (registration): the angles are all the same");
  std::vector<Pair> pairs;
  const double last = angles[order.back()];
  for (std::size_t i = 0; i < order.size(); ++i) {
    const double target = double(angles[order[i]]) + kPi;
    // The first angle at or beyond the target (or the last one).
    const auto next = std::lower_bound(order.begin(), order.end(), target,
                                       [&](int index, double value) { return double(angles[index]) < value; });
    std::size_t after = static_cast<std::size_t>(next - order.begin());
    if (after == order.size()) {
      if (target - last > kMaxExtrapolationSteps * step) continue;
      after = order.size() - 1;
    }
    if (after == 0) after = 1;
    const std::size_t before = after - 1;
    if (before == i) continue;  // needs two projections other than this one
    const double a = angles[order[before]], b = angles[order[after]];
    // A gap of several steps (a missing wedge) would be interpolated across unreliably.
    if (b - a > 2.5 * step || b <= a) continue;
    pairs.push_back({order[i], order[before], order[after], (target - a) / (b - a)});
  }
  if (pairs.empty())
    fail("centre of rotation (registration): no projection has a partner 180° later (the angles span {:.1f}°; "
         "at least 180° less one step is needed)",
         (last - angles[order.front()]) * 180 / kPi);
  if (pairs.size() > kMaxPairs) {
    std::vector<Pair> spread;
    for (std::size_t k = 0; k < kMaxPairs; ++k) spread.push_back(pairs[k * pairs.size() / kMaxPairs]);
    pairs = std::move(spread);
  }
  return pairs;
}

}  // namespace

CorEstimate estimate_cor_registration(std::span<const float> sinograms, int rows, int projections, int columns,
                                      std::span<const float> angles_rad, double search_radius_px) {
  cor::check_input("centre of rotation (registration)", sinograms, rows, projections, columns, angles_rad);
  const double radius = cor::search_radius(search_radius_px, columns);
  const auto pairs = mirror_pairs(angles_rad);

  // The mirror image about the axis a of the projection at θ + π is the projection at θ:
  // opposite(c) = at_theta(2a − c) = mirrored(c − s), with mirrored(c) = at_theta(N − 1 − c) and
  // s = 2a − (N − 1) = 2·offset + 1. Over all pairs and rows,
  //     Σ (opposite(c) − mirrored(c − s))² = E − 2 Σ_c opposite(c) mirrored(c − s),
  // E the summed energies of both, and the correlation is a Fourier sum evaluated at any real s:
  // the shift is exact band-limited interpolation, which (unlike linear interpolation, whose
  // smoothing of the noise depends on the fractional shift) favours no sub-pixel position.
  // Rows are zero-padded to ≥ 2N so that no shift wraps one edge onto the other.
  const int padded = smooth_fft_length(2 * columns + 2);
  const int bins = padded / 2 + 1;
  auto row = fftw::alloc_real(static_cast<std::size_t>(padded));
  auto spectrum = fftw::alloc_complex(static_cast<std::size_t>(bins));
  fftw::Plan plan;
  {
    std::lock_guard lock(fftw::planner_mutex());
    plan.reset(fftwf_plan_dft_r2c_1d(padded, row.get(), spectrum.get(), FFTW_ESTIMATE));
  }
  if (!plan) fail("centre of rotation (registration): FFTW could not plan a {}-point transform", padded);
  const std::size_t n = static_cast<std::size_t>(columns);
  const auto transform = [&](const auto& value_at) {
    std::fill_n(row.get(), padded, 0.0f);
    for (std::size_t c = 0; c < n; ++c) row[c] = static_cast<float>(value_at(c));
    fftwf_execute(plan.get());
    return std::vector<std::complex<double>>(reinterpret_cast<std::complex<float>*>(spectrum.get()),
                                             reinterpret_cast<std::complex<float>*>(spectrum.get()) + bins);
  };
  std::vector<std::complex<double>> cross(static_cast<std::size_t>(bins));  // Σ F[opposite] · conj(F[mirrored])
  double energy = 0;
  for (int r = 0; r < rows; ++r)
    for (const Pair& pair : pairs) {
      const auto row_of = [&](int projection) {
        return sinograms.data() + (static_cast<std::size_t>(r) * projections + projection) * n;
      };
      const float *at_theta = row_of(pair.first), *before = row_of(pair.before), *after = row_of(pair.after);
      const auto opposite_at = [&](std::size_t c) { return (1 - pair.w) * before[c] + pair.w * after[c]; };
      const auto opposite = transform(opposite_at);
      const auto mirrored = transform([&](std::size_t c) { return double(at_theta[n - 1 - c]); });
      for (std::size_t k = 0; k < cross.size(); ++k) cross[k] += opposite[k] * std::conj(mirrored[k]);
      for (std::size_t c = 0; c < n; ++c) energy += opposite_at(c) * opposite_at(c) + double(at_theta[c]) * at_theta[c];
    }

  // Normalised by E: 0 for a perfect match, ~1 for unrelated rows, 2 for opposite ones.
  const auto metric = [&](double offset) {
    if (!(energy > 0)) return 1.0;
    const double shift = 2 * offset + 1;
    // Σ_c a(c) b(c − s) = (1/M) Σ_k A(k) conj(B(k)) e^{2πiks/M}, the half spectrum of real rows
    // counted twice except k = 0 and the Nyquist bin.
    double correlation = cross[0].real();
    for (int k = 1; k < bins; ++k) {
      const double weight = (k == padded / 2 && padded % 2 == 0) ? 1.0 : 2.0;
      correlation += weight * (cross[static_cast<std::size_t>(k)] * std::polar(1.0, 2 * kPi * k * shift / padded)).real();
    }
    return 1.0 - 2.0 * (correlation / padded) / energy;
  };
  return cor::search_offset(metric, radius);
}

}  // namespace tomo
