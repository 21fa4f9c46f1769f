// The reconstructor: a slab's raw projections in, its slices out to the writer.
#include <caf/all.hpp>

#include "actors/actors.hpp"

namespace tomo::actors {

caf::result<std::int32_t> write_then_answer(reconstructor_actor::pointer self, const coordinator_actor& coordinator,
                                            const writer_actor& to_writer, slab_slices slices) {
  job_event done = event_now("slab_reconstructed");
  done.slab = slices.slab, done.rows = slices.data.rows;
  self->send(coordinator, std::move(done));
  auto answer = self->make_response_promise<std::int32_t>();
  const std::int32_t slab = slices.slab;
  self->request(to_writer, caf::infinite, std::move(slices))
      .then([=](std::int32_t) mutable { answer.deliver(slab); },
            [=](caf::error& e) mutable { answer.deliver(std::move(e)); });
  return answer;
}

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
        return write_then_answer(self, coordinator, to_writer, std::move(slices));
      },
      [=](counts_atom) -> caf::result<CorrectionCounts, std::int64_t> {
        return {parts.reconstructor->corrections(), parts.reconstructor->defective_flat_pixels()};
      },
  };
}

}  // namespace tomo::actors
