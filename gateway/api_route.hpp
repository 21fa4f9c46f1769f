#pragma once
// What the API's route files share (api_routes.cpp: jobs and presets; data_routes.cpp: data
// folders, scans and workers; preview_routes.cpp: the interactive preview): a route is a method, a path with `{...}` for a variable segment,
// and a plain function that answers it. Not for code outside gateway/.
#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

#include "gateway/api_routes.hpp"
#include "service/job_service.hpp"
#include "storage/proto_json.hpp"

namespace tomo::gateway {

using Segments = std::vector<std::string>;  // a path's parts between slashes; of a route, the variable ones

struct Route {
  using Answer = std::function<HttpResponse(ApiServices&, const HttpRequest&, const Segments&)>;
  Route(std::string method_, std::string path_, Answer answer_);
  std::string method;
  std::string path;
  Segments segments;  // of the path, split once
  Answer answer;
};

Segments split_path(const std::string& path);

HttpResponse json_response(int status, std::string body);

// The request's body as `Message`: malformed JSON, unknown fields or wrong types are a 400
// naming the problem.
template <class Message>
Message from_json(const HttpRequest& request, const char* what) {
  Message message;
  if (request.body.empty()) return message;
  try {
    message_from_json(request.body, message, fmt::format("the body is not a valid {}", what));
  } catch (const Error& e) {
    throw RequestError(400, e.what());
  }
  return message;
}

// The routes of each file, in the order they are matched.
std::vector<Route> data_routes();
std::vector<Route> preview_routes();

}  // namespace tomo::gateway
