// The coordinator of one job: spawns its actors, passes their events on, and answers once.
#include <caf/all.hpp>
#include <fmt/format.h>

#include "actors/actors.hpp"

namespace tomo::actors {

void add_message_types(caf::actor_system_config& config) {
  config.add_message_type<projection_chunk>("projection_chunk");
  config.add_message_type<slab_slices>("slab_slices");
  config.add_message_type<acquired>("acquired");
  config.add_message_type<live_slice>("live_slice");
  config.add_message_type<job_event>("job_event");
  config.add_message_type<job_failure>("job_failure");
  config.add_message_type<job_summary>("job_summary");
  config.add_message_type<CorrectionCounts>("CorrectionCounts");
  config.add_message_type<scheduler_reply>("scheduler_reply");
}

job_event event_now(std::string kind) {
  job_event event;
  event.kind = std::move(kind);
  event.time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return event;
}

coordinator_actor::behavior_type coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, JobParts parts,
                                             std::function<void(const job_event&)> on_event,
                                             std::function<void(const live_slice&)> on_live_slice) {
  self->state.parts = std::move(parts);
  self->state.on_event = std::move(on_event);
  self->state.on_live_slice = std::move(on_live_slice);
  // Stops the job's actors and this one; the answer has been given.
  const auto stop = [self](caf::exit_reason reason) {
    self->state.finished = true;
    for (const auto& child : self->state.children) self->send_exit(child, reason);
    self->quit();
  };
  // The answer to a failed job waits until every actor of the job has stopped: a writer busy
  // with a slab finishes it first, and whoever cleans up after the job must come after that.
  const auto answer_failure = [self] {
    coordinator_state& st = self->state;
    if (st.answer.pending()) st.answer.deliver(job_summary{st.failure, {}, {}, 0});  // else: failed before it started
    self->quit();
  };
  const auto fail = [self, answer_failure](const std::string& reason) {
    coordinator_state& st = self->state;
    if (st.finished) return;
    st.finished = true;
    st.failure = reason;
    job_event failed = event_now("job_failed");
    failed.message = reason;
    st.on_event(failed);
    for (const auto& child : st.children) self->send_exit(child, caf::exit_reason::user_shutdown);
    if (st.children_running == 0) answer_failure();
  };
  self->set_down_handler([self, fail, answer_failure](caf::down_msg& down) {
    coordinator_state& st = self->state;
    --st.children_running;
    // An actor that dies without saying why (each reports its own failures before it stops).
    if (down.reason && !st.finished) fail(fmt::format("an actor of the job stopped: {}", self->system().render(down.reason)));
    else if (!st.failure.empty() && st.children_running == 0) answer_failure();
  });
  // Every slab written: the counts collected from each reconstructor, the output made visible,
  // the answer given.
  const auto finish = [self, stop] {
    coordinator_state& st = self->state;
    auto remaining = std::make_shared<std::size_t>(st.reconstructors.size());
    for (const auto& reconstructor : st.reconstructors)
      self->request(reconstructor, caf::infinite, counts_atom::value)
          .then([self, stop, remaining](CorrectionCounts counts, std::int64_t defective) {
            self->state.summary.corrections += counts;
            self->state.summary.defective_flat_pixels += defective;
            if (--*remaining > 0) return;
            self->request(self->state.slice_writer, caf::infinite, finish_atom::value)
                .then([self, stop](std::vector<std::string> outputs) {
                  self->state.summary.outputs = std::move(outputs);
                  self->state.on_event(event_now("job_done"));
                  self->state.answer.deliver(self->state.summary);
                  stop(caf::exit_reason::normal);
                });
          });
  };
  return {
      [self, finish](start_atom) -> caf::typed_response_promise<job_summary> {
        coordinator_state& st = self->state;
        const JobParts& job = st.parts;
        const auto me = caf::actor_cast<coordinator_actor>(self);
        const auto watch = [&](const auto& child) {
          self->monitor(child);
          st.children.push_back(caf::actor_cast<caf::actor>(child));
          ++st.children_running;
        };
        st.slice_writer = self->spawn<caf::detached>(writer, me, job);
        watch(st.slice_writer);
        st.reconstructors.push_back(self->spawn<caf::detached>(reconstructor, me, st.slice_writer, job));
        for (std::size_t s = 0; s < job.live.size(); ++s)
          st.reconstructors.push_back(self->spawn<caf::detached>(live_reconstructor, me, st.slice_writer, job, s));
        for (const auto& one : st.reconstructors) watch(one);
        auto loader = self->spawn<caf::detached>(chunk_loader, me, st.reconstructors, job);
        watch(loader);
        if (job.follow) {
          auto watcher = self->spawn<caf::detached>(acquisition_watcher, me, loader, job);
          watch(watcher);
          self->send(watcher, poll_atom::value);
        }
        if (!job.live_group.empty()) st.live_group = self->system().groups().get_local(job.live_group);
        st.answer = self->make_response_promise<job_summary>();
        st.on_event(event_now("job_started"));
        self->send(loader, start_atom::value);
        // A resumed job whose slabs were all written before it was interrupted.
        if (job.job->slabs.empty()) finish();
        return st.answer;
      },
      [self, finish](job_event& event) {
        coordinator_state& st = self->state;
        if (st.finished) return;
        st.on_event(event);
        if (event.kind == "slab_done" && ++st.slabs_done == st.parts.job->slabs.size()) finish();
      },
      [self](live_slice& view) {
        coordinator_state& st = self->state;
        if (st.finished) return;
        if (st.on_live_slice) st.on_live_slice(view);
        if (st.live_group) caf::anon_send(st.live_group, std::move(view));  // typed actors send to groups anonymously
      },
      [fail](job_failure& failure) { fail(fmt::format("{}: {}", failure.stage, failure.reason)); },
  };
}

}  // namespace tomo::actors
