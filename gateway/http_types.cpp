#include "gateway/http_types.hpp"

#include <charconv>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kernels/error.hpp"

namespace tomo::gateway {
namespace {

std::optional<int> hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// '+' means a space only in a query (HTML forms); in a path it is a plain '+'.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const auto high = hex_digit(text[i + 1]);
      const auto low = hex_digit(text[i + 2]);
      if (high && low) {
        decoded.push_back(static_cast<char>(*high * 16 + *low));
        i += 2;
        continue;
      }
    }
    decoded.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return decoded;
}

}  // namespace

std::string HttpRequest::path() const {
  const auto query_start = target.find('?');
  return percent_decode(std::string_view(target).substr(0, query_start), false);
}

std::map<std::string, std::string> HttpRequest::query() const {
  std::map<std::string, std::string> parameters;
  const auto query_start = target.find('?');
  if (query_start == std::string::npos) return parameters;
  std::string_view rest = std::string_view(target).substr(query_start + 1);
  while (!rest.empty()) {
    const auto end = rest.find('&');
    const std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    const std::string_view name = pair.substr(0, equals);
    const std::string_view value = equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    parameters[percent_decode(name, true)] = percent_decode(value, true);
  }
  return parameters;
}

HttpResponse json_error(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  // Messages may quote user input (a file name, a target): invalid UTF-8 is replaced rather than
  // turning an error answer into an exception.
  response.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

ServerUrl parse_server_url(const std::string& url) {
  std::string_view rest = url;
  constexpr std::string_view http_scheme = "http://";
  if (rest.starts_with(http_scheme)) {
    rest.remove_prefix(http_scheme.size());
  } else if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    fail("server url '{}': scheme '{}' is not supported (use http://HOST:PORT)", url, rest.substr(0, scheme_end));
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    fail("server url '{}': expected http://HOST:PORT, with no path, query or user", url);
  }

  ServerUrl server;
  std::string_view port_text;
  if (rest.starts_with('[')) {  // IPv6 literal: "[::1]:8080"
    const auto close = rest.find(']');
    if (close == std::string_view::npos) fail("server url '{}': unclosed '[' in the host", url);
    server.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) fail("server url '{}': expected ':PORT' after ']'", url);
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    const auto colon = rest.find(':');
    server.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    for (const char c : server.host) {
      const bool host_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             c == '.' || c == '-' || c == '_';
      if (!host_char) fail("server url '{}': '{}' is not a host name or address", url, server.host);
    }
  }
  if (server.host.empty()) fail("server url '{}': no host (expected http://HOST:PORT)", url);

  if (port_text.empty() && rest.find(':') == std::string_view::npos) {
    server.port = 80;
    return server;
  }
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    fail("server url '{}': port '{}' is not a number from 1 to 65535", url, port_text);
  }
  server.port = static_cast<std::uint16_t>(port);
  return server;
}

}  // namespace tomo::gateway
