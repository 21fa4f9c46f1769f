#pragma once
// The WebSocket at /api/events: every event of the service's hub (service/event_hub.hpp) to every
// client that connects, after a "hello"; a client's {"type": "ping"} is answered {"type": "pong"},
// anything else it sends is ignored (docs/api.md, "Events").
#include "gateway/http_types.hpp"

namespace tomo {
class EventHub;
}

namespace tomo::gateway {

WebSocketEndpoint event_socket(EventHub& events);

}  // namespace tomo::gateway
