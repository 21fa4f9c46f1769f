#pragma once
// The service's jobs and parameter presets, in RocksDB (proto/job.proto). Every change is a
// synced write: when a call returns, the change survives a kill -9 or a power cut, so the
// service acknowledges nothing it could forget. Safe to call from any thread: changes to one
// record are read-modify-writes under the store's lock.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "job.pb.h"

namespace tomo {

using tomoedge::Job;
using tomoedge::JobSubmission;
using tomoedge::LogLine;
using tomoedge::Preset;
using tomoedge::SlabRecord;

// The record version this build writes. Raise it when a record's meaning changes (new fields
// alone do not need it: older records simply lack them); a store or record written by a newer
// version is refused with an error rather than read wrongly.
inline constexpr std::uint32_t kJobSchema = 1;

class JobStore {
 public:
  // Opens the store in `folder`, creating it when absent. A folder that holds something else, is
  // unreadable, corrupt, in use by another service, or written by a newer tomoedge: tomo::Error
  // naming the folder and the cause.
  explicit JobStore(const std::filesystem::path& folder);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Stores a new job under the next id (ids are never reused, even after a delete) and returns
  // it as stored. A job made by a watch rule also records its scan (job_for_scan).
  Job add(Job job);
  std::optional<Job> get(std::uint64_t id) const;
  std::vector<Job> list() const;  // in id order
  // Changes one job: `change` edits the record, or throws (tomo::Error) to refuse, and then
  // nothing is stored. Returns the record as stored. tomo::Error when there is no such job.
  Job update(std::uint64_t id, const std::function<void(Job&)>& change);
  // Marks the slab that starts at `first_row` as written. False, and nothing changed, when it
  // already was: a slab delivered twice (a retry racing a late writer) commits once.
  bool commit_slab(std::uint64_t id, int first_row, const std::string& worker, double seconds);
  void remove(std::uint64_t id);

  // Called after each change to a job is stored, with the record before (null for a new job)
  // and after (null for a removed one), one change at a time in the order stored: the service's
  // live events. It must be quick and must not call the store. Set before other threads use it.
  using JobObserver = std::function<void(const Job* before, const Job* after)>;
  void observe(JobObserver observer) { observer_ = std::move(observer); }

  // The job a watch rule made of this scan (canonical path), if any: a scan is never
  // reconstructed twice automatically, restarts included.
  std::optional<std::uint64_t> job_for_scan(const std::string& input) const;

  void put_preset(Preset preset);
  std::optional<Preset> preset(const std::string& name) const;
  std::vector<Preset> presets() const;  // by name
  bool remove_preset(const std::string& name);

  const std::filesystem::path& folder() const { return folder_; }

 private:
  struct Db;
  std::filesystem::path folder_;
  std::unique_ptr<Db> db_;
  JobObserver observer_;
};

// Unix time now, in seconds: the time unit of every record.
double unix_now();

// Copies what a submission decides of a job — input, output, parameters, preset, sample,
// priority, follow, live rows, owner — and nothing of its run: a duplicate, or an edit stored.
void copy_submitted(const Job& from, Job& to);

// "queued", "running", ... as the API shows states.
std::string to_string(Job::State state);

}  // namespace tomo
