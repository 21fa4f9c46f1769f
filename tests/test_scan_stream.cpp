// A scan that grows while it is acquired (storage/scan_stream_writer.hpp): written by one
// process in HDF5 SWMR mode and followed by another with ScanReader::refresh(). In process
// (the writer's and the reader's logic), across processes (`tomoedge simulate --stream` followed
// live, and killed with SIGKILL mid-scan), and end to end (a completed streamed file reconstructs
// as the same scan simulated in batch; an incomplete one is refused).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <numbers>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernels/error.hpp"
#include "kernels/scan_simulator.hpp"
#include "pipeline/slab_reader.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"
#include "storage/scan_stream_writer.hpp"
#include "storage/tiff_image.hpp"
#include "test_support.hpp"

extern char** environ;

namespace {
namespace fs = std::filesystem;
using tomo::AcquisitionState;
using tomo::Frames;
using tomo::Range;
using tomo::test::run_tomoedge;
using Clock = std::chrono::steady_clock;

using tomo::test::error_of;

// ---------------------------------------------------------------- in process

constexpr int kP = 6, kR = 3, kN = 8, kFlats = 2, kDarks = 1;

// A recognisable count for every pixel of every image; kind 0 projections, 1 flats, 2 darks
// (flats above projections above darks, as a flat field needs).
std::uint16_t pixel(int kind, int image, int row, int column) {
  constexpr int base[] = {10000, 30000, 100};
  return static_cast<std::uint16_t>(base[kind] + 100 * image + 10 * row + column);
}

// Images [first, first + count) of one kind, laid out (image, row, column) as the writer takes them.
std::vector<std::uint16_t> images(int kind, int first, int count) {
  std::vector<std::uint16_t> out;
  for (int i = first; i < first + count; ++i)
    for (int r = 0; r < kR; ++r)
      for (int c = 0; c < kN; ++c) out.push_back(pixel(kind, i, r, c));
  return out;
}

tomo::StreamingScan small_scan() {
  tomo::StreamingScan scan;
  scan.projections = kP;
  scan.rows = kR;
  scan.columns = kN;
  scan.flats = kFlats;
  scan.darks = kDarks;
  for (int i = 0; i < kP; ++i) scan.angles_deg.push_back(30.0 * i);
  return scan;
}

// A writer with its darks and flats written and started: the file can be followed.
std::unique_ptr<tomo::StreamingScanWriter> started_writer(const fs::path& path) {
  auto writer = std::make_unique<tomo::StreamingScanWriter>(path, small_scan());
  writer->write_darks(0, images(2, 0, kDarks));
  writer->write_flats(0, images(1, 0, kFlats));
  writer->start();
  return writer;
}

// Every pixel of images [first, end) read through the reader matches `pixel`.
void expect_images(tomo::ScanReader& reader, Frames frames, int kind, int first, int end) {
  std::vector<float> out(static_cast<std::size_t>(kR) * (end - first) * kN);
  reader.read(frames, {first, end}, {0, kR}, out);
  std::size_t mismatches = 0;
  for (int r = 0; r < kR; ++r)
    for (int i = first; i < end; ++i)
      for (int c = 0; c < kN; ++c)
        mismatches += out[(static_cast<std::size_t>(r) * (end - first) + (i - first)) * kN + c] != pixel(kind, i, r, c);
  EXPECT_EQ(mismatches, 0u) << "kind " << kind << " images " << first << ":" << end;
}

TEST(ScanStream, ReaderFollowsTheWriterInProcess) {
  const fs::path dir = tomo::test::scratch_dir("follow");
  const fs::path path = dir / "scan.h5";
  auto writer = std::make_unique<tomo::StreamingScanWriter>(path, small_scan());
  writer->write_darks(0, images(2, 0, kDarks));
  writer->write_flats(0, images(1, 0, kFlats));
  // Before start() the file exists only as scan.h5.part, which HDF5 keeps locked.
  EXPECT_FALSE(fs::exists(path));
  EXPECT_NE(error_of([&] { writer->append(images(0, 0, 1)); }).find("after start()"), std::string::npos);
  writer->start();
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir / "scan.h5.part"));

  // The reader's info is the scan it will be: every expected projection and angle.
  const auto reader = tomo::open_scan(path);
  EXPECT_EQ(reader->info().layout, tomo::Layout::dx);
  EXPECT_EQ(reader->info().projections, kP);
  EXPECT_EQ(reader->info().angles_deg, (std::vector<double>{0, 30, 60, 90, 120, 150}));
  AcquisitionState state = reader->refresh();
  EXPECT_EQ(state.written, 0);
  EXPECT_EQ(state.expected, kP);
  EXPECT_FALSE(state.complete);
  expect_images(*reader, Frames::flats_before, 1, 0, kFlats);
  expect_images(*reader, Frames::darks_before, 2, 0, kDarks);
  std::vector<float> one(kR * kN);
  const std::string early = error_of([&] { reader->read(Frames::projections, {0, 1}, {0, kR}, one); });
  EXPECT_NE(early.find("scan.h5: cannot read projections [0, 1): 0 of the 6 expected are written"), std::string::npos)
      << early;

  writer->append(images(0, 0, 2));
  // Until refreshed, the reader goes by what it last knew.
  EXPECT_NE(error_of([&] { reader->read(Frames::projections, {0, 1}, {0, kR}, one); }).find("0 of the 6"),
            std::string::npos);
  state = reader->refresh();
  EXPECT_EQ(state.written, 2);
  EXPECT_FALSE(state.complete);
  EXPECT_EQ(reader->info().projections, kP);
  expect_images(*reader, Frames::projections, 0, 0, 2);
  std::vector<float> two(2 * kR * kN);
  EXPECT_NE(error_of([&] { reader->read(Frames::projections, {1, 3}, {0, kR}, two); }).find("2 of the 6 expected"),
            std::string::npos);
  EXPECT_NE(error_of([&] { tomo::require_complete(*reader); })
                .find("scan.h5 is still being acquired (2 of 6 projections written"),
            std::string::npos);

  writer->append(images(0, 2, 4));
  EXPECT_NE(error_of([&] { writer->append(images(0, 6, 1)); }).find("the scan expects 6"), std::string::npos);
  state = reader->refresh();
  EXPECT_EQ(state.written, kP);
  EXPECT_FALSE(state.complete);  // every projection written, but not yet marked complete
  expect_images(*reader, Frames::projections, 0, 0, kP);
  writer->finish();
  state = reader->refresh();
  EXPECT_TRUE(state.complete);
  EXPECT_NO_THROW(tomo::require_complete(*reader));

  // Opened afresh, a finished file is an ordinary Data Exchange file.
  const auto again = tomo::open_scan(path);
  EXPECT_EQ(again->info().projections, kP);
  EXPECT_EQ(again->info().angles_deg.size(), static_cast<std::size_t>(kP));
  state = again->refresh();
  EXPECT_EQ(state.written, kP);
  EXPECT_TRUE(state.complete);
  expect_images(*again, Frames::projections, 0, 0, kP);
}

// What a live reconstruction does: plan the whole scan the moment it can be opened, then read
// chunks of the projections as they are declared written.
TEST(ScanStream, APlanMadeWhileAcquiringCoversTheWholeScan) {
  const fs::path path = tomo::test::scratch_dir("plan") / "scan.h5";
  auto writer = started_writer(path);
  writer->append(images(0, 0, 2));
  const auto reader = tomo::open_scan(path);
  const tomo::ReconParams params = tomo::default_params();
  const tomo::Plan plan = tomo::plan_scan(*reader, params);
  ASSERT_EQ(plan.projections.size(), static_cast<std::size_t>(kP));
  ASSERT_EQ(plan.angles_rad.size(), static_cast<std::size_t>(kP));
  EXPECT_NEAR(plan.angles_rad[5] - plan.angles_rad[0], 150.0 * std::numbers::pi / 180.0, 1e-6);
  const tomo::SlabInput first = tomo::read_chunk(*reader, plan, params, {0, kR}, {0, 2}, true);
  EXPECT_EQ(first.sinograms.size(), static_cast<std::size_t>(kR * 2 * kN));
  EXPECT_EQ(first.sinograms[0], pixel(0, 0, 0, 0));
  EXPECT_THROW(tomo::read_chunk(*reader, plan, params, {0, kR}, {2, 3}, false), tomo::Error);
  writer->append(images(0, 2, 1));
  EXPECT_EQ(reader->refresh().written, 3);
  const tomo::SlabInput next = tomo::read_chunk(*reader, plan, params, {0, kR}, {2, 3}, false);
  EXPECT_EQ(next.sinograms[0], pixel(0, 2, 0, 0));
}

TEST(ScanStream, WriterDestroyedEarlyLeavesTheScanIncomplete) {
  const fs::path dir = tomo::test::scratch_dir("early");
  {
    auto writer = started_writer(dir / "stopped.h5");
    writer->append(images(0, 0, 3));
    EXPECT_NE(error_of([&] { writer->finish(); }).find("with 3 of 6 projections written"), std::string::npos);
  }
  const auto reader = tomo::open_scan(dir / "stopped.h5");
  const AcquisitionState state = reader->refresh();
  EXPECT_EQ(state.written, 3);
  EXPECT_EQ(state.expected, kP);
  EXPECT_FALSE(state.complete);
  EXPECT_EQ(reader->info().projections, kP);
  expect_images(*reader, Frames::projections, 0, 0, 3);
  std::vector<float> one(kR * kN);
  EXPECT_NE(error_of([&] { reader->read(Frames::projections, {3, 4}, {0, kR}, one); }).find("stopped.h5"),
            std::string::npos);
  EXPECT_NE(error_of([&] { tomo::require_complete(*reader); }).find("3 of 6 projections written"), std::string::npos);

  // Destroyed before start(): nothing is left under either name.
  { tomo::StreamingScanWriter never_started(dir / "never.h5", small_scan()); }
  EXPECT_FALSE(fs::exists(dir / "never.h5"));
  EXPECT_FALSE(fs::exists(dir / "never.h5.part"));
}

TEST(ScanStream, WriterRefusesWhatTheLayoutCannotHold) {
  const fs::path dir = tomo::test::scratch_dir("refuse");
  tomo::StreamingScan scan = small_scan();
  scan.angles_deg.pop_back();
  EXPECT_NE(error_of([&] { tomo::StreamingScanWriter(dir / "a.h5", scan); }).find("5 angles for 6 expected"),
            std::string::npos);
  tomo::StreamingScanWriter writer(dir / "b.h5", small_scan());
  writer.write_darks(0, images(2, 0, kDarks));
  EXPECT_NE(error_of([&] { writer.start(); }).find("flats 0 of 2 not written before start()"), std::string::npos);
  EXPECT_NE(error_of([&] { writer.write_flats(1, images(1, 0, 2)); }).find("cannot write flats [1, 3)"),
            std::string::npos);
  const std::vector<std::uint16_t> ragged(kR * kN + 1);
  EXPECT_NE(error_of([&] { writer.write_flats(0, ragged); }).find("not whole images"), std::string::npos);
  writer.write_flats(0, images(1, 0, kFlats));
  writer.start();
  EXPECT_NE(error_of([&] { writer.write_flats(0, images(1, 0, 1)); }).find("before start()"), std::string::npos);
}

// ---------------------------------------------------------------- across processes

// Starts `tomoedge ARGS` in the background with its output in `log`; returns its pid.
pid_t spawn_tomoedge(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> words{TOMOEDGE_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int status = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return status == 0 ? pid : -1;
}

// Kills and reaps a child still running when a test fails half-way.
struct ChildGuard {
  pid_t pid = -1;
  ~ChildGuard() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  int wait() {
    int status = 0;
    waitpid(std::exchange(pid, -1), &status, 0);
    return status;
  }
};

std::string read_text(const fs::path& path) {
  std::string text;
  if (FILE* file = std::fopen(path.c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
    std::fclose(file);
  }
  return text;
}

// What `tomoedge simulate --projections P --rows R --columns N --seed S` simulates, for
// comparing what a follower reads with what should be there.
struct StreamedScan {
  int projections, rows, columns;
  std::uint64_t seed;
  tomo::ScanSimulator simulator() const {
    tomo::SimulationParams p;
    p.projections = projections;
    p.rows = rows;
    p.columns = columns;
    p.seed = seed;
    return tomo::ScanSimulator(p);
  }
  std::vector<std::string> args(const fs::path& out) const {
    return {"simulate",  "--stream", "--out",           out.string(),          "--projections", std::to_string(projections),
            "--rows",    std::to_string(rows), "--columns", std::to_string(columns), "--seed", std::to_string(seed)};
  }
};

// Opens `path` once the writer has given it its name (the writer may not have started yet).
std::unique_ptr<tomo::ScanReader> open_when_there(const fs::path& path, const fs::path& log, Clock::time_point deadline) {
  while (!fs::exists(path)) {
    if (Clock::now() > deadline) {
      ADD_FAILURE() << path << " never appeared; writer's log:\n" << read_text(log);
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return tomo::open_scan(path);
}

// Reads projections [first, end) and counts the pixels that differ from `expected`
// ((projection, row, column) counts of the whole scan).
std::size_t mismatches(tomo::ScanReader& reader, const std::vector<std::uint16_t>& expected, int first, int end) {
  const tomo::ScanInfo& info = reader.info();
  const auto rows = static_cast<std::size_t>(info.rows), columns = static_cast<std::size_t>(info.columns);
  const auto count = static_cast<std::size_t>(end - first);
  std::vector<float> out(rows * count * columns);
  reader.read(Frames::projections, {first, end}, {0, info.rows}, out);
  std::size_t wrong = 0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t c = 0; c < columns; ++c)
        wrong += out[(r * count + i) * columns + c] !=
                 static_cast<float>(expected[((static_cast<std::size_t>(first) + i) * rows + r) * columns + c]);
  return wrong;
}

std::vector<std::uint16_t> all_projections(const tomo::ScanSimulator& simulator) {
  const auto& p = simulator.params();
  std::vector<std::uint16_t> counts(static_cast<std::size_t>(p.projections) * p.rows * p.columns);
  simulator.simulate_frames(tomo::ImageKind::projection, 0, p.projections, counts, 2);
  return counts;
}

TEST(ScanStream, FollowsSimulateStreamInAnotherProcess) {
  const fs::path dir = tomo::test::scratch_dir("live");
  const fs::path path = dir / "live.h5", log = dir / "simulate.log";
  const StreamedScan scan{.projections = 200, .rows = 4, .columns = 64, .seed = 3};
  const std::vector<std::uint16_t> expected = all_projections(scan.simulator());
  std::vector<std::string> args = scan.args(path);
  args.insert(args.end(), {"--rate", "200"});
  ChildGuard writer{spawn_tomoedge(args, log)};
  ASSERT_GT(writer.pid, 0);

  const auto deadline = Clock::now() + std::chrono::seconds(60);
  const auto reader = open_when_there(path, log, deadline);
  ASSERT_TRUE(reader);
  // A second reader of the same file in this process, refreshed first, as recon --follow's
  // watcher is (HDF5 shares the open file between them: scan_readers.hpp, FollowedDatasets).
  const auto watcher = tomo::open_scan(path);
  // The truth goes beside the scan before any projection.
  EXPECT_TRUE(fs::exists(fs::path(path.string() + ".truth.h5")));
  int seen = 0, refreshes = 0, growths = 0;
  std::size_t wrong = 0;
  AcquisitionState state{.written = 0, .expected = 0, .complete = false};
  std::vector<float> beyond(static_cast<std::size_t>(scan.rows) * scan.columns);
  while (!state.complete && Clock::now() < deadline) {
    const AcquisitionState news = watcher->refresh();
    state = reader->refresh();
    ASSERT_GE(state.written, news.written);
    ++refreshes;
    ASSERT_EQ(state.expected, scan.projections);
    ASSERT_GE(state.written, seen);
    ASSERT_EQ(reader->info().projections, scan.projections);
    ASSERT_EQ(reader->info().angles_deg.size(), static_cast<std::size_t>(scan.projections));
    if (state.written > seen) {
      ++growths;
      // Every projection declared written reads back whole, the moment it is declared.
      wrong += mismatches(*reader, expected, seen, state.written);
      seen = state.written;
    }
    if (!state.complete && state.written < scan.projections) {
      EXPECT_THROW(reader->read(Frames::projections, {state.written, state.written + 1}, {0, scan.rows}, beyond),
                   tomo::Error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(state.complete);
  EXPECT_EQ(seen, scan.projections);
  EXPECT_EQ(wrong, 0u);
  // At 200 per second over a second, a follower polling every millisecond sees it grow in steps.
  EXPECT_GT(growths, 20) << refreshes << " refreshes";
  const int status = writer.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(log);
  EXPECT_NE(read_text(log).find("200 of 200 projections written"), std::string::npos) << read_text(log);
}

TEST(ScanStream, WriterKilledMidScanLeavesAReadableIncompleteScan) {
  const fs::path dir = tomo::test::scratch_dir("killed");
  const fs::path path = dir / "killed.h5", log = dir / "simulate.log";
  const StreamedScan scan{.projections = 400, .rows = 4, .columns = 64, .seed = 4};
  std::vector<std::string> args = scan.args(path);
  args.insert(args.end(), {"--rate", "100", "--stream-block", "2"});
  // A live reconstruction follows it from the start and gives up 1.5 s after the last projection.
  ChildGuard live{spawn_tomoedge({"recon", path.string(), "--out", (dir / "live").string(), "--follow", "--method", "fbp",
                                  "--stall-timeout", "1.5", "--events", (dir / "events.jsonl").string()},
                                 dir / "live.log")};
  ASSERT_GT(live.pid, 0);
  ChildGuard writer{spawn_tomoedge(args, log)};
  ASSERT_GT(writer.pid, 0);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  {
    const auto follower = open_when_there(path, log, deadline);
    ASSERT_TRUE(follower);
    while (follower->refresh().written < 20 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(writer.pid, SIGKILL);
  const int status = writer.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto killed_at = Clock::now();

  // The live reconstruction ends as an incomplete scan, soon after its timeout, writing nothing.
  const int followed = live.wait();
  const double waited = std::chrono::duration<double>(Clock::now() - killed_at).count();
  RecordProperty("follower_seconds_after_kill", fmt::format("{:.2f}", waited));
  EXPECT_TRUE(WIFEXITED(followed) && WEXITSTATUS(followed) == 1) << read_text(dir / "live.log");
  const std::string live_log = read_text(dir / "live.log");
  EXPECT_NE(live_log.find("acquisition watcher: incomplete scan: "), std::string::npos) << live_log;
  EXPECT_NE(live_log.find("of 400 projections written, and none for"), std::string::npos) << live_log;
  EXPECT_LT(waited, 10.0) << "the follower hung";
  EXPECT_FALSE(fs::exists(dir / "live" / "slice_0000.tif")) << "slices of an incomplete scan were written";
  EXPECT_NE(read_text(dir / "events.jsonl").find("\"job_failed\""), std::string::npos);

  const auto reader = tomo::open_scan(path);  // the file still says "open by a SWMR writer"
  const AcquisitionState state = reader->refresh();
  EXPECT_FALSE(state.complete);
  EXPECT_EQ(state.expected, scan.projections);
  EXPECT_GE(state.written, 20);
  EXPECT_LT(state.written, scan.projections);
  EXPECT_EQ(state.written % 2, 0);  // blocks of 2 are declared whole
  EXPECT_EQ(reader->refresh().written, state.written);
  EXPECT_EQ(reader->info().projections, scan.projections);
  EXPECT_EQ(mismatches(*reader, all_projections(scan.simulator()), 0, state.written), 0u);
  std::vector<float> beyond(static_cast<std::size_t>(scan.rows) * scan.columns);
  const std::string refused =
      error_of([&] { reader->read(Frames::projections, {state.written, state.written + 1}, {0, scan.rows}, beyond); });
  EXPECT_NE(refused.find("killed.h5: cannot read projections"), std::string::npos) << refused;

  // Batch reconstruction refuses it, naming the file and how far it got.
  const auto recon = run_tomoedge(fmt::format("recon {} --out {}", path.string(), (dir / "recon").string()));
  EXPECT_EQ(recon.exit_code, 1) << recon.output;
  EXPECT_NE(recon.output.find(fmt::format("killed.h5 is still being acquired ({} of 400 projections written",
                                          state.written)),
            std::string::npos)
      << recon.output;
  EXPECT_NE(recon.output.find("use recon --follow"), std::string::npos) << recon.output;
  EXPECT_FALSE(fs::exists(dir / "recon" / "slice_0000.tif"));
  const auto info = run_tomoedge("info " + path.string());
  EXPECT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find(fmt::format("{} of 400 projections written, not marked complete", state.written)),
            std::string::npos)
      << info.output;
}

TEST(ScanStream, StreamedScanReconstructsAsTheBatchScan) {
  const fs::path dir = tomo::test::scratch_dir("recon");
  const std::string shape = "--projections 90 --rows 3 --columns 48 --seed 9 --photons 50000 --cor-offset 1.5 --zingers 0.001";
  const auto streamed = run_tomoedge(
      fmt::format("simulate --stream --stream-block 7 --out {} {}", (dir / "streamed.h5").string(), shape));
  ASSERT_EQ(streamed.exit_code, 0) << streamed.output;
  const auto batch = run_tomoedge(fmt::format("simulate --layout dx --out {} {}", (dir / "batch.h5").string(), shape));
  ASSERT_EQ(batch.exit_code, 0) << batch.output;

  // The same counts, image for image: the simulator's noise belongs to (kind, row, frame).
  const auto a = tomo::open_scan(dir / "streamed.h5"), b = tomo::open_scan(dir / "batch.h5");
  EXPECT_TRUE(a->refresh().complete);
  for (const Frames frames : {Frames::projections, Frames::flats_before, Frames::darks_before}) {
    const int count = a->info().count(frames);
    ASSERT_EQ(count, b->info().count(frames));
    std::vector<float> from_stream(static_cast<std::size_t>(count) * 3 * 48), from_batch(from_stream.size());
    a->read(frames, {0, count}, {0, 3}, from_stream);
    b->read(frames, {0, count}, {0, 3}, from_batch);
    EXPECT_EQ(from_stream, from_batch) << static_cast<int>(frames);
  }
  EXPECT_EQ(a->info().angles_deg, b->info().angles_deg);

  for (const char* name : {"streamed", "batch"}) {
    const auto recon = run_tomoedge(fmt::format("recon {} --out {} --format hdf5", (dir / (std::string(name) + ".h5")).string(),
                                                (dir / (std::string(name) + "_recon")).string()));
    ASSERT_EQ(recon.exit_code, 0) << recon.output;
  }
  const auto from_stream = tomo::test::read_floats(dir / "streamed_recon" / "slice.h5", "/entry/data/data");
  const auto from_batch = tomo::test::read_floats(dir / "batch_recon" / "slice.h5", "/entry/data/data");
  ASSERT_EQ(from_stream.shape, (std::vector<hsize_t>{3, 48, 48}));
  ASSERT_EQ(from_stream.shape, from_batch.shape);
  EXPECT_LE(tomo::test::relative_error(from_stream.values, from_batch.values), 1e-5);
}

// The whole chain: `recon --follow` started before the scan exists, `simulate --stream` writing it
// at 300 projections per second; the live reconstruction reads chunks as they are declared and
// gives the batch reconstruction of the completed file.
TEST(ScanStream, ReconFollowReconstructsTheScanWhileItIsWritten) {
  const fs::path dir = tomo::test::scratch_dir("follow");
  const fs::path path = dir / "live.h5";
  const std::string method = "--method fbp --rings none";
  ChildGuard follower{spawn_tomoedge({"recon", path.string(), "--out", (dir / "live").string(), "--follow", "--method",
                                      "fbp", "--rings", "none", "--events", (dir / "events.jsonl").string()},
                                     dir / "recon.log")};
  ASSERT_GT(follower.pid, 0);
  const StreamedScan scan{.projections = 240, .rows = 24, .columns = 96, .seed = 9};
  std::vector<std::string> args = scan.args(path);
  args.insert(args.end(), {"--rate", "300"});
  ChildGuard writer{spawn_tomoedge(args, dir / "simulate.log")};
  ASSERT_GT(writer.pid, 0);
  const int written = writer.wait();
  EXPECT_TRUE(WIFEXITED(written) && WEXITSTATUS(written) == 0) << read_text(dir / "simulate.log");
  const int followed = follower.wait();
  ASSERT_TRUE(WIFEXITED(followed) && WEXITSTATUS(followed) == 0) << read_text(dir / "recon.log");

  // It followed the acquisition in steps, not the finished file in one go.
  const std::string events = read_text(dir / "events.jsonl");
  int partial = 0;
  for (std::size_t at = events.find("\"projections_available\""); at != std::string::npos;
       at = events.find("\"projections_available\"", at + 1))
    ++partial;
  EXPECT_GT(partial, 3) << events.substr(0, 2000);
  // And it reconstructed while the scan was acquired: projections were accumulated before the
  // acquisition had declared the last ones written.
  double first_accumulated = -1;
  bool acquired_after = false;
  std::istringstream lines(events);
  for (std::string line; std::getline(lines, line);) {
    const auto event = nlohmann::json::parse(line);
    if (event["event"] == "projections_accumulated" && first_accumulated < 0) first_accumulated = event["time"];
    if (event["event"] == "projections_available" && first_accumulated >= 0 && event["time"] > first_accumulated &&
        event["projections"][1] < scan.projections)
      acquired_after = true;
  }
  EXPECT_GE(first_accumulated, 0) << "nothing was reconstructed live";
  EXPECT_TRUE(acquired_after) << "no projections were written after the first were accumulated";

  const auto batch = run_tomoedge(fmt::format("recon {} --out {} {}", path.string(), (dir / "batch").string(), method));
  ASSERT_EQ(batch.exit_code, 0) << batch.output;
  std::vector<float> live, whole;
  for (int row = 0; row < scan.rows; ++row) {
    const auto name = fmt::format("slice_{:04}.tif", row);
    const auto a = tomo::read_tiff(dir / "live" / name).pixels, b = tomo::read_tiff(dir / "batch" / name).pixels;
    live.insert(live.end(), a.begin(), a.end());
    whole.insert(whole.end(), b.begin(), b.end());
  }
  ASSERT_EQ(live.size(), static_cast<std::size_t>(scan.rows * scan.columns * scan.columns));
  ASSERT_EQ(live.size(), whole.size());
  EXPECT_LT(tomo::test::relative_error(live, whole), 1e-5);
}

TEST(ScanStream, SimulateStreamFlags) {
  const fs::path dir = tomo::test::scratch_dir("flags");
  const std::string out = (dir / "s.h5").string();
  const std::string shape = "--projections 8 --rows 2 --columns 32";
  auto r = run_tomoedge(fmt::format("simulate --stream --layout tdf --out {} {}", out, shape));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--layout tdf cannot be streamed"), std::string::npos) << r.output;
  r = run_tomoedge(fmt::format("simulate --rate 10 --out {} {}", out, shape));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--rate 10 needs --stream"), std::string::npos) << r.output;
  r = run_tomoedge(fmt::format("simulate --stream --rate -1 --out {} {}", out, shape));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--rate -1 is out of range"), std::string::npos) << r.output;
  r = run_tomoedge(fmt::format("simulate --stream --stream-block 0 --out {} {}", out, shape));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--stream-block 0 is out of range"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out));
  // --layout dx is what --stream writes anyway.
  r = run_tomoedge(fmt::format("simulate --stream --layout dx --no-truth --out {} {}", out, shape));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(out + ".truth.h5"));
  const auto json = run_tomoedge("info --json " + out);
  EXPECT_NE(json.output.find("\"complete\": true"), std::string::npos) << json.output;
}

}  // namespace
