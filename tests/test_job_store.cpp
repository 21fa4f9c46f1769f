// The job store (storage/job_store.hpp): records survive reopening, ids are never reused, a slab
// delivered twice commits once, and a folder that is not a job database is refused clearly.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "kernels/error.hpp"
#include "storage/job_store.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using tomo::Job;
using tomo::JobStore;

Job job_with_slabs(int slabs, int rows) {
  Job job;
  job.set_input("/data/scan.h5");
  job.set_output("/data/out");
  job.set_state(Job::queued);
  for (int s = 0; s < slabs; ++s) {
    auto* slab = job.add_slabs();
    slab->set_first_row(s * rows);
    slab->set_rows(rows);
  }
  job.set_slices_total(slabs * rows);
  return job;
}

TEST(JobStore, RecordsSurviveReopeningAndIdsAreNeverReused) {
  const auto dir = tomo::test::scratch_dir("store") / "db";
  std::uint64_t first = 0, second = 0;
  {
    JobStore store(dir);
    first = store.add(job_with_slabs(2, 8)).id();
    second = store.add(job_with_slabs(1, 4)).id();
    store.update(second, [](Job& job) { job.set_state(Job::done); });
    store.remove(first);
  }
  JobStore store(dir);
  EXPECT_FALSE(store.get(first));
  ASSERT_TRUE(store.get(second));
  EXPECT_EQ(store.get(second)->state(), Job::done);
  EXPECT_EQ(store.get(second)->schema(), tomo::kJobSchema);
  EXPECT_GT(store.get(second)->created(), 0);
  const auto third = store.add(job_with_slabs(1, 4)).id();
  EXPECT_GT(third, second);
  ASSERT_EQ(store.list().size(), 2u);
  EXPECT_EQ(store.list()[0].id(), second);  // id order
}

TEST(JobStore, AnUpdateThatThrowsStoresNothing) {
  JobStore store(tomo::test::scratch_dir("store") / "db");
  const auto id = store.add(job_with_slabs(1, 4)).id();
  EXPECT_THROW(store.update(id, [](Job& job) {
    job.set_state(Job::running);
    tomo::fail("refused");
  }),
               tomo::Error);
  EXPECT_EQ(store.get(id)->state(), Job::queued);
  EXPECT_THROW(store.update(999, [](Job&) {}), tomo::Error);
}

// A retry racing a late writer: the same slab reported by many threads at once commits once,
// and the slices written are counted once.
TEST(JobStore, ASlabDeliveredTwiceCommitsOnce) {
  JobStore store(tomo::test::scratch_dir("store") / "db");
  const auto id = store.add(job_with_slabs(3, 10)).id();
  std::atomic<int> commits{0};
  std::vector<std::thread> racers;
  for (int t = 0; t < 8; ++t)
    racers.emplace_back([&, t] {
      if (store.commit_slab(id, 10, "worker " + std::to_string(t), 1.0)) ++commits;
    });
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(commits.load(), 1);
  const Job job = *store.get(id);
  EXPECT_EQ(job.slices_written(), 10);
  EXPECT_TRUE(job.slabs(1).written());
  EXPECT_FALSE(job.slabs(0).written());
  EXPECT_FALSE(store.commit_slab(id, 10, "late", 1.0));
  EXPECT_THROW(store.commit_slab(id, 5, "nowhere", 1.0), tomo::Error);  // no slab starts there
}

TEST(JobStore, ScansMadeIntoJobsByRulesAreRemembered) {
  const auto dir = tomo::test::scratch_dir("store") / "db";
  std::uint64_t id = 0;
  {
    JobStore store(dir);
    Job job = job_with_slabs(1, 4);
    job.set_rule("incoming");
    id = store.add(job).id();
    store.add(job_with_slabs(1, 4));  // submitted by hand: not a rule's
    store.remove(id);                 // deleting the job does not make the rule run it again
  }
  JobStore store(dir);
  ASSERT_TRUE(store.job_for_scan("/data/scan.h5"));
  EXPECT_EQ(*store.job_for_scan("/data/scan.h5"), id);
  EXPECT_FALSE(store.job_for_scan("/data/other.h5"));
}

TEST(JobStore, PresetsAreKeptByName) {
  JobStore store(tomo::test::scratch_dir("store") / "db");
  tomo::Preset preset;
  preset.set_name("bone");
  preset.mutable_params()->set_method("fbp");
  store.put_preset(preset);
  preset.mutable_params()->set_method("gridrec");
  store.put_preset(preset);  // replaces
  ASSERT_EQ(store.presets().size(), 1u);
  EXPECT_EQ(store.preset("bone")->params().method(), "gridrec");
  EXPECT_GT(store.preset("bone")->updated(), 0);
  EXPECT_TRUE(store.remove_preset("bone"));
  EXPECT_FALSE(store.remove_preset("bone"));
  preset.set_name("");
  EXPECT_THROW(store.put_preset(preset), tomo::Error);
}

TEST(JobStore, AFolderOfOtherFilesIsRefused) {
  const auto dir = tomo::test::scratch_dir("store");
  std::ofstream(dir / "notes.txt") << "not a database";
  const auto message = tomo::test::error_of([&] { JobStore store(dir); });
  EXPECT_NE(message.find(dir.string()), std::string::npos) << message;
  EXPECT_NE(message.find("not a tomoedge job database"), std::string::npos) << message;
}

TEST(JobStore, ACorruptDatabaseIsAClearErrorAtOpen) {
  const auto dir = tomo::test::scratch_dir("store") / "db";
  { JobStore store(dir); }
  // The manifest RocksDB starts from, overwritten with junk.
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().starts_with("MANIFEST")) std::ofstream(entry.path()) << "junk junk junk";
  const auto message = tomo::test::error_of([&] { JobStore store(dir); });
  EXPECT_NE(message.find("cannot open it"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.string()), std::string::npos) << message;
}

TEST(JobStore, ASecondServiceOnTheSameDatabaseIsRefused) {
  const auto dir = tomo::test::scratch_dir("store") / "db";
  JobStore first(dir);
  const auto message = tomo::test::error_of([&] { JobStore second(dir); });
  EXPECT_NE(message.find("another tomoedge serve"), std::string::npos) << message;
}

}  // namespace
