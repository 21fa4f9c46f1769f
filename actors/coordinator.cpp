// The coordinator of one job: spawns its actors, passes their events on, and answers once.
#include <caf/all.hpp>
#include <fmt/format.h>

#include "actors/actors.hpp"

namespace tomo::actors {

job_event event_now(std::string kind) {
  job_event event;
  event.kind = std::move(kind);
  event.time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return event;
}

coordinator_actor::behavior_type coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, JobParts parts,
                                             std::function<void(const job_event&)> on_event) {
  self->state.parts = std::move(parts);
  self->state.on_event = std::move(on_event);
  // Stops the job's actors and this one; the answer has been given.
  const auto stop = [self](caf::exit_reason reason) {
    self->state.finished = true;
    for (const auto& child : self->state.children) self->send_exit(child, reason);
    self->quit();
  };
  const auto fail = [self, stop](const std::string& reason) {
    if (self->state.finished) return;
    job_event failed = event_now("job_failed");
    failed.message = reason;
    self->state.on_event(failed);
    self->state.answer.deliver(job_summary{reason, {}, {}, 0});
    stop(caf::exit_reason::user_shutdown);
  };
  // An actor that dies without saying why (it reports its own failures before it stops).
  self->set_down_handler([self, fail](caf::down_msg& down) {
    if (down.reason) fail(fmt::format("an actor of the job stopped: {}", self->system().render(down.reason)));
  });
  return {
      [self](start_atom) -> caf::typed_response_promise<job_summary> {
        coordinator_state& st = self->state;
        const auto me = caf::actor_cast<coordinator_actor>(self);
        auto slice_writer = self->spawn<caf::detached>(writer, me, st.parts);
        auto slabs = self->spawn<caf::detached>(reconstructor, me, slice_writer, st.parts);
        auto loader = self->spawn<caf::detached>(chunk_loader, me, slabs, st.parts);
        for (const caf::actor& child : {caf::actor_cast<caf::actor>(slice_writer), caf::actor_cast<caf::actor>(slabs),
                                       caf::actor_cast<caf::actor>(loader)}) {
          self->monitor(child);
          st.children.push_back(child);
        }
        st.answer = self->make_response_promise<job_summary>();
        st.on_event(event_now("job_started"));
        self->send(loader, start_atom::value);
        return st.answer;
      },
      [self, stop](job_event& event) {
        coordinator_state& st = self->state;
        if (st.finished) return;
        st.on_event(event);
        if (event.kind != "slab_done" || ++st.slabs_done < st.parts.job->slabs.size()) return;
        // Every slab written: the output made visible, the counts collected, the answer given.
        const auto slice_writer = caf::actor_cast<writer_actor>(st.children[0]);
        const auto slabs = caf::actor_cast<reconstructor_actor>(st.children[1]);
        self->request(slice_writer, caf::infinite, finish_atom::value).then([self, slabs, stop](std::vector<std::string> outputs) {
          self->request(slabs, caf::infinite, counts_atom::value)
              .then([self, outputs, stop](CorrectionCounts counts, std::int64_t defective) {
                self->state.on_event(event_now("job_done"));
                self->state.answer.deliver(job_summary{{}, outputs, counts, defective});
                stop(caf::exit_reason::normal);
              });
        });
      },
      [fail](job_failure& failure) { fail(fmt::format("{}: {}", failure.stage, failure.reason)); },
  };
}

}  // namespace tomo::actors
