#pragma once
// What the gateway's routes see of HTTP: a parsed request in, a response out. Plain C++ with no
// Boost, so that route handlers and their tests build without Beast (which costs ~30 s a file
// to compile) and run without a socket.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tomo::gateway {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ... as sent; HEAD reaches handlers as "GET"
  std::string target;                          // path and query as sent, e.g. "/api/jobs?state=queued"
  std::map<std::string, std::string> headers;  // names lower-cased; repeated headers joined with ", "
  std::string body;

  // The target without the query, percent-decoded ("/api/jobs%20a" -> "/api/jobs a"). A malformed
  // escape is kept as sent: a route then simply does not match.
  std::string path() const;
  // The query's parameters, percent-decoded, '+' read as a space; a name without '=' maps to "",
  // and of a repeated name the last value counts.
  std::map<std::string, std::string> query() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers for the server to send; on a response read by http_call, every header received.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Runs on the server's io threads: it may block briefly, never for long (each blocked call holds a
// thread, and the server has HttpLimits::threads of them). A thrown exception becomes a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A WebSocket the server upgrades requests for `path` to, text messages only (the service's live
// events, /api/events).
struct WebSocketEndpoint {
  using Message = std::shared_ptr<const std::string>;
  using Send = std::function<void(const Message&)>;
  std::string path;
  // Called when a client has connected, with what sends it a message: callable from any thread, it
  // only queues the message. What `open` returns is kept as long as the connection lasts (a
  // subscription, say); `send` after that does nothing.
  std::function<std::shared_ptr<void>(Send send)> open;
  // The answer to one message from the client, if any.
  std::function<std::optional<std::string>(const std::string& message)> answer;
};

// {"error": message} with the given status, the one error body of the service's API.
HttpResponse json_error(int status, const std::string& message);

// Where the command line finds the service.
struct ServerUrl {
  std::string host;
  std::uint16_t port = 0;
};

// Accepts "http://127.0.0.1:8080", "127.0.0.1:8080", "http://localhost:8080/", "http://[::1]:8080"
// (port 80 when none is given). https, a path, a user or anything else malformed throws
// tomo::Error naming the url.
ServerUrl parse_server_url(const std::string& url);

}  // namespace tomo::gateway
