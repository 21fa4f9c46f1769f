#pragma once
// The gateway's HTTP/1.1 transport: accepts connections, parses requests within limits, passes
// each to one HttpHandler and writes its answer. It knows nothing of jobs; routes are the
// handler's business. Beast and Asio stay inside http_server.cpp (they cost ~30 s a translation
// unit to compile), so this header is plain C++.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
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
};

class HttpServer {
 public:
  // Binds address:port (port 0: any free one) and starts serving at once; throws tomo::Error naming
  // the address when it cannot bind (e.g. in use).
  HttpServer(const std::string& address, std::uint16_t port, HttpHandler handler, HttpLimits limits = {});
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
