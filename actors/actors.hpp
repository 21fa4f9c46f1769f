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
#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "pipeline/live_slab.hpp"
#include "pipeline/reconstruction_job.hpp"

namespace tomo::actors {

using coordinator_actor = caf::typed_actor<caf::replies_to<start_atom>::with<job_summary>, caf::reacts_to<job_event>,
                                           caf::reacts_to<job_failure>, caf::reacts_to<live_slice>>;
using loader_actor = caf::typed_actor<caf::reacts_to<start_atom>, caf::reacts_to<next_atom>, caf::reacts_to<acquired>>;
using watcher_actor = caf::typed_actor<caf::reacts_to<poll_atom>>;
using reconstructor_actor = caf::typed_actor<caf::replies_to<projection_chunk>::with<std::int32_t>,
                                             caf::replies_to<counts_atom>::with<CorrectionCounts, std::int64_t>>;
using writer_actor = caf::typed_actor<caf::replies_to<slab_slices>::with<std::int32_t>,
                                      caf::replies_to<finish_atom>::with<std::vector<std::string>>>;

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
  caf::group live_group;  // where the live view goes, when the job names one
  std::size_t slabs_done = 0;
  job_summary summary;  // filled in as the reconstructors report their counts
  bool finished = false;
};

// Runs one job: spawns and watches the others, passes their events on to `on_event` (called on
// the coordinator's thread), and answers `start` with the job's summary once every slab is
// written — or with the first failure's reason, having stopped the rest.
coordinator_actor::behavior_type coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, JobParts parts,
                                             std::function<void(const job_event&)> on_event,
                                             std::function<void(const live_slice&)> on_live_slice);

}  // namespace tomo::actors
