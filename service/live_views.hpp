#pragma once
// The latest live-view slices of the jobs followed live (the "live_slice" events), kept so that
// a browser opening the live page mid-acquisition sees the slices at once rather than at the next
// update (GET /api/jobs/{id}/live). Only the most recent jobs' are kept: each slice is a PNG.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

namespace tomo {

class LiveViews {
 public:
  explicit LiveViews(std::size_t jobs_kept = 8) : jobs_kept_(jobs_kept) {}

  // The view of `row` of job `id` (a live_slice event), replacing the one before.
  void put(std::uint64_t id, int row, nlohmann::json view);
  // The job's latest views, by row; an empty array when it has none.
  nlohmann::json of(std::uint64_t id) const;
  void forget(std::uint64_t id);

 private:
  std::size_t jobs_kept_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::map<int, nlohmann::json>> views_;
  std::deque<std::uint64_t> order_;  // jobs, oldest first
};

}  // namespace tomo
