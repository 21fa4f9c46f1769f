// The WebSocket at /api/events over real sockets on 127.0.0.1: a client gets "hello", then every
// event published, and a pong for a ping; a client that floods, sends too much or stops reading
// is closed with a code and a reason, and the others, and HTTP, go on. The client is Beast's.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "gateway/event_socket.hpp"
#include "gateway/http_client.hpp"
#include "gateway/http_server.hpp"
#include "service/event_hub.hpp"

namespace {
namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using tomo::gateway::HttpLimits;
using tomo::gateway::HttpResponse;
using tomo::gateway::HttpServer;

// One WebSocket client; every wait is bounded, so that no test hangs on a server that is silent.
class Client {
 public:
  Client(std::uint16_t port, const std::string& path = "/api/events") {
    tcp::resolver resolver(io_);
    net::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
  }

  // The next message, or nothing once the server has closed (reason() then says why).
  std::optional<std::string> read(std::chrono::seconds timeout = 10s) {
    beast::flat_buffer buffer;
    std::optional<beast::error_code> result;
    ws_.async_read(buffer, [&](beast::error_code error, std::size_t) { result = error; });
    run(timeout, result);
    if (*result) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }

  // The next message whose "type" is `type`, skipping others (e.g. the workers' every few seconds).
  nlohmann::json read_type(const std::string& type) {
    for (;;) {
      const auto message = read();
      if (!message) throw std::runtime_error("the server closed the socket while waiting for a " + type);
      auto parsed = nlohmann::json::parse(*message);
      if (parsed.at("type") == type) return parsed;
    }
  }

  void write(const std::string& message) {
    std::optional<beast::error_code> result;
    ws_.async_write(net::buffer(message), [&](beast::error_code error, std::size_t) { result = error; });
    run(10s, result);
    if (*result) throw std::runtime_error("write failed: " + result->message());
  }

  // Reads until the server closes; how many messages came before.
  int read_until_closed() {
    int messages = 0;
    while (read(20s)) ++messages;
    return messages;
  }

  websocket::close_reason reason() const { return ws_.reason(); }

 private:
  void run(std::chrono::seconds timeout, const std::optional<beast::error_code>& result) {
    io_.restart();
    io_.run_for(timeout);
    if (!result) throw std::runtime_error("the server did not answer in time");
  }

  net::io_context io_;
  websocket::stream<tcp::socket> ws_{io_};
};

struct EventServer {
  explicit EventServer(HttpLimits limits = {})
      : server("127.0.0.1", 0,
               [](const tomo::gateway::HttpRequest&) {
                 HttpResponse response;
                 response.body = R"({"ok":true})";
                 return response;
               },
               limits, tomo::gateway::event_socket(hub)) {}
  tomo::EventHub hub;
  HttpServer server;
};

TEST(EventSocket, SaysHelloThenSendsEveryEventAndAnswersPing) {
  EventServer events;
  Client client(events.server.port());
  const auto hello = nlohmann::json::parse(*client.read());
  EXPECT_EQ(hello.at("type"), "hello");
  EXPECT_TRUE(hello.contains("version"));
  EXPECT_EQ(events.hub.subscribers(), 1u);

  events.hub.publish({{"type", "job"}, {"job", {{"id", "1"}, {"state", "running"}}}});
  events.hub.publish({{"type", "progress"}, {"id", "1"}, {"written", 3}, {"total", 8}});
  EXPECT_EQ(nlohmann::json::parse(*client.read()).at("job").at("state"), "running");
  EXPECT_EQ(nlohmann::json::parse(*client.read()).at("written"), 3);

  client.write(R"({"type": "ping"})");
  client.write("not JSON at all: ignored");
  EXPECT_EQ(nlohmann::json::parse(*client.read()).at("type"), "pong");
}

TEST(EventSocket, AFloodingClientIsClosedWithAReasonAndTheOthersGoOn) {
  EventServer events;
  Client flooder(events.server.port()), bystander(events.server.port());
  ASSERT_TRUE(flooder.read());
  ASSERT_TRUE(bystander.read());
  // A burst of 40 is allowed; a thousand at once is not.
  for (int i = 0; i < 1000; ++i) {
    try {
      flooder.write(R"({"type": "hello?"})");
    } catch (const std::exception&) {
      break;  // the server has closed the socket meanwhile
    }
  }
  flooder.read_until_closed();
  EXPECT_EQ(flooder.reason().code, websocket::close_code::policy_error);
  EXPECT_NE(std::string(flooder.reason().reason.c_str()).find("messages a second"), std::string::npos)
      << flooder.reason().reason.c_str();

  events.hub.publish({{"type", "log"}, {"id", "1"}});
  EXPECT_EQ(nlohmann::json::parse(*bystander.read()).at("type"), "log");
  const auto health = tomo::gateway::http_call({"127.0.0.1", events.server.port()}, "GET", "/api/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(events.hub.subscribers(), 1u);
}

TEST(EventSocket, AMessageOverTheSizeLimitClosesTheSocket) {
  EventServer events;
  Client client(events.server.port());
  ASSERT_TRUE(client.read());
  client.write(std::string(8192, 'x'));
  client.read_until_closed();
  EXPECT_EQ(client.reason().code, websocket::close_code::too_big);
}

TEST(EventSocket, AClientThatStopsReadingIsClosedInsteadOfQueueingWithoutBound) {
  HttpLimits limits;
  limits.max_websocket_queue = 8;
  EventServer events(limits);
  Client slow(events.server.port()), reader(events.server.port());
  ASSERT_TRUE(slow.read());
  ASSERT_TRUE(reader.read());
  // 256 KiB a message (one buffer shared by both clients): the socket's buffers fill after a few
  // megabytes, then the queue grows while the slow client reads nothing.
  const nlohmann::json big{{"type", "live_slice"}, {"png", std::string(256 * 1024, 'a')}};
  int sent = 0;
  for (; sent < 400 && events.hub.subscribers() == 2; ++sent) {
    events.hub.publish(big);
    ASSERT_TRUE(reader.read()) << "the reading client was closed";
  }
  EXPECT_LT(sent, 400) << "the slow client was never closed";
  const int delivered = slow.read_until_closed();
  EXPECT_LT(delivered, sent);
  EXPECT_EQ(slow.reason().code, websocket::close_code::policy_error);
  EXPECT_NE(std::string(slow.reason().reason.c_str()).find("too slowly"), std::string::npos);
}

TEST(EventSocket, AnUpgradeElsewhereIsRefused) {
  EventServer events;
  try {
    Client elsewhere(events.server.port(), "/api/other");
    ADD_FAILURE() << "the upgrade to /api/other was accepted";
  } catch (const beast::system_error& e) {
    EXPECT_EQ(e.code(), websocket::error::upgrade_declined) << e.what();
  }
  EXPECT_EQ(tomo::gateway::http_call({"127.0.0.1", events.server.port()}, "GET", "/api/health").status, 200);
}

}  // namespace
