#pragma once
// Runs reconstruction jobs on the actor pipeline (actors/actors.hpp) from code that knows nothing
// of actors: the `recon` command, tests, and later the service. One runner holds one actor
// system; jobs run one after another or side by side in it, and a job that fails leaves the
// runner, and the other jobs, as they were.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kernels/error.hpp"
#include "pipeline/reconstruction_job.hpp"

namespace caf {
class actor_system;
}

namespace tomo {

// Lets another thread cancel a running job (JobOptions::cancel): its actors stop after the chunk or
// slab at hand, whatever it wrote is removed, and JobRunner::run throws JobCancelled.
class Cancellation {
 public:
  void cancel();
  // Stops the job as cancel() does but keeps what it wrote (JobRunner::run throws JobInterrupted):
  // the service shutting down, to resume the job when it starts again.
  void interrupt();
  bool cancelled() const;
  bool interrupted() const;

 private:
  friend class JobRunner;
  // What cancel() does to the job running now; run at once when it was cancelled before.
  void attach(std::function<void()> stop);
  void detach();
  void stop(bool discard);
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  bool interrupted_ = false;
  std::function<void()> stop_;
};

class JobCancelled : public Error {
 public:
  JobCancelled() : Error("cancelled") {}
};

class JobInterrupted : public Error {
 public:
  JobInterrupted() : Error("interrupted") {}
};

struct JobOptions {
  // Where to write the job's events as JSON lines (storage/event_log.hpp); none if empty.
  std::optional<std::filesystem::path> events;
  // Called with (slices written, slices in all) after each slice.
  std::function<void(int, int)> on_progress;
  // Called once all of a slab's slices are under their final names, with its rows and the seconds
  // from its first chunk read to its last slice written (on an actor's thread, one call at a time).
  std::function<void(Range, double)> on_slab_written;
  // Called with each event as the event log has it (docs/pipeline.md, "Events"), on the
  // coordinator's thread.
  std::function<void(const nlohmann::json&)> on_event;
  // Called once the job is planned, before any slab is read: its plan, slabs and slab height.
  std::function<void(const JobPlan&)> on_planned;
  // Set to cancel the job from another thread.
  std::shared_ptr<Cancellation> cancel;
  // Chunks a loader may have unanswered per reconstructor: 2 lets reading the next slab overlap
  // reconstructing this one while the last is written, and bounds memory to about 2 slabs
  // in and 2 out (the memory planner counts kSlabsInFlight = 3 of each).
  int chunks_in_flight = 2;
  // For tests: the writer waits this long before each slab, as a slow disk would make it.
  std::chrono::milliseconds writer_delay{0};

  // Follow a scan being acquired (docs/pipeline.md, "Live"): the slabs whose running sums fit in
  // the memory budget are reconstructed as projections arrive, the rest once it is complete.
  bool follow = false;
  std::chrono::milliseconds poll{20};             // how often the scan is looked at: part of the lag
  std::chrono::milliseconds stall_timeout{60000};  // no new projection (or no file) for this long: incomplete scan
  int chunk_projections = 16;                     // at most this many projections per live chunk
  // The live view: these rows (none given: the middle one), every `live_every` projections, to
  // on_live_slice(row, projections added, width, width × width values) — called on an actor's
  // thread.
  std::vector<int> live_rows;
  int live_every = 0;
  std::function<void(int, int, int, std::span<const float>)> on_live_slice;
  // Also publish the live view as `live_slice` messages (actors/messages.hpp) to the actor
  // system's local group of this name: any actor of the runner's system may join it.
  std::string live_group;
};

class JobRunner {
 public:
  // `threads`: the actor system's workers for the actors that only pass messages (the ones that
  // read, compute and write have threads of their own); 0 = CAF's default.
  explicit JobRunner(int threads = 0);
  // Runs jobs in an actor system of the caller's, whose other actors may subscribe to the live
  // view (JobOptions::live_group); its config must have actors::add_message_types.
  explicit JobRunner(caf::actor_system& system);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Runs the job to its end. Throws tomo::Error with the reason when it fails (the scan, the
  // parameters, the output folder, a read or a write, or a kernel); whatever it wrote under
  // final names stays, nothing is half-written. Throws JobCancelled, having removed its output,
  // when options.cancel is cancelled, and JobInterrupted, keeping it, when it is interrupted.
  // Either way no actor of the job writes after it returns.
  JobResult run(const JobRequest& request, const JobOptions& options = {});

  // The actor system jobs run in, for actors that work beside them (the service's scheduler).
  caf::actor_system& actor_system();

 private:
  struct System;
  std::unique_ptr<System> system_;
};

}  // namespace tomo
