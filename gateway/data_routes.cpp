// The routes that show what is on disk and what runs it: the data folders (the web app's browser),
// a scan's summary, and the workers.
#include <nlohmann/json.hpp>

#include "gateway/api_route.hpp"
#include "service/data_browser.hpp"
#include "service/data_roots.hpp"
#include "storage/scan_summary.hpp"

namespace tomo::gateway {
namespace {

// The query's `name`: 400 when it is missing or empty.
std::string required(const std::map<std::string, std::string>& query, const char* name) {
  const auto found = query.find(name);
  if (found == query.end() || found->second.empty()) throw RequestError(400, fmt::format("the query needs {}=...", name));
  return found->second;
}

// GET /api/files[?path=DIR]: a folder's entries; without a path, the data roots.
HttpResponse files(ApiServices& api, const HttpRequest& request) {
  const auto& roots = api.jobs.config().data_roots;
  const auto query = request.query();
  const auto path = query.find("path");
  nlohmann::json root_list = nlohmann::json::array();
  for (const auto& root : roots) root_list.push_back(root.string());
  if (path == query.end() || path->second.empty()) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& root : roots)
      entries.push_back({{"name", root.string()}, {"path", root.string()}, {"type", "dir"}, {"size", 0}, {"modified", 0}});
    return json_response(
        200, nlohmann::json{{"path", ""}, {"parent", nullptr}, {"roots", root_list}, {"entries", entries}, {"truncated", false}}.dump());
  }
  return as_request_error([&] {
    const FolderListing listing = list_folder(path->second, roots);
    nlohmann::json entries = nlohmann::json::array();
    for (const FolderEntry& entry : listing.entries)
      entries.push_back({{"name", entry.name},
                         {"path", entry.path.string()},
                         {"type", to_string(entry.kind)},
                         {"size", entry.size},
                         {"modified", entry.modified}});
    const nlohmann::json body{{"path", listing.path.string()},
                              {"parent", listing.parent ? nlohmann::json(listing.parent->string()) : nlohmann::json(nullptr)},
                              {"roots", root_list},
                              {"entries", entries},
                              {"truncated", listing.truncated}};
    return json_response(200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
}

// GET /api/scans/summary?path=FILE: as `tomoedge info --json`.
HttpResponse scan_summary(ApiServices& api, const HttpRequest& request) {
  const std::string path = required(request.query(), "path");
  return as_request_error([&] {
    const auto scan = open_scan(resolve_under_roots(path, api.jobs.config().data_roots, "scan", true));
    const AcquisitionState acquisition = scan->refresh();
    return json_response(200, scan_summary_json(scan->info(), acquisition).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
}

HttpResponse workers(ApiServices& api) {
  nlohmann::json list = nlohmann::json::array();
  for (const WorkerStatus& worker : api.jobs.workers()) list.push_back(to_json(worker));
  return json_response(200, nlohmann::json{{"workers", list}}.dump());
}

}  // namespace

std::vector<Route> data_routes() {
  return {
      {"GET", "/api/files", [](ApiServices& api, const HttpRequest& r, const Segments&) { return files(api, r); }},
      {"GET", "/api/scans/summary", [](ApiServices& api, const HttpRequest& r, const Segments&) { return scan_summary(api, r); }},
      {"GET", "/api/workers", [](ApiServices& api, const HttpRequest&, const Segments&) { return workers(api); }},
  };
}

}  // namespace tomo::gateway
