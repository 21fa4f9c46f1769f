// `tomoedge cor` and `tomoedge cor-sweep` end to end: simulated scans with a known axis, and the
// tooth scan whose README gives its centre.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "storage/tiff_image.hpp"
#include "test_support.hpp"

namespace {
namespace fs = std::filesystem;
using tomo::test::run_tomoedge;

class CorCommands : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Shared by the suite's tests (scratch_dir() is per test, and there is no test yet here).
    dir_ = new fs::path(fs::temp_directory_path() / fmt::format("tomoedge-cor-commands-{}", getpid()));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    // The axis 3.3 pixels right of the centre of 128 columns; 4 rows for binning.
    const auto r = run_tomoedge(fmt::format("simulate --out {} --projections 360 --rows 4 --columns 128 --photons 100000 "
                                            "--cor-offset 3.3 --seed 8 --no-truth",
                                            scan().string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path scan() { return *dir_ / "axis.tdf"; }

  static nlohmann::json estimate(const std::string& flags) {
    const auto r = run_tomoedge(fmt::format("cor {} --json {}", scan().string(), flags));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    // The log goes to stderr, which run_tomoedge merges: the JSON starts at the first brace.
    return nlohmann::json::parse(r.output.substr(r.output.find('{')));
  }
  static fs::path* dir_;
};
fs::path* CorCommands::dir_ = nullptr;

TEST_F(CorCommands, BothMethodsFindTheSimulatedAxis) {
  for (const char* method : {"registration", "vo"}) {
    const auto found = estimate(fmt::format("--method {}", method));
    // The kernels' own tests measure 0.01–0.04 pixel on such scans.
    EXPECT_NEAR(found["offset"].get<double>(), 3.3, 0.25) << method;
    EXPECT_NEAR(found["axis_column"].get<double>(), 67.3, 0.25) << method;
    EXPECT_GT(found["confidence"].get<double>(), 0.1) << method;
    EXPECT_GT(found["metric"].size(), 10u) << method;
  }
}

// With binning 2 the search runs on binned columns; the offset printed is still in detector
// pixels, the unit of --cor-offset.
TEST_F(CorCommands, BinnedSearchReportsDetectorPixels) {
  EXPECT_NEAR(estimate("--binning 2")["offset"].get<double>(), 3.3, 0.5);
}

TEST_F(CorCommands, PlotAndPlainOutput) {
  const fs::path plot = *dir_ / "metric.png";
  const auto r = run_tomoedge(fmt::format("cor {} --plot {}", scan().string(), plot.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("reconstruct with: --cor-offset 3."), std::string::npos) << r.output;
  EXPECT_GT(fs::file_size(plot), 1000u);
  const auto bad = run_tomoedge(fmt::format("cor {} --method guess", scan().string()));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("registration, vo"), std::string::npos) << bad.output;
}

TEST_F(CorCommands, SweepNamesEachSliceByItsOffsetAndMakesAContactSheet) {
  const fs::path out = *dir_ / "sweep";
  const auto r = run_tomoedge(fmt::format("cor-sweep {} --slice 1 --from 2.5 --to 4 --step 0.5 --out {}", scan().string(), out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"slice_cor_+2.50.tif", "slice_cor_+3.00.tif", "slice_cor_+3.50.tif", "slice_cor_+4.00.tif"}) {
    ASSERT_TRUE(fs::exists(out / name)) << name;
    EXPECT_EQ(tomo::read_tiff(out / name).width, 128);
  }
  EXPECT_GT(fs::file_size(out / "slice_cor_sweep.png"), 1000u);
  const auto tooMany = run_tomoedge(fmt::format("cor-sweep {} --slice 1 --from 0 --to 100 --step 0.1 --out {}", scan().string(), out.string()));
  EXPECT_EQ(tooMany.exit_code, 1);
  EXPECT_NE(tooMany.output.find("at most 200"), std::string::npos) << tooMany.output;
}

// The tooth scan's README: the centre is column 296 of 640 (offset −24).
TEST(CorRealData, ToothCommandWithinOnePixelOfItsReadme) {
  const fs::path tooth = fs::path(TOMO_REAL_DATA_DIR) / "tomopy_tooth" / "tooth.h5";
  if (!fs::exists(tooth)) GTEST_SKIP() << "real data not found: " << tooth;
  const auto r = run_tomoedge(fmt::format("cor {} --json", tooth.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto found = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_NEAR(found["axis_column"].get<double>(), 296.0, 1.0);  // measured 295.84
}

}  // namespace
