// The REST API's routes as plain functions (gateway/api_routes.hpp): the OpenAPI description
// matches the real routes, and every bad request is a 4xx naming the problem, with nothing stored.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "gateway/api_routes.hpp"
#include "service/job_service.hpp"
#include "service/preview_service.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using tomo::gateway::HttpRequest;
using tomo::gateway::HttpResponse;

HttpRequest request(const std::string& method, const std::string& target, const std::string& body = "") {
  HttpRequest r;
  r.method = method;
  r.target = target;
  r.body = body;
  return r;
}

struct Api {
  explicit Api(const fs::path& dir) : service(config_for(dir)), previews(service.config().data_roots, std::int64_t{1} << 30) {}
  static tomo::ServiceConfig config_for(const fs::path& dir) {
    tomo::ServiceConfig config = tomo::default_config();
    config.data_roots = {fs::canonical(dir)};
    config.database = dir / "db";
    return config;
  }
  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    tomo::gateway::ApiServices services{service, previews};
    return tomo::gateway::handle_api(services, request(method, target, body));
  }
  tomo::JobService service;
  tomo::PreviewService previews;
};

std::string error_of(const HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  return body.is_object() && body.contains("error") ? body["error"].get<std::string>() : "(no error field) " + response.body;
}

TEST(ApiRoutes, TheOpenApiDescriptionListsExactlyTheRealRoutes) {
  const auto doc = nlohmann::json::parse(tomo::gateway::openapi_json());
  std::set<std::string> described, real;
  for (const auto& [path, item] : doc.at("paths").items())
    for (const auto& [method, operation] : item.items())
      if (method != "parameters") described.insert(fmt::format("{} {}", method, path));
  for (const auto& route : tomo::gateway::api_routes()) {
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
    real.insert(fmt::format("{} {}", method, route.path));
  }
  EXPECT_EQ(described, real);
  EXPECT_EQ(doc.at("openapi").get<std::string>().substr(0, 2), "3.");
}

TEST(ApiRoutes, AJobIsSubmittedShownListedAndItsMetricsCounted) {
  const auto dir = tomo::test::scratch_dir("api");
  ASSERT_EQ(tomo::test::run_tomoedge(fmt::format("simulate --out {} --rows 4 --columns 32 --projections 30", (dir / "scan.tdf").string())).exit_code, 0);
  Api api(dir);
  const auto submitted = api.call("POST", "/api/jobs",
                                  nlohmann::json{{"input", (dir / "scan.tdf").string()},
                                                 {"output", (dir / "out").string()},
                                                 {"params", {{"method", "fbp"}}},
                                                 {"priority", 3}}
                                      .dump());
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const auto job = nlohmann::json::parse(submitted.body);
  const std::string id = job.at("id").get<std::string>();  // 64-bit integers are strings in protobuf's JSON
  EXPECT_EQ(job.at("priority"), 3);
  EXPECT_EQ(job.at("params").at("method"), "fbp");
  EXPECT_TRUE(job.at("params").contains("rings"));  // complete: defaults filled in

  const auto shown = api.call("GET", "/api/jobs/" + id);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(nlohmann::json::parse(shown.body).at("input"), fs::canonical(dir / "scan.tdf").string());
  const auto listed = nlohmann::json::parse(api.call("GET", "/api/jobs").body);
  EXPECT_EQ(listed.at("jobs").size(), 1u);
  EXPECT_EQ(api.call("GET", "/api/jobs?state=nonsense").status, 400);
  EXPECT_EQ(api.call("GET", "/api/jobs?limit=0").status, 400);
  EXPECT_EQ(api.call("GET", "/api/jobs?after=-1").status, 400);
  EXPECT_EQ(api.call("GET", "/api/jobs?view=tiny").status, 400);
  EXPECT_TRUE(nlohmann::json::parse(api.call("GET", "/api/jobs?after=" + id).body).at("jobs").empty());
  const auto summary = nlohmann::json::parse(api.call("GET", "/api/jobs?view=summary&limit=1").body).at("jobs");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_TRUE(summary[0].at("log").empty());
  EXPECT_EQ(api.call("GET", "/api/health").status, 200);
  const auto metrics = api.call("GET", "/metrics");
  EXPECT_EQ(metrics.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(metrics.body.find("tomoedge_api_request_seconds_count"), std::string::npos);
}

struct BadRequest {
  const char* name;
  const char* method;
  const char* target;
  const char* body;
  int status;
  const char* says;
};

class ApiRefuses : public ::testing::TestWithParam<BadRequest> {};

TEST_P(ApiRefuses, WithAStatusAndAMessageAndStoresNothing) {
  const auto dir = tomo::test::scratch_dir("refuses");
  Api api(dir);
  const BadRequest& bad = GetParam();
  const auto response = api.call(bad.method, bad.target, bad.body);
  EXPECT_EQ(response.status, bad.status) << response.body;
  EXPECT_NE(error_of(response).find(bad.says), std::string::npos) << error_of(response);
  EXPECT_TRUE(api.service.jobs().empty());
  EXPECT_EQ(api.service.presets().size(), api.service.config().presets.size());
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, ApiRefuses,
    ::testing::Values(
        BadRequest{"MalformedJson", "POST", "/api/jobs", "{\"input\": ", 400, "not a valid job submission"},
        BadRequest{"UnknownField", "POST", "/api/jobs", R"({"input": "/x", "colour": "red"})", 400, "colour"},
        BadRequest{"UnknownParameter", "POST", "/api/jobs", R"({"params": {"sharpness": 3}})", 400, "sharpness"},
        BadRequest{"WrongType", "POST", "/api/jobs", R"({"priority": "high"})", 400, "priority"},
        BadRequest{"InputOutsideTheRoots", "POST", "/api/jobs", R"({"input": "/etc/hostname", "output": "/tmp/x"})", 400,
                   "outside the data roots"},
        BadRequest{"NoSuchJob", "GET", "/api/jobs/42", "", 404, "no job 42"},
        BadRequest{"NotAnId", "GET", "/api/jobs/abc", "", 404, "'abc' is not a job id"},
        BadRequest{"CancelNoSuchJob", "POST", "/api/jobs/7/cancel", "", 404, "no job 7"},
        BadRequest{"NoSuchRoute", "GET", "/api/nothing", "", 404, "no such resource"},
        BadRequest{"WrongMethod", "PUT", "/api/jobs", "", 405, "takes GET, POST"},
        BadRequest{"PresetOutOfRange", "PUT", "/api/presets/bad", R"({"params": {"binning": 3}})", 400, "binning"},
        BadRequest{"PresetNameMismatch", "PUT", "/api/presets/a", R"({"name": "b"})", 400, "names preset 'b'"},
        BadRequest{"NoSuchPreset", "DELETE", "/api/presets/none", "", 404, "no preset named 'none'"},
        BadRequest{"PresetNameWithASpace", "PUT", "/api/presets/my%20preset", "{}", 400, "must be a non-empty name"},
        BadRequest{"RunNoSuchJob", "POST", "/api/jobs/9/run", "", 404, "no job 9"},
        BadRequest{"FolderOutsideTheRoots", "GET", "/api/files?path=/etc", "", 400, "outside the data roots"},
        BadRequest{"FolderEncodedOutside", "GET", "/api/files?path=%2Fetc%2F", "", 400, "outside the data roots"},
        BadRequest{"FolderNotAbsolute", "GET", "/api/files?path=..%2F..", "", 400, "must be an absolute path"},
        BadRequest{"SummaryWithoutAPath", "GET", "/api/scans/summary", "", 400, "path="},
        BadRequest{"SummaryOutsideTheRoots", "GET", "/api/scans/summary?path=/etc/hostname", "", 400, "outside the data roots"},
        BadRequest{"TooManyLiveRows", "POST", "/api/jobs", R"({"input": "/x", "output": "/y", "live_rows": [1,2,3,4,5,6,7,8,9]})",
                   400, "live_rows names 9 rows; a live view shows at most 8"},
        BadRequest{"NegativeLiveRow", "POST", "/api/jobs", R"({"input": "/x", "output": "/y", "live_rows": [-1]})", 400,
                   "live_rows = -1 is out of range"},
        BadRequest{"HoldNotABoolean", "POST", "/api/jobs", R"({"hold": [true]})", 400, "hold"}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(ApiRoutes, TheDataFoldersAreBrowsedOnlyUnderTheRootsAndScansSummarised) {
  const auto dir = tomo::test::scratch_dir("browse");
  fs::create_directories(dir / "beamtime/reconstructions");
  ASSERT_EQ(tomo::test::run_tomoedge(fmt::format("simulate --out {} --rows 4 --columns 32 --projections 30 --no-truth",
                                                 (dir / "beamtime/scan.tdf").string()))
                .exit_code,
            0);
  std::ofstream(dir / "beamtime/notes.txt") << "not a scan";
  std::ofstream(dir / "beamtime/.hidden") << "";
  fs::create_symlink("/etc", dir / "beamtime/escape");
  Api api(dir);
  const std::string root = fs::canonical(dir).string();

  const auto roots = nlohmann::json::parse(api.call("GET", "/api/files").body);
  EXPECT_EQ(roots.at("roots"), nlohmann::json::array({root}));
  EXPECT_EQ(roots.at("entries")[0].at("path"), root);
  const auto top = nlohmann::json::parse(api.call("GET", "/api/files?path=" + root).body);
  EXPECT_TRUE(top.at("parent").is_null());  // a data root: above it is the list of roots
  const auto listed = api.call("GET", "/api/files?path=" + root + "/beamtime/");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto folder = nlohmann::json::parse(listed.body);
  EXPECT_EQ(folder.at("parent"), root);
  std::vector<std::string> names, types;
  for (const auto& entry : folder.at("entries")) {
    names.push_back(entry.at("name"));
    types.push_back(entry.at("type"));
  }
  // Folders first; no hidden file, and no symlink leading out of the roots.
  EXPECT_EQ(names, (std::vector<std::string>{"reconstructions", "notes.txt", "scan.tdf"}));
  EXPECT_EQ(types, (std::vector<std::string>{"dir", "file", "scan"}));
  const auto escaped = api.call("GET", "/api/files?path=" + root + "/beamtime/escape");
  EXPECT_EQ(escaped.status, 400);
  EXPECT_NE(error_of(escaped).find("outside the data roots"), std::string::npos);
  EXPECT_EQ(api.call("GET", "/api/files?path=" + root + "/beamtime/%2e%2e/%2e%2e/%2e%2e/etc").status, 400);

  const auto summary = api.call("GET", "/api/scans/summary?path=" + root + "/beamtime/scan.tdf");
  ASSERT_EQ(summary.status, 200) << summary.body;
  const auto scan = nlohmann::json::parse(summary.body);
  EXPECT_EQ(scan.at("projections"), 30);
  EXPECT_EQ(scan.at("columns"), 32);
  EXPECT_EQ(scan.at("layout"), "tdf");
  const auto not_a_scan = api.call("GET", "/api/scans/summary?path=" + root + "/beamtime/notes.txt");
  EXPECT_EQ(not_a_scan.status, 400);
  EXPECT_NE(error_of(not_a_scan).find("notes.txt"), std::string::npos);

  const auto workers = nlohmann::json::parse(api.call("GET", "/api/workers").body).at("workers");
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_GE(workers[0].at("cpus").get<int>(), 1);
  EXPECT_GT(workers[0].at("memory_total").get<std::int64_t>(), 0);
  EXPECT_TRUE(workers[0].at("gpus").is_array());
}

TEST(ApiRoutes, PresetsAreStoredAndUsedBySubmissions) {
  const auto dir = tomo::test::scratch_dir("presets");
  ASSERT_EQ(tomo::test::run_tomoedge(fmt::format("simulate --out {} --rows 4 --columns 32 --projections 30", (dir / "scan.tdf").string())).exit_code, 0);
  Api api(dir);
  ASSERT_EQ(api.call("PUT", "/api/presets/bone", R"({"experiment": "p123", "params": {"method": "fbp", "filter": "hann"}})").status, 200);
  const auto preset = nlohmann::json::parse(api.call("GET", "/api/presets/bone").body);
  EXPECT_EQ(preset.at("experiment"), "p123");
  const auto of_p123 = nlohmann::json::parse(api.call("GET", "/api/presets?experiment=p123").body);
  ASSERT_EQ(of_p123.at("presets").size(), 1u);
  EXPECT_EQ(of_p123.at("presets")[0].at("name"), "bone");
  const auto submitted = api.call("POST", "/api/jobs",
                                  nlohmann::json{{"input", (dir / "scan.tdf").string()},
                                                 {"output", (dir / "out").string()},
                                                 {"preset", "bone"},
                                                 {"params", {{"filter", "cosine"}}}}
                                      .dump());
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const auto job = nlohmann::json::parse(submitted.body);
  EXPECT_EQ(job.at("params").at("method"), "fbp");  // from the preset
  EXPECT_EQ(job.at("params").at("filter"), "cosine");  // the submission's own, over the preset
  EXPECT_EQ(job.at("preset"), "bone");
  EXPECT_EQ(api.call("DELETE", "/api/presets/bone").status, 204);
}

}  // namespace
