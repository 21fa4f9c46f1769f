// The job service in one process (service/job_service.hpp): jobs reconstructed as `recon` would,
// bad submissions refused with their reason and nothing stored, cancel leaving no output,
// priorities within the concurrency limit, interrupted jobs resuming only their unwritten slabs,
// and watch rules making jobs of new scans exactly once.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "service/job_service.hpp"
#include "service/logging.hpp"
#include "storage/recon_params.hpp"
#include "storage/tiff_image.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tomo::Job;
using tomo::test::run_tomoedge;

tomo::ServiceConfig config_for(const fs::path& dir) {
  tomo::ServiceConfig config = tomo::default_config();
  config.data_roots = {fs::canonical(dir)};
  config.database = dir / "db";
  config.worker_threads = 2;
  config.watch_poll = 50ms;
  config.stall_timeout = 20s;
  return config;
}

// A service watching dir/incoming/PATTERN with one rule, whose preset is the direct method.
tomo::ServiceConfig watching(const fs::path& dir, const std::string& rule_name, const std::string& pattern,
                             const std::string& preset, bool live) {
  fs::create_directories(dir / "incoming");
  tomo::ServiceConfig config = config_for(dir);
  tomo::WatchRule rule;
  rule.name = rule_name;
  rule.pattern = (fs::canonical(dir) / "incoming" / pattern).string();
  rule.preset = preset;
  rule.output = "{root}/reconstructions/{sample}";
  rule.live = live;
  config.rules.push_back(rule);
  tomo::ReconParams params;
  params.set_method("fbp");
  config.presets[preset] = params;
  return config;
}

fs::path simulated(const fs::path& where, const std::string& flags) {
  fs::create_directories(where.parent_path());
  const auto r = run_tomoedge(fmt::format("simulate --out {} --seed 3 {}", where.string(), flags));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return where;
}

tomo::JobSubmission submission(const fs::path& input, const fs::path& output, const std::string& memory = "") {
  tomo::JobSubmission s;
  s.set_input(input.string());
  s.set_output(output.string());
  s.mutable_params()->set_method("fbp");
  // A small budget cuts even a small scan into several slabs.
  if (!memory.empty()) s.mutable_params()->set_memory_bytes(tomo::parse_memory_size(memory));
  return s;
}

// What a change that queues a job answers: the scheduler may have started it by the time the
// answer is read.
bool queued_or_running(Job::State state) { return state == Job::queued || state == Job::running; }

bool ended(Job::State state) { return state == Job::done || state == Job::failed || state == Job::cancelled; }

Job wait_until(tomo::JobService& service, std::uint64_t id, const std::function<bool(const Job&)>& condition,
               std::chrono::seconds timeout = 120s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  Job job = service.job(id);
  while (!condition(job) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
    job = service.job(id);
  }
  return job;
}

Job wait_for_end(tomo::JobService& service, std::uint64_t id) {
  return wait_until(service, id, [](const Job& job) { return ended(job.state()); });
}

// What a subscriber of the service's events received, parsed.
class EventRecorder {
 public:
  explicit EventRecorder(tomo::EventHub& hub)
      : subscription_(hub.subscribe([this](const tomo::EventHub::Event& event) {
          std::lock_guard lock(mutex_);
          events_.push_back(nlohmann::json::parse(*event));
        })) {}
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::lock_guard lock(mutex_);
    std::vector<nlohmann::json> found;
    for (const auto& event : events_)
      if (event.at("type") == type) found.push_back(event);
    return found;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> events_;
  tomo::EventHub::Subscription subscription_;
};

TEST(JobService, ASubmittedJobIsReconstructedAsReconWould) {
  const auto dir = tomo::test::scratch_dir("service");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 12 --columns 64 --projections 90");
  const auto reference = dir / "reference";
  ASSERT_EQ(run_tomoedge(fmt::format("recon {} --out {} --method fbp", scan.string(), reference.string())).exit_code, 0);

  tomo::JobService service(config_for(dir));
  const Job queued = service.submit(submission(scan, dir / "out"));
  EXPECT_TRUE(queued_or_running(queued.state())) << tomo::to_string(queued.state());
  EXPECT_EQ(queued.sample(), "scan");
  const Job job = wait_for_end(service, queued.id());
  ASSERT_EQ(job.state(), Job::done) << job.error();
  EXPECT_EQ(job.slices_written(), 12);
  EXPECT_EQ(job.outputs_size(), 12);
  EXPECT_GT(job.bytes_written(), 0);
  EXPECT_GT(job.finished(), job.started());
  tomo::test::expect_same_slices(dir / "out", reference);
  const std::string metrics = service.render_metrics();
  EXPECT_NE(metrics.find("tomoedge_jobs{state=\"done\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tomoedge_slab_seconds_count"), std::string::npos) << metrics;
}

struct BadSubmission {
  const char* name;
  std::function<void(tomo::JobSubmission&, const fs::path& dir)> spoil;
  const char* says;
};

class JobServiceRefuses : public ::testing::TestWithParam<BadSubmission> {};

TEST_P(JobServiceRefuses, WithTheReasonAndStoresNothing) {
  const auto dir = tomo::test::scratch_dir("refused");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 4 --columns 32 --projections 30");
  std::ofstream(dir / "raw" / "notes.txt") << "not a scan";
  tomo::JobService service(config_for(dir));
  tomo::JobSubmission s = submission(scan, dir / "out");
  GetParam().spoil(s, dir);
  try {
    service.submit(s);
    FAIL() << "accepted";
  } catch (const tomo::RequestError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_NE(std::string(e.what()).find(GetParam().says), std::string::npos) << e.what();
  }
  EXPECT_TRUE(service.jobs().empty());
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, JobServiceRefuses,
    ::testing::Values(
        BadSubmission{"NoInput", [](auto& s, auto&) { s.clear_input(); }, "needs an input"},
        BadSubmission{"NoOutput", [](auto& s, auto&) { s.clear_output(); }, "needs an output"},
        BadSubmission{"InputOutsideTheRoots", [](auto& s, auto&) { s.set_input("/etc/hostname"); }, "outside the data roots"},
        BadSubmission{"InputEscapingByDotDot", [](auto& s, auto& dir) { s.set_input((dir / "raw/../../x.tdf").string()); },
                      "outside the data roots"},
        BadSubmission{"InputThatDoesNotExist", [](auto& s, auto& dir) { s.set_input((dir / "raw/none.tdf").string()); },
                      "does not exist"},
        BadSubmission{"InputThatIsNotAScan", [](auto& s, auto& dir) { s.set_input((dir / "raw/notes.txt").string()); },
                      "notes.txt"},
        BadSubmission{"OutputOutsideTheRoots", [](auto& s, auto&) { s.set_output("/tmp/elsewhere"); }, "outside the data roots"},
        BadSubmission{"ParameterOutOfRange", [](auto& s, auto&) { s.mutable_params()->set_binning(3); }, "binning"},
        BadSubmission{"UnknownPreset", [](auto& s, auto&) { s.set_preset("nonesuch"); }, "no preset named 'nonesuch'"},
        BadSubmission{"PriorityOutOfRange", [](auto& s, auto&) { s.set_priority(5000); }, "priority 5000"}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(JobService, CancelDuringReconstructionLeavesNoOutput) {
  const auto dir = tomo::test::scratch_dir("cancel");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 48 --columns 192 --projections 360");
  tomo::JobService service(config_for(dir));
  const auto id = service.submit(submission(scan, dir / "out", "8M")).id();
  const Job writing = wait_until(service, id, [](const Job& job) { return job.slices_written() > 0 || ended(job.state()); });
  ASSERT_EQ(writing.state(), Job::running) << "the job ended before it could be cancelled";
  ASSERT_GT(writing.slabs_size(), 2);
  for (const auto& refused : std::vector<std::function<void()>>{
           [&] { service.remove(id); }, [&] { service.edit(id, {}); }, [&] { service.retry(id); }}) {
    try {
      refused();
      ADD_FAILURE() << "a running job was deleted, edited or retried";
    } catch (const tomo::RequestError& e) {
      EXPECT_EQ(e.status(), 409) << e.what();
    }
  }
  const Job cancelled = service.cancel(id);
  EXPECT_EQ(cancelled.state(), Job::cancelled);
  EXPECT_EQ(cancelled.slices_written(), 0);
  EXPECT_TRUE(fs::is_empty(dir / "out")) << "partial output left";
  // Nothing more is written after the answer.
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(fs::is_empty(dir / "out"));
  try {
    service.cancel(id);
    FAIL() << "a cancelled job cancelled again";
  } catch (const tomo::RequestError& e) {
    EXPECT_EQ(e.status(), 409);
  }
  // Retried, it runs from scratch and completes.
  service.retry(id);
  EXPECT_EQ(wait_for_end(service, id).state(), Job::done);
}

// A job that follows an acquisition not yet started waits for its file; a cancel stops the wait.
TEST(JobService, AJobWaitingForItsAcquisitionCanBeCancelled) {
  const auto dir = tomo::test::scratch_dir("waiting");
  tomo::JobService service(config_for(dir));
  auto s = submission(dir / "not-yet.h5", dir / "out");
  s.set_follow(true);
  const auto id = service.submit(s).id();
  wait_until(service, id, [](const Job& job) { return job.state() != Job::queued; });
  const Job cancelled = service.cancel(id);
  EXPECT_EQ(cancelled.state(), Job::cancelled) << cancelled.error();
}

// Re-run with edited parameters, duplicate, delete: what a beamline scientist does to the table.
TEST(JobService, AnEditedJobRunsAgainADuplicateRunsAsItsOwnADeletedJobLeavesItsOutput) {
  const auto dir = tomo::test::scratch_dir("edit");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 6 --columns 48 --projections 60");
  tomo::JobService service(config_for(dir));
  const auto id = service.submit(submission(scan, dir / "out")).id();
  ASSERT_EQ(wait_for_end(service, id).state(), Job::done);
  const std::string first_slice = tomo::test::file_bytes(dir / "out" / "slice_0003.tif");

  tomo::JobSubmission changes;
  changes.mutable_params()->set_filter("cosine");
  changes.set_priority(4);
  const Job edited = service.edit(id, changes);
  EXPECT_TRUE(queued_or_running(edited.state())) << tomo::to_string(edited.state());
  EXPECT_EQ(edited.params().filter(), "cosine");
  EXPECT_EQ(edited.params().method(), "fbp");  // the rest as it was
  EXPECT_EQ(edited.priority(), 4);
  const Job rerun = wait_for_end(service, id);
  ASSERT_EQ(rerun.state(), Job::done) << rerun.error();
  EXPECT_EQ(rerun.attempts(), 2);
  EXPECT_NE(tomo::test::file_bytes(dir / "out" / "slice_0003.tif"), first_slice) << "the edited parameters made no difference";

  const Job copy = service.duplicate(id);
  EXPECT_NE(copy.id(), id);
  EXPECT_EQ(copy.params().SerializeAsString(), rerun.params().SerializeAsString());
  EXPECT_EQ(wait_for_end(service, copy.id()).state(), Job::done);

  service.remove(id);
  EXPECT_EQ(service.jobs().size(), 1u);
  EXPECT_TRUE(fs::exists(dir / "out" / "slice_0003.tif"));
  for (const auto& missing : std::vector<std::function<void()>>{[&] { service.job(id); }, [&] { service.remove(id); },
                                                                 [&] { service.edit(id, changes); }, [&] { service.duplicate(id); }}) {
    try {
      missing();
      ADD_FAILURE() << "a deleted job was found";
    } catch (const tomo::RequestError& e) {
      EXPECT_EQ(e.status(), 404) << e.what();
    }
  }
}

TEST(JobService, JobsRunInPriorityOrderWithinTheConcurrencyLimit) {
  const auto dir = tomo::test::scratch_dir("priority");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 8 --columns 64 --projections 90");
  auto config = config_for(dir);
  config.concurrent_jobs = 1;
  tomo::JobService service(config);
  std::vector<std::uint64_t> ids;
  for (int priority : {0, 0, 5, 1, -3, 5}) {
    auto s = submission(scan, dir / fmt::format("out{}", ids.size()));
    s.set_priority(priority);
    ids.push_back(service.submit(s).id());
  }
  std::vector<Job> jobs;
  for (auto id : ids) jobs.push_back(wait_for_end(service, id));
  for (const Job& job : jobs) ASSERT_EQ(job.state(), Job::done) << job.error();
  // The first took the only place at once; the rest started by priority, then by age.
  std::vector<std::uint64_t> started{ids.begin() + 1, ids.end()};
  std::sort(started.begin(), started.end(), [&](auto a, auto b) { return jobs[a - ids[0]].started() < jobs[b - ids[0]].started(); });
  EXPECT_EQ(started, (std::vector<std::uint64_t>{ids[2], ids[5], ids[3], ids[1], ids[4]}));
  // One at a time: each started after the one before it finished.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.started() < b.started(); });
  for (std::size_t i = 1; i < jobs.size(); ++i) EXPECT_GE(jobs[i].started(), jobs[i - 1].finished());
}

// Two jobs writing into one folder never run at once, even with room for both: the second waits.
TEST(JobService, JobsWritingIntoTheSameFolderRunOneAfterTheOther) {
  const auto dir = tomo::test::scratch_dir("same-folder");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 8 --columns 64 --projections 90");
  auto config = config_for(dir);
  config.concurrent_jobs = 4;
  tomo::JobService service(config);
  const auto first = service.submit(submission(scan, dir / "shared")).id();
  const auto second = service.submit(submission(scan, dir / "shared")).id();
  const auto elsewhere = service.submit(submission(scan, dir / "own")).id();
  const Job a = wait_for_end(service, first), b = wait_for_end(service, second), c = wait_for_end(service, elsewhere);
  ASSERT_EQ(a.state(), Job::done);
  ASSERT_EQ(b.state(), Job::done);
  ASSERT_EQ(c.state(), Job::done);
  EXPECT_GE(b.started(), a.finished());
}

// The service stopped mid-job (its destructor interrupts the job): the next service resumes it,
// runs only the slabs not written, and the output is that of an uninterrupted run.
TEST(JobService, AnInterruptedJobResumesWithOnlyItsUnwrittenSlabs) {
  const auto dir = tomo::test::scratch_dir("resume");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 48 --columns 192 --projections 360");
  const auto reference = dir / "reference";
  // The same budget, so the same slabs: slices computed side by side in a slab (SIMD lanes) may
  // round differently from slices computed alone.
  ASSERT_EQ(run_tomoedge(fmt::format("recon {} --out {} --method fbp --memory 8M", scan.string(), reference.string())).exit_code, 0);

  std::uint64_t id = 0;
  Job interrupted;
  {
    tomo::JobService service(config_for(dir));
    id = service.submit(submission(scan, dir / "out", "8M")).id();
    wait_until(service, id, [](const Job& job) { return job.slices_written() > 0 || ended(job.state()); });
  }
  {
    tomo::JobStore store(dir / "db");
    interrupted = *store.get(id);
  }
  ASSERT_EQ(interrupted.state(), Job::queued) << "the job was not interrupted: " << tomo::to_string(interrupted.state());
  int written_before = 0;
  for (const auto& slab : interrupted.slabs()) written_before += slab.written();
  ASSERT_GT(written_before, 0);
  ASSERT_LT(written_before, interrupted.slabs_size());

  tomo::JobService service(config_for(dir));
  const Job job = wait_for_end(service, id);
  ASSERT_EQ(job.state(), Job::done) << job.error();
  EXPECT_EQ(job.attempts(), 2);
  EXPECT_EQ(job.slab_rows(), interrupted.slab_rows());
  for (int s = 0; s < job.slabs_size(); ++s) {
    EXPECT_TRUE(job.slabs(s).written());
    // A slab written before the interruption was not written again.
    if (interrupted.slabs(s).written()) {
      EXPECT_EQ(job.slabs(s).written_at(), interrupted.slabs(s).written_at()) << s;
    }
  }
  tomo::test::expect_same_slices(dir / "out", reference);
}

TEST(JobService, AWatchRuleReconstructsANewScanOnce) {
  const auto dir = tomo::test::scratch_dir("rule");
  const auto config = watching(dir, "incoming", "*.tdf", "quick", false);
  {
    tomo::JobService service(config);
    EXPECT_TRUE(service.jobs().empty());
    // The acquisition's file appears complete under its name (written elsewhere, then moved).
    const auto scan = simulated(dir / "staging" / "sample_a.tdf", "--rows 6 --columns 48 --projections 60");
    fs::rename(scan, dir / "incoming" / "sample_a.tdf");
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (service.jobs().empty() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
    ASSERT_EQ(service.jobs().size(), 1u);
    const Job job = wait_for_end(service, service.jobs()[0].id());
    ASSERT_EQ(job.state(), Job::done) << job.error();
    EXPECT_EQ(job.rule(), "incoming");
    EXPECT_EQ(job.preset(), "quick");
    EXPECT_EQ(job.sample(), "sample_a");
    EXPECT_EQ(fs::path(job.output()), fs::canonical(dir) / "reconstructions" / "sample_a");
    EXPECT_TRUE(fs::exists(fs::path(job.output()) / "slice_0003.tif"));
  }
  // Restarted, the service does not reconstruct the same scan again.
  tomo::JobService service(config);
  service.watch_once();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(service.jobs().size(), 1u);
}

// A rule that says "live" makes a job the moment the acquisition's file appears, and the job
// follows the scan as it is written: its slices are those of a batch reconstruction of the
// finished file.
TEST(JobService, ALiveWatchRuleFollowsAScanAsItIsAcquired) {
  const auto dir = tomo::test::scratch_dir("live");
  const auto config = watching(dir, "beamline", "*.h5", "live", true);
  tomo::JobService service(config);
  EventRecorder recorder(service.events());

  // The acquisition: 240 projections at 400 per second; meanwhile the job's lag behind it is a metric.
  const fs::path scan = dir / "incoming" / "acquired.h5";
  tomo::test::CommandResult acquisition;
  std::thread acquiring([&] {
    acquisition = run_tomoedge(fmt::format(
        "simulate --stream --rate 400 --out {} --projections 240 --rows 8 --columns 64 --seed 2 --no-truth", scan.string()));
  });
  bool lag_seen = false;
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (!lag_seen && std::chrono::steady_clock::now() < until) {
    lag_seen = service.render_metrics().find("tomoedge_live_lag_seconds{job=\"1\"}") != std::string::npos;
    std::this_thread::sleep_for(5ms);
  }
  acquiring.join();
  ASSERT_EQ(acquisition.exit_code, 0) << acquisition.output;
  EXPECT_TRUE(lag_seen) << "no lag behind the acquisition reported while it ran";
  ASSERT_EQ(service.jobs().size(), 1u);
  const Job job = wait_for_end(service, service.jobs()[0].id());
  ASSERT_EQ(job.state(), Job::done) << job.error();
  EXPECT_TRUE(job.follow());
  EXPECT_EQ(job.rule(), "beamline");
  EXPECT_NE(service.render_metrics().find("tomoedge_ready_after_acquisition_seconds"), std::string::npos);

  // The live view: the middle slice, sharper with more projections, the last with all of them;
  // and the acquisition's progress up to its end.
  const auto views = recorder.of_type("live_slice");
  ASSERT_GE(views.size(), 2u);
  for (std::size_t i = 0; i < views.size(); ++i) {
    EXPECT_EQ(views[i].at("row"), 4);
    EXPECT_EQ(views[i].at("width"), 64);
    EXPECT_TRUE(views[i].at("png").get<std::string>().starts_with("data:image/png;base64,"));
    if (i > 0) {
      EXPECT_GT(views[i].at("projections").get<int>(), views[i - 1].at("projections").get<int>());
    }
  }
  EXPECT_EQ(views.back().at("projections"), 240);
  EXPECT_EQ(views.back().at("expected"), 240);
  const auto kept = service.live_view(job.id()).at("slices");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].at("projections"), 240);
  const auto acquisition_events = recorder.of_type("acquisition");
  ASSERT_FALSE(acquisition_events.empty());
  EXPECT_TRUE(acquisition_events.back().at("complete").get<bool>());
  EXPECT_EQ(acquisition_events.back().at("projections"), 240);

  const auto batch = dir / "batch";
  ASSERT_EQ(run_tomoedge(fmt::format("recon {} --out {} --method fbp", scan.string(), batch.string())).exit_code, 0);
  std::vector<float> followed, finished;
  for (int row = 0; row < 8; ++row) {
    const auto name = fmt::format("slice_{:04}.tif", row);
    const auto a = tomo::read_tiff(fs::path(job.output()) / name), b = tomo::read_tiff(batch / name);
    followed.insert(followed.end(), a.pixels.begin(), a.pixels.end());
    finished.insert(finished.end(), b.pixels.begin(), b.pixels.end());
  }
  EXPECT_LT(tomo::test::relative_error(followed, finished), 1e-5);
}

// A job's live view shows the rows it names; a row beyond the scan is said in its log.
TEST(JobService, ALiveViewShowsTheChosenRows) {
  const auto dir = tomo::test::scratch_dir("live_rows");
  fs::create_directories(dir / "incoming");
  tomo::setup_service_logging("info", {});  // what takes the pipeline's lines into the job's log
  tomo::JobService service(config_for(dir));
  EventRecorder recorder(service.events());
  const fs::path scan = fs::canonical(dir / "incoming") / "acquired.h5";
  tomo::JobSubmission live = submission(scan, dir / "out");
  live.set_follow(true);
  for (const int row : {1, 6, 99}) live.add_live_rows(row);
  const Job job = service.submit(live);
  const auto acquisition = run_tomoedge(fmt::format(
      "simulate --stream --rate 400 --out {} --projections 160 --rows 8 --columns 48 --seed 4 --no-truth", scan.string()));
  ASSERT_EQ(acquisition.exit_code, 0) << acquisition.output;
  const Job done = wait_for_end(service, job.id());
  ASSERT_EQ(done.state(), Job::done) << done.error();
  EXPECT_EQ(std::vector<int>(done.live_rows().begin(), done.live_rows().end()), (std::vector<int>{1, 6, 99}));
  std::set<int> rows;
  for (const auto& view : recorder.of_type("live_slice")) rows.insert(view.at("row").get<int>());
  EXPECT_EQ(rows, (std::set<int>{1, 6}));
  EXPECT_EQ(service.live_view(job.id()).at("slices").size(), 2u);
  bool said = false;
  for (const auto& line : done.log()) said |= line.message().find("live row 99 is outside the rows reconstructed") != std::string::npos;
  EXPECT_TRUE(said) << "the job's log does not say that row 99 is left out: " << done.DebugString();
}

// What the pipeline logs while it runs a job carries the job's id and lands in the job's record.
TEST(JobService, PipelineLinesCarryTheJobIdAndGoIntoItsRecord) {
  const auto dir = tomo::test::scratch_dir("lines");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 6 --columns 48 --projections 60");
  tomo::setup_service_logging("info", dir / "service.log");
  std::uint64_t id = 0;
  {
    tomo::JobService service(config_for(dir));
    id = service.submit(submission(scan, dir / "out")).id();
    const Job job = wait_for_end(service, id);
    ASSERT_EQ(job.state(), Job::done) << job.error();
    bool planned = false;
    for (const auto& line : job.log()) planned |= line.message().find("rows per slab") != std::string::npos;
    EXPECT_TRUE(planned) << job.DebugString();
  }
  spdlog::default_logger()->flush();
  std::ifstream in(dir / "service.log");
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_NE(text.find(fmt::format("job {}: {}", id, fs::canonical(scan).string())), std::string::npos) << text;
}

}  // namespace

namespace {

TEST(JobService, AHeldJobWaitsUntilItIsRunAndEveryChangeIsAnEvent) {
  const auto dir = tomo::test::scratch_dir("held");
  const auto scan = simulated(dir / "raw" / "scan.tdf", "--rows 8 --columns 48 --projections 60");
  tomo::JobService service(config_for(dir));
  EventRecorder recorder(service.events());

  tomo::JobSubmission held = submission(scan, dir / "out");
  held.set_hold(true);
  const Job job = service.submit(held);
  EXPECT_EQ(job.state(), Job::held);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(service.job(job.id()).state(), Job::held) << "a held job must not start by itself";
  EXPECT_EQ(service.duplicate(job.id()).state(), Job::held);
  EXPECT_NE(tomo::test::error_of([&] { service.cancel(job.id()); }).find("only a queued or running job can be cancelled"),
            std::string::npos);

  EXPECT_TRUE(queued_or_running(service.run(job.id()).state()));
  const Job done = wait_for_end(service, job.id());
  ASSERT_EQ(done.state(), Job::done) << done.error();
  // A done job runs again, from scratch, when asked.
  EXPECT_TRUE(queued_or_running(service.run(job.id()).state()));
  ASSERT_EQ(wait_for_end(service, job.id()).state(), Job::done);
  try {
    service.run(job.id() + 100);
    ADD_FAILURE() << "running a job that does not exist was accepted";
  } catch (const tomo::RequestError& e) {
    EXPECT_EQ(e.status(), 404);
  }
  service.remove(job.id() + 1);  // the held duplicate

  std::vector<std::string> states;
  for (const auto& event : recorder.of_type("job"))
    if (event.at("job").at("id") == std::to_string(job.id())) {
      const std::string state = event.at("job").at("state");
      if (states.empty() || states.back() != state) states.push_back(state);
      EXPECT_TRUE(event.at("job").value("log", nlohmann::json::array()).empty()) << "a job event is the table's row, without the log";
    }
  EXPECT_EQ(states, (std::vector<std::string>{"held", "queued", "running", "done", "queued", "running", "done"}));
  const auto progress = recorder.of_type("progress");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().at("written"), progress.back().at("total"));
  bool started = false;
  for (const auto& event : recorder.of_type("log"))
    started |= event.at("line").at("message").get<std::string>().starts_with("started on");
  EXPECT_TRUE(started);
  const auto removed = recorder.of_type("job_removed");
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].at("id"), std::to_string(job.id() + 1));
}

}  // namespace
