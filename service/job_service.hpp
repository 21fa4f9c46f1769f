#pragma once
// The head of tomoedge in one object (`tomoedge serve`): the job store, the scheduler and its
// local workers, and the watcher that turns new scans matching the watch rules into jobs. The
// gateway's routes (gateway/api_routes.hpp) call it; so do tests. No CAF in this header.
//
// Every change is in the job store (a synced write) before the call returns, so whatever a
// client has been told survives a kill -9. A service started on a store whose jobs were running
// resumes them: only the slabs not written are reconstructed again.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/error.hpp"
#include "service/event_hub.hpp"
#include "service/live_views.hpp"
#include "service/request_error.hpp"
#include "service/service_config.hpp"
#include "service/service_metrics.hpp"
#include "service/worker_status.hpp"
#include "storage/job_store.hpp"

namespace tomo {

class JobService {
 public:
  // Opens the store (tomo::Error naming the folder when it cannot), requeues interrupted jobs,
  // writes the config's presets, and starts the scheduler and the watcher.
  explicit JobService(ServiceConfig config);
  // Stops watching, interrupts running jobs (they resume at the next start) and waits for them.
  ~JobService();
  JobService(const JobService&) = delete;
  JobService& operator=(const JobService&) = delete;

  // Checks the submission (input and output under the data roots, the input a readable scan,
  // the parameters in range) and queues the job: RequestError(400) naming what is wrong.
  Job submit(const JobSubmission& submission);
  std::vector<Job> jobs() const;
  Job job(std::uint64_t id) const;
  // The fields given replace the job's (parameters field by field); a job whose parameters or
  // places change runs again from scratch. Not while it runs (409).
  Job edit(std::uint64_t id, const JobSubmission& changes);
  // Stops a running job (answered once it has stopped and its output is removed, or after 20 s
  // with the job still running and stopping) or takes a queued one off the queue.
  Job cancel(std::uint64_t id);
  Job retry(std::uint64_t id);
  // Queues a held job (STP3's "run selected"), or runs a finished one again: a done job from
  // scratch, a failed or cancelled one keeping its written slabs. 409 for a queued or running job.
  Job run(std::uint64_t id);
  Job duplicate(std::uint64_t id);  // a new queued job with the same input, output and parameters
  void remove(std::uint64_t id);

  std::vector<Preset> presets() const;
  Preset preset(const std::string& name) const;
  Preset put_preset(const Preset& preset);  // parameters checked; replaces one of the same name
  void remove_preset(const std::string& name);

  // Looks for new scans matching the watch rules once (the watcher does it every watch_poll).
  void watch_once();

  // The nodes that run jobs, with what they have (this one today).
  std::vector<WorkerStatus> workers() const;

  // Every change to a job ("job", "job_removed", "log"), the progress of running ones
  // ("progress", "acquisition") and the workers every few seconds ("workers"): docs/api.md.
  EventHub& events() { return events_; }
  // The latest live-view slices of a job followed live (404 when there is no such job).
  nlohmann::json live_view(std::uint64_t id) const;

  ServiceMetrics& metrics() { return metrics_; }
  std::string render_metrics() const;
  const ServiceConfig& config() const { return config_; }

 private:
  struct Actors;
  // The job a submission makes, checked; `rule` names the watch rule that made it, if any.
  Job make_job(const JobSubmission& submission, const std::string& rule) const;
  // A preset's parameters; RequestError(400) when there is none of that name.
  ReconParams preset_params(const std::string& name) const;
  Job queue(const Job& job);

  // Tells the event hub's subscribers what changed in a stored job.
  void publish_change(const Job* before, const Job* after);

  ServiceConfig config_;
  std::shared_ptr<JobStore> store_;
  ServiceMetrics metrics_;
  EventHub events_;
  LiveViews live_views_;
  std::vector<GpuStatus> gpus_;
  std::unique_ptr<Actors> actors_;
};

}  // namespace tomo
