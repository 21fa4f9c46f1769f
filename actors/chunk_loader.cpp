// The chunk loader: reads projections from the scan and hands them on within credit — a live
// slab's new projections as the acquisition declares them, then (or, for a finished scan, at once)
// the other slabs whole.
#include <caf/all.hpp>

#include <algorithm>

#include "actors/actors.hpp"
#include "kernels/error.hpp"

namespace tomo::actors {

loader_actor::behavior_type chunk_loader(loader_actor::pointer self, coordinator_actor coordinator,
                                         std::vector<reconstructor_actor> reconstructors, JobParts parts) {
  struct State {
    acquired scan;                  // what the acquisition has declared
    std::vector<int> sent;          // per live slab: projections sent
    std::vector<int> unanswered;    // per reconstructor (the batch one first, then the live slabs')
    std::size_t next_batch = 0;     // the next slab read whole
  };
  const std::shared_ptr<const JobPlan> job = parts.job;  // shared by the handlers, not copied into each
  const auto projections = static_cast<std::int32_t>(job->plan.projections.size());
  auto state = std::make_shared<State>();
  state->sent.assign(parts.live.size(), 0);
  state->unanswered.assign(reconstructors.size(), 0);
  state->next_batch = parts.live.size();
  // A finished scan is all there from the start.
  if (!parts.follow) state->scan = {projections, projections, true};

  // Sends `chunk` to reconstructor `to`, taking one credit, given back when it answers.
  const auto send_chunk = [=](std::size_t to, projection_chunk chunk) {
    job_event read = event_now("chunk_read");
    read.slab = chunk.slab, read.rows = chunk.data.rows, read.first = chunk.first, read.count = chunk.count;
    self->send(coordinator, std::move(read));
    ++state->unanswered[to];
    self->request(reconstructors[to], caf::infinite, std::move(chunk))
        .then(
            [=](std::int32_t) {
              --state->unanswered[to];
              self->send(self, next_atom::value);
            },
            [=](caf::error&) { self->quit(); });  // the reconstructor failed and said why
  };
  // Reads one chunk that is due and has credit; false when there is none.
  const auto read_one = [=]() -> bool {
    for (std::size_t s = 0; s < parts.live.size(); ++s) {
      const std::size_t to = 1 + s;
      const int first = state->sent[s];
      if (first >= state->scan.written || state->unanswered[to] >= parts.chunks_in_flight) continue;
      const int count = std::min(parts.chunk_projections, state->scan.written - first);
      const Range rows = job->slabs[s];
      projection_chunk chunk{static_cast<std::int32_t>(s), first, count,
                             read_chunk(*parts.scan, job->plan, job->params, rows, {first, first + count}, first == 0)};
      state->sent[s] += count;
      send_chunk(to, std::move(chunk));
      return true;
    }
    // The other slabs once the scan is complete and the live ones are written (their running
    // sums, freed then, and these slabs share the memory budget).
    const bool live_done = std::all_of(state->sent.begin(), state->sent.end(), [&](int sent) { return sent == projections; }) &&
                           std::all_of(state->unanswered.begin() + 1, state->unanswered.end(), [](int n) { return n == 0; });
    if (!state->scan.complete || !live_done || state->next_batch >= job->slabs.size() ||
        state->unanswered[0] >= parts.chunks_in_flight)
      return false;
    const auto slab = static_cast<std::int32_t>(state->next_batch++);
    const Range rows = job->slabs[static_cast<std::size_t>(slab)];
    send_chunk(0, projection_chunk{slab, 0, projections, read_slab(*parts.scan, job->plan, job->params, rows)});
    return true;
  };
  return {
      [=](start_atom) { self->send(self, next_atom::value); },
      // One chunk per message, so that answers (credit) and news of the acquisition are taken
      // in between reads.
      [=](next_atom) {
        try {
          if (read_one()) self->send(self, next_atom::value);
        } catch (const std::exception& e) {
          self->send(coordinator, job_failure{"chunk loader", e.what()});
          self->quit();
        }
      },
      [=](acquired& news) {
        if (news.written < state->scan.written) return;  // never go back
        try {
          // This loader's own view of the file must reach as far as the watcher's.
          const AcquisitionState seen = parts.scan->refresh();
          state->scan = {std::min(news.written, seen.written), news.expected, news.complete && seen.complete};
        } catch (const std::exception& e) {
          self->send(coordinator, job_failure{"chunk loader", e.what()});
          self->quit();
          return;
        }
        self->send(self, next_atom::value);
      },
  };
}

}  // namespace tomo::actors
