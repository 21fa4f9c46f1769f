#include "service/event_hub.hpp"

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tomo {

// Shared with the subscriptions, so that one outliving the hub still unsubscribes safely.
struct EventHub::Subscription::State {
  mutable std::mutex mutex;
  std::map<std::uint64_t, Sink> sinks;
  std::uint64_t next_id = 1;
};

EventHub::Subscription::Subscription(std::shared_ptr<State> hub, std::uint64_t id) : hub_(std::move(hub)), id_(id) {}

EventHub::Subscription::~Subscription() {
  if (!hub_) return;
  std::lock_guard lock(hub_->mutex);
  hub_->sinks.erase(id_);
}

EventHub::Subscription::Subscription(Subscription&& other) noexcept
    : hub_(std::exchange(other.hub_, nullptr)), id_(other.id_) {}

EventHub::Subscription& EventHub::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Subscription old(std::move(*this));  // unsubscribes what this held
    hub_ = std::exchange(other.hub_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

EventHub::EventHub() : state_(std::make_shared<Subscription::State>()) {}

EventHub::~EventHub() = default;

EventHub::Subscription EventHub::subscribe(Sink sink) {
  std::lock_guard lock(state_->mutex);
  const std::uint64_t id = state_->next_id++;
  state_->sinks.emplace(id, std::move(sink));
  return Subscription(state_, id);
}

void EventHub::publish(const nlohmann::json& event) {
  std::vector<Sink> sinks;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->sinks.empty()) return;
    sinks.reserve(state_->sinks.size());
    for (const auto& [id, sink] : state_->sinks) sinks.push_back(sink);
  }
  // Called outside the lock: a sink that subscribes or unsubscribes does not deadlock.
  // A log line may carry a file name that is not UTF-8: replaced, never an exception.
  const Event text = std::make_shared<const std::string>(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  for (const Sink& sink : sinks) sink(text);
}

std::size_t EventHub::subscribers() const {
  std::lock_guard lock(state_->mutex);
  return state_->sinks.size();
}

}  // namespace tomo
