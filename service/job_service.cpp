#include "service/job_service.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "actors/actors.hpp"
#include "service/data_roots.hpp"
#include "service/job_execution.hpp"
#include "service/watch_rules.hpp"
#include "storage/proto_json.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {
namespace fs = std::filesystem;

namespace {

// How often the workers' state goes to the event hub's subscribers: often enough for a panel
// people glance at, rarely enough to cost nothing.
constexpr auto kWorkerStatusEvery = std::chrono::seconds(5);

// A job as the events show it: the record less its log and slabs (the table's row).
nlohmann::json job_summary(const Job& job) {
  Job summary = job;
  summary.clear_log();
  summary.clear_slabs();
  return nlohmann::json::parse(message_to_json(summary));
}

// How long a cancel waits for a running job to stop before it answers with the job still
// stopping: a slab's work is not interrupted midway (a large slab on a CPU node takes a minute or
// two), and a waiting request holds one of the gateway's few threads.
constexpr auto kCancelWait = std::chrono::seconds(20);

}  // namespace

// The runner the jobs share (and its actor system, where the scheduler lives too), the
// scheduler, and the watcher's thread.
struct JobService::Actors {
  explicit Actors(int threads) : runner(threads), system(runner.actor_system()) {}
  JobRunner runner;
  caf::actor_system& system;
  actors::scheduler_actor scheduler;

  std::thread watcher;
  std::thread status;  // publishes the workers' state
  std::mutex watching;
  std::condition_variable wake;
  bool stop = false;
  std::set<std::string> refused;  // scans a rule matched but could not make a job of, said once

  // Asks the scheduler; a refusal becomes a RequestError with its status.
  actors::scheduler_reply ask(const auto&... message) {
    actors::scheduler_reply reply{500, "the scheduler did not answer", 0};
    caf::scoped_actor self{system};
    self->request(scheduler, std::chrono::seconds(30), message...)
        .receive([&](actors::scheduler_reply& answer) { reply = std::move(answer); },
                 [&](caf::error& error) { reply.message = "the scheduler did not answer: " + system.render(error); });
    if (reply.status != 200) throw RequestError(reply.status, reply.message);
    return reply;
  }
};

JobService::JobService(ServiceConfig config) : config_(std::move(config)), gpus_(local_gpus()) {
  store_ = std::make_shared<JobStore>(config_.database);
  store_->observe([this](const Job* before, const Job* after) { publish_change(before, after); });
  // Jobs that were running when the service stopped (or was killed) resume where they were.
  const std::vector<Job> stored = store_->list();
  for (const Job& job : stored)
    if (job.state() == Job::running) {
      store_->update(job.id(), [](Job& j) {
        j.set_state(Job::queued);
        add_log_line(j, "warn", "the service stopped while it ran; queued again to resume");
      });
      spdlog::info("job {}: was running when the service stopped; it resumes", job.id());
    }
  for (const auto& [name, params] : config_.presets) {
    Preset preset;
    preset.set_name(name);
    preset.set_experiment("config");
    preset.set_description("from the service's configuration file");
    *preset.mutable_params() = params;
    store_->put_preset(preset);
  }

  actors_ = std::make_unique<Actors>(config_.worker_threads);
  ExecutionSettings settings;
  settings.worker = local_worker_name();
  settings.stall_timeout = config_.stall_timeout;
  settings.memory_budget = config_.memory_budget;
  settings.threads = config_.worker_threads;
  settings.concurrent_jobs = config_.concurrent_jobs;
  actors::SchedulerHooks hooks;
  hooks.run = [store = store_, runner = &actors_->runner, metrics = &metrics_, events = &events_,
               live_views = &live_views_, settings](std::uint64_t id, std::shared_ptr<Cancellation> cancel) {
    execute_job(*store, *runner, *metrics, *events, *live_views, settings, id, cancel);
  };
  hooks.discard_output = discard_job_output;
  actors_->scheduler = actors_->system.spawn(actors::scheduler, store_, hooks, config_.concurrent_jobs);

  if (!config_.rules.empty())
    actors_->watcher = std::thread([this] {
      std::unique_lock lock(actors_->watching);
      while (!actors_->stop) {
        lock.unlock();
        try {
          watch_once();
        } catch (const std::exception& e) {  // the job store failing: said, and tried again next time
          spdlog::error("watch rules: {}", e.what());
        }
        lock.lock();
        actors_->wake.wait_for(lock, config_.watch_poll, [this] { return actors_->stop; });
      }
    });
  actors_->status = std::thread([this] {
    std::unique_lock lock(actors_->watching);
    while (!actors_->stop) {
      lock.unlock();
      if (events_.subscribers() > 0) {
        nlohmann::json workers = nlohmann::json::array();
        try {
          for (const WorkerStatus& worker : this->workers()) workers.push_back(to_json(worker));
          events_.publish({{"type", "workers"}, {"workers", workers}});
        } catch (const std::exception& e) {  // the job store failing: said, and tried again next time
          spdlog::warn("service: the workers' state: {}", e.what());
        }
      }
      lock.lock();
      actors_->wake.wait_for(lock, kWorkerStatusEvery, [this] { return actors_->stop; });
    }
  });
  spdlog::info("service: job database {}, {} jobs, {} watch rules, {} jobs at once", config_.database.string(),
               stored.size(), config_.rules.size(), config_.concurrent_jobs);
}

JobService::~JobService() {
  {
    std::lock_guard lock(actors_->watching);
    actors_->stop = true;
  }
  actors_->wake.notify_all();
  if (actors_->watcher.joinable()) actors_->watcher.join();
  if (actors_->status.joinable()) actors_->status.join();
  caf::scoped_actor self{actors_->system};
  self->request(actors_->scheduler, caf::infinite, actors::shutdown_atom::value)
      .receive([](bool) {}, [&](caf::error& error) {
        spdlog::warn("service: stopping the scheduler: {}", actors_->system.render(error));
      });
  self->send_exit(actors_->scheduler, caf::exit_reason::user_shutdown);
}

Job JobService::make_job(const JobSubmission& submission, const std::string& rule) const {
  if (!submission.has_input() || submission.input().empty()) throw RequestError(400, "a job needs an input scan");
  if (!submission.has_output() || submission.output().empty()) throw RequestError(400, "a job needs an output folder");
  const bool follow = submission.has_follow() && submission.follow();
  const std::vector<int> live_rows(submission.live_rows().begin(), submission.live_rows().end());
  as_request_error([&] { check_live_rows("live_rows", live_rows); });
  Job job;
  as_request_error([&] {
    // A scan followed live may not exist yet.
    job.set_input(resolve_under_roots(submission.input(), config_.data_roots, "input", !follow).string());
    job.set_output(resolve_under_roots(submission.output(), config_.data_roots, "output folder", false).string());
    if (!follow) open_scan(job.input());  // a readable scan, or a message saying what it is not
  });
  ReconParams params;
  if (submission.has_preset() && !submission.preset().empty()) {
    params = preset_params(submission.preset());
    job.set_preset(submission.preset());
  }
  params = with_defaults(merged(params, submission.params()));
  as_request_error([&] { validate(params); });
  *job.mutable_params() = params;
  job.set_sample(submission.has_sample() && !submission.sample().empty() ? submission.sample() : sample_name(job.input()));
  const int priority = submission.has_priority() ? submission.priority() : 0;
  // A bound so that priorities stay a handful of levels people can reason about.
  if (priority < -1000 || priority > 1000) throw RequestError(400, fmt::format("priority {} is out of range [-1000, 1000]", priority));
  job.set_priority(priority);
  job.set_follow(follow);
  job.set_owner(submission.owner());
  job.set_rule(rule);
  if (submission.has_hold() && submission.hold()) job.set_state(Job::held);
  job.mutable_live_rows()->Assign(live_rows.begin(), live_rows.end());
  return job;
}

Job JobService::queue(const Job& job) {
  const auto reply = actors_->ask(actors::submit_atom::value, job.SerializeAsString());
  return this->job(reply.id);
}

Job JobService::submit(const JobSubmission& submission) { return queue(make_job(submission, "")); }

std::vector<Job> JobService::jobs() const { return store_->list(); }

Job JobService::job(std::uint64_t id) const {
  auto job = store_->get(id);
  if (!job) throw RequestError(404, fmt::format("there is no job {}", id));
  return *job;
}

ReconParams JobService::preset_params(const std::string& name) const {
  const auto preset = store_->preset(name);
  if (!preset) throw RequestError(400, fmt::format("there is no preset named '{}'", name));
  return preset->params();
}

Job JobService::edit(std::uint64_t id, const JobSubmission& changes) {
  const Job current = job(id);
  // The job as it would be submitted now: the changes where given, else its own fields; the
  // parameters changed field by field over its own, or over a preset's when the change names one.
  const bool new_preset = changes.has_preset() && !changes.preset().empty();
  JobSubmission edited;
  edited.set_input(changes.has_input() ? changes.input() : current.input());
  edited.set_output(changes.has_output() ? changes.output() : current.output());
  *edited.mutable_params() = merged(new_preset ? preset_params(changes.preset()) : current.params(), changes.params());
  edited.set_sample(changes.has_sample() ? changes.sample() : current.sample());
  edited.set_priority(changes.has_priority() ? changes.priority() : current.priority());
  edited.set_follow(changes.has_follow() ? changes.follow() : current.follow());
  edited.set_owner(current.owner());
  *edited.mutable_live_rows() = changes.live_rows_size() > 0 ? changes.live_rows() : current.live_rows();
  Job job = make_job(edited, current.rule());
  job.set_preset(changes.has_preset() ? changes.preset() : current.preset());
  actors_->ask(actors::edit_atom::value, id, job.SerializeAsString());
  return this->job(id);
}

Job JobService::cancel(std::uint64_t id) {
  actors::scheduler_reply reply{500, "the scheduler did not answer", id};
  caf::scoped_actor self{actors_->system};
  self->request(actors_->scheduler, kCancelWait, actors::cancel_atom::value, id)
      .receive([&](actors::scheduler_reply& answer) { reply = std::move(answer); },
               [&](caf::error& error) {
                 // Still stopping after that long: the cancel stands and the job ends cancelled.
                 if (error == caf::sec::request_timeout) reply = {200, {}, id};
                 else reply.message = actors_->system.render(error);
               });
  if (reply.status != 200) throw RequestError(reply.status, reply.message);
  return job(id);
}

Job JobService::retry(std::uint64_t id) {
  actors_->ask(actors::retry_atom::value, id);
  return job(id);
}

Job JobService::duplicate(std::uint64_t id) {
  Job copy = job(id);
  Job fresh;
  copy_submitted(copy, fresh);
  // A copy of a job being prepared in the batch is prepared too; any other runs at once.
  if (copy.state() == Job::held) fresh.set_state(Job::held);
  return queue(fresh);
}

Job JobService::run(std::uint64_t id) {
  actors_->ask(actors::run_atom::value, id);
  return job(id);
}

std::vector<WorkerStatus> JobService::workers() const {
  int running = 0;
  for (const Job& job : store_->list()) running += job.state() == Job::running;
  return {local_worker_status(gpus_, running, config_.concurrent_jobs)};
}

void JobService::publish_change(const Job* before, const Job* after) {
  if (events_.subscribers() == 0) return;
  if (!after) {
    events_.publish({{"type", "job_removed"}, {"id", std::to_string(before->id())}});
    return;
  }
  events_.publish({{"type", "job"}, {"job", job_summary(*after)}});
  // The lines added since `before`: those after its last line (the log keeps only its last lines,
  // so counting them would miss new ones once it is full).
  int first_new = 0;
  if (before && before->log_size() > 0) {
    const LogLine& last = before->log(before->log_size() - 1);
    for (int i = after->log_size() - 1; i >= 0; --i) {
      const LogLine& line = after->log(i);
      if (line.time() == last.time() && line.message() == last.message()) {
        first_new = i + 1;
        break;
      }
    }
  }
  for (int i = first_new; i < after->log_size(); ++i)
    events_.publish({{"type", "log"},
                     {"id", std::to_string(after->id())},
                     {"line", nlohmann::json::parse(message_to_json(after->log(i)))}});
}

void JobService::remove(std::uint64_t id) {
  actors_->ask(actors::delete_atom::value, id);
  live_views_.forget(id);
}

nlohmann::json JobService::live_view(std::uint64_t id) const {
  job(id);  // 404 for no such job
  return {{"id", std::to_string(id)}, {"slices", live_views_.of(id)}};
}

std::vector<Preset> JobService::presets() const { return store_->presets(); }

Preset JobService::preset(const std::string& name) const {
  auto preset = store_->preset(name);
  if (!preset) throw RequestError(404, fmt::format("there is no preset named '{}'", name));
  return *preset;
}

Preset JobService::put_preset(const Preset& preset) {
  try {
    check_name("the preset name", preset.name());
    validate(with_defaults(preset.params()));
  } catch (const Error& e) {
    throw RequestError(400, fmt::format("preset '{}': {}", preset.name(), e.what()));
  }
  store_->put_preset(preset);
  return this->preset(preset.name());
}

void JobService::remove_preset(const std::string& name) {
  if (!store_->remove_preset(name)) throw RequestError(404, fmt::format("there is no preset named '{}'", name));
}

void JobService::watch_once() {
  for (const WatchRule& rule : config_.rules) {
    std::vector<fs::path> scans;
    try {
      scans = find_scans(rule);
    } catch (const std::exception& e) {
      spdlog::warn("watch rule '{}': {}", rule.name, e.what());
      continue;
    }
    for (const fs::path& found : scans) {
      std::error_code error;
      const std::string scan = fs::weakly_canonical(found, error).string();
      if (error || store_->job_for_scan(scan)) continue;
      {
        std::lock_guard lock(actors_->watching);
        if (actors_->refused.count(scan)) continue;
      }
      try {
        // A rule that waits for complete scans leaves one alone while it is being acquired.
        if (!rule.live && !open_scan(scan)->refresh().complete) continue;
        JobSubmission submission;
        submission.set_input(scan);
        submission.set_output(output_for(rule, scan, config_.data_roots).string());
        submission.set_preset(rule.preset);  // "default" too: the configuration always seeds it
        submission.set_priority(rule.priority);
        submission.set_follow(rule.live);
        submission.mutable_live_rows()->Assign(rule.live_rows.begin(), rule.live_rows.end());
        const Job job = queue(make_job(submission, rule.name));
        spdlog::info("job {}: made by watch rule '{}' for {}{}", job.id(), rule.name, scan,
                     rule.live ? ", reconstructed as it is acquired" : "");
      } catch (const std::exception& e) {
        // A scan still being written by a writer that does not use SWMR cannot be opened yet: it
        // is looked at again next time. Anything a rule itself gets wrong is said once.
        if (!rule.live && dynamic_cast<const RequestError*>(&e) == nullptr) continue;
        spdlog::error("watch rule '{}': {}: {}", rule.name, scan, e.what());
        std::lock_guard lock(actors_->watching);
        actors_->refused.insert(scan);
      }
    }
  }
}

std::string JobService::render_metrics() const { return metrics_.render(store_->list()); }

}  // namespace tomo
