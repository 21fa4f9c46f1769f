// A live slab's reconstructor: chunks of projections added to running sums as they arrive.
#include <caf/all.hpp>

#include "actors/actors.hpp"

namespace tomo::actors {

reconstructor_actor::behavior_type live_reconstructor(reconstructor_actor::pointer self, coordinator_actor coordinator,
                                                      writer_actor to_writer, JobParts parts, std::size_t slab) {
  LiveSlab& live = *parts.live[slab];
  // The live view: chosen rows of this slab, sent every `live_every` projections.
  std::vector<int> shown;
  for (const int row : parts.live_rows)
    if (row >= live.rows().begin && row < live.rows().end) shown.push_back(row);
  const int width = parts.job->plan.slice_width;
  return {
      [=, &live](projection_chunk& chunk) -> caf::result<std::int32_t> {
        const int before = live.added();
        try {
          live.add(chunk.data, chunk.first, chunk.count);
        } catch (const std::exception& e) {
          self->send(coordinator, job_failure{"live reconstructor", e.what()});
          self->quit();
          return caf::sec::runtime_error;
        }
        job_event added = event_now("projections_accumulated");
        added.slab = chunk.slab, added.rows = live.rows(), added.first = chunk.first, added.count = chunk.count;
        self->send(coordinator, std::move(added));
        if (parts.live_every > 0 && (live.added() / parts.live_every > before / parts.live_every || live.complete()))
          for (const int row : shown) {
            live_slice view{row, live.added(), width, std::vector<float>(static_cast<std::size_t>(width) * width)};
            live.snapshot(row, view.values);
            self->send(coordinator, std::move(view));
          }
        if (!live.complete()) return chunk.slab;  // its memory is free: the next may come
        return write_then_answer(self, coordinator, to_writer, slab_slices{chunk.slab, live.finish()});
      },
      [=, &live](counts_atom) -> caf::result<CorrectionCounts, std::int64_t> {
        return {live.corrections(), live.defective_flat_pixels()};
      },
  };
}

}  // namespace tomo::actors
