#include "gateway/static_files.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <string_view>
#include <utility>

#include "kernels/error.hpp"
#include "service/data_roots.hpp"

namespace tomo::gateway {
namespace fs = std::filesystem;

namespace {

// Files larger than this are not the web app's (it is a few hundred KiB in all).
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{64} << 20;

std::string content_type(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/plain; charset=utf-8"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".webmanifest", "application/manifest+json"},
  }};
  const std::string extension = file.extension().string();
  for (const auto& [known, type] : types)
    if (extension == known) return std::string(type);
  return "application/octet-stream";
}

}  // namespace

StaticFiles::StaticFiles(const fs::path& root) {
  std::error_code error;
  root_ = fs::canonical(root, error);
  if (error || !fs::is_directory(root_)) fail("the web app's folder {} is not a folder{}", root.string(),
                                              error ? ": " + error.message() : "");
}

HttpResponse StaticFiles::serve(const HttpRequest& request) const {
  if (request.method != "GET") {
    HttpResponse refused = json_error(405, fmt::format("{} takes GET only", request.path()));
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  // Percent-decoded already, so "%2e%2e" arrives here as "..".
  const std::string path = request.path();
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos)
    return json_error(400, fmt::format("'{}' is not a path", path));
  fs::path relative;
  for (const auto& part : fs::path(path.substr(1))) {
    if (part == "..") return json_error(400, fmt::format("the path {} may not contain '..'", path));
    // An empty part or a second "/" ("//etc") adds nothing: the path stays relative to the root.
    if (part != "." && !part.empty() && !part.has_root_path()) relative /= part;
  }
  std::error_code error;
  fs::path file = fs::canonical(root_ / relative, error);
  if (!error && fs::is_directory(file, error)) file = fs::canonical(file / "index.html", error);
  // A symlink in the folder may lead anywhere: what it leads to must still be inside.
  if (error || !lies_under(file, root_) || !fs::is_regular_file(file, error))
    return json_error(404, fmt::format("no such file: {}", path));
  const std::uintmax_t size = fs::file_size(file, error);
  const auto modified = fs::last_write_time(file, error);
  if (error || size > kMaxFileBytes) return json_error(404, fmt::format("no such file: {}", path));

  HttpResponse response;
  const auto ticks = modified.time_since_epoch().count();
  const std::string etag = fmt::format("\"{:x}-{:x}\"", size, ticks);
  response.headers = {{"ETag", etag}, {"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
  response.content_type = content_type(file);
  const auto match = request.headers.find("if-none-match");
  if (match != request.headers.end() && match->second == etag) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  std::ifstream in(file, std::ios::binary);
  response.body.resize(static_cast<std::size_t>(size));
  in.read(response.body.data(), static_cast<std::streamsize>(size));
  if (!in || in.gcount() != static_cast<std::streamsize>(size)) return json_error(500, fmt::format("cannot read {}", path));
  return response;
}

}  // namespace tomo::gateway
