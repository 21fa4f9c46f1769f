#pragma once
// The gateway's HTTP/1.1 transport: accepts connections, parses requests within limits, passes
// each to one HttpHandler and writes its answer; upgrades one path to a WebSocket. It knows nothing of jobs; routes are the
// handler's business. Beast and Asio stay inside http_server.cpp (they cost ~30 s a translation
// unit to compile), so this header is plain C++.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gateway/http_types.hpp"

namespace tomo::gateway {

// Bounds on what one client can make the server hold or wait for.
struct HttpLimits {
  std::size_t max_body_bytes = 1 << 20;      // larger: 413 before the handler is called
  std::size_t max_header_bytes = 16 * 1024;  // larger (request line included): 431
  std::chrono::seconds read_timeout{30};     // to send a whole request, or to read an answer; then closed
  std::chrono::seconds idle_timeout{60};     // keep-alive connections idle this long are closed
  int threads = 2;                           // io threads (handlers run on them and may block briefly)
  // A WebSocket client sends little (a ping now and then): a larger message is refused (close
  // code 1009), and one sending faster than this, beyond a burst, is closed (1008).
  std::size_t max_websocket_message_bytes = 4096;
  double websocket_messages_per_second = 20;
  double websocket_message_burst = 40;
  // Messages queued for a client that does not read them (a stalled browser tab): beyond this the
  // client is closed (1008) rather than letting its queue hold the server's memory.
  std::size_t max_websocket_queue = 256;
};

class HttpServer {
 public:
  // Binds address:port (port 0: any free one) and starts serving at once; throws tomo::Error naming
  // the address when it cannot bind (e.g. in use).
  // With `websocket`, requests to upgrade its path become WebSocket sessions; upgrades elsewhere
  // are refused (404).
  HttpServer(const std::string& address, std::uint16_t port, HttpHandler handler, HttpLimits limits = {},
             std::optional<WebSocketEndpoint> websocket = std::nullopt);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;  // the bound port
  // Stops accepting, drops every connection (a request in flight gets no answer) and joins the io
  // threads. Idempotent. Not from inside a handler: it would join the thread it runs on.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tomo::gateway
