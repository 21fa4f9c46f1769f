// Filtered backprojection against analytic answers: a uniform disc, whose line integrals are
// known in closed form, and a brute-force double-precision backprojection.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/fbp.hpp"
#include "test_support.hpp"

namespace {

constexpr double kPi = std::numbers::pi;

std::vector<float> even_angles(int projections, double span_deg = 180.0) {
  std::vector<float> angles(static_cast<std::size_t>(projections));
  for (int i = 0; i < projections; ++i) angles[static_cast<std::size_t>(i)] = static_cast<float>(i * span_deg / projections * kPi / 180.0);
  return angles;
}

// Line integrals of a disc of radius `radius` and attenuation `mu` centred at (x0, y0), sampled
// at detector column c with the axis at `axis`: p = 2μ√(R² − s²), s = t − (x0 cos θ + y0 sin θ).
std::vector<float> disc_sinogram(int n, const std::vector<float>& angles, double axis, double radius, double mu,
                                 double x0 = 0, double y0 = 0) {
  std::vector<float> sino(angles.size() * static_cast<std::size_t>(n));
  for (std::size_t p = 0; p < angles.size(); ++p) {
    for (int c = 0; c < n; ++c) {
      const double s = (c - axis) - (x0 * std::cos(angles[p]) + y0 * std::sin(angles[p]));
      sino[p * n + c] = s * s < radius * radius ? static_cast<float>(2 * mu * std::sqrt(radius * radius - s * s)) : 0.f;
    }
  }
  return sino;
}

tomo::FbpSettings settings_for(int n, std::vector<float> angles, float offset = 0) {
  tomo::FbpSettings s;
  s.geometry = {n, 0.5f * static_cast<float>(n) + offset, std::move(angles)};
  s.threads = 2;
  return s;
}

double mean_in_disc(const std::vector<float>& slice, int n, double cx, double cy, double radius) {
  double sum = 0;
  int count = 0;
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < n; ++j) {
      const double x = j - n / 2.0, y = n / 2.0 - r;
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius) {
        sum += slice[static_cast<std::size_t>(r) * n + j];
        ++count;
      }
    }
  return sum / count;
}

TEST(RampFilter, ResponseIsTheRampWithZeroDc) {
  const int m = tomo::padded_length(100);
  EXPECT_EQ(m, 256);
  const auto h = tomo::ramp_response(m, tomo::FilterWindow::ram_lak, 1.0f);
  // H_k·M ≈ |f| = k/M in cycles per pixel (the discrete kernel bends slightly near Nyquist).
  EXPECT_NEAR(h[0] * m, 0.0, 2e-3);
  for (int k : {8, 32, 64, 96}) EXPECT_NEAR(h[static_cast<std::size_t>(k)] * m, double(k) / m, 0.01 * k / m + 1e-4);
}

TEST(RampFilter, WindowsStartAtOneAndRespectTheCutoff) {
  using tomo::FilterWindow;
  for (auto w : {FilterWindow::ram_lak, FilterWindow::shepp_logan, FilterWindow::cosine, FilterWindow::hamming,
                 FilterWindow::hann, FilterWindow::parzen}) {
    EXPECT_FLOAT_EQ(tomo::filter_window(w, 0.0f, 1.0f), 1.0f) << tomo::to_string(w);
    EXPECT_EQ(tomo::filter_window(w, 0.6f, 0.5f), 0.0f) << tomo::to_string(w);
    EXPECT_EQ(tomo::parse_filter_window(tomo::to_string(w)), w);
  }
  EXPECT_NEAR(tomo::filter_window(FilterWindow::hann, 1.0f, 1.0f), 0.0f, 1e-6);
  EXPECT_NEAR(tomo::filter_window(FilterWindow::hamming, 1.0f, 1.0f), 0.08f, 1e-6);
  EXPECT_NEAR(tomo::filter_window(FilterWindow::parzen, 0.5f, 1.0f), 0.25f, 1e-6);
  EXPECT_NEAR(tomo::filter_window(FilterWindow::shepp_logan, 1.0f, 1.0f), 2.0 / kPi, 1e-6);
  EXPECT_THROW(tomo::parse_filter_window("butterworth"), tomo::Error);
  EXPECT_THROW(tomo::RampFilter(64, FilterWindow::hann, 0.0f), tomo::Error);
}

// Straightforward double-precision backprojection (linear interpolation, zero beyond the detector).
std::vector<double> reference_backprojection(const std::vector<float>& sino, int slices, int projections, int n,
                                             const std::vector<float>& angles, double axis) {
  std::vector<double> out(static_cast<std::size_t>(slices) * n * n);
  for (int s = 0; s < slices; ++s)
    for (int r = 0; r < n; ++r)
      for (int j = 0; j < n; ++j) {
        double sum = 0;
        for (int p = 0; p < projections; ++p) {
          const double t = (j - n / 2.0) * std::cos(double(angles[p])) + (n / 2.0 - r) * std::sin(double(angles[p])) + axis;
          const double i = std::floor(t), w = t - i;
          const auto at = [&](double c) { return c >= 0 && c < n ? double(sino[(std::size_t(s) * projections + p) * n + std::size_t(c)]) : 0.0; };
          sum += (1 - w) * at(i) + w * at(i + 1);
        }
        out[(std::size_t(s) * n + r) * n + j] = sum;
      }
  return out;
}

struct BackprojectionCase {
  int n, projections, slices;
  double axis_offset;  // from N/2
};

class BackprojectionSizes : public ::testing::TestWithParam<BackprojectionCase> {};

// Both kernels against the reference over awkward sizes: odd widths, widths that are no power of
// two, one angle and many, a partial group of slices, axes a quarter of the width off centre.
TEST_P(BackprojectionSizes, BothKernelsMatchTheDoubleReference) {
  const auto [n, projections, slices, offset] = GetParam();
  const auto angles = even_angles(projections);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-1.f, 1.f);
  std::vector<float> sino(static_cast<std::size_t>(slices) * projections * n);
  for (auto& v : sino) v = value(rng);
  const float axis = static_cast<float>(n / 2.0 + offset);
  const auto reference = reference_backprojection(sino, slices, projections, n, angles, axis);
  std::vector<float> one(static_cast<std::size_t>(slices) * n * n), slab(one.size());
  tomo::backproject(sino, slices, {n, axis, angles}, 1.0f, one, 2);
  tomo::backproject_slab(sino, slices, {n, axis, angles}, 1.0f, slab, 2);
  EXPECT_LT(tomo::test::relative_error(one, reference), 1e-5);
  EXPECT_LT(tomo::test::relative_error(slab, reference), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Awkward, BackprojectionSizes,
                         ::testing::Values(BackprojectionCase{48, 37, 2, 0.3}, BackprojectionCase{33, 1, 17, 0.0},
                                           BackprojectionCase{50, 4097, 3, -12.5}, BackprojectionCase{67, 180, 16, 16.75},
                                           BackprojectionCase{29, 45, 12, 7.25},  // a group of 16 lanes, 12 slices
                                           BackprojectionCase{64, 90, 1, -16.0},
                                           // one slice the size of a preview, at a real scan's angles, and
                                           // one whose positions the one-slice kernel pads for, off centre
                                           BackprojectionCase{256, 1800, 1, 0.0}, BackprojectionCase{200, 90, 1, -50.0},
                                           // axes so far off that the detector covers only part of the
                                           // image: the one-slice kernel clamps positions instead of padding
                                           BackprojectionCase{40, 25, 1, 40.0}, BackprojectionCase{37, 25, 2, -30.5},
                                           // images narrower than one SIMD vector or pixel block
                                           BackprojectionCase{5, 7, 1, 0.5}, BackprojectionCase{1, 3, 1, 0.0}));

TEST(Fbp, UniformDiscReconstructsItsAttenuation) {
  const int n = 128, projections = 180;
  const double mu = 0.02, radius = 40;
  auto angles = even_angles(projections);
  auto sino = disc_sinogram(n, angles, n / 2.0, radius, mu);
  tomo::FbpReconstructor fbp(settings_for(n, angles));
  std::vector<float> slice(static_cast<std::size_t>(n) * n);
  fbp.reconstruct(sino, 1, slice);
  // Inside (away from the edge ringing) the value is μ; outside it is 0.
  EXPECT_NEAR(mean_in_disc(slice, n, 0, 0, radius - 5), mu, 0.01 * mu);
  EXPECT_NEAR(slice[static_cast<std::size_t>(n / 2) * n + n / 2], mu, 0.03 * mu);
  EXPECT_NEAR(slice[static_cast<std::size_t>(n / 2) * n + 10], 0.0, 0.03 * mu);
  // The mask zeroes the corners.
  EXPECT_EQ(slice[0], 0.0f);
}

TEST(Fbp, CentreOffsetAndOffCentreObjectsLandWhereTheyShould) {
  const int n = 96, projections = 120;
  const double mu = 0.05, radius = 8, x0 = 20, y0 = -12, offset = 3.5;
  auto angles = even_angles(projections);
  auto sino = disc_sinogram(n, angles, n / 2.0 + offset, radius, mu, x0, y0);
  tomo::FbpReconstructor fbp(settings_for(n, angles, static_cast<float>(offset)));
  std::vector<float> slice(static_cast<std::size_t>(n) * n);
  fbp.reconstruct(sino, 1, slice);
  EXPECT_NEAR(mean_in_disc(slice, n, x0, y0, radius - 3), mu, 0.03 * mu);
  EXPECT_NEAR(mean_in_disc(slice, n, -x0, -y0, radius - 3), 0.0, 0.03 * mu);
}

TEST(Fbp, Span360GivesTheSameValues) {
  const int n = 64;
  const double mu = 0.03, radius = 20;
  auto angles = even_angles(200, 360.0);
  auto sino = disc_sinogram(n, angles, n / 2.0, radius, mu);
  tomo::FbpReconstructor fbp(settings_for(n, angles));
  std::vector<float> slice(static_cast<std::size_t>(n) * n);
  fbp.reconstruct(sino, 1, slice);
  EXPECT_NEAR(mean_in_disc(slice, n, 0, 0, radius - 4), mu, 0.015 * mu);
}

TEST(Fbp, EveryWindowKeepsTheMean) {
  const int n = 128, projections = 180;
  const double mu = 0.02, radius = 40;
  auto angles = even_angles(projections);
  for (auto window : {tomo::FilterWindow::shepp_logan, tomo::FilterWindow::cosine, tomo::FilterWindow::hamming,
                      tomo::FilterWindow::hann, tomo::FilterWindow::parzen}) {
    auto sino = disc_sinogram(n, angles, n / 2.0, radius, mu);
    auto settings = settings_for(n, angles);
    settings.filter = window;
    tomo::FbpReconstructor fbp(settings);
    std::vector<float> slice(static_cast<std::size_t>(n) * n);
    fbp.reconstruct(sino, 1, slice);
    EXPECT_NEAR(mean_in_disc(slice, n, 0, 0, radius - 6), mu, 0.015 * mu) << tomo::to_string(window);
  }
}

}  // namespace
