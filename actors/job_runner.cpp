#include "actors/job_runner.hpp"

#include <caf/all.hpp>
#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "kernels/error.hpp"
#include "storage/event_log.hpp"

namespace tomo {

struct JobRunner::System {
  explicit System(int threads) : config(make_config(threads)), actors(config) {}
  static caf::actor_system_config make_config(int threads) {
    caf::actor_system_config config;
    if (threads > 0) config.set("scheduler.max-threads", static_cast<std::size_t>(threads));
    return config;
  }
  caf::actor_system_config config;
  caf::actor_system actors;
};

JobRunner::JobRunner(int threads) : system_(std::make_unique<System>(threads)) {}

JobRunner::~JobRunner() = default;

namespace {

// One line of the event log: the event's fields that apply, and its time in two forms.
nlohmann::json to_json(const actors::job_event& event) {
  nlohmann::json line{{"event", event.kind}, {"time", event.time}};
  const auto milliseconds = static_cast<std::int64_t>(event.time * 1000.0);
  const std::chrono::sys_seconds whole{std::chrono::seconds(milliseconds / 1000)};
  line["utc"] = fmt::format("{:%FT%T}.{:03}Z", whole, milliseconds % 1000);
  if (event.slab >= 0) line["slab"] = event.slab;
  if (event.rows.begin >= 0) line["rows"] = {event.rows.begin, event.rows.end};
  if (event.first >= 0) line["projections"] = {event.first, event.first + event.count};
  if (event.row >= 0) line["row"] = event.row;
  if (!event.message.empty()) line["message"] = event.message;
  return line;
}

}  // namespace

JobResult JobRunner::run(const JobRequest& request, const JobOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<EventLog> log;
  if (options.events) log.emplace(*options.events);
  // Everything that can be found wrong before a slab is read is, here: the scan, the
  // parameters, the device, the output folder.
  PreparedJob prepared = prepare_job(request);
  actors::JobParts parts{std::move(prepared.scan), prepared.job,
                         std::make_shared<SlabReconstructor>(prepared.job->plan, prepared.job->params),
                         std::make_shared<SliceOutput>(request, *prepared.job), options.chunks_in_flight,
                         options.writer_delay};
  const JobPlan& job = *prepared.job;
  const int total = job.plan.rows.size();
  int written = 0;
  // Called on the coordinator's thread only.
  auto on_event = [&](const actors::job_event& event) {
    if (log) log->write(to_json(event));
    if (event.kind == "slice_written" && options.on_progress) options.on_progress(++written, total);
    if (event.kind == "slab_done")
      spdlog::debug("slab of rows {}:{} written ({:.1f} s since the start)", event.rows.begin, event.rows.end,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  auto coordinator = system_->actors.spawn(actors::coordinator, parts, on_event);
  actors::job_summary summary;
  caf::scoped_actor self{system_->actors};
  self->request(coordinator, caf::infinite, actors::start_atom::value)
      .receive([&](actors::job_summary& answer) { summary = std::move(answer); },
               [&](caf::error& error) { summary.error = "the job's coordinator stopped: " + system_->actors.render(error); });
  if (!summary.error.empty()) fail("{}", summary.error);

  JobResult result{job.plan.rows.begin, total, job.plan.slice_width, job.slab_rows, {}, summary.corrections,
                   summary.defective_flat_pixels, 0};
  for (const auto& path : summary.outputs) result.outputs.emplace_back(path);
  log_corrections(job, summary.corrections, summary.defective_flat_pixels);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace tomo
