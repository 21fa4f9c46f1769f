// The acquisition watcher: follows a scan as the acquisition writes it.
#include <caf/all.hpp>
#include <fmt/format.h>

#include "actors/actors.hpp"

namespace tomo::actors {

watcher_actor::behavior_type acquisition_watcher(watcher_actor::pointer self, coordinator_actor coordinator,
                                                 loader_actor to_loader, JobParts parts) {
  struct State {
    int written = -1;
    std::chrono::steady_clock::time_point last_news = std::chrono::steady_clock::now();
  };
  auto state = std::make_shared<State>();
  return {
      [=](poll_atom) {
        AcquisitionState now;
        try {
          now = parts.watched->refresh();
        } catch (const std::exception& e) {
          self->send(coordinator, job_failure{"acquisition watcher", e.what()});
          self->quit();
          return;
        }
        const auto clock = std::chrono::steady_clock::now();
        if (now.written > state->written || now.complete) {
          state->written = now.written;
          state->last_news = clock;
          self->send(to_loader, acquired{now.written, now.expected, now.complete});
          job_event news = event_now(now.complete ? "scan_complete" : "projections_available");
          news.first = 0, news.count = now.written;
          self->send(coordinator, std::move(news));
        }
        if (now.complete) return self->quit();
        const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(clock - state->last_news);
        if (silent >= parts.stall_timeout) {
          self->send(coordinator,
                     job_failure{"acquisition watcher",
                                 fmt::format("incomplete scan: {} of {} projections written, and none for {:.1f} s "
                                             "(the acquisition stopped?); nothing was reconstructed as if complete",
                                             now.written, now.expected, std::chrono::duration<double>(silent).count())});
          return self->quit();
        }
        self->delayed_send(self, parts.poll, poll_atom::value);
      },
  };
}

}  // namespace tomo::actors
