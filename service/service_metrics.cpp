#include "service/service_metrics.hpp"

#include <fmt/format.h>

#include <map>

namespace tomo {

namespace {

// Adds one observation to cumulative buckets (Prometheus' `le` buckets: each counts every value
// at most its bound).
template <std::size_t N>
void observe(const std::array<double, N>& bounds, std::array<std::uint64_t, N>& buckets, double value) {
  for (std::size_t i = 0; i < N; ++i)
    if (value <= bounds[i]) ++buckets[i];
}

template <std::size_t N>
void write_histogram(std::string& out, const char* name, const char* help, const std::array<double, N>& bounds,
                     const std::array<std::uint64_t, N>& buckets, std::uint64_t count, double sum) {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  for (std::size_t i = 0; i < N; ++i) out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds[i], buckets[i]);
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, count, name, sum, name, count);
}

void write_one(std::string& out, const char* name, const char* type, const char* help, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

}  // namespace

void ServiceMetrics::slab_written(double seconds, std::int64_t bytes_read, std::int64_t bytes_written) {
  std::lock_guard lock(mutex_);
  observe(kSlabBuckets, slab_buckets_, seconds);
  ++slabs_;
  slab_seconds_ += seconds;
  bytes_read_ += bytes_read;
  bytes_written_ += bytes_written;
}

void ServiceMetrics::job_ended(Job::State state) {
  std::lock_guard lock(mutex_);
  if (state == Job::done) ++done_;
  if (state == Job::failed) ++failed_;
  if (state == Job::cancelled) ++cancelled_;
}

void ServiceMetrics::ready_after_acquisition(double seconds) {
  std::lock_guard lock(mutex_);
  last_ready_after_ = seconds;
}

void ServiceMetrics::live_lag(std::uint64_t job, double seconds) {
  std::lock_guard lock(mutex_);
  live_lag_[job] = seconds;
}

void ServiceMetrics::live_lag_ended(std::uint64_t job) {
  std::lock_guard lock(mutex_);
  live_lag_.erase(job);
}

void ServiceMetrics::api_request(int status, double seconds) {
  std::lock_guard lock(mutex_);
  observe(kApiBuckets, api_buckets_, seconds);
  ++api_requests_;
  api_seconds_ += seconds;
  if (status >= 400) ++api_errors_;
}

std::string ServiceMetrics::render(const std::vector<Job>& jobs) const {
  std::map<std::string, int> by_state;
  for (int s = Job::queued; s <= Job::held; ++s) by_state[to_string(static_cast<Job::State>(s))] = 0;
  for (const Job& job : jobs) ++by_state[to_string(job.state())];

  std::string out;
  out += "# HELP tomoedge_jobs Jobs in the store, by state.\n# TYPE tomoedge_jobs gauge\n";
  for (const auto& [state, count] : by_state) out += fmt::format("tomoedge_jobs{{state=\"{}\"}} {}\n", state, count);
  write_one(out, "tomoedge_queue_depth", "gauge", "Jobs waiting to run.", by_state["queued"]);

  std::lock_guard lock(mutex_);
  out += "# HELP tomoedge_jobs_ended_total Jobs ended since the service started, by outcome.\n"
         "# TYPE tomoedge_jobs_ended_total counter\n";
  out += fmt::format("tomoedge_jobs_ended_total{{state=\"done\"}} {}\n", done_);
  out += fmt::format("tomoedge_jobs_ended_total{{state=\"failed\"}} {}\n", failed_);
  out += fmt::format("tomoedge_jobs_ended_total{{state=\"cancelled\"}} {}\n", cancelled_);
  write_histogram(out, "tomoedge_slab_seconds", "Seconds from a slab's first chunk read to its last slice written.",
                  kSlabBuckets, slab_buckets_, slabs_, slab_seconds_);
  write_one(out, "tomoedge_read_bytes_total", "counter", "Bytes of raw projections read (as stored).",
            static_cast<double>(bytes_read_));
  write_one(out, "tomoedge_written_bytes_total", "counter", "Bytes of slices written.", static_cast<double>(bytes_written_));
  if (last_ready_after_ >= 0)
    write_one(out, "tomoedge_ready_after_acquisition_seconds", "gauge",
              "For the last job that followed its acquisition: seconds from the scan complete to the volume written.",
              last_ready_after_);
  out += "# HELP tomoedge_live_lag_seconds For each job reconstructing a scan as it is acquired: seconds from a "
         "projection declared written to its being added, for the latest one.\n# TYPE tomoedge_live_lag_seconds gauge\n";
  for (const auto& [job, seconds] : live_lag_) out += fmt::format("tomoedge_live_lag_seconds{{job=\"{}\"}} {}\n", job, seconds);
  write_histogram(out, "tomoedge_api_request_seconds", "Seconds to answer an API request.", kApiBuckets, api_buckets_,
                  api_requests_, api_seconds_);
  write_one(out, "tomoedge_api_errors_total", "counter", "API requests answered with a 4xx or 5xx status.",
            static_cast<double>(api_errors_));
  return out;
}

}  // namespace tomo
