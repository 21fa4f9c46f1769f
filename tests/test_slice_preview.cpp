// The interactive preview's single-slice reconstructor (pipeline/slice_preview.hpp): every
// change gives exactly the slice an uncached reconstruction of that row gives, and re-runs only
// the stages the change affects.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "pipeline/slice_preview.hpp"
#include "pipeline/slice_sweep.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using tomo::PreviewReuse;
using tomo::ReconParams;

class SlicePreviewTest : public ::testing::Test {
 protected:
  // One small scan for the suite: rings (defective columns) and phase contrast to remove, the
  // physics phase retrieval needs in the file, the axis off centre.
  static void SetUpTestSuite() {
    const char* root = std::getenv("TOMO_TEST_TMP");
    const fs::path dir = (root ? fs::path(root) : fs::temp_directory_path() / "tomoedge-tests") /
                         fmt::format("SlicePreview.{}", getpid());
    fs::create_directories(dir);
    scan_ = dir / "scan.h5";
    const auto r = tomo::test::run_tomoedge(fmt::format(
        "simulate --out {} --projections 120 --rows 12 --columns 64 --cor-offset 1.5 --defective-columns 3 "
        "--energy 20 --distance 100 --pixel-size 2 --delta-beta 10 --no-truth --threads 1",
        scan_.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  static ReconParams params(const std::string& json = "{}") {
    ReconParams p = tomo::with_defaults(tomo::params_from_json(json, "test"));
    tomo::validate(p);
    return p;
  }

  // The row as an uncached reconstruction makes it.
  static std::vector<float> uncached(const ReconParams& p, int row) { return tomo::SliceSweep(scan_, p).slice(p, row); }

  static inline fs::path scan_;
};

TEST_F(SlicePreviewTest, EveryChangeGivesTheSliceOfAnUncachedReconstruction) {
  constexpr int row = 6;
  tomo::SlicePreview preview(tomo::open_scan(scan_), row);
  const std::vector<std::string> changes = {
      "{}",
      R"({"cor_offset": 1.5})",
      R"({"cor_offset": 1.5, "rings": "rivers:11;0"})",
      R"({"cor_offset": 1.5, "rings": "rivers:11;0", "phase_method": "paganin", "delta_over_beta": 10})",
      R"({"cor_offset": 1.5, "rings": "rivers:11;0", "phase_method": "paganin", "delta_over_beta": 40})",
      R"({"cor_offset": 2.0, "rings": "rivers:11;0", "phase_method": "paganin", "delta_over_beta": 40})",
      R"({"cor_offset": 2.0, "method": "fbp", "filter": "shepp-logan", "zinger_threshold": 0.3})",
      R"({"cor_offset": 2.0, "projection_step": 2, "crop_left": 2, "crop_right": 2})",
      "{}",
  };
  for (const auto& change : changes) {
    const ReconParams p = params(change);
    const tomo::PreviewSlice slice = preview.slice(p);
    const std::vector<float> reference = uncached(p, row);
    ASSERT_EQ(slice.width * slice.width, static_cast<int>(reference.size())) << change;
    EXPECT_EQ(*slice.pixels, reference) << change << " (reused " << tomo::reuse_name(slice.reused) << ")";
  }
}

TEST_F(SlicePreviewTest, EachChangeReRunsOnlyTheStagesItAffects) {
  tomo::SlicePreview preview(tomo::open_scan(scan_), 5);
  const auto reused = [&](const std::string& change) { return preview.slice(params(change)).reused; };
  EXPECT_EQ(reused("{}"), PreviewReuse::nothing);
  EXPECT_EQ(reused("{}"), PreviewReuse::slice);
  // Slice format and resources change nothing of the values.
  EXPECT_EQ(reused(R"({"format": "hdf5", "prefix": "x", "threads": 1, "slice_crop_top": 3})"), PreviewReuse::slice);
  const tomo::PreviewSlice centred = preview.slice(params(R"({"cor_offset": 1.5})"));
  EXPECT_EQ(centred.reused, PreviewReuse::preprocessed);
  EXPECT_EQ(centred.timings.read, 0.0);
  EXPECT_EQ(centred.timings.preprocess, 0.0);
  EXPECT_GT(centred.timings.reconstruct, 0.0);
  EXPECT_EQ(reused(R"({"cor_offset": 1.5, "filter": "hann", "rotation_deg": 30})"), PreviewReuse::preprocessed);
  EXPECT_EQ(reused(R"({"cor_offset": 1.5, "rings": "rivers:11;0"})"), PreviewReuse::sinogram);
  EXPECT_EQ(reused(R"({"rings": "rivers:11;0", "cor_offset": -1})"), PreviewReuse::preprocessed);
  // Phase retrieval reads a band of rows around the slice: a new band is a new read.
  EXPECT_EQ(reused(R"({"phase_method": "paganin", "delta_over_beta": 10})"), PreviewReuse::nothing);
  EXPECT_EQ(reused(R"({"phase_method": "paganin", "delta_over_beta": 10, "cor_offset": 0.5})"), PreviewReuse::preprocessed);
  EXPECT_EQ(reused(R"({"phase_method": "paganin", "delta_over_beta": 10, "unsharp_sigma": 0.5, "unsharp_amount": 0})"),
            PreviewReuse::sinogram);
  EXPECT_EQ(reused(R"({"projection_step": 2})"), PreviewReuse::nothing);
  EXPECT_EQ(reused(R"({"projection_step": 2, "flat_average": "median"})"), PreviewReuse::nothing);
  EXPECT_GT(preview.bytes(), 0u);
}

TEST(SlicePreviewKeys, EachStageKeyHoldsOnlyWhatItDependsOn) {
  ReconParams base = tomo::default_params(), centred = base, ringed = base, cropped = base;
  centred.set_cor_offset(3);
  ringed.set_rings("rivers:11;0");
  cropped.set_crop_left(4);
  EXPECT_EQ(tomo::read_stage_key(base), tomo::read_stage_key(centred));
  EXPECT_EQ(tomo::preprocess_stage_key(base), tomo::preprocess_stage_key(centred));
  EXPECT_NE(tomo::reconstruct_stage_key(base), tomo::reconstruct_stage_key(centred));
  EXPECT_EQ(tomo::read_stage_key(base), tomo::read_stage_key(ringed));
  EXPECT_NE(tomo::preprocess_stage_key(base), tomo::preprocess_stage_key(ringed));
  EXPECT_NE(tomo::read_stage_key(base), tomo::read_stage_key(cropped));
}

}  // namespace
