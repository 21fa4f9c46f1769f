#pragma once
// The REST API (docs/api.md, gateway/openapi.json): plain functions from a parsed request to a
// response over a JobService, testable without a socket. Bodies are the protobuf JSON mapping of
// proto/job.proto's messages, with the .proto's field names; both spellings are read.
#include <string>
#include <vector>

#include "gateway/http_types.hpp"

namespace tomo {
class JobService;
class PreviewService;
}

namespace tomo::gateway {

// One route, as the OpenAPI description lists it: "GET", "/api/jobs/{id}".
struct RouteInfo {
  std::string method;
  std::string path;
};

// Every route the API answers (for the OpenAPI check and docs/api.md).
std::vector<RouteInfo> api_routes();

// What the routes answer from: the service's parts, all owned by `serve`.
struct ApiServices {
  JobService& jobs;
  PreviewService& previews;
};

// Answers one request: a route's response, 404 for no route, 405 for a route without that
// method, 4xx with {"error": ...} naming what is wrong in a request, 500 with the reason for
// the service's own failures (a failing job store).
HttpResponse handle_api(ApiServices& api, const HttpRequest& request);

class StaticFiles;

// What the gateway answers on its port: the API under /api/ and /metrics, and the web app's files
// (`web`, when there is one) everywhere else.
HttpResponse handle_request(ApiServices& api, const StaticFiles* web, const HttpRequest& request);

// The OpenAPI 3 description the API serves at /api/openapi.json.
const std::string& openapi_json();

}  // namespace tomo::gateway
