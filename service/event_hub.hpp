#pragma once
// The service's live events — jobs changing, progress, log lines, the live view's slices, the
// workers' state — fanned out to every subscriber (the gateway's WebSocket sessions, tests).
// Publishing never waits for a subscriber: a sink must only queue the event and return, and a
// sink may still be called once just after its subscription ends (it must then drop the event).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace tomo {

class EventHub {
 public:
  using Event = std::shared_ptr<const std::string>;  // one JSON text, shared by every subscriber
  using Sink = std::function<void(const Event&)>;

  // Receives events from subscribe() until destroyed.
  class Subscription {
   public:
    Subscription() = default;
    ~Subscription();
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class EventHub;
    struct State;
    Subscription(std::shared_ptr<State> hub, std::uint64_t id);
    std::shared_ptr<State> hub_;
    std::uint64_t id_ = 0;
  };

  EventHub();
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  Subscription subscribe(Sink sink);
  // Sends `event` (an object with a "type") to every subscriber, serialised once.
  void publish(const nlohmann::json& event);
  std::size_t subscribers() const;

 private:
  std::shared_ptr<Subscription::State> state_;
};

}  // namespace tomo
