#include "gateway/event_socket.hpp"

#include <nlohmann/json.hpp>

#include "service/event_hub.hpp"
#include "storage/job_store.hpp"

namespace tomo::gateway {

WebSocketEndpoint event_socket(EventHub& events) {
  WebSocketEndpoint endpoint;
  endpoint.path = "/api/events";
  endpoint.open = [&events](WebSocketEndpoint::Send send) -> std::shared_ptr<void> {
    send(std::make_shared<const std::string>(
        nlohmann::json{{"type", "hello"}, {"version", TOMO_VERSION}, {"time", unix_now()}}.dump()));
    return std::make_shared<EventHub::Subscription>(events.subscribe(std::move(send)));
  };
  endpoint.answer = [](const std::string& message) -> std::optional<std::string> {
    const auto parsed = nlohmann::json::parse(message, nullptr, false);
    if (parsed.is_object() && parsed.value("type", "") == "ping") return nlohmann::json{{"type", "pong"}}.dump();
    return std::nullopt;
  };
  return endpoint;
}

}  // namespace tomo::gateway
