#include "service/live_views.hpp"

#include <algorithm>

namespace tomo {

void LiveViews::put(std::uint64_t id, int row, nlohmann::json view) {
  std::lock_guard lock(mutex_);
  if (!views_.count(id)) {
    order_.push_back(id);
    if (order_.size() > jobs_kept_) {
      views_.erase(order_.front());
      order_.pop_front();
    }
  }
  views_[id][row] = std::move(view);
}

nlohmann::json LiveViews::of(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  nlohmann::json slices = nlohmann::json::array();
  const auto found = views_.find(id);
  if (found != views_.end())
    for (const auto& [row, view] : found->second) slices.push_back(view);
  return slices;
}

void LiveViews::forget(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  views_.erase(id);
  order_.erase(std::remove(order_.begin(), order_.end(), id), order_.end());
}

}  // namespace tomo
