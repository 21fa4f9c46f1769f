// The gateway's HTTP transport over real sockets on 127.0.0.1: what reaches the handler, what
// the limits answer, what survives a failing handler, and how the client reports an absent
// service. Malformed input goes through plain POSIX sockets, so this file does not include Beast.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http_client.hpp"
#include "gateway/http_server.hpp"
#include "kernels/error.hpp"

namespace {
using namespace tomo::gateway;
using namespace std::chrono_literals;

// Remembers every request it is given and answers a small JSON body with one extra header.
class RecordingHandler {
 public:
  HttpHandler handler() {
    return [this](const HttpRequest& request) {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      HttpResponse response;
      response.body = R"({"ok":true})";
      response.headers.emplace_back("X-Tomo-Test", "yes");
      return response;
    };
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A raw TCP connection, for what the client never sends: garbage, huge headers, silence.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    // No test hangs on a server that never answers: a read gives up after 3 s.
    const timeval receive_timeout{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof receive_timeout);
    const sockaddr_in address = loopback(port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot connect to the test server");
    }
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // Everything until the server closes the connection ("" if it closes at once).
  std::string read_until_closed() {
    while (read_more()) {
    }
    return std::exchange(received_, {});
  }

  // One response: its header, then as many body bytes as its Content-Length says.
  std::string read_response() {
    std::size_t header_end;
    while ((header_end = received_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) throw std::runtime_error("connection closed before a whole header: " + received_);
    }
    std::string header = received_.substr(0, header_end);
    std::transform(header.begin(), header.end(), header.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto length_at = header.find("\r\ncontent-length:");
    const std::size_t body_bytes = length_at == std::string::npos ? 0 : std::stoul(header.substr(length_at + 17));
    const std::size_t total = header_end + 4 + body_bytes;
    while (received_.size() < total) {
      if (!read_more()) throw std::runtime_error("connection closed before a whole body");
    }
    std::string response = received_.substr(0, total);
    received_.erase(0, total);
    return response;
  }

 private:
  bool read_more() {
    char chunk[4096];
    const ssize_t bytes = ::recv(fd_, chunk, sizeof chunk, 0);
    if (bytes <= 0) return false;
    received_.append(chunk, static_cast<std::size_t>(bytes));
    return true;
  }

  int fd_;
  std::string received_;
};

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string header_value(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

ServerUrl local(const HttpServer& server) { return {"127.0.0.1", server.port()}; }

TEST(HttpServer, GetReachesTheHandlerWithEverythingDecoded) {
  RecordingHandler recorder;
  HttpServer server("127.0.0.1", 0, recorder.handler());
  ASSERT_NE(server.port(), 0);

  const HttpResponse response =
      http_call(local(server), "GET", "/api/jobs%20list?state=queued&name=a%20b+c&verbose", R"({"x":1})");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"ok":true})");
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(header_value(response, "X-Tomo-Test"), "yes");
  EXPECT_EQ(header_value(response, "Server"), "tomoedge");

  const auto requests = recorder.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& request = requests[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/api/jobs%20list?state=queued&name=a%20b+c&verbose");
  EXPECT_EQ(request.path(), "/api/jobs list");
  const std::map<std::string, std::string> expected_query{{"state", "queued"}, {"name", "a b c"}, {"verbose", ""}};
  EXPECT_EQ(request.query(), expected_query);
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(request.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(request.body, R"({"x":1})");
}

TEST(HttpServer, PathAndQueryDecodeWithoutASocket) {
  HttpRequest request;
  request.target = "/a+b/%7Ex%zz?q=1%2B1&&q=2&e=%C3%A9&k%20ey=v=w";
  EXPECT_EQ(request.path(), "/a+b/~x%zz");  // '+' is literal in a path, a bad escape stays as sent
  const std::map<std::string, std::string> expected{{"q", "2"}, {"e", "\xC3\xA9"}, {"k ey", "v=w"}};
  EXPECT_EQ(request.query(), expected);
  request.target = "/plain";
  EXPECT_TRUE(request.query().empty());

  const HttpResponse error = json_error(404, "no job \"7\"");
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(error.body).at("error"), "no job \"7\"");
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  RecordingHandler recorder;
  HttpServer server("127.0.0.1", 0, recorder.handler());

  RawConnection connection(server.port());
  connection.send("GET /one HTTP/1.1\r\nHost: test\r\n\r\n");
  const std::string first = connection.read_response();
  EXPECT_TRUE(starts_with(first, "HTTP/1.1 200 OK\r\n")) << first;
  EXPECT_FALSE(contains(first, "Connection: close")) << first;
  EXPECT_TRUE(contains(first, "Content-Length: 11\r\n")) << first;
  connection.send("GET /two HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
  const std::string second = connection.read_response();
  EXPECT_TRUE(starts_with(second, "HTTP/1.1 200 OK\r\n")) << second;
  EXPECT_TRUE(contains(second, "Connection: close\r\n")) << second;
  EXPECT_EQ(connection.read_until_closed(), "");

  // Pipelined: both requests in one write, answered in order.
  RawConnection pipelined(server.port());
  pipelined.send("GET /three HTTP/1.1\r\nHost: test\r\n\r\nGET /four HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
  const std::string both = pipelined.read_until_closed();
  EXPECT_EQ(std::count(both.begin(), both.end(), '{'), 2) << both;

  const auto requests = recorder.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].path(), "/one");
  EXPECT_EQ(requests[1].path(), "/two");
  EXPECT_EQ(requests[2].path(), "/three");
  EXPECT_EQ(requests[3].path(), "/four");
}

TEST(HttpServer, HeadAnswersLikeGetWithoutTheBody) {
  RecordingHandler recorder;
  HttpServer server("127.0.0.1", 0, recorder.handler());

  RawConnection connection(server.port());
  connection.send("HEAD /status HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
  const std::string answer = connection.read_until_closed();
  EXPECT_TRUE(starts_with(answer, "HTTP/1.1 200 OK\r\n")) << answer;
  EXPECT_TRUE(contains(answer, "Content-Length: 11\r\n")) << answer;
  EXPECT_EQ(answer.substr(answer.size() - 4), "\r\n\r\n") << answer;

  const HttpResponse through_client = http_call(local(server), "HEAD", "/status");
  EXPECT_EQ(through_client.status, 200);
  EXPECT_EQ(through_client.body, "");

  const auto requests = recorder.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
}

TEST(HttpServer, BodyOverTheLimitIs413AndNeverReachesTheHandler) {
  RecordingHandler recorder;
  HttpLimits limits;
  limits.max_body_bytes = 1024;
  HttpServer server("127.0.0.1", 0, recorder.handler(), limits);

  RawConnection connection(server.port());
  connection.send("POST /api/jobs HTTP/1.1\r\nHost: test\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'x'));
  const std::string answer = connection.read_until_closed();
  EXPECT_TRUE(starts_with(answer, "HTTP/1.1 413 Payload Too Large\r\n")) << answer;
  EXPECT_TRUE(contains(answer, "Connection: close\r\n")) << answer;
  EXPECT_TRUE(contains(answer, "larger than 1024 bytes")) << answer;

  // A client still sending megabytes when the answer comes still reads the answer.
  const HttpResponse through_client = http_call(local(server), "POST", "/api/jobs", std::string(2 << 20, 'x'));
  EXPECT_EQ(through_client.status, 413);

  EXPECT_TRUE(recorder.requests().empty());
}

TEST(HttpServer, OversizedHeadersAre431) {
  RecordingHandler recorder;
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  HttpServer server("127.0.0.1", 0, recorder.handler(), limits);

  RawConnection connection(server.port());
  connection.send("GET / HTTP/1.1\r\nHost: test\r\nX-Padding: " + std::string(2000, 'a') + "\r\n\r\n");
  const std::string answer = connection.read_until_closed();
  EXPECT_TRUE(starts_with(answer, "HTTP/1.1 431 Request Header Fields Too Large\r\n")) << answer;
  EXPECT_TRUE(contains(answer, "Connection: close\r\n")) << answer;
  EXPECT_TRUE(recorder.requests().empty());
}

TEST(HttpServer, GarbageIs400AndClosed) {
  RecordingHandler recorder;
  HttpServer server("127.0.0.1", 0, recorder.handler());

  RawConnection connection(server.port());
  connection.send(std::string("\x01\x02\x03 not http at all\r\n\r\n"));
  const std::string answer = connection.read_until_closed();
  EXPECT_TRUE(starts_with(answer, "HTTP/1.1 400 Bad Request\r\n")) << answer;
  EXPECT_TRUE(contains(answer, "Connection: close\r\n")) << answer;
  EXPECT_TRUE(contains(answer, "malformed HTTP request")) << answer;
  EXPECT_TRUE(recorder.requests().empty());
}

TEST(HttpServer, ThrowingHandlerIs500AndTheServerStaysUp) {
  HttpServer server("127.0.0.1", 0, [](const HttpRequest& request) {
    if (request.path() == "/throw") tomo::fail("no scan at {}", "/data/scan.h5");
    return HttpResponse{};
  });

  const HttpResponse failed = http_call(local(server), "GET", "/throw");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(nlohmann::json::parse(failed.body).at("error"), "no scan at /data/scan.h5");
  EXPECT_EQ(http_call(local(server), "GET", "/fine").status, 200);
}

TEST(HttpServer, SlowRequestsNeverHoldTheThreadsThatAnswerTheRest) {
  // Slow requests wait until released; one io thread only, so a slow request run on it would
  // stop the fast one.
  std::mutex mutex;
  std::condition_variable released_signal;
  bool released = false;
  HttpLimits limits;
  limits.threads = 1;
  const SlowRequests slow{[](const HttpRequest& request) { return request.path().starts_with("/slow"); }, 2};
  HttpServer server(
      "127.0.0.1", 0,
      [&](const HttpRequest& request) {
        HttpResponse response;
        if (request.path() == "/slow/throw") throw std::runtime_error("slow and failing");
        if (request.path().starts_with("/slow")) {
          std::unique_lock lock(mutex);
          released_signal.wait(lock, [&] { return released; });
          response.body = R"({"slow":true})";
        }
        return response;
      },
      limits, std::nullopt, slow);
  const ServerUrl url{"127.0.0.1", server.port()};
  std::vector<std::future<HttpResponse>> waiting;
  for (int i = 0; i < 3; ++i) waiting.push_back(std::async(std::launch::async, [&] { return http_call(url, "GET", "/slow"); }));
  std::this_thread::sleep_for(100ms);
  bool fast_answered = false;
  try {
    fast_answered = http_call(url, "GET", "/fast", {}, 5s).status == 200;  // while three slow ones wait
  } catch (const tomo::Error&) {
  }
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  released_signal.notify_all();
  EXPECT_TRUE(fast_answered);
  for (auto& answer : waiting) EXPECT_EQ(answer.get().body, R"({"slow":true})");
  EXPECT_EQ(http_call(url, "GET", "/slow/throw", {}, 5s).status, 500) << "a slow handler's failure is a 500 too";
}

TEST(HttpServer, SilentClientIsDisconnectedAfterTheReadTimeout) {
  RecordingHandler recorder;
  HttpLimits limits;
  limits.read_timeout = 1s;
  HttpServer server("127.0.0.1", 0, recorder.handler(), limits);

  RawConnection connection(server.port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(connection.read_until_closed(), "");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 2500ms);  // closed by the server, not by the test's own 3 s receive timeout
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  RecordingHandler recorder;
  HttpLimits limits;
  limits.idle_timeout = 1s;
  HttpServer server("127.0.0.1", 0, recorder.handler(), limits);

  RawConnection connection(server.port());
  connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  EXPECT_TRUE(starts_with(connection.read_response(), "HTTP/1.1 200 OK"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(connection.read_until_closed(), "");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 2500ms);
}

TEST(HttpServer, BindingAPortInUseThrowsNamingTheAddress) {
  RecordingHandler recorder;
  HttpServer first("127.0.0.1", 0, recorder.handler());
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  try {
    HttpServer second("127.0.0.1", first.port(), recorder.handler());
    FAIL() << "a second server bound " << address;
  } catch (const tomo::Error& error) {
    EXPECT_TRUE(contains(error.what(), address)) << error.what();
  }
  EXPECT_THROW(HttpServer("not an address", 0, recorder.handler()), tomo::Error);
}

TEST(HttpServer, StoppedServerRefusesConnections) {
  RecordingHandler recorder;
  HttpServer server("127.0.0.1", 0, recorder.handler());
  const ServerUrl url = local(server);
  server.stop();
  server.stop();
  EXPECT_THROW(http_call(url, "GET", "/"), tomo::Error);
}

TEST(HttpClient, ClosedPortThrowsCannotReach) {
  // A socket bound but not listening: its port answers every connection with a reset, and no
  // other process can take it during the test.
  const int bound = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = loopback(0);
  ASSERT_EQ(::bind(bound, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(bound, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::uint16_t port = ntohs(address.sin_port);

  try {
    http_call({"127.0.0.1", port}, "GET", "/api/health", {}, 2s);
    FAIL() << "reached a closed port";
  } catch (const tomo::Error& error) {
    const std::string message = error.what();
    EXPECT_TRUE(contains(message, "cannot reach the tomoedge service at http://127.0.0.1:" + std::to_string(port)))
        << message;
    EXPECT_TRUE(contains(message, "tomoedge serve")) << message;
  }
  ::close(bound);
}

TEST(HttpClient, SilentServerThrowsCannotReachAfterTheTimeout) {
  // A socket that listens but never accepts: the kernel completes the connection and takes the
  // request, and no answer ever comes.
  const int listening = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = loopback(0);
  ASSERT_EQ(::bind(listening, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listening, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listening, reinterpret_cast<sockaddr*>(&address), &length), 0);

  const auto start = std::chrono::steady_clock::now();
  try {
    http_call({"127.0.0.1", ntohs(address.sin_port)}, "GET", "/api/health", {}, 1s);
    ADD_FAILURE() << "an answer from a server that sends none";
  } catch (const tomo::Error& error) {
    EXPECT_TRUE(contains(error.what(), "cannot reach the tomoedge service")) << error.what();
    EXPECT_TRUE(contains(error.what(), "no answer within 1 s")) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  ::close(listening);
}

TEST(HttpClient, ParseServerUrl) {
  const auto parsed = [](const std::string& url) {
    const ServerUrl server = parse_server_url(url);
    return server.host + " " + std::to_string(server.port);
  };
  EXPECT_EQ(parsed("http://127.0.0.1:8080"), "127.0.0.1 8080");
  EXPECT_EQ(parsed("127.0.0.1:8080"), "127.0.0.1 8080");
  EXPECT_EQ(parsed("http://localhost:8080/"), "localhost 8080");
  EXPECT_EQ(parsed("http://tomo-edge.lab.example"), "tomo-edge.lab.example 80");
  EXPECT_EQ(parsed("http://[::1]:9000"), "::1 9000");

  for (const std::string bad : {"https://127.0.0.1:8080", "ftp://host:21", "", "http://", ":8080", "host:", "host:0",
                                "host:65536", "host:80x", "http://host:8080/api", "http://user@host:8080",
                                "two words:8080", "[::1"}) {
    try {
      parse_server_url(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const tomo::Error& error) {
      EXPECT_TRUE(contains(error.what(), "'" + bad + "'")) << error.what();
    }
  }
}

}  // namespace
