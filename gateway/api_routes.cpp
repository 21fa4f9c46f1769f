#include "gateway/api_routes.hpp"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <map>

#include "gateway/api_route.hpp"
#include "gateway/openapi_json.hpp"
#include "gateway/static_files.hpp"
#include "kernels/elapsed.hpp"
#include "service/job_service.hpp"
#include "storage/proto_json.hpp"

namespace tomo::gateway {

const std::string& openapi_json() {
  static const std::string text(kOpenApiJson);
  return text;
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Segments split_path(const std::string& path) {
  Segments segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

Route::Route(std::string method_, std::string path_, Answer answer_)
    : method(std::move(method_)), path(std::move(path_)), segments(split_path(path)), answer(std::move(answer_)) {}

namespace {

std::string to_json(const google::protobuf::Message& message) { return message_to_json(message); }

std::uint64_t job_id(const std::string& text) {
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id == 0)
    throw RequestError(404, fmt::format("'{}' is not a job id (a positive whole number)", text));
  return id;
}

// A whole number from the query, within [low, high]; 400 naming the parameter otherwise.
std::uint64_t query_number(const std::map<std::string, std::string>& query, const char* name, std::uint64_t fallback,
                           std::uint64_t low, std::uint64_t high) {
  const auto found = query.find(name);
  if (found == query.end()) return fallback;
  std::uint64_t value = 0;
  const std::string& text = found->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high)
    throw RequestError(400, fmt::format("{}={} is not a whole number in [{}, {}]", name, text, low, high));
  return value;
}

// GET /api/jobs[?state=S][&after=ID][&limit=N][&view=summary]: in id order, the page after a job;
// the summary leaves out each job's log and slabs (what a table of many jobs needs).
HttpResponse job_list(JobService& service, const HttpRequest& request) {
  const auto query = request.query();
  const auto state = query.find("state");
  Job::State wanted = Job::unknown;
  if (state != query.end() && (!Job::State_Parse(state->second, &wanted) || wanted == Job::unknown))
    throw RequestError(400, fmt::format("state '{}' is not one of held, queued, running, done, failed, cancelled", state->second));
  const std::uint64_t after = query_number(query, "after", 0, 0, std::numeric_limits<std::int64_t>::max());
  const std::uint64_t limit = query_number(query, "limit", 100000, 1, 100000);
  const auto view = query.find("view");
  if (view != query.end() && view->second != "summary" && view->second != "full")
    throw RequestError(400, fmt::format("view '{}' is not one of summary, full", view->second));
  const bool summary = view != query.end() && view->second == "summary";
  tomoedge::JobList list;
  for (Job& job : service.jobs()) {
    if (job.id() <= after || (wanted != Job::unknown && job.state() != wanted)) continue;
    if (static_cast<std::uint64_t>(list.jobs_size()) == limit) break;
    if (summary) {
      job.clear_log();
      job.clear_slabs();
    }
    *list.add_jobs() = std::move(job);
  }
  return json_response(200, to_json(list));
}

HttpResponse health(JobService& service) {
  int running = 0, queued = 0;
  for (const Job& job : service.jobs()) {
    running += job.state() == Job::running;
    queued += job.state() == Job::queued;
  }
  const nlohmann::json body{{"status", "ok"}, {"version", TOMO_VERSION}, {"running", running}, {"queued", queued}};
  return json_response(200, body.dump());
}

std::vector<Route> job_routes() {
  return {
      {"GET", "/api/health", [](ApiServices& api, const HttpRequest&, const Segments&) { return health(api.jobs); }},
      {"GET", "/api/version",
       [](ApiServices&, const HttpRequest&, const Segments&) {
         return json_response(200, nlohmann::json{{"version", TOMO_VERSION}, {"job_schema", kJobSchema}}.dump());
       }},
      {"GET", "/api/openapi.json",
       [](ApiServices&, const HttpRequest&, const Segments&) { return json_response(200, openapi_json()); }},
      {"GET", "/api/jobs", [](ApiServices& api, const HttpRequest& r, const Segments&) { return job_list(api.jobs, r); }},
      {"POST", "/api/jobs",
       [](ApiServices& api, const HttpRequest& r, const Segments&) {
         return json_response(201, to_json(api.jobs.submit(from_json<JobSubmission>(r, "job submission"))));
       }},
      {"GET", "/api/jobs/{id}",
       [](ApiServices& api, const HttpRequest&, const Segments& v) { return json_response(200, to_json(api.jobs.job(job_id(v[0])))); }},
      {"PATCH", "/api/jobs/{id}",
       [](ApiServices& api, const HttpRequest& r, const Segments& v) {
         return json_response(200, to_json(api.jobs.edit(job_id(v[0]), from_json<JobSubmission>(r, "job change"))));
       }},
      {"DELETE", "/api/jobs/{id}",
       [](ApiServices& api, const HttpRequest&, const Segments& v) {
         api.jobs.remove(job_id(v[0]));
         return json_response(204, "");
       }},
      {"POST", "/api/jobs/{id}/cancel",
       [](ApiServices& api, const HttpRequest&, const Segments& v) {
         // 202: the cancel stands, and the job still finishes the slab at hand.
         const Job job = api.jobs.cancel(job_id(v[0]));
         return json_response(job.state() == Job::running ? 202 : 200, to_json(job));
       }},
      {"POST", "/api/jobs/{id}/retry",
       [](ApiServices& api, const HttpRequest&, const Segments& v) { return json_response(200, to_json(api.jobs.retry(job_id(v[0])))); }},
      {"GET", "/api/jobs/{id}/live",
       [](ApiServices& api, const HttpRequest&, const Segments& v) { return json_response(200, api.jobs.live_view(job_id(v[0])).dump()); }},
      {"POST", "/api/jobs/{id}/run",
       [](ApiServices& api, const HttpRequest&, const Segments& v) { return json_response(200, to_json(api.jobs.run(job_id(v[0])))); }},
      {"POST", "/api/jobs/{id}/duplicate",
       [](ApiServices& api, const HttpRequest&, const Segments& v) {
         return json_response(201, to_json(api.jobs.duplicate(job_id(v[0]))));
       }},
      {"GET", "/api/presets",
       [](ApiServices& api, const HttpRequest& r, const Segments&) {
         const auto query = r.query();
         const auto experiment = query.find("experiment");
         tomoedge::PresetList list;
         for (Preset& preset : api.jobs.presets())
           if (experiment == query.end() || preset.experiment() == experiment->second) *list.add_presets() = std::move(preset);
         return json_response(200, to_json(list));
       }},
      {"GET", "/api/presets/{name}",
       [](ApiServices& api, const HttpRequest&, const Segments& v) { return json_response(200, to_json(api.jobs.preset(v[0]))); }},
      {"PUT", "/api/presets/{name}",
       [](ApiServices& api, const HttpRequest& r, const Segments& v) {
         Preset preset = from_json<Preset>(r, "preset");
         if (!preset.name().empty() && preset.name() != v[0])
           throw RequestError(400, fmt::format("the body names preset '{}' but the path '{}'", preset.name(), v[0]));
         preset.set_name(v[0]);
         return json_response(200, to_json(api.jobs.put_preset(preset)));
       }},
      {"DELETE", "/api/presets/{name}",
       [](ApiServices& api, const HttpRequest&, const Segments& v) {
         api.jobs.remove_preset(v[0]);
         return json_response(204, "");
       }},
      {"GET", "/metrics",
       [](ApiServices& api, const HttpRequest&, const Segments&) {
         HttpResponse response{200, "text/plain; version=0.0.4", api.jobs.render_metrics(), {}};
         return response;
       }},
  };
}

// Every route of the API, in the order they are matched.
const std::vector<Route>& routes() {
  static const std::vector<Route> table = [] {
    std::vector<Route> all = job_routes();
    for (auto* more : {&data_routes, &preview_routes}) {
      std::vector<Route> part = more();
      all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return all;
  }();
  return table;
}

// The variable segments of `path` when it matches a route's segments `parts`.
std::optional<Segments> match(const Segments& parts, const Segments& path) {
  if (parts.size() != path.size()) return std::nullopt;
  Segments variables;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].starts_with('{')) {
      if (path[i].empty()) return std::nullopt;
      variables.push_back(path[i]);
    } else if (parts[i] != path[i]) {
      return std::nullopt;
    }
  }
  return variables;
}

}  // namespace

std::vector<RouteInfo> api_routes() {
  std::vector<RouteInfo> info;
  for (const Route& route : routes()) info.push_back({route.method, route.path});
  return info;
}

HttpResponse handle_api(ApiServices& api, const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  const std::string path = request.path();
  const Segments segments = split_path(path.size() > 1 && path.back() == '/' ? path.substr(0, path.size() - 1) : path);
  HttpResponse response = json_error(404, fmt::format("no such resource: {}", path));
  std::vector<std::string> allowed;
  try {
    for (const Route& route : routes()) {
      const auto variables = match(route.segments, segments);
      if (!variables) continue;
      if (route.method != request.method) {
        allowed.push_back(route.method);
        continue;
      }
      response = route.answer(api, request, *variables);
      allowed.clear();
      break;
    }
    if (!allowed.empty()) {
      const std::string list = fmt::format("{}", fmt::join(allowed, ", "));
      response = json_error(405, fmt::format("{} does not take {} (it takes {})", path, request.method, list));
      response.headers.emplace_back("Allow", list);
    }
  } catch (const RequestError& e) {
    response = json_error(e.status(), e.what());
  } catch (const Error& e) {
    // The service checks what a request gets wrong and says so as a RequestError: any other
    // error is its own (the job store failing, say).
    response = json_error(500, e.what());
    spdlog::error("api: {} {}: {}", request.method, path, e.what());
  }
  const double seconds = seconds_since(started);
  api.jobs.metrics().api_request(response.status, seconds);
  if (response.status >= 400)
    spdlog::info("api: {} {} -> {}: {}", request.method, path, response.status, response.body);
  return response;
}

}  // namespace tomo::gateway

namespace tomo::gateway {

bool is_slow_request(const HttpRequest& request) {
  if (request.method != "POST") return false;
  const std::string path = request.path();
  return path.starts_with("/api/preview") || (path.starts_with("/api/jobs/") && path.ends_with("/cancel"));
}

HttpResponse handle_request(ApiServices& api, const StaticFiles* web, const HttpRequest& request) {
  const std::string path = request.path();
  if (path == "/api" || path.starts_with("/api/") || path == "/metrics") return handle_api(api, request);
  if (!web) return json_error(404, fmt::format("no such resource: {} (this service has no web app: web_root is empty)", path));
  return web->serve(request);
}

}  // namespace tomo::gateway
