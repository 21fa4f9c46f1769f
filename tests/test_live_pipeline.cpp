// Live reconstruction (recon --follow): slabs reconstructed chunk by chunk as projections are
// declared written give the batch result; the live view sharpens towards the final slice.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

#include <caf/all.hpp>

#include "actors/job_runner.hpp"
#include "actors/messages.hpp"
#include "storage/recon_params.hpp"
#include "storage/tiff_image.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using tomo::test::run_tomoedge;

tomo::JobRequest request_for(const fs::path& scan, const fs::path& out, const std::string& rings = "none") {
  tomo::ReconParams overrides;
  overrides.set_method("fbp");
  overrides.set_rings(rings);
  overrides.set_memory_bytes(std::int64_t{6} << 20);  // several slabs
  tomo::ReconParams params = tomo::with_defaults(overrides);
  tomo::validate(params);
  return {scan, out, params, std::nullopt, 0, {}};
}

// Every slice of a reconstruction, one after another.
std::vector<float> slices_in(const fs::path& folder, int rows) {
  std::vector<float> all;
  for (int r = 0; r < rows; ++r) {
    const auto image = tomo::read_tiff(folder / fmt::format("slice_{:04}.tif", r));
    all.insert(all.end(), image.pixels.begin(), image.pixels.end());
  }
  return all;
}

class LivePipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tomo::test::scratch_dir("live");
    scan_ = dir_ / "scan.tdf";
    const auto r = run_tomoedge(fmt::format("simulate --out {} --rows 24 --columns 96 --projections 240 --seed 9 "
                                            "--defective-columns 3",
                                            scan_.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  fs::path dir_, scan_;
};

// A finished scan followed as if it were being acquired: the live slabs, reconstructed in chunks
// of 16 projections, give the batch reconstruction (the same direct method, the same Rivers ring
// filter, which the live slabs apply at the end from their running column sums).
TEST_F(LivePipeline, FollowingGivesTheBatchResult) {
  tomo::JobRunner runner;
  for (const std::string rings : {"none", "rivers:11;0"}) {
    const auto tag = rings == "none" ? std::string("plain") : std::string("rivers");
    runner.run(request_for(scan_, dir_ / ("batch-" + tag), rings));
    tomo::JobOptions follow;
    follow.follow = true;
    follow.chunk_projections = 16;
    const auto live = runner.run(request_for(scan_, dir_ / ("live-" + tag), rings), follow);
    ASSERT_EQ(live.slices, 24);
    const double error = tomo::test::relative_error(slices_in(dir_ / ("live-" + tag), 24), slices_in(dir_ / ("batch-" + tag), 24));
    RecordProperty("relative_error_" + tag, fmt::format("{:.2e}", error));
    EXPECT_LT(error, 1e-5) << rings;
  }
}

// The live view of the middle slice, every 40 projections: it grows more like the final slice
// with every update; with half the projections in (the angles 0–90°) it already shows the sample,
// with the streaks of the missing angles (correlation with the final slice measured 0.75, 0.66
// with a third), and with all of them it is the final slice.
TEST_F(LivePipeline, LiveViewSharpensIntoTheFinalSlice) {
  tomo::JobRunner runner;
  tomo::JobOptions follow;
  follow.follow = true;
  follow.live_rows = {12};
  follow.live_every = 40;
  follow.chunk_projections = 8;  // views come when a chunk crosses a multiple of 40: exactly there
  std::mutex mutex;
  std::map<int, std::vector<float>> views;  // by projections added
  follow.on_live_slice = [&](int row, int added, int width, std::span<const float> values) {
    EXPECT_EQ(row, 12);
    EXPECT_EQ(width, 96);
    std::lock_guard lock(mutex);
    views[added].assign(values.begin(), values.end());
  };
  runner.run(request_for(scan_, dir_ / "live"), follow);
  ASSERT_TRUE(views.count(120)) << "no view at half the projections";
  ASSERT_TRUE(views.count(240)) << "no view at the end";
  const auto final_slice = tomo::read_tiff(dir_ / "live" / "slice_0012.tif").pixels;
  double last = -1;
  std::string measured;
  for (const auto& [added, view] : views) {
    const double c = tomo::test::correlation(view, final_slice);
    measured += fmt::format("{}: {:.3f} ", added, c);
    EXPECT_GT(c, last) << "after " << added << " projections";
    last = c;
  }
  RecordProperty("correlation_by_projections", measured);
  EXPECT_GT(tomo::test::correlation(views[120], final_slice), 0.7);
  EXPECT_LT(tomo::test::relative_error(views[240], final_slice), 1e-5);
}

// Any actor of the runner's actor system can follow the live view: it joins the job's group.
TEST_F(LivePipeline, OtherActorsSubscribeToTheLiveView) {
  caf::actor_system_config config;
  tomo::actors::add_message_types(config);
  caf::actor_system system{config};
  caf::scoped_actor viewer{system};
  viewer->join(system.groups().get_local("live-view-test"));
  tomo::JobRunner runner(system);
  tomo::JobOptions follow;
  follow.follow = true;
  follow.live_rows = {5, 12};
  follow.live_every = 60;
  follow.chunk_projections = 12;
  follow.live_group = "live-view-test";
  runner.run(request_for(scan_, dir_ / "subscribed"), follow);
  std::map<int, std::vector<int>> seen;  // row → projections added at each view
  bool more = true;
  while (more)
    viewer->receive([&](const tomo::actors::live_slice& view) { seen[view.row].push_back(view.added); },
                    caf::after(std::chrono::milliseconds(200)) >> [&] { more = false; });
  EXPECT_EQ(seen[5], (std::vector<int>{60, 120, 180, 240}));
  EXPECT_EQ(seen[12], (std::vector<int>{60, 120, 180, 240}));
}

// A job with a step that needs the whole scan (gridrec asked for; a sorting ring filter) is
// followed too, and reconstructed once the scan is complete; without --method, following uses
// the direct method, which runs live.
TEST_F(LivePipeline, StepsThatNeedTheWholeScanWaitForIt) {
  const auto r = run_tomoedge(fmt::format("recon {} --out {} --follow --method gridrec", scan_.string(), (dir_ / "whole").string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("live reconstruction off: --method gridrec reconstructs whole sinograms"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "whole" / "slice_0023.tif"));
  // Without --method, following means the direct method, live; a sorting ring filter still waits.
  const auto sorted = run_tomoedge(fmt::format("recon {} --out {} --follow --rings vo-sort", scan_.string(), (dir_ / "sorted").string()));
  EXPECT_EQ(sorted.exit_code, 0) << sorted.output;
  EXPECT_NE(sorted.output.find("--follow: reconstructing with the direct method"), std::string::npos) << sorted.output;
  EXPECT_NE(sorted.output.find("live reconstruction off: ring filter 'vo-sort:21' needs the whole sinogram"), std::string::npos)
      << sorted.output;
  const auto plain = run_tomoedge(fmt::format("recon {} --out {} --follow", scan_.string(), (dir_ / "plain").string()));
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("reconstructed as the scan is acquired"), std::string::npos) << plain.output;
}

}  // namespace
