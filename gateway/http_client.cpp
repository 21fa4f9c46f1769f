// The second (and last) translation unit that includes Beast: the command line's client.
#include "gateway/http_client.hpp"

#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "kernels/error.hpp"

namespace tomo::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

}  // namespace

HttpResponse http_call(const ServerUrl& server, const std::string& method, const std::string& target,
                       const std::string& body, std::chrono::seconds timeout) {
  const bool ipv6_literal = server.host.find(':') != std::string::npos;
  const std::string host_port =
      ipv6_literal ? fmt::format("[{}]:{}", server.host, server.port) : fmt::format("{}:{}", server.host, server.port);

  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, host_port);
  request.set(http::field::user_agent, "tomoedge");
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.keep_alive(false);
  request.prepare_payload();

  http::response_parser<http::string_body> parser;
  // Answers (listings, results) may be large; the service is trusted, the timeout still bounds it.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.skip(method == "HEAD");  // a HEAD answer announces a body it does not send

  // Asynchronous operations run to completion here, because only they honour the stream's timeout.
  net::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  beast::error_code failure;
  std::string_view failed_step;
  const auto failed = [&](beast::error_code error, std::string_view step) {
    failure = error;
    failed_step = step;
  };
  // Resolving is not covered by the timeout (getaddrinfo cannot be interrupted); a numeric address
  // or /etc/hosts name resolves at once.
  resolver.async_resolve(server.host, std::to_string(server.port), tcp::resolver::numeric_service,
                         [&](beast::error_code error, tcp::resolver::results_type endpoints) {
    if (error) return failed(error, "unknown host");
    stream.expires_after(timeout);
    stream.async_connect(endpoints, [&](beast::error_code connect_error, const tcp::endpoint&) {
      if (connect_error) return failed(connect_error, "");
      http::async_write(stream, request, [&](beast::error_code write_error, std::size_t) {
        if (write_error) return failed(write_error, "sending the request");
        http::async_read(stream, buffer, parser, [&](beast::error_code read_error, std::size_t) {
          if (read_error) failed(read_error, "reading the answer");
        });
      });
    });
  });
  io.run();

  if (failure) {
    const std::string reason = failure == beast::error::timeout
                                   ? fmt::format("no answer within {} s", timeout.count())
                               : failed_step.empty() ? failure.message()
                                                     : fmt::format("{}: {}", failed_step, failure.message());
    fail("cannot reach the tomoedge service at http://{}: {} (is `tomoedge serve` running?)", host_port, reason);
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  http::response<http::string_body> message = parser.release();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.content_type = std::string(message[http::field::content_type]);
  for (const auto& field : message) response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  response.body = std::move(message.body());
  return response;
}

}  // namespace tomo::gateway
