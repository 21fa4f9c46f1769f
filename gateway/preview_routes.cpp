// The routes of the interactive preview (docs/api.md, "Interactive preview"): one slice as a PNG
// or as floats, a sweep of one parameter as thumbnails, and the centre of rotation from the data.
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <span>

#include "gateway/api_route.hpp"
#include "service/preview_service.hpp"
#include "storage/png_image.hpp"

namespace tomo::gateway {
namespace {

using nlohmann::json;

const std::vector<std::string> kPreviewKeys = {"input", "row", "preset", "params", "window"};
const std::vector<std::string> kSweepKeys = {"parameter", "from", "to", "step", "size"};
const std::vector<std::string> kCentreKeys = {"method"};

// The body as a JSON object with only the keys `known`; 400 naming what is wrong otherwise.
json body_object(const HttpRequest& request, const std::vector<std::string>& known) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) throw RequestError(400, "the body is not valid JSON");
  if (!body.is_object()) throw RequestError(400, fmt::format("the body must be a JSON object {{...}}, not a {}", body.type_name()));
  std::vector<std::string> unknown;
  for (const auto& [key, value] : body.items())
    if (std::find(known.begin(), known.end(), key) == known.end()) unknown.push_back("'" + key + "'");
  if (!unknown.empty())
    throw RequestError(400, fmt::format("unknown key{} {} in the request (known: {})", unknown.size() > 1 ? "s" : "",
                                        fmt::join(unknown, ", "), fmt::join(known, ", ")));
  return body;
}

double number(const json& body, const char* key) {
  if (!body.contains(key)) throw RequestError(400, fmt::format("the request has no '{}'", key));
  if (!body[key].is_number()) throw RequestError(400, fmt::format("'{}' must be a number, not {}", key, body[key].dump()));
  return body[key].get<double>();
}

int whole_number(const json& value, const char* key) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < std::numeric_limits<int>::min() ||
      value.get<std::int64_t>() > std::numeric_limits<int>::max())
    throw RequestError(400, fmt::format("'{}' must be a whole number, not {}", key, value.dump()));
  return value.get<int>();
}

// What every preview request holds: the scan, the row, the parameters over a preset (or the
// defaults), complete and checked, and the grey window.
PreviewRequest preview_request(ApiServices& api, const json& body) {
  PreviewRequest request;
  if (!body.contains("input") || !body["input"].is_string() || body["input"].get<std::string>().empty())
    throw RequestError(400, "the request needs 'input': the absolute path of a scan under the data roots");
  request.input = body["input"].get<std::string>();
  if (body.contains("row")) request.row = whole_number(body["row"], "row");
  ReconParams params = default_params();
  if (body.contains("preset")) {
    if (!body["preset"].is_string()) throw RequestError(400, fmt::format("'preset' must be a name, not {}", body["preset"].dump()));
    try {
      params = api.jobs.preset(body["preset"].get<std::string>()).params();
    } catch (const RequestError& e) {
      throw RequestError(400, e.what());  // a request naming a preset that is not there is a bad request
    }
  }
  if (body.contains("params")) {
    if (!body["params"].is_object())
      throw RequestError(400, fmt::format("'params' must be an object of ReconParams fields, not {}", body["params"].dump()));
    ReconParams given;
    as_request_error([&] { message_from_json(body["params"].dump(), given, "'params' are not valid ReconParams"); });
    params = merged(params, given);
  }
  request.params = with_defaults(params);
  try {
    validate(request.params);
  } catch (const Error& e) {
    throw RequestError(400, fmt::format("params: {}", e.what()));
  }
  if (body.contains("window")) {
    const json& window = body["window"];
    if (!window.is_array() || window.size() != 2 || !window[0].is_number() || !window[1].is_number() ||
        !(window[0].get<double>() < window[1].get<double>()))
      throw RequestError(400, fmt::format("'window' must be [low, high] with low < high, not {}", window.dump()));
    request.window = std::pair{window[0].get<float>(), window[1].get<float>()};
  }
  return request;
}

json window_json(const std::pair<float, float>& window) { return json::array({window.first, window.second}); }

HttpResponse preview(ApiServices& api, const HttpRequest& http) {
  const auto query = http.query();
  const auto format = query.find("format");
  if (format != query.end() && format->second != "float32" && format->second != "png")
    throw RequestError(400, fmt::format("format '{}' is not one of: png (the default), float32", format->second));
  const bool floats = format != query.end() && format->second == "float32";
  const PreviewRequest request = preview_request(api, body_object(http, kPreviewKeys));
  const PreviewImage image = api.previews.preview(request, !floats);
  if (floats) {
    static_assert(std::endian::native == std::endian::little, "the float32 body is sent as the machine holds it");
    HttpResponse response{200, "application/octet-stream",
                          std::string(reinterpret_cast<const char*>(image.pixels->data()), image.pixels->size() * sizeof(float)),
                          {{"X-Tomo-Width", std::to_string(image.width)},
                           {"X-Tomo-Height", std::to_string(image.width)},
                           {"X-Tomo-Row", std::to_string(image.row)}}};
    return response;
  }
  json histogram{{"from", image.stats.min}, {"to", image.stats.max}, {"counts", image.stats.histogram}};
  const json body{{"input", image.input},
                  {"row", image.row},
                  {"width", image.width},
                  {"height", image.width},
                  {"seconds", image.seconds},
                  {"timings",
                   {{"read", image.timings.read},
                    {"preprocess", image.timings.preprocess},
                    {"reconstruct", image.timings.reconstruct},
                    {"encode", image.encode_seconds}}},
                  {"reused", reuse_name(image.reused)},
                  {"stats", {{"min", image.stats.min}, {"max", image.stats.max}, {"mean", image.stats.mean}, {"std", image.stats.std}}},
                  {"window", window_json(image.window)},
                  {"histogram", histogram},
                  {"png", png_data_url(image.png)}};
  return json_response(200, body.dump());
}

HttpResponse sweep(ApiServices& api, const HttpRequest& http) {
  std::vector<std::string> known = kPreviewKeys;
  known.insert(known.end(), kSweepKeys.begin(), kSweepKeys.end());
  const json body = body_object(http, known);
  const PreviewRequest request = preview_request(api, body);
  PreviewSweep sweep;
  if (!body.contains("parameter") || !body["parameter"].is_string())
    throw RequestError(400, "the request needs 'parameter': \"cor\" or \"delta-beta\"");
  sweep.parameter = body["parameter"].get<std::string>();
  sweep.from = number(body, "from");
  sweep.to = number(body, "to");
  sweep.step = number(body, "step");
  if (body.contains("size")) sweep.size = whole_number(body["size"], "size");
  const SweepImages made = api.previews.sweep(request, sweep);
  json images = json::array();
  for (const auto& [value, png] : made.images) images.push_back({{"value", value}, {"png", png_data_url(png)}});
  const json answer{{"parameter", sweep.parameter},
                    {"row", made.row},
                    {"seconds", made.seconds},
                    {"window", window_json(made.window)},
                    {"images", images}};
  return json_response(200, answer.dump());
}

HttpResponse centre(ApiServices& api, const HttpRequest& http) {
  std::vector<std::string> known = kPreviewKeys;
  known.insert(known.end(), kCentreKeys.begin(), kCentreKeys.end());
  const json body = body_object(http, known);
  if (body.contains("window")) throw RequestError(400, "'window' does not apply to a centre estimate");
  const PreviewRequest request = preview_request(api, body);
  std::string method = "registration";
  if (body.contains("method")) {
    if (!body["method"].is_string()) throw RequestError(400, "'method' must be \"registration\" or \"vo\"");
    method = body["method"].get<std::string>();
  }
  const CentreResult found = api.previews.centre(request, method);
  json metric = json::array();
  for (const auto& [offset, value] : found.estimate.metric) metric.push_back({offset, value});
  const json answer{{"cor_offset", found.estimate.cor_offset},
                    {"confidence", found.estimate.confidence},
                    {"method", method},
                    {"row", found.row},
                    {"metric", metric}};
  return json_response(200, answer.dump());
}

}  // namespace

std::vector<Route> preview_routes() {
  return {
      {"POST", "/api/preview", [](ApiServices& api, const HttpRequest& r, const Segments&) { return preview(api, r); }},
      {"POST", "/api/preview/sweep", [](ApiServices& api, const HttpRequest& r, const Segments&) { return sweep(api, r); }},
      {"POST", "/api/preview/centre", [](ApiServices& api, const HttpRequest& r, const Segments&) { return centre(api, r); }},
  };
}

}  // namespace tomo::gateway
