// The one translation unit of the server that includes Beast, shaped like Beast's "advanced
// server" example: a listener accepts, and one HttpSession per connection owns its socket and
// buffers and loops read -> handle -> write on its own strand; an upgrade request hands the
// socket to a WebSocketSession, which does the same for WebSocket messages.
#include "gateway/http_server.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kernels/error.hpp"

namespace tomo::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// After an error answer the client may still be sending (the rest of a body over the limit).
// Closing a socket with unread bytes makes the kernel send a reset, which can destroy the answer
// before the client reads it; so the session stops sending, then reads and discards until the
// client closes, for at most this long and this much.
constexpr std::chrono::seconds max_linger{5};
constexpr std::size_t max_linger_bytes = std::size_t{64} << 20;
// What one read asks for while waiting on an idle keep-alive connection or discarding.
constexpr std::size_t read_chunk_bytes = 16 * 1024;
// After a failed accept (typically out of file descriptors) the listener waits this long rather
// than spinning on the same error.
constexpr std::chrono::milliseconds accept_retry_delay{100};

// What every session of one server shares; it outlives the io threads.
// Closed when the server stops: what another thread sends a WebSocket client afterwards (the
// service still publishes while it shuts down) is dropped instead of reaching an io_context
// being destroyed.
struct SendGate {
  std::shared_mutex mutex;
  bool open = true;
};

struct ServerState {
  HttpHandler handler;
  HttpLimits limits;
  std::optional<WebSocketEndpoint> websocket;
  std::function<bool(const HttpRequest&)> slow;  // which requests go to slow_pool
  net::thread_pool* slow_pool = nullptr;         // owned by the server, stopped after the io threads
  std::shared_ptr<SendGate> gate = std::make_shared<SendGate>();
};

// The parser's own errors (a bad method, version, header, chunk...): the client sent something that
// is not HTTP. A message cut short by the client closing is not one: no one is left to answer.
bool is_parse_error(const beast::error_code& error) {
  return error.category() == http::make_error_code(http::error::bad_method).category() &&
         error != http::error::partial_message;
}

std::string lower_case(beast::string_view text) {
  std::string lowered = std::string(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

HttpRequest to_http_request(http::request<http::string_body>&& message) {
  HttpRequest request;
  // HEAD is GET without the body (RFC 9110 9.3.2): routes only know GET, the session drops the body.
  request.method = message.method() == http::verb::head ? "GET" : std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    const auto [entry, inserted] = request.headers.try_emplace(lower_case(field.name_string()), std::string(field.value()));
    if (!inserted) entry->second.append(", ").append(field.value().data(), field.value().size());
  }
  request.body = std::move(message.body());
  return request;
}

// One WebSocket client: everything it is sent goes through a bounded queue, written one message
// at a time; what it sends is read one message at a time, within a size and a rate. All on the
// connection's strand.
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(tcp::socket&& socket, std::shared_ptr<const ServerState> state)
      : ws_(std::move(socket)), state_(std::move(state)), tokens_(state_->limits.websocket_message_burst),
        last_refill_(std::chrono::steady_clock::now()) {}

  void start(const http::request<http::string_body>& upgrade) {
    const HttpLimits& limits = state_->limits;
    // The WebSocket's own timeouts from here on: a handshake must finish within the read
    // timeout, and a peer that answers no ping within the idle timeout is gone.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits.read_timeout;
    timeouts.idle_timeout = limits.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, "tomoedge"); }));
    // Compression stays off (Beast 1.74's permessage-deflate predates later hardening).
    ws_.read_message_max(limits.max_websocket_message_bytes);
    ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code error) {
      if (!error) self->open();
    });
  }

 private:
  void open() {
    std::weak_ptr<WebSocketSession> weak = weak_from_this();
    const auto send = [weak, gate = state_->gate](const WebSocketEndpoint::Message& message) {
      const std::shared_lock open(gate->mutex);
      if (!gate->open) return;
      if (const auto self = weak.lock())
        net::post(self->ws_.get_executor(), [self, message] { self->enqueue(message); });
    };
    try {
      subscription_ = state_->websocket->open(send);
    } catch (const std::exception& failure) {
      spdlog::warn("WebSocket {}: opening it failed: {}", state_->websocket->path, failure.what());
      return close_with(websocket::close_code::internal_error, "the server could not open the event stream");
    }
    read_next();
  }

  void read_next() {
    ws_.async_read(incoming_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      // A message over the size limit has made Beast close the connection (1009) already.
      if (error) return;
      self->on_message();
    });
  }

  void on_message() {
    const std::string message = beast::buffers_to_string(incoming_.data());
    incoming_.consume(incoming_.size());
    if (!take_token()) {
      return close_with(websocket::close_code::policy_error,
                        fmt::format("more than {:g} messages a second", state_->limits.websocket_messages_per_second));
    }
    if (state_->websocket->answer) {
      std::optional<std::string> reply;
      try {
        reply = state_->websocket->answer(message);
      } catch (const std::exception& failure) {
        spdlog::warn("WebSocket {}: answering a message failed: {}", state_->websocket->path, failure.what());
      }
      if (reply) enqueue(std::make_shared<const std::string>(std::move(*reply)));
    }
    read_next();
  }

  // A token bucket: `burst` messages at once, refilled at the allowed rate.
  bool take_token() {
    const HttpLimits& limits = state_->limits;
    const auto now = std::chrono::steady_clock::now();
    tokens_ = std::min(limits.websocket_message_burst,
                       tokens_ + std::chrono::duration<double>(now - last_refill_).count() * limits.websocket_messages_per_second);
    last_refill_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  void enqueue(const WebSocketEndpoint::Message& message) {
    if (closing_) return;
    if (queue_.size() >= state_->limits.max_websocket_queue) {
      return close_with(websocket::close_code::policy_error,
                        fmt::format("the client read too slowly: {} messages were waiting", queue_.size()));
    }
    queue_.push_back(message);
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code error, std::size_t) {
      self->on_written(error);
    });
  }

  void on_written(beast::error_code error) {
    writing_ = false;
    if (error) return;
    queue_.pop_front();
    if (close_reason_) return send_close();
    if (!queue_.empty()) write_next();
  }

  // Beast allows one write and one close at a time, not both: a close asked for while a message
  // is being written follows it.
  void close_with(websocket::close_code code, const std::string& reason) {
    if (closing_) return;
    closing_ = true;
    subscription_.reset();  // no more events: the close may wait on a client that reads nothing
    spdlog::info("WebSocket {}: closing a client ({})", state_->websocket->path, reason);
    // What is queued is dropped: the client is gone or misbehaving.
    if (!queue_.empty()) queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
    close_reason_.emplace(code, reason);
    if (!writing_) send_close();
  }

  void send_close() {
    ws_.async_close(*close_reason_, [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<const ServerState> state_;
  std::shared_ptr<void> subscription_;
  beast::flat_buffer incoming_;
  std::deque<WebSocketEndpoint::Message> queue_;
  bool writing_ = false;
  bool closing_ = false;
  std::optional<websocket::close_reason> close_reason_;
  double tokens_;
  std::chrono::steady_clock::time_point last_refill_;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<const ServerState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  // The accept handler does not run on the session's strand; the first read is put on it.
  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

 private:
  // Between requests the idle timeout applies; once the first byte of the next one arrives, the
  // read timeout does.
  void wait_for_next_request() {
    if (buffer_.size() > 0) {  // a pipelined request is already here
      read_request();
      return;
    }
    stream_.expires_after(state_->limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(read_chunk_bytes),
                            [self = shared_from_this()](beast::error_code error, std::size_t bytes) {
                              if (error) return;  // idle too long, or the client closed: no one to answer
                              self->buffer_.commit(bytes);
                              self->read_request();
                            });
  }

  void read_request() {
    const HttpLimits& limits = state_->limits;
    parser_.emplace();
    parser_->body_limit(std::uint64_t{limits.max_body_bytes});
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    stream_.expires_after(limits.read_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      self->on_read(error);
    });
  }

  void on_read(beast::error_code error) {
    const HttpLimits& limits = state_->limits;
    if (error == http::error::end_of_stream) return close();  // the client closed between requests
    if (error == http::error::body_limit) {
      return answer_and_close(json_error(413, fmt::format("request body larger than {} bytes", limits.max_body_bytes)));
    }
    if (error == http::error::header_limit) {
      return answer_and_close(
          json_error(431, fmt::format("request headers larger than {} bytes", limits.max_header_bytes)));
    }
    if (error && is_parse_error(error)) {
      spdlog::debug("HTTP: malformed request from {}: {}", remote_address(), error.message());
      return answer_and_close(json_error(400, fmt::format("malformed HTTP request: {}", error.message())));
    }
    if (error) return;  // timeout, reset, or closed mid-request: no one to answer

    http::request<http::string_body> message = parser_->release();
    if (websocket::is_upgrade(message)) return upgrade(std::move(message));
    const unsigned version = message.version();
    const bool keep_alive = message.keep_alive();
    const bool head = message.method() == http::verb::head;
    HttpRequest request = to_http_request(std::move(message));
    const After after = keep_alive ? After::read_next : After::close;
    if (state_->slow && state_->slow(request)) {
      // Answered on the slow pool, written back on this session's strand.
      net::post(*state_->slow_pool, [self = shared_from_this(), request = std::move(request), version, after, head] {
        HttpResponse answer = self->call_handler(request);
        net::post(self->stream_.get_executor(), [self, answer = std::move(answer), version, after, head]() mutable {
          self->write(std::move(answer), version, after, head);
        });
      });
      return;
    }
    write(call_handler(request), version, after, head);
  }

  // The socket becomes the WebSocket session's; this session ends without writing.
  void upgrade(http::request<http::string_body>&& message) {
    const auto& endpoint = state_->websocket;
    HttpRequest target;
    target.target = std::string(message.target());
    const std::string path = target.path();
    if (!endpoint || path != endpoint->path)
      return answer_and_close(json_error(404, fmt::format("no WebSocket at {}", path)));
    std::make_shared<WebSocketSession>(stream_.release_socket(), state_)->start(message);
  }

  HttpResponse call_handler(const HttpRequest& request) const {
    try {
      return state_->handler(request);
    } catch (const std::exception& failure) {
      spdlog::warn("HTTP {} {}: the handler failed: {}", request.method, request.target, failure.what());
      return json_error(500, failure.what());
    } catch (...) {
      spdlog::warn("HTTP {} {}: the handler threw a non-standard exception", request.method, request.target);
      return json_error(500, "internal error");
    }
  }

  // What the session does once an answer is written.
  enum class After { read_next, close, linger };

  void answer_and_close(HttpResponse answer) { write(std::move(answer), 11, After::linger, false); }

  void write(HttpResponse answer, unsigned version, After after, bool head) {
    if (answer.status < 100 || answer.status > 999) {
      spdlog::warn("HTTP: the handler answered with status {}, which is not an HTTP status", answer.status);
      answer = json_error(500, fmt::format("internal error: invalid HTTP status {}", answer.status));
    }
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(answer.status));
    for (const auto& [name, value] : answer.headers) response_.insert(name, value);
    response_.set(http::field::server, "tomoedge");
    if (!answer.content_type.empty()) response_.set(http::field::content_type, answer.content_type);
    response_.body() = std::move(answer.body);
    response_.keep_alive(after == After::read_next);
    response_.prepare_payload();
    if (head) response_.body().clear();  // Content-Length stays that of the GET answer

    // A client that does not read its answer holds the session; the read timeout bounds that too.
    stream_.expires_after(state_->limits.read_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), after](beast::error_code error, std::size_t) {
                        if (error) return;
                        switch (after) {
                          case After::read_next: return self->wait_for_next_request();
                          case After::close: return self->close();
                          case After::linger: return self->linger();
                        }
                      });
  }

  // The socket itself closes when the last handler lets go of the session.
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void linger() {
    close();
    buffer_.consume(buffer_.size());
    stream_.expires_after(std::min(state_->limits.read_timeout, max_linger));
    discard_input();
  }

  void discard_input() {
    stream_.async_read_some(buffer_.prepare(read_chunk_bytes),
                            [self = shared_from_this()](beast::error_code error, std::size_t bytes) {
                              if (error) return;  // the client closed (what we wait for), or time is up
                              self->lingered_bytes_ += bytes;
                              if (self->lingered_bytes_ < max_linger_bytes) self->discard_input();
                            });
  }

  std::string remote_address() const {
    beast::error_code error;
    const auto endpoint = stream_.socket().remote_endpoint(error);
    return error ? std::string("?") : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  // Re-made for every request: a parser reads one message.
  std::optional<http::request_parser<http::string_body>> parser_;
  // Kept here until written: async_write holds only a reference.
  http::response<http::string_body> response_;
  std::size_t lingered_bytes_ = 0;
  std::shared_ptr<const ServerState> state_;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const std::string& address, std::uint16_t port, HttpHandler handler, HttpLimits limits,
       std::optional<WebSocketEndpoint> websocket, SlowRequests slow)
      : slow_pool_(std::in_place, static_cast<std::size_t>(std::max(1, slow.threads))),
        state_(std::make_shared<const ServerState>(
            ServerState{std::move(handler), limits, std::move(websocket), std::move(slow.match), &*slow_pool_})),
        io_(std::in_place, std::max(1, limits.threads)) {
    acceptor_.emplace(*io_);
    accept_retry_.emplace(*io_);
    const auto cannot_bind = [&](std::string_view reason) {
      fail("cannot serve HTTP on {}:{}: {}", address, port, reason);
    };
    beast::error_code error;
    tcp::resolver resolver(*io_);
    const auto endpoints = resolver.resolve(address, std::to_string(port),
                                            tcp::resolver::passive | tcp::resolver::numeric_service, error);
    if (error) cannot_bind(error.message());
    if (endpoints.empty()) cannot_bind("the address resolves to nothing");
    const tcp::endpoint endpoint = *endpoints.begin();
    acceptor_->open(endpoint.protocol(), error);
    if (error) cannot_bind(error.message());
    // Lets a restarted server bind while the old one's connections linger in TIME_WAIT; a port that
    // another socket listens on still fails.
    acceptor_->set_option(net::socket_base::reuse_address(true), error);
    if (!error) acceptor_->bind(endpoint, error);
    if (!error) acceptor_->listen(net::socket_base::max_listen_connections, error);
    if (error) cannot_bind(error.message());
    port_ = acceptor_->local_endpoint().port();

    accept();
    const int thread_count = std::max(1, limits.threads);
    for (int i = 0; i < thread_count; ++i) threads_.emplace_back([this] { run(); });
  }

  ~Impl() { stop(); }

  std::uint16_t port() const { return port_; }

  void stop() {
    std::lock_guard lock(stop_mutex_);
    if (!io_) return;
    {
      const std::unique_lock closing(state_->gate->mutex);
      state_->gate->open = false;
    }
    io_->stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    // A slow request being answered finishes (its answer has no one to go to); those waiting are
    // dropped with their sessions, whose sockets must go before their io_context.
    slow_pool_->stop();
    slow_pool_->join();
    slow_pool_.reset();
    // Destroying the io_context destroys the pending handlers, and with them the sessions and
    // their sockets; the acceptor and timer must go first, while their io_context still exists.
    accept_retry_.reset();
    acceptor_.reset();
    io_.reset();
  }

 private:
  void accept() {
    acceptor_->async_accept(net::make_strand(*io_), [this](beast::error_code error, tcp::socket socket) {
      if (error == net::error::operation_aborted) return;
      if (error) {
        spdlog::warn("HTTP on port {}: accepting a connection failed: {}", port_, error.message());
        accept_retry_->expires_after(accept_retry_delay);
        accept_retry_->async_wait([this](beast::error_code wait_error) {
          if (!wait_error) accept();
        });
        return;
      }
      std::make_shared<HttpSession>(std::move(socket), state_)->start();
      accept();
    });
  }

  // A handler that escapes (a bug) must not end the thread, and with it the process.
  void run() {
    for (;;) {
      try {
        io_->run();
        return;
      } catch (const std::exception& failure) {
        spdlog::error("HTTP on port {}: {}", port_, failure.what());
      }
    }
  }

  std::optional<net::thread_pool> slow_pool_;
  std::shared_ptr<const ServerState> state_;
  std::optional<net::io_context> io_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::steady_timer> accept_retry_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::mutex stop_mutex_;
};

HttpServer::HttpServer(const std::string& address, std::uint16_t port, HttpHandler handler, HttpLimits limits,
                       std::optional<WebSocketEndpoint> websocket, SlowRequests slow)
    : impl_(std::make_unique<Impl>(address, port, std::move(handler), limits, std::move(websocket), std::move(slow))) {}

HttpServer::~HttpServer() = default;

std::uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::stop() { impl_->stop(); }

}  // namespace tomo::gateway
