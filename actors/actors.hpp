#pragma once
// The actors of one reconstruction job and how they talk (shared/DESIGN.md, "Actors"):
//
//   job runner ──start──► coordinator ──start──► chunk_loader ──projection_chunk──► reconstructor
//                             ▲                        ▲ ◄──── reply: slab written ─────┘  │
//                             │                        │                       slab_slices ▼
//                             └── job_event, job_failure from every actor ◄────────── writer
//
// Following a scan being acquired, an acquisition_watcher tells the loader how many projections
// the acquisition has declared written; the loader sends each live slab's new projections, as
// chunks, to that slab's own live reconstructor, which adds them to its running sums (and
// publishes chosen slices as live_slice); the slabs not live are read and reconstructed as above
// once the scan is complete.
//
// Flow control is by credit: the loader has at most `chunks_in_flight` chunks unanswered per
// reconstructor, and a reconstructor answers a chunk only when the writer has written the slices
// it made from it. However slow the disk, at most that many chunks and their slices are in memory.
//
// The loader, reconstructor and writer block (reading, computing, writing) and so run detached,
// each on a thread of its own; the coordinator only passes messages. None of them holds numerics
// or file formats: they call pipeline/, kernels/ and storage/. A failure in any of them fails the
// job with its reason; the actor system, and other jobs in it, go on.
#include <caf/replies_to.hpp>
#include <caf/group.hpp>
#include <caf/result.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/job_runner.hpp"
#include "actors/messages.hpp"
#include "pipeline/live_slab.hpp"
#include "pipeline/reconstruction_job.hpp"
#include "storage/job_store.hpp"

namespace tomo::actors {

using coordinator_actor = caf::typed_actor<caf::replies_to<start_atom>::with<job_summary>, caf::reacts_to<job_event>,
                                           caf::reacts_to<job_failure>, caf::reacts_to<live_slice>>;
using loader_actor = caf::typed_actor<caf::reacts_to<start_atom>, caf::reacts_to<next_atom>, caf::reacts_to<acquired>>;
using watcher_actor = caf::typed_actor<caf::reacts_to<poll_atom>>;
using reconstructor_actor = caf::typed_actor<caf::replies_to<projection_chunk>::with<std::int32_t>,
                                             caf::replies_to<counts_atom>::with<CorrectionCounts, std::int64_t>>;
using writer_actor = caf::typed_actor<caf::replies_to<slab_slices>::with<std::int32_t>,
                                      caf::replies_to<finish_atom>::with<std::vector<std::string>>>;

// The service's queue (service/job_service.hpp): every change of a job's state goes through it,
// one at a time, and is in the job store (synced) before it answers. Jobs travel as serialized
// tomoedge.Job records.
using scheduler_actor = caf::typed_actor<
    caf::replies_to<submit_atom, std::string>::with<scheduler_reply>,    // a new job (a record, queued)
    caf::replies_to<cancel_atom, std::uint64_t>::with<scheduler_reply>,  // answered once a running job has stopped
    caf::replies_to<retry_atom, std::uint64_t>::with<scheduler_reply>,   // a failed or cancelled job queued again
    caf::replies_to<run_atom, std::uint64_t>::with<scheduler_reply>,     // a held job queued; a finished one re-run
    caf::replies_to<edit_atom, std::uint64_t, std::string>::with<scheduler_reply>,  // new parameters etc., queued again
    caf::replies_to<delete_atom, std::uint64_t>::with<scheduler_reply>,  // a job not running forgotten (its output stays)
    caf::reacts_to<ended_atom, std::uint64_t>,                           // a job's run has returned
    caf::reacts_to<next_atom>,                                           // start what the limit allows
    // Start nothing more and interrupt the running jobs (they resume at the next start); answered
    // once they have stopped.
    caf::replies_to<shutdown_atom>::with<bool>>;

// What the scheduler has done besides keeping the queue: given by the service, so that the
// scheduler holds no reconstruction and no file handling.
struct SchedulerHooks {
  // Runs a job to its end, recording its progress and outcome in the store; blocks (the
  // scheduler calls it on a thread of its own).
  std::function<void(std::uint64_t, std::shared_ptr<Cancellation>)> run;
  // Removes what earlier runs of a job wrote (its record says which slabs).
  std::function<void(const Job&)> discard_output;
};

struct scheduler_state {
  std::shared_ptr<JobStore> store;
  SchedulerHooks hooks;
  int concurrent_jobs = 1;
  std::set<std::pair<std::int64_t, std::uint64_t>> queue;  // (−priority, id): highest first, then oldest
  struct Running {
    std::shared_ptr<Cancellation> cancel;
    std::vector<caf::typed_response_promise<scheduler_reply>> waiting;  // cancel requests, answered when it stops
    std::string output;  // its output folder: no other job writing there starts meanwhile
  };
  std::map<std::uint64_t, Running> running;
  bool stopping = false;
  caf::typed_response_promise<bool> stopped;
};

// Keeps the queue of the jobs in `store` (those queued when it starts included), runs up to
// `concurrent_jobs` of them at once, highest priority first, each on a detached actor of its own.
scheduler_actor::behavior_type scheduler(scheduler_actor::stateful_pointer<scheduler_state> self,
                                         std::shared_ptr<JobStore> store, SchedulerHooks hooks, int concurrent_jobs);

// The parts of a prepared job, handed to the actors that use them (each to one actor).
struct JobParts {
  std::shared_ptr<ScanReader> scan;
  std::shared_ptr<const JobPlan> job;
  std::shared_ptr<SlabReconstructor> reconstructor;
  std::shared_ptr<SliceOutput> output;
  int chunks_in_flight = 2;
  std::chrono::milliseconds writer_delay{0};  // tests: a deliberately slow writer

  // Following a scan being acquired:
  bool follow = false;
  std::shared_ptr<ScanReader> watched;        // the watcher's own reader of the scan
  std::vector<std::shared_ptr<LiveSlab>> live;  // job->slabs[0, live.size()), reconstructed live
  int chunk_projections = 16;                 // at most this many projections per live chunk
  std::chrono::milliseconds poll{20};         // how often the watcher looks at the scan
  std::chrono::milliseconds stall_timeout{60000};  // no new projection for this long: incomplete scan
  std::vector<int> live_rows;                 // rows of the live view
  int live_every = 0;                         // publish them every this many projections (0: never)
  std::string live_group;                     // and to this local group, for any actor to join
};

// Reads what is due and sends it within credit: to reconstructors[1 + s] the new projections of
// live slab s as the acquisition declares them; to reconstructors[0] the other slabs, each whole,
// once the scan is complete and the live slabs are written (for a finished scan: at once).
loader_actor::behavior_type chunk_loader(loader_actor::pointer self, coordinator_actor coordinator,
                                         std::vector<reconstructor_actor> reconstructors, JobParts parts);

// Reconstructs each slab it is sent and has the writer write it.
reconstructor_actor::behavior_type reconstructor(reconstructor_actor::pointer self, coordinator_actor coordinator,
                                                 writer_actor to_writer, JobParts parts);

// A reconstructor's last step for a slab: tells the coordinator it is reconstructed, hands the
// slices to the writer, and answers the chunk (gives its credit back) once they are written.
caf::result<std::int32_t> write_then_answer(reconstructor_actor::pointer self, const coordinator_actor& coordinator,
                                            const writer_actor& to_writer, slab_slices slices);

// Adds each chunk of its live slab's projections to the slab's running sums, publishes the live
// view, and once the last projection is in has the writer write the slab.
reconstructor_actor::behavior_type live_reconstructor(reconstructor_actor::pointer self, coordinator_actor coordinator,
                                                      writer_actor to_writer, JobParts parts, std::size_t slab);

// Looks at the scan being acquired every `poll` and tells the loader what is written; fails the
// job as an incomplete scan when nothing new comes for `stall_timeout`.
watcher_actor::behavior_type acquisition_watcher(watcher_actor::pointer self, coordinator_actor coordinator,
                                                 loader_actor to_loader, JobParts parts);

// Writes slices, each under a temporary name and then renamed.
writer_actor::behavior_type writer(writer_actor::pointer self, coordinator_actor coordinator, JobParts parts);

struct coordinator_state {
  JobParts parts;
  std::function<void(const job_event&)> on_event;
  std::function<void(const live_slice&)> on_live_slice;
  caf::typed_response_promise<job_summary> answer;
  writer_actor slice_writer;
  std::vector<reconstructor_actor> reconstructors;  // the batch one, then one per live slab
  std::vector<caf::actor> children;
  std::size_t children_running = 0;
  caf::group live_group;  // where the live view goes, when the job names one
  std::size_t slabs_done = 0;
  job_summary summary;  // filled in as the reconstructors report their counts
  bool finished = false;
  std::string failure;  // the first failure's reason, answered once every child has stopped
};

// Runs one job: spawns and watches the others, passes their events on to `on_event` (called on
// the coordinator's thread), and answers `start` with the job's summary once every slab is
// written — or with the first failure's reason once the rest have stopped, so that nothing of the
// job writes after the answer. A job_failure sent from outside (stage "cancel") cancels the job.
coordinator_actor::behavior_type coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, JobParts parts,
                                             std::function<void(const job_event&)> on_event,
                                             std::function<void(const live_slice&)> on_live_slice);

}  // namespace tomo::actors
