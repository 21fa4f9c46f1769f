#pragma once
// One run of a stored job (storage/job_store.hpp) on the actor pipeline: what the scheduler's
// hook does on a thread of its own. Every step that matters after a crash is in the store before
// the next one starts: the job running, its slabs (fixed at its first run, so a resumed run has the
// same ones), each slab once its slices are all written, and the outcome.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/job_runner.hpp"
#include "service/event_hub.hpp"
#include "service/live_views.hpp"
#include "service/service_metrics.hpp"
#include "storage/job_store.hpp"

namespace tomo {

struct ExecutionSettings {
  std::string worker;                       // who runs it: host name and process id
  std::chrono::milliseconds stall_timeout{60000};
  std::int64_t memory_budget = 0;           // bytes per job for parameters that leave it at 0
  int threads = 0;                          // likewise
  int concurrent_jobs = 1;                  // with no budget given: jobs share the machine's memory
  std::size_t log_lines = 200;              // lines kept in each job's record
};

// Runs job `id` to its end and records the outcome: done (with its outputs), failed (with the
// reason), or cancelled (its output removed). Never throws: whatever goes wrong is the job's.
// What the store does not record, `events` gets as it happens (docs/api.md, "Events"): slices
// written ("progress"), the acquisition's progress ("acquisition") and, for a job followed live,
// its live view ("live_slice", also kept in `live_views`).
void execute_job(JobStore& store, JobRunner& runner, ServiceMetrics& metrics, EventHub& events, LiveViews& live_views,
                 const ExecutionSettings& settings, std::uint64_t id, const std::shared_ptr<Cancellation>& cancel);

// Removes what earlier runs of a job wrote: the slices of its written slabs (TIFF), a volume
// left half-written (HDF5).
void discard_job_output(const Job& job);

// Appends a line to a job's log, keeping the last `keep` lines.
void add_log_line(Job& job, const std::string& level, const std::string& message, std::size_t keep = 200);

}  // namespace tomo
