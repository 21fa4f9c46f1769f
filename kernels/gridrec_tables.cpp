#include "kernels/gridrec_tables.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <utility>

#include "kernels/error.hpp"
#include "kernels/gridrec_math.hpp"
#include "kernels/ramp_filter.hpp"

namespace tomo {
namespace {

bool is_fft_friendly(int n) {
  for (const int factor : {2, 3, 5})
    while (n % factor == 0) n /= factor;
  return n == 1;
}

// Smallest multiple of `multiple` (even) at least `n` with no prime factor above 5: FFTW is
// fastest on those.
int fft_length(int n, int multiple) {
  int m = std::max(n, multiple);
  m = (m + multiple - 1) / multiple * multiple;
  while (!is_fft_friendly(m)) m += multiple;
  return m;
}


}  // namespace

std::vector<double> gridrec_angle_weights(std::span<const float> angles_rad) {
  const std::size_t count = angles_rad.size();
  constexpr double pi = std::numbers::pi;
  if (count == 0) return {};
  if (count == 1) return {pi};
  std::vector<double> folded(count);
  for (std::size_t p = 0; p < count; ++p) {
    const double theta = std::fmod(static_cast<double>(angles_rad[p]), pi);
    folded[p] = theta < 0 ? theta + pi : theta;
  }
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return folded[a] < folded[b]; });
  std::vector<double> weights(count);
  for (std::size_t i = 0; i < count; ++i) {
    const double before = i > 0 ? folded[order[i - 1]] : folded[order[count - 1]] - pi;
    const double after = i + 1 < count ? folded[order[i + 1]] : folded[order[0]] + pi;
    weights[order[i]] = 0.5 * (after - before);
  }
  return weights;
}

GridrecTables::GridrecTables(const FbpSettings& settings)
    : n(settings.geometry.columns), projections(static_cast<int>(settings.geometry.angles_rad.size())) {
  if (n <= 0) fail("gridrec: detector width must be positive, got {}", n);
  if (projections == 0) fail("reconstruction needs at least one projection angle");
  if (!(settings.filter_cutoff > 0.0f && settings.filter_cutoff <= 1.0f))
    fail("filter_cutoff = {} is out of range (0, 1]", settings.filter_cutoff);
  choose_sizes();
  tabulate_line_weights(settings.filter, settings.filter_cutoff);
  tabulate_angles(settings.geometry);
  tabulate_kernel();
  tabulate_output(settings.value_scale);
}

void GridrecTables::choose_sizes() {
  radial = fft_length(2 * n, 2);
  grid = fft_length(static_cast<int>(std::ceil(kOversampling * n)), kColumnBlock);
  halo = kKernelWidth / 2 + 1;
  stride = (grid + 2 * halo + 7) / 8 * 8;
  storage_rows = grid + 2 * halo;
  beta = kaiser_bessel_beta(kKernelWidth, static_cast<double>(grid) / n);
  if (grid_values() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail("gridrec: a {} x {} frequency grid (detector width {}) is too large", grid, grid, n);
}

// Weights along a line, per |k| (ω = k/M cycles per pixel). Up to ½ (k = M/2): the direct
// method's ramp and window (ramp_response, with the inverse transform's 1/M) times sinc²(ω), the
// response of its linear interpolation, so that both have the same resolution and noise. Beyond
// ½ the direct method's interpolation also passes the spectrum's first image, Q(ω − 1)·sinc²(ω):
// its ramp is that of M − k. The pixel grid holds it up to the edge of the square band,
// ½/max(|cos θ|, |sin θ|) ≤ ½√2; gridrec keeps it there (without it, sharp edges came out up
// to 0.4 dB worse than the direct method's) and, unlike the direct method, folds nothing back
// from beyond.
void GridrecTables::tabulate_line_weights(FilterWindow window, float cutoff) {
  const auto ramp = ramp_response(radial, window, cutoff);
  const int last_bin = static_cast<int>(std::ceil(0.5 * std::numbers::sqrt2 * radial));
  for (int k = 0; k <= last_bin; ++k) {
    const int baseband = k <= radial / 2 ? k : radial - k;
    const float nu = static_cast<float>(k) / static_cast<float>(radial);
    line_weight.push_back(ramp[static_cast<std::size_t>(baseband)] * linear_interpolation_response(nu));
    if (line_weight.back() != 0.0f) max_bin = k;
  }
  const double reach = std::min(0.5 * grid, static_cast<double>(max_bin) * grid / radial);
  const int band = static_cast<int>(std::ceil(reach)) + halo;
  first_band_row = std::max(0, grid / 2 - band);
  end_band_row = std::min(grid, grid / 2 + band + 1);
}

// Per projection: its weight, where its line runs on the grid and ends, and the axis phase.
// Sub-pixel geometry is exact through that phase: the image origin (x, y) = (0, 0) of the FFT
// is pixel (r, j) = (⌊N/2⌋, ⌊N/2⌋), which the docs' convention puts at x = ⌊N/2⌋ − N/2,
// y = N/2 − ⌊N/2⌋ (half a pixel off for odd N); the ray through it meets the detector at
// t0 = axis + x cos θ + y sin θ.
void GridrecTables::tabulate_angles(const ParallelGeometry& geometry) {
  const auto& angles = geometry.angles_rad;
  const auto weights = gridrec_angle_weights(angles);
  const double origin_x = std::floor(0.5 * n) - 0.5 * n, origin_y = -origin_x;
  const double cells_per_bin = static_cast<double>(grid) / radial;
  for (std::size_t p = 0; p < angles.size(); ++p) {
    const double c = std::cos(static_cast<double>(angles[p])), s = std::sin(static_cast<double>(angles[p]));
    angle_weight.push_back(static_cast<float>(weights[p]));
    axis_shift.push_back(static_cast<double>(geometry.axis) + origin_x * c + origin_y * s);
    step_x.push_back(static_cast<float>(cells_per_bin * c));
    step_y.push_back(static_cast<float>(cells_per_bin * s));
    // The line leaves the square band at |k| = (M/2)/max(|cos θ|, |sin θ|): the last bin keeps
    // the part of its width [k − ½, k + ½] inside (½ for θ a multiple of 90°, where the bins
    // at ±M/2 fall on one grid point, the band's two edges being one period apart).
    const double edge = 0.5 * radial / std::max(std::abs(c), std::abs(s));
    const int inside = static_cast<int>(std::floor(edge + 1e-9));
    line_end.push_back(std::min(inside, max_bin));
    end_share.push_back(inside <= max_bin ? static_cast<float>(std::min(1.0, edge - inside + 0.5)) : 1.0f);
  }
}

void GridrecTables::tabulate_kernel() {
  kernel_table.resize(static_cast<std::size_t>(kTableResolution) * kKernelWidth);
  for (int q = 0; q < kTableResolution; ++q) {
    const double f = (q + 0.5) / kTableResolution;  // centre of the sub-cell bin
    for (int i = 0; i < kKernelWidth; ++i)
      kernel_table[static_cast<std::size_t>(q * kKernelWidth + i)] =
          static_cast<float>(kaiser_bessel(f - 0.5 * kKernelWidth + i, kKernelWidth, beta));
  }
  for (const float value : kernel_table) kernel_pairs.insert(kernel_pairs.end(), {value, value});
}

void GridrecTables::tabulate_output(float value_scale) {
  const int centre = n / 2;
  const auto deapodise = [&](int position) {
    const double sign = position % 2 == 0 ? 1.0 : -1.0;  // the grid's origin sits at index G/2
    return sign / kaiser_bessel_transform(static_cast<double>(position) / grid, kKernelWidth, beta);
  };
  for (int j = 0; j < n; ++j) column_factor.push_back(static_cast<float>(value_scale * deapodise(j - centre)));
  for (int r = 0; r < n; ++r) {
    const int y = centre - r;
    row_factor.push_back(static_cast<float>(deapodise(y)));
    row_source.push_back((y + grid) % grid);
  }
  // Image columns x = j − ⌊N/2⌋ sit at FFT columns x mod G: [0, N − ⌊N/2⌋) and [G − ⌊N/2⌋, G).
  for (const auto& [first, end] : {std::pair{0, n - centre}, std::pair{grid - centre, grid}})
    for (int c = first / kColumnBlock * kColumnBlock; c < end; c += kColumnBlock)
      if (column_blocks.empty() || column_blocks.back() < c) column_blocks.push_back(c);
}

}  // namespace tomo
