#include "service/job_execution.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "kernels/slice_statistics.hpp"
#include "service/logging.hpp"
#include "storage/png_image.hpp"
#include "storage/slice_writer.hpp"

namespace tomo {
namespace fs = std::filesystem;

void add_log_line(Job& job, const std::string& level, const std::string& message, std::size_t keep) {
  LogLine* line = job.add_log();
  line->set_time(unix_now());
  line->set_level(level);
  line->set_message(message);
  auto* log = job.mutable_log();
  if (static_cast<std::size_t>(log->size()) > keep)
    log->DeleteSubrange(0, log->size() - static_cast<int>(keep));
}

void discard_job_output(const Job& job) {
  const fs::path folder = job.output();
  if (!resumes_by_slab(job.params())) {
    std::error_code ignored;  // none is there unless a run was interrupted
    fs::remove(folder / (job.params().prefix() + ".h5.part"), ignored);
    return;
  }
  for (const SlabRecord& slab : job.slabs()) remove_tiff_slices(folder, job.params().prefix(), slab.first_row(), slab.rows());
}

namespace {

// The request for a run of `job`: a resumed job names the slabs already written.
JobRequest request_for(const Job& job, const ExecutionSettings& settings) {
  JobRequest request;
  request.input = job.input();
  request.output_folder = job.output();
  request.params = job.params();
  // No budget anywhere: the share of one of the jobs that may run at once of the memory a lone
  // reconstruction would take (half of what is available now).
  if (request.params.memory_bytes() == 0)
    request.params.set_memory_bytes(settings.memory_budget > 0 ? settings.memory_budget
                                                               : default_memory_budget() / settings.concurrent_jobs);
  if (request.params.threads() == 0) request.params.set_threads(settings.threads);
  request.slab_rows = job.slab_rows();
  for (const SlabRecord& slab : job.slabs())
    if (slab.written()) request.written_slabs.push_back(slab.first_row());
  return request;
}

// The bytes of these files on disk (those missing count nothing).
std::int64_t size_on_disk(const std::vector<fs::path>& files) {
  std::int64_t bytes = 0;
  for (const auto& file : files) {
    std::error_code error;
    const auto size = fs::file_size(file, error);
    if (!error) bytes += static_cast<std::int64_t>(size);
  }
  return bytes;
}

// The bytes of a slab's slices on disk; an HDF5 volume is one file, not counted by slab.
std::int64_t slab_bytes(const Job& job, Range rows) {
  if (!resumes_by_slab(job.params())) return 0;
  std::vector<fs::path> slices;
  for (int row = rows.begin; row < rows.end; ++row) slices.push_back(tiff_slice_path(job.output(), job.params().prefix(), row));
  return size_on_disk(slices);
}

// How far a live job is behind its acquisition: the seconds from the acquisition declaring a
// projection written to the job having added it to a live slab's sums.
class AcquisitionLag {
 public:
  void declared(int projections, double time) {
    if (declared_.empty() || projections > declared_.back().first) declared_.emplace_back(projections, time);
  }
  double accumulated(int projections, double time) const {
    for (const auto& [count, when] : declared_)
      if (count >= projections) return time - when;
    return 0;  // added before the watcher's news reached the job
  }

 private:
  std::vector<std::pair<int, double>> declared_;  // (projections written, when declared), growing
};

std::int64_t sample_bytes(const std::string& dtype) {
  if (dtype == "uint8" || dtype == "int8") return 1;
  if (dtype == "uint16" || dtype == "int16") return 2;
  if (dtype == "float64") return 8;
  return 4;
}

// The live view of a job followed while its scan is acquired: each chosen row's slice as it
// sharpens, as a PNG in a "live_slice" event and kept for clients that come later (LiveViews).
// Encoding a 2048² slice takes ~0.1 s on the live reconstructor's thread, and a browser need not
// redraw more often: a row goes out at most twice a second, and always once complete.
class LiveViewPublisher {
 public:
  static constexpr int kEvery = 16;  // projections between snapshots of a live slab

  LiveViewPublisher(EventHub& events, LiveViews& views, std::uint64_t id)
      : events_(events), views_(views), id_(id), id_text_(std::to_string(id)) {
    views_.forget(id_);  // a job run again starts its view afresh
  }

  // Row `row` after `added` of the `expected` projections; called by live slabs on their threads.
  void publish(int row, int added, int expected, int width, std::span<const float> values) {
    if (!due(row, added >= expected)) return;
    const SliceStatistics statistics = slice_statistics(values, width, 1.0f);
    const std::string png = encode_grey_png(grey_levels(values, statistics.low, statistics.high), width, width);
    nlohmann::json view{{"type", "live_slice"}, {"id", id_text_},      {"row", row},
                        {"projections", added}, {"expected", expected}, {"width", width},
                        {"window", {statistics.low, statistics.high}}, {"png", png_data_url(png)}};
    events_.publish(view);
    views_.put(id_, row, std::move(view));
  }

 private:
  static constexpr auto kMinInterval = std::chrono::milliseconds(500);

  bool due(int row, bool complete) {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    auto& sent = sent_[row];
    if (!complete && now - sent < kMinInterval) return false;
    sent = now;
    return true;
  }

  EventHub& events_;
  LiveViews& views_;
  std::uint64_t id_;
  std::string id_text_;  // 64-bit ids are strings in the API's JSON
  std::mutex mutex_;
  std::map<int, std::chrono::steady_clock::time_point> sent_;  // by row
};

}  // namespace

void execute_job(JobStore& store, JobRunner& runner, ServiceMetrics& metrics, EventHub& events, LiveViews& live_views,
                 const ExecutionSettings& settings, std::uint64_t id, const std::shared_ptr<Cancellation>& cancel) {
  const auto keep = settings.log_lines;
  Job job;
  try {
    job = store.update(id, [&](Job& j) {
      j.set_state(Job::running);
      j.set_started(unix_now());
      j.set_attempts(j.attempts() + 1);
      j.clear_error();
      int written = 0;
      for (const SlabRecord& slab : j.slabs()) written += slab.written() ? 1 : 0;
      add_log_line(j, "info",
                   written > 0 ? fmt::format("resumed on {} (run {}): {} of {} slabs already written", settings.worker,
                                             j.attempts(), written, j.slabs_size())
                               : fmt::format("started on {} (run {})", settings.worker, j.attempts()),
                   keep);
    });
  } catch (const std::exception& e) {
    spdlog::error("job {}: cannot start it: {}", id, e.what());
    return;
  }
  spdlog::info("job {}: started ({} -> {})", id, job.input(), job.output());
  // What the pipeline logs on this thread while it prepares and runs the job, for the job's
  // record; taken into it with each change the store records anyway (all on this thread too).
  std::vector<std::pair<std::string, std::string>> lines;  // level, message
  const JobLogContext context(id, [&lines](const std::string& level, const std::string& message) {
    lines.emplace_back(level, message);
  });
  const auto take_lines = [&lines, keep](Job& j) {
    for (const auto& [level, message] : lines) add_log_line(j, level, message, keep);
    lines.clear();
  };

  JobOptions options;
  options.follow = job.follow();
  options.stall_timeout = settings.stall_timeout;
  options.cancel = cancel;
  std::int64_t raw_bytes_per_row = 0;  // what one reconstructed row reads of every projection, as stored
  bool planned = false;                // this run got as far as its slabs
  int expected_projections = 0;        // of the scan, as its acquisition declares them
  int used_projections = 0;            // of those, the ones reconstructed (every n-th)
  options.on_planned = [&](const JobPlan& plan) {
    planned = true;
    expected_projections = plan.plan.projections.empty() ? 0 : plan.plan.projections.back() + 1;
    used_projections = static_cast<int>(plan.plan.projections.size());
    for (const int row : job.live_rows())
      if (job.follow() && (row < plan.plan.rows.begin || row >= plan.plan.rows.end))
        spdlog::warn("live row {} is outside the rows reconstructed ({}:{}): the live view leaves it out", row,
                     plan.plan.rows.begin, plan.plan.rows.end);
    raw_bytes_per_row = static_cast<std::int64_t>(plan.plan.projections.size()) * plan.plan.columns.size() *
                        plan.params.binning() * sample_bytes(plan.dtype);
    // The slabs are fixed at the first run: a resumed run must cut the scan the same way. An
    // output that does not resume by slab is written again whole: its slabs start unwritten.
    if (job.slabs_size() > 0 && job.slab_rows() == plan.slab_rows && resumes_by_slab(job.params())) return;
    job = store.update(id, [&](Job& j) {
      take_lines(j);
      j.set_slab_rows(plan.slab_rows);
      j.clear_slabs();
      for (int first = plan.plan.rows.begin; first < plan.plan.rows.end; first += plan.slab_rows) {
        SlabRecord* slab = j.add_slabs();
        slab->set_first_row(first);
        slab->set_rows(std::min(plan.slab_rows, plan.plan.rows.end - first));
      }
      j.set_slices_total(plan.plan.rows.size());
      j.set_slices_written(0);
    });
  };
  // Called on the job's coordinator, one slab at a time.
  options.on_slab_written = [&](Range rows, double seconds) {
    if (store.commit_slab(id, rows.begin, settings.worker, seconds))
      metrics.slab_written(seconds, raw_bytes_per_row * rows.size(), slab_bytes(job, rows));
  };
  // A browser redraws a progress bar a few times a second at most; a fast job writes hundreds of
  // slices a second.
  constexpr auto kProgressEvery = std::chrono::milliseconds(200);
  auto progress_sent = std::chrono::steady_clock::time_point{};
  const std::string id_text = std::to_string(id);  // 64-bit ids are strings in the API's JSON
  options.on_progress = [&](int written, int total) {
    const auto now = std::chrono::steady_clock::now();
    if (written < total && now - progress_sent < kProgressEvery) return;
    progress_sent = now;
    events.publish({{"type", "progress"}, {"id", id_text}, {"written", written}, {"total", total}});
  };
  LiveViewPublisher live_view(events, live_views, id);
  if (job.follow()) {
    options.live_every = LiveViewPublisher::kEvery;
    options.live_rows.assign(job.live_rows().begin(), job.live_rows().end());
    options.on_live_slice = [&live_view, &used_projections](int row, int added, int width, std::span<const float> values) {
      live_view.publish(row, added, used_projections, width, values);
    };
  }
  double scan_complete = 0;
  AcquisitionLag lag;
  options.on_event = [&](const nlohmann::json& event) {
    const std::string kind = event.at("event");
    const double time = event.at("time");
    if (kind == "scan_complete") scan_complete = time;
    if (!event.contains("projections")) return;
    const int projections = event.at("projections")[1];
    if (kind == "projections_available" || kind == "scan_complete") {
      lag.declared(projections, time);
      events.publish({{"type", "acquisition"},
                      {"id", id_text},
                      {"projections", projections},
                      {"expected", std::max(expected_projections, projections)},
                      {"complete", kind == "scan_complete"}});
    }
    if (kind == "projections_accumulated") metrics.live_lag(id, lag.accumulated(projections, time));
  };

  Job::State outcome = Job::done;
  std::string reason;
  JobResult result;
  try {
    result = runner.run(request_for(job, settings), options);
  } catch (const JobCancelled&) {
    outcome = Job::cancelled;
  } catch (const JobInterrupted&) {
    // The service is stopping: the job goes back to the queue, to resume where it was.
    outcome = Job::queued;
  } catch (const std::exception& e) {
    outcome = Job::failed;
    reason = e.what();
  }
  metrics.live_lag_ended(id);
  // A run cancelled once planned has removed its output itself (every slab's, earlier runs' too);
  // one cancelled before then leaves what earlier runs wrote.
  if (outcome == Job::cancelled && !planned) discard_job_output(job);
  const double finished = unix_now();
  if (outcome == Job::done && scan_complete > 0) metrics.ready_after_acquisition(finished - scan_complete);
  try {
    store.update(id, [&](Job& j) {
      take_lines(j);
      j.set_state(outcome);
      j.set_finished(finished);
      if (outcome == Job::done) {
        j.clear_outputs();
        for (const auto& path : result.outputs) j.add_outputs(path.string());
        j.set_bytes_written(size_on_disk(result.outputs));
        j.set_slices_written(j.slices_total());
        add_log_line(j, "info", fmt::format("done in {:.1f} s: {} slices in {}", result.seconds, result.slices, j.output()), keep);
      } else if (outcome == Job::failed) {
        j.set_error(reason);
        add_log_line(j, "error", reason, keep);
      } else if (outcome == Job::queued) {
        j.set_finished(0);
        add_log_line(j, "info", "interrupted: the service stopped; it resumes when the service starts again", keep);
      } else {
        for (SlabRecord& slab : *j.mutable_slabs()) slab.set_written(false);
        j.set_slices_written(0);
        add_log_line(j, "info", "cancelled; its output was removed", keep);
      }
    });
  } catch (const std::exception& e) {
    spdlog::error("job {}: could not record its end ({}): {}", id, to_string(outcome), e.what());
  }
  if (outcome == Job::queued) {
    spdlog::info("job {}: interrupted; it resumes when the service starts again", id);
    return;
  }
  metrics.job_ended(outcome);
  if (outcome == Job::failed)
    spdlog::warn("job {}: failed: {}", id, reason);
  else
    spdlog::info("job {}: {}", id, to_string(outcome));
}

}  // namespace tomo
