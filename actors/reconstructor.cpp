// The reconstructor: a slab's raw projections in, its slices out to the writer.
#include <caf/all.hpp>

#include "actors/actors.hpp"

namespace tomo::actors {

reconstructor_actor::behavior_type reconstructor(reconstructor_actor::pointer self, coordinator_actor coordinator,
                                                 writer_actor to_writer, JobParts parts) {
  return {
      [=](projection_chunk& chunk) -> caf::result<std::int32_t> {
        slab_slices slices{chunk.slab, {}};
        try {
          slices.data = parts.reconstructor->reconstruct(chunk.data);
        } catch (const std::exception& e) {
          self->send(coordinator, job_failure{"reconstructor", e.what()});
          self->quit();
          return caf::sec::runtime_error;
        }
        job_event done = event_now("slab_reconstructed");
        done.slab = chunk.slab, done.rows = slices.data.rows;
        self->send(coordinator, std::move(done));
        // The chunk is answered (its credit given back) once its slices are written.
        auto answer = self->make_response_promise<std::int32_t>();
        const std::int32_t slab = chunk.slab;
        self->request(to_writer, caf::infinite, std::move(slices))
            .then([=](std::int32_t) mutable { answer.deliver(slab); },
                  [=](caf::error& e) mutable { answer.deliver(std::move(e)); });
        return answer;
      },
      [=](counts_atom) -> caf::result<CorrectionCounts, std::int64_t> {
        return {parts.reconstructor->corrections(), parts.reconstructor->defective_flat_pixels()};
      },
  };
}

}  // namespace tomo::actors
