#pragma once
// The actors of one reconstruction job and how they talk (shared/DESIGN.md, "Actors"):
//
//   job runner ──start──► coordinator ──start──► chunk_loader ──projection_chunk──► reconstructor
//                             ▲                        ▲ ◄──── reply: slab written ─────┘  │
//                             │                        │                       slab_slices ▼
//                             └── job_event, job_failure from every actor ◄────────── writer
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
#include <caf/typed_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "actors/messages.hpp"
#include "pipeline/reconstruction_job.hpp"

namespace tomo::actors {

using coordinator_actor = caf::typed_actor<caf::replies_to<start_atom>::with<job_summary>,
                                           caf::reacts_to<job_event>, caf::reacts_to<job_failure>>;
using loader_actor = caf::typed_actor<caf::reacts_to<start_atom>, caf::reacts_to<next_atom>>;
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
};

// Reads the job's slabs in order and sends each, whole, to the reconstructor, within credit.
loader_actor::behavior_type chunk_loader(loader_actor::pointer self, coordinator_actor coordinator,
                                         reconstructor_actor to_reconstructor, JobParts parts);

// Reconstructs each slab it is sent and has the writer write it.
reconstructor_actor::behavior_type reconstructor(reconstructor_actor::pointer self, coordinator_actor coordinator,
                                                 writer_actor to_writer, JobParts parts);

// Writes slices, each under a temporary name and then renamed.
writer_actor::behavior_type writer(writer_actor::pointer self, coordinator_actor coordinator, JobParts parts);

struct coordinator_state {
  JobParts parts;
  std::function<void(const job_event&)> on_event;
  caf::typed_response_promise<job_summary> answer;
  std::vector<caf::actor> children;
  std::size_t slabs_done = 0;
  bool finished = false;
};

// Runs one job: spawns and watches the others, passes their events on to `on_event` (called on
// the coordinator's thread), and answers `start` with the job's summary once every slab is
// written — or with the first failure's reason, having stopped the rest.
coordinator_actor::behavior_type coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, JobParts parts,
                                             std::function<void(const job_event&)> on_event);

}  // namespace tomo::actors
