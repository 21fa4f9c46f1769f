#pragma once
// What the service has done, for Prometheus (GET /metrics, text exposition format 0.0.4):
// counters and a histogram kept as jobs run, and the jobs by state counted from the store when
// scraped. Safe to update from any thread.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "storage/job_store.hpp"

namespace tomo {

class ServiceMetrics {
 public:
  // One slab's slices all written: its seconds from first chunk read to last slice written, and
  // the bytes of raw data read for it and of slices written.
  void slab_written(double seconds, std::int64_t bytes_read, std::int64_t bytes_written);
  // A job has ended in `state` (done, failed, cancelled).
  void job_ended(Job::State state);
  // A job that followed its acquisition was complete this long after the scan was.
  void ready_after_acquisition(double seconds);
  // A live job has added a projection `seconds` after the acquisition declared it written.
  void live_lag(std::uint64_t job, double seconds);
  void live_lag_ended(std::uint64_t job);
  // One API request answered with `status`, in `seconds`.
  void api_request(int status, double seconds);

  std::string render(const std::vector<Job>& jobs) const;

 private:
  // Slab seconds: a slab of a small scan takes well under a second, one of a 2048² × 1800 scan on
  // a CPU node minutes.
  static constexpr std::array<double, 10> kSlabBuckets{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  static constexpr std::array<double, 8> kApiBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1};
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kSlabBuckets.size()> slab_buckets_{};
  std::uint64_t slabs_ = 0;
  double slab_seconds_ = 0;
  std::array<std::uint64_t, kApiBuckets.size()> api_buckets_{};
  std::uint64_t api_requests_ = 0, api_errors_ = 0;
  double api_seconds_ = 0;
  std::int64_t bytes_read_ = 0, bytes_written_ = 0;
  std::uint64_t done_ = 0, failed_ = 0, cancelled_ = 0;
  double last_ready_after_ = -1;
  std::map<std::uint64_t, double> live_lag_;  // per running live job, its latest
};

}  // namespace tomo
