// The scheduler: the service's one queue. Every change of a job's state passes through here, one
// message at a time, so that a job is never started and cancelled, or edited and started, at once.
#include <caf/all.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "actors/actors.hpp"

namespace tomo::actors {

namespace {

scheduler_reply ok(std::uint64_t id) { return {200, {}, id}; }

// Runs one request; the job store failing (a full or broken disk) is answered as the service's own
// failure (500), and the scheduler, with every other job, goes on.
template <class Request>
auto guarded(std::uint64_t id, Request&& request) -> decltype(request()) {
  try {
    return request();
  } catch (const std::exception& e) {
    spdlog::error("job {}: the job store failed: {}", id, e.what());
    return scheduler_reply{500, fmt::format("the job store failed: {}", e.what()), id};
  }
}

template <class... Args>
scheduler_reply refused(std::int32_t status, std::uint64_t id, fmt::format_string<Args...> format, Args&&... args) {
  return {status, fmt::format(format, std::forward<Args>(args)...), id};
}

std::pair<std::int64_t, std::uint64_t> queue_key(const Job& job) { return {-std::int64_t{job.priority()}, job.id()}; }

// Back to the queue, as if new: no error, no end time.
void requeue(Job& job) {
  job.set_state(Job::queued);
  job.clear_error();
  job.set_finished(0);
}

// The slabs of a job whose output is gone (cancelled, or edited) must all be made again.
void forget_written_slabs(Job& job) {
  for (SlabRecord& slab : *job.mutable_slabs()) {
    slab.set_written(false);
    slab.clear_worker();
    slab.set_written_at(0);
  }
  job.set_slices_written(0);
  job.clear_outputs();
}

}  // namespace

scheduler_actor::behavior_type scheduler(scheduler_actor::stateful_pointer<scheduler_state> self,
                                         std::shared_ptr<JobStore> store, SchedulerHooks hooks, int concurrent_jobs) {
  self->state.store = std::move(store);
  self->state.hooks = std::move(hooks);
  self->state.concurrent_jobs = concurrent_jobs;
  for (const Job& job : self->state.store->list())
    if (job.state() == Job::queued) self->state.queue.insert(queue_key(job));
  self->send(self, next_atom::value);

  // Looks up a job, or says there is none.
  const auto find = [self](std::uint64_t id) { return self->state.store->get(id); };
  // Records a change of a job the caller has found not running.
  const auto change = [self](std::uint64_t id, const std::function<void(Job&)>& edit) -> scheduler_reply {
    self->state.store->update(id, edit);
    return ok(id);
  };

  return {
      [self](submit_atom, const std::string& record) -> scheduler_reply {
        return guarded(0, [&]() -> scheduler_reply {
          Job job;
          if (!job.ParseFromString(record)) return refused(400, 0, "not a job record");
          if (job.state() != Job::held) job.set_state(Job::queued);
          const Job stored = self->state.store->add(job);
          if (stored.state() == Job::held) {
            spdlog::info("job {}: held until it is run ({})", stored.id(), stored.input());
            return ok(stored.id());
          }
          self->state.queue.insert(queue_key(stored));
          spdlog::info("job {}: queued ({}, priority {})", stored.id(), stored.input(), stored.priority());
          self->send(self, next_atom::value);
          return ok(stored.id());
        });
      },
      [self, find, change](cancel_atom, std::uint64_t id) -> caf::result<scheduler_reply> {
        return guarded(id, [&]() -> caf::result<scheduler_reply> {
          scheduler_state& st = self->state;
          const auto job = find(id);
          if (!job) return refused(404, id, "there is no job {}", id);
          if (const auto running = st.running.find(id); running != st.running.end()) {
            spdlog::info("job {}: cancelling", id);
            running->second.cancel->cancel();
            running->second.waiting.push_back(self->make_response_promise<scheduler_reply>());
            return running->second.waiting.back();
          }
          if (job->state() != Job::queued)
            return refused(409, id, "job {} is {}: only a queued or running job can be cancelled", id,
                           to_string(job->state()));
          st.queue.erase(queue_key(*job));
          // An interrupted run may have written slabs: a cancelled job leaves nothing behind.
          st.hooks.discard_output(*job);
          spdlog::info("job {}: cancelled before it started", id);
          return change(id, [](Job& j) {
            j.set_state(Job::cancelled);
            j.set_finished(unix_now());
            forget_written_slabs(j);
        });
        });
      },
      [self, find, change](retry_atom, std::uint64_t id) -> scheduler_reply {
        return guarded(id, [&]() -> scheduler_reply {
          const auto job = find(id);
          if (!job) return refused(404, id, "there is no job {}", id);
          if (job->state() != Job::failed && job->state() != Job::cancelled)
            return refused(409, id, "job {} is {}: only a failed or cancelled job can be retried", id, to_string(job->state()));
          // A failed job's written slabs stay: its parameters are the same, so they would come out the same.
          scheduler_reply reply = change(id, requeue);
          if (reply.status != 200) return reply;
          self->state.queue.insert(queue_key(*job));
          spdlog::info("job {}: queued again", id);
          self->send(self, next_atom::value);
          return reply;
        });
      },
      [self, find, change](run_atom, std::uint64_t id) -> scheduler_reply {
        return guarded(id, [&]() -> scheduler_reply {
          const auto job = find(id);
          if (!job) return refused(404, id, "there is no job {}", id);
          const Job::State state = job->state();
          if (state == Job::queued || state == Job::running)
            return refused(409, id, "job {} is {} already", id, to_string(state));
          scheduler_reply reply = change(id, [state](Job& j) {
            // A finished job runs again from scratch, overwriting its output; a failed or
            // cancelled one keeps the slabs it wrote (as retry does).
            if (state == Job::done) {
              forget_written_slabs(j);
              j.clear_slabs();
              j.set_slab_rows(0);
            }
            requeue(j);
          });
          self->state.queue.insert(queue_key(*job));
          spdlog::info("job {}: queued ({} before)", id, to_string(state));
          self->send(self, next_atom::value);
          return reply;
        });
      },
      [self, find](edit_atom, std::uint64_t id, const std::string& record) -> scheduler_reply {
        return guarded(id, [&]() -> scheduler_reply {
          scheduler_state& st = self->state;
          const auto job = find(id);
          if (!job) return refused(404, id, "there is no job {}", id);
          if (st.running.count(id)) return refused(409, id, "job {} is running: cancel it before editing it", id);
          Job edited;
          if (!edited.ParseFromString(record)) return refused(400, id, "not a job record");
          st.queue.erase(queue_key(*job));
          const Job stored = st.store->update(id, [&](Job& j) {
            const bool same_output = j.params().SerializeAsString() == edited.params().SerializeAsString() &&
                                     j.input() == edited.input() && j.output() == edited.output();
            copy_submitted(edited, j);
            // New parameters or places: a new run from scratch (the old output is overwritten).
            if (!same_output) {
              forget_written_slabs(j);
              j.clear_slabs();
              j.set_slab_rows(0);
            }
            // A held job stays held: it is being prepared.
            if (j.state() != Job::held && (!same_output || j.state() != Job::done)) requeue(j);
        });
        if (stored.state() == Job::queued) {
          st.queue.insert(queue_key(stored));
          self->send(self, next_atom::value);
        }
        spdlog::info("job {}: edited{}", id, stored.state() == Job::queued ? ", queued" : "");
        return ok(id);
        });
      },
      [self, find](delete_atom, std::uint64_t id) -> scheduler_reply {
        return guarded(id, [&]() -> scheduler_reply {
          scheduler_state& st = self->state;
          const auto job = find(id);
          if (!job) return refused(404, id, "there is no job {}", id);
          if (st.running.count(id)) return refused(409, id, "job {} is running: cancel it before deleting it", id);
          st.queue.erase(queue_key(*job));
          st.store->remove(id);
          spdlog::info("job {}: deleted (its output, if any, stays)", id);
          return ok(id);
        });
      },
      [self](ended_atom, std::uint64_t id) {
        scheduler_state& st = self->state;
        const auto running = st.running.find(id);
        if (running == st.running.end()) return;
        for (auto& promise : running->second.waiting) promise.deliver(ok(id));
        st.running.erase(running);
        if (st.stopping && st.running.empty() && st.stopped.pending()) st.stopped.deliver(true);
        self->send(self, next_atom::value);
      },
      [self](shutdown_atom) -> caf::result<bool> {
        scheduler_state& st = self->state;
        st.stopping = true;
        if (st.running.empty()) return true;
        for (auto& [id, job] : st.running) {
          spdlog::info("job {}: interrupting it; it resumes when the service starts again", id);
          job.cancel->interrupt();
        }
        st.stopped = self->make_response_promise<bool>();
        return st.stopped;
      },
      [self](next_atom) {
        scheduler_state& st = self->state;
        // Highest priority first; but two jobs writing into the same folder run one after the
        // other (a cancel of one removes the slices it would share with the other).
        auto next = st.queue.begin();
        while (!st.stopping && next != st.queue.end() && static_cast<int>(st.running.size()) < st.concurrent_jobs) {
          const std::uint64_t id = next->second;
          std::optional<Job> job;
          try {
            job = st.store->get(id);
          } catch (const std::exception& e) {
            spdlog::error("job {}: the job store failed: {}", id, e.what());
            return;  // the next request or ended job looks again
          }
          const bool folder_busy =
              job && std::any_of(st.running.begin(), st.running.end(),
                                 [&](const auto& running) { return running.second.output == job->output(); });
          if (folder_busy) {
            ++next;
            continue;
          }
          next = st.queue.erase(next);
          if (!job) continue;  // deleted meanwhile
          auto cancel = std::make_shared<Cancellation>();
          st.running[id] = {cancel, {}, job->output()};
          // Its own thread: a run blocks for as long as the reconstruction takes.
          self->spawn<caf::detached>([run = st.hooks.run, me = caf::actor_cast<scheduler_actor>(self), id, cancel] {
            run(id, cancel);
            caf::anon_send(me, ended_atom::value, id);
          });
        }
      },
  };
}

}  // namespace tomo::actors
