// The chunk loader: reads slabs from the scan and hands them on within credit.
#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "kernels/error.hpp"

namespace tomo::actors {

loader_actor::behavior_type chunk_loader(loader_actor::pointer self, coordinator_actor coordinator,
                                         reconstructor_actor to_reconstructor, JobParts parts) {
  struct State {
    std::size_t next = 0;    // the next slab to read
    int unanswered = 0;      // chunks sent and not yet written
  };
  auto state = std::make_shared<State>();
  const auto fail_with = [self, coordinator](const std::string& reason) {
    self->send(coordinator, job_failure{"chunk loader", reason});
    self->quit();
  };
  return {
      [=](start_atom) { self->send(self, next_atom::value); },
      // One slab per message, so that answers (credit) are taken in between reads.
      [=](next_atom) {
        const JobPlan& job = *parts.job;
        if (state->next >= job.slabs.size() || state->unanswered >= parts.chunks_in_flight) return;
        const auto slab = static_cast<std::int32_t>(state->next++);
        const Range rows = job.slabs[static_cast<std::size_t>(slab)];
        projection_chunk chunk{slab, 0, static_cast<std::int32_t>(job.plan.projections.size()), {}};
        try {
          chunk.data = read_slab(*parts.scan, job.plan, job.params, rows);
        } catch (const std::exception& e) {
          return fail_with(e.what());
        }
        job_event read = event_now("chunk_read");
        read.slab = slab, read.rows = rows, read.first = chunk.first, read.count = chunk.count;
        self->send(coordinator, std::move(read));
        ++state->unanswered;
        self->request(to_reconstructor, caf::infinite, std::move(chunk))
            .then([=](std::int32_t) {
                    --state->unanswered;
                    self->send(self, next_atom::value);
                  },
                  [=](caf::error&) { self->quit(); });  // the reconstructor failed and said why
        self->send(self, next_atom::value);
      },
  };
}

}  // namespace tomo::actors
