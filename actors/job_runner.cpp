#include "actors/job_runner.hpp"

#include <caf/all.hpp>
#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include <map>
#include <thread>

#include "actors/actors.hpp"
#include "kernels/elapsed.hpp"
#include "kernels/error.hpp"
#include "storage/event_log.hpp"

namespace tomo {

// The actor system jobs run in: the runner's own, or the caller's.
struct JobRunner::System {
  explicit System(int threads) : config(make_config(threads)), owned(std::in_place, *config), actors(*owned) {}
  explicit System(caf::actor_system& theirs) : actors(theirs) {}
  static std::unique_ptr<caf::actor_system_config> make_config(int threads) {
    auto config = std::make_unique<caf::actor_system_config>();
    if (threads > 0) config->set("scheduler.max-threads", static_cast<std::size_t>(threads));
    actors::add_message_types(*config);
    return config;
  }
  std::unique_ptr<caf::actor_system_config> config;
  std::optional<caf::actor_system> owned;
  caf::actor_system& actors;
};

void Cancellation::cancel() { stop(true); }

void Cancellation::interrupt() { stop(false); }

void Cancellation::stop(bool discard) {
  std::function<void()> stop_job;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_ || interrupted_) return;
    (discard ? cancelled_ : interrupted_) = true;
    stop_job = stop_;
  }
  if (stop_job) stop_job();
}

bool Cancellation::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool Cancellation::interrupted() const {
  std::lock_guard lock(mutex_);
  return interrupted_;
}

void Cancellation::attach(std::function<void()> stop) {
  bool already = false;
  {
    std::lock_guard lock(mutex_);
    stop_ = stop;
    already = cancelled_ || interrupted_;
  }
  if (already) stop();
}

void Cancellation::detach() {
  std::lock_guard lock(mutex_);
  stop_ = nullptr;
}

JobRunner::JobRunner(int threads) : system_(std::make_unique<System>(threads)) {}

JobRunner::JobRunner(caf::actor_system& system) : system_(std::make_unique<System>(system)) {}

JobRunner::~JobRunner() = default;

caf::actor_system& JobRunner::actor_system() { return system_->actors; }

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

namespace {

// Waits until a scan being acquired can be opened (the acquisition makes it visible under its name
// once its darks and flats are in), at most `timeout`.
// Throws JobCancelled or JobInterrupted when the job has been stopped from outside.
void check_not_stopped(const std::shared_ptr<Cancellation>& cancel) {
  if (cancel && cancel->cancelled()) throw JobCancelled();
  if (cancel && cancel->interrupted()) throw JobInterrupted();
}

void wait_for_scan(const std::filesystem::path& path, std::chrono::milliseconds poll, std::chrono::milliseconds timeout,
                   const std::shared_ptr<Cancellation>& cancel) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!std::filesystem::exists(path)) {
    check_not_stopped(cancel);
    if (std::chrono::steady_clock::now() >= until)
      fail("{}: no scan there after {:.1f} s of waiting for the acquisition to start", path.string(),
           std::chrono::duration<double>(timeout).count());
    std::this_thread::sleep_for(poll);
  }
}

// The first slabs whose running sums fit in the budget, to be reconstructed as the scan is
// acquired; none (and the log says why) when a step of the job needs the whole scan.
std::vector<std::shared_ptr<LiveSlab>> live_slabs(const JobPlan& job, int chunk_projections) {
  std::vector<std::shared_ptr<LiveSlab>> live;
  if (const auto why = why_not_live(job.plan, job.params)) {
    spdlog::info("live reconstruction off: {}; the scan is reconstructed once it is complete", *why);
    return live;
  }
  // Every live slab needs the same per row and fixed (its running sums, chunks, workspaces): the
  // count that fits is known before any slab's sums are allocated.
  const MemoryNeed need = LiveSlab::memory_need(job.plan, chunk_projections);
  std::int64_t used = 0;
  for (const Range& rows : job.slabs) {
    if (used + need.bytes(rows.size()) > job.budget) break;
    used += need.bytes(rows.size());
    live.push_back(std::make_shared<LiveSlab>(job.plan, job.params, rows));
  }
  const int live_end = live.empty() ? job.plan.rows.begin : live.back()->rows().end;
  if (job.plan.rings.method == RingMethod::rivers)
    spdlog::info("ring removal {}: live, from running column sums; its correction is subtracted at the end of the scan",
                 to_string(job.plan.rings));
  spdlog::info("live: rows {}:{} ({} slabs, {:.1f} GiB of running sums) reconstructed as the scan is acquired{}",
               job.plan.rows.begin, live_end, live.size(), static_cast<double>(used) / (1 << 30),
               live_end < job.plan.rows.end ? fmt::format(", rows {}:{} once it is complete", live_end, job.plan.rows.end)
                                            : std::string());
  return live;
}

}  // namespace

JobResult JobRunner::run(const JobRequest& request, const JobOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<EventLog> log;
  if (options.events) log.emplace(*options.events);
  if (options.follow) {
    if (request.params.output_type() != "float32" && request.params.auto_range_percent() > 0)
      fail("an automatic output range (--range auto) needs the finished scan: give --range MIN:MAX to follow one");
    wait_for_scan(request.input, options.poll, options.stall_timeout, options.cancel);
  }
  check_not_stopped(options.cancel);
  // Everything that can be found wrong before a slab is read is, here: the scan, the
  // parameters, the device, the output folder.
  PreparedJob prepared = prepare_job(request);
  if (!options.follow) require_complete(*prepared.scan);
  const JobPlan& job = *prepared.job;
  if (options.on_planned) options.on_planned(job);
  actors::JobParts parts;
  parts.scan = std::move(prepared.scan);
  parts.job = prepared.job;
  parts.reconstructor = std::move(prepared.reconstructor);
  parts.output = std::make_shared<SliceOutput>(request, job);
  parts.chunks_in_flight = options.chunks_in_flight;
  parts.writer_delay = options.writer_delay;
  if (options.follow) {
    parts.follow = true;
    parts.watched = open_scan(request.input, parts.scan->info().layout);
    parts.live = live_slabs(job, options.chunk_projections);
    parts.chunk_projections = options.chunk_projections;
    parts.poll = options.poll;
    parts.stall_timeout = options.stall_timeout;
    parts.live_rows = options.live_rows;
    if (parts.live_rows.empty()) parts.live_rows.push_back(job.preview_row);
    parts.live_every = options.live_every;
    parts.live_group = options.live_group;
  }
  const int total = job.plan.rows.size();
  int written = total;  // a resumed job's slabs written before count as written
  for (const Range& slab : job.slabs) written -= slab.size();
  std::map<std::int32_t, double> first_read;  // per slab: when its first chunk was read
  // Called on the coordinator's thread only.
  auto on_event = [&](const actors::job_event& event) {
    if (log || options.on_event) {
      const nlohmann::json line = to_json(event);
      if (log) log->write(line);
      if (options.on_event) options.on_event(line);
    }
    if (event.kind == "chunk_read") first_read.try_emplace(event.slab, event.time);
    if (event.kind == "slice_written" && options.on_progress) options.on_progress(++written, total);
    if (event.kind == "slab_done") {
      const auto read = first_read.find(event.slab);
      const double seconds = read == first_read.end() ? 0.0 : event.time - read->second;
      spdlog::debug("slab of rows {}:{} written in {:.1f} s ({:.1f} s since the start)", event.rows.begin, event.rows.end,
                    seconds, seconds_since(started));
      if (options.on_slab_written) options.on_slab_written(event.rows, seconds);
    }
  };
  auto on_live_slice = [&](const actors::live_slice& view) {
    if (options.on_live_slice) options.on_live_slice(view.row, view.added, view.width, view.values);
  };
  auto coordinator = system_->actors.spawn(actors::coordinator, parts, on_event, on_live_slice);
  if (options.cancel)
    options.cancel->attach([coordinator] { caf::anon_send(coordinator, actors::job_failure{"cancel", "stopped from outside"}); });
  actors::job_summary summary;
  caf::scoped_actor self{system_->actors};
  self->request(coordinator, caf::infinite, actors::start_atom::value)
      .receive([&](actors::job_summary& answer) { summary = std::move(answer); },
               [&](caf::error& error) { summary.error = "the job's coordinator stopped: " + system_->actors.render(error); });
  if (options.cancel) {
    options.cancel->detach();
    if (options.cancel->cancelled()) {
      parts.output->discard();
      throw JobCancelled();
    }
    check_not_stopped(options.cancel);
  }
  if (!summary.error.empty()) fail("{}", summary.error);

  JobResult result{job.plan.rows.begin, total, job.plan.slice_width, job.slab_rows, {}, summary.corrections,
                   summary.defective_flat_pixels, 0};
  for (const auto& path : summary.outputs) result.outputs.emplace_back(path);
  log_corrections(job, summary.corrections, summary.defective_flat_pixels);
  result.seconds = seconds_since(started);
  return result;
}

}  // namespace tomo
