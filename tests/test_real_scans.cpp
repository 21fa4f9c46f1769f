// The real measured scans in shared/data/real (see its README) reconstruct without error, and
// where the README gives a centre of rotation, a sweep of our reconstruction agrees with it.
#include <gtest/gtest.h>

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

TEST(RealScans, NeutronSinogramWithoutFlatsIsExplained) {
  // No flats: reconstruction waits for air normalisation (preprocessing issue); until then the
  // refusal must say why.
  const auto dir = tomo::test::scratch_dir("neutron");
  const auto r = run_tomoedge(fmt::format("recon {} --out {}", (kReal / "sarepy_neutron_360" / "sinogram_360_neutron_image.tif").string(),
                                          (dir / "out").string()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no flat fields"), std::string::npos) << r.output;
}

}  // namespace
