// The real measured scans in shared/data/real (see its README) reconstruct without error, and
// where the README gives a centre of rotation, a sweep of our reconstruction agrees with it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>

#include "kernels/image_metrics.hpp"
#include "storage/tiff_image.hpp"
#include "test_support.hpp"

namespace {
namespace fs = std::filesystem;
using tomo::test::run_tomoedge;

const fs::path kReal = TOMO_REAL_DATA_DIR;

std::vector<float> reconstruct_one(const std::string& input, const std::string& flags, const fs::path& out, int row, int* n) {
  const auto r = run_tomoedge(fmt::format("recon {} --out {} --slices {}:{} {}", input, out.string(), row, row + 1, flags));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto path = out / fmt::format("slice_{:04d}.tif", row);
  if (!fs::exists(path)) return {};
  auto image = tomo::read_tiff(path);
  *n = image.width;
  return image.pixels;
}

// The offset (from the detector centre) of least total variation among `offsets`.
double sharpest_offset(const std::string& input, const std::string& flags, const fs::path& out, int row,
                       const std::vector<double>& offsets) {
  double best = 0, least = 1e300;
  for (double offset : offsets) {
    int n = 0;
    const auto slice = reconstruct_one(input, fmt::format("{} --cor-offset {}", flags, offset), out / fmt::format("o{}", offset), row, &n);
    if (slice.empty()) return 1e9;
    const double tv = tomo::total_variation(slice, n, tomo::disc_region(n, 0.9f));
    if (tv < least) least = tv, best = offset;
  }
  return best;
}

TEST(RealScans, DataFolderIsThere) { ASSERT_TRUE(fs::exists(kReal / "README.md")) << kReal; }

TEST(RealScans, ToothDataExchangeAndItsCentre) {
  const auto dir = tomo::test::scratch_dir("tooth");
  const std::string input = (kReal / "tomopy_tooth" / "tooth.h5").string();
  // README: CoR at column 296 of 640 → offset 296 − 320 = −24 (TV sweep there: 296.0).
  int n = 0;
  const auto slice = reconstruct_one(input, "--cor-offset -24", dir / "slice", 0, &n);
  ASSERT_EQ(n, 640);
  // The tooth (columns ~170–410, the centre of the slice) is denser than the disc on average.
  const auto inner = tomo::disc_region(n, 0.3f), all = tomo::disc_region(n, 0.95f);
  EXPECT_GT(tomo::region_mean(slice, inner), tomo::region_mean(slice, all));
  EXPECT_NEAR(sharpest_offset(input, "", dir, 0, {-26, -25, -24, -23, -22}), -24.0, 1.0);
}

TEST(RealScans, SavuTiffStackWithItsAngles) {
  const auto dir = tomo::test::scratch_dir("savu");
  // Angles −88.2° … 91.8° in 2° steps (from 24737_processed.nxs); CoR ≈ 85.7 of 160 → +5.7.
  const std::string input = (kReal / "savu_24737_tiff" / "image_test" / "tiffs").string();
  int n = 0;
  const auto slice = reconstruct_one(input, "--angles -88.2:2 --cor-offset 5.7", dir / "slice", 100, &n);
  ASSERT_EQ(n, 160);
  EXPECT_NEAR(sharpest_offset(input, "--angles -88.2:2", dir, 100, {4.5, 5.0, 5.5, 6.0, 6.5, 7.0}), 5.7, 1.0);
}

TEST(RealScans, K11NexusWithImageKeyFlatsBeforeAndAfter) {
  const auto dir = tomo::test::scratch_dir("k11");
  int n = 0;
  // Mirror check in the README: CoR 12.25 of 26 columns → offset −0.75.
  const auto slice = reconstruct_one((kReal / "httomo_k11_diad" / "k11-18014.nxs").string(), "--cor-offset -0.75",
                                     dir / "slice", 10, &n);
  ASSERT_EQ(n, 26);
  for (float v : slice) ASSERT_TRUE(std::isfinite(v));
}

// How strong the rings of a slice are, without a truth: the mean over each 1-pixel annulus about
// the axis of the pixels that are air in `reference` (away from the sample), high-passed in
// radius (minus its running median over 9 radii, which keeps the slow background), as an rms.
// Rings are constant along the annulus, so they survive the mean; noise averages out.
double ring_strength(const std::vector<float>& slice, const std::vector<float>& reference, int n) {
  float peak = 0;
  for (float v : reference) peak = std::max(peak, std::abs(v));
  std::vector<double> sum(n, 0.0), count(n, 0.0);
  constexpr int reach = 4;  // air: the 9 × 9 mean of the reference about the pixel is below 10 % of its peak
  for (int r = reach; r < n - reach; ++r)
    for (int j = reach; j < n - reach; ++j) {
      double mean = 0;
      for (int dr = -reach; dr <= reach; ++dr)
        for (int dj = -reach; dj <= reach; ++dj) mean += reference[(r + dr) * n + j + dj];
      const bool air = std::abs(mean) / ((2 * reach + 1) * (2 * reach + 1)) < 0.1 * peak;
      const double x = j - n / 2.0, y = n / 2.0 - r;
      const auto radius = static_cast<int>(std::lround(std::sqrt(x * x + y * y)));
      if (!air || radius >= static_cast<int>(0.95 * n / 2)) continue;
      sum[radius] += slice[r * n + j];
      count[radius] += 1;
    }
  std::vector<double> profile;
  for (int k = 0; k < n; ++k)
    if (count[k] > 0) profile.push_back(sum[k] / count[k]);
  double squares = 0;
  for (std::size_t k = 4; k + 4 < profile.size(); ++k) {
    std::vector<double> window(profile.begin() + static_cast<std::ptrdiff_t>(k - 4), profile.begin() + static_cast<std::ptrdiff_t>(k + 5));
    std::nth_element(window.begin(), window.begin() + 4, window.end());
    squares += (profile[k] - window[4]) * (profile[k] - window[4]);
  }
  return std::sqrt(squares / static_cast<double>(profile.size() - 8));
}

// The tooth's rings, before and after ring removal (docs/preprocessing.md shows the slices).
TEST(RealScans, ToothRingsAreRemoved) {
  const auto dir = tomo::test::scratch_dir("tooth-rings");
  const std::string input = (kReal / "tomopy_tooth" / "tooth.h5").string();
  int n = 0;
  const auto plain = reconstruct_one(input, "--cor-offset -24", dir / "plain", 0, &n);
  const double before = ring_strength(plain, plain, n);
  // Measured: rivers:21;0 1.55×, vo-all 1.76× weaker rings.
  int run = 0;
  for (const char* rings : {"rivers:21;0", "vo-all"}) {
    const auto out = dir / fmt::format("filtered{}", ++run);
    const auto filtered = reconstruct_one(input, fmt::format("--cor-offset -24 --rings '{}'", rings), out, 0, &n);
    const double reduction = before / ring_strength(filtered, plain, n);
    RecordProperty(fmt::format("reduction {}", rings), fmt::format("{:.2f}", reduction));
    EXPECT_GT(reduction, 1.3) << rings;
  }
}

// No flats: the neutron sinogram reconstructs once each row is normalised to its open-beam
// columns (0–29, as its README says); without that the refusal says what to do. Its partial
// stripes make half rings that Vo's combined filter removes.
TEST(RealScans, NeutronSinogramWithAirNormalisation) {
  const auto dir = tomo::test::scratch_dir("neutron");
  const std::string input = (kReal / "sarepy_neutron_360" / "sinogram_360_neutron_image.tif").string();
  const auto refused = run_tomoedge(fmt::format("recon {} --out {}", input, (dir / "refused").string()));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("no flat fields"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--air"), std::string::npos) << refused.output;
  // 459 angles over 360° with the first and the last both at 0°/360° (README): 360/458 apart.
  const std::string flags = "--no-flat-field --air 30:0 --angles 0:0.7860262 --cor-offset -6.6";
  int n = 0;
  const auto plain = reconstruct_one(input, flags, dir / "plain", 0, &n);
  ASSERT_EQ(n, 503);
  for (float v : plain) ASSERT_TRUE(std::isfinite(v));
  const auto filtered = reconstruct_one(input, flags + " --rings vo-all", dir / "vo-all", 0, &n);
  const double reduction = ring_strength(plain, plain, n) / ring_strength(filtered, plain, n);
  RecordProperty("reduction vo-all", fmt::format("{:.2f}", reduction));
  EXPECT_GT(reduction, 5.0);  // measured 17.8
}

}  // namespace
