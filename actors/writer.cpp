// The writer: slices to files, one at a time, each complete before it gets its name.
#include <caf/all.hpp>

#include <malloc.h>

#include <thread>

#include "actors/actors.hpp"

namespace tomo::actors {

writer_actor::behavior_type writer(writer_actor::pointer self, coordinator_actor coordinator, JobParts parts) {
  return {
      [=](slab_slices& slab) -> caf::result<std::int32_t> {
        try {
          if (parts.writer_delay.count() > 0) std::this_thread::sleep_for(parts.writer_delay);
          for (int row = slab.data.rows.begin; row < slab.data.rows.end; ++row) {
            parts.output->write(slab.data, row);
            job_event written = event_now("slice_written");
            written.slab = slab.slab, written.row = row;
            self->send(coordinator, std::move(written));
          }
        } catch (const std::exception& e) {
          self->send(coordinator, job_failure{"writer", e.what()});
          self->quit();
          return caf::sec::runtime_error;
        }
        job_event done = event_now("slab_done");
        done.slab = slab.slab, done.rows = slab.data.rows;
        self->send(coordinator, std::move(done));
        // A written slab's memory (and its chunks') goes back to the system: glibc keeps freed
        // buffers of up to 32 MiB in its heap, where the memory budget no longer counts them. (Its
        // result only says whether there was anything to give back.)
        slab.data.slices = {};
        malloc_trim(0);
        return slab.slab;
      },
      [=](finish_atom) -> caf::result<std::vector<std::string>> {
        try {
          std::vector<std::string> outputs;
          for (const auto& path : parts.output->finish()) outputs.push_back(path.string());
          return outputs;
        } catch (const std::exception& e) {
          self->send(coordinator, job_failure{"writer", e.what()});
          self->quit();
          return caf::sec::runtime_error;
        }
      },
  };
}

}  // namespace tomo::actors
