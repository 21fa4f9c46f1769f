#pragma once
// A small synchronous HTTP client for the command line to talk to a running service. Beast stays
// inside http_client.cpp, so this header is plain C++.
#include <chrono>
#include <string>

#include "gateway/http_types.hpp"

namespace tomo::gateway {

// One request on a fresh connection (closed after the answer), any status returned as it came;
// `timeout` bounds connecting, sending and reading together. A body is sent as application/json.
// When the service cannot be reached (refused, timed out, unknown host, connection dropped) throws
// tomo::Error("cannot reach the tomoedge service at http://HOST:PORT: <reason> (is `tomoedge serve` running?)").
HttpResponse http_call(const ServerUrl& server, const std::string& method, const std::string& target,
                       const std::string& body = {}, std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace tomo::gateway
