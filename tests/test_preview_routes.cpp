// The interactive preview's routes (gateway/preview_routes.cpp) as plain functions: good
// requests give an image of the right size with sane statistics, bad ones a 4xx naming what is
// wrong, and the service answers the next request as before.
#include <gtest/gtest.h>
#include <png.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "gateway/api_routes.hpp"
#include "service/job_service.hpp"
#include "service/preview_service.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tomo::gateway::HttpRequest;
using tomo::gateway::HttpResponse;

// Width and height of a PNG given as a data URL, decoded whole by libpng (0 × 0 when it is not one).
std::pair<int, int> png_size(const std::string& data_url) {
  const std::string prefix = "data:image/png;base64,";
  if (!data_url.starts_with(prefix)) return {0, 0};
  std::string bytes;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : data_url.substr(prefix.size())) {
    const auto digit = std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").find(c);
    if (digit == std::string::npos) continue;  // '=' padding
    buffer = buffer << 6 | static_cast<unsigned>(digit);
    bits += 6;
    if (bits >= 8) bytes += static_cast<char>((buffer >> (bits -= 8)) & 0xff);
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return {0, 0};
  image.format = PNG_FORMAT_GRAY;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  const bool read = png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr);
  png_image_free(&image);
  return read ? std::pair{static_cast<int>(image.width), static_cast<int>(image.height)} : std::pair{0, 0};
}

class PreviewRoutes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* root = std::getenv("TOMO_TEST_TMP");
    dir_ = (root ? fs::path(root) : fs::temp_directory_path() / "tomoedge-tests") / fmt::format("PreviewRoutes.{}", getpid());
    fs::create_directories(dir_ / "data");
    scan_ = fs::canonical(dir_ / "data") / "scan.h5";
    const auto r = tomo::test::run_tomoedge(
        fmt::format("simulate --out {} --projections 90 --rows 6 --columns 48 --no-truth --threads 1", scan_.string()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::ofstream(dir_ / "data" / "notes.txt") << "not a scan\n";
    std::ofstream(dir_ / "outside.h5") << "outside the data roots\n";
  }

  void SetUp() override {
    tomo::ServiceConfig config = tomo::default_config();
    config.data_roots = {fs::canonical(dir_ / "data")};
    config.database = tomo::test::scratch_dir("db") / "db";
    service_ = std::make_unique<tomo::JobService>(config);
    previews_ = std::make_unique<tomo::PreviewService>(config.data_roots, std::int64_t{256} << 20, 2);
  }

  HttpResponse post(const std::string& target, const std::string& body) {
    tomo::gateway::ApiServices services{*service_, *previews_};
    HttpRequest r;
    r.method = "POST";
    r.target = target;
    r.body = body;
    return tomo::gateway::handle_api(services, r);
  }

  static std::string error_of(const HttpResponse& response) {
    const auto body = json::parse(response.body, nullptr, false);
    return body.is_object() && body.contains("error") ? body["error"].get<std::string>() : "(no error) " + response.body;
  }

  static std::string with_input(const std::string& more = "") {
    return fmt::format(R"({{"input": "{}"{}}})", scan_.string(), more.empty() ? "" : ", " + more);
  }

  static inline fs::path dir_, scan_;
  std::unique_ptr<tomo::JobService> service_;
  std::unique_ptr<tomo::PreviewService> previews_;
};

TEST_F(PreviewRoutes, APreviewIsAPngOfTheSliceWithItsStatistics) {
  const HttpResponse first = post("/api/preview", with_input());
  ASSERT_EQ(first.status, 200) << first.body;
  const json body = json::parse(first.body);
  EXPECT_EQ(body["input"], scan_.string());
  EXPECT_EQ(body["row"], 3);  // the middle of 6 rows
  EXPECT_EQ(body["width"], 48);
  EXPECT_EQ(body["height"], 48);
  EXPECT_EQ(body["reused"], "nothing");
  EXPECT_EQ(png_size(body["png"]), std::pair(48, 48));
  const json& stats = body["stats"];
  EXPECT_LT(stats["min"].get<double>(), stats["mean"].get<double>());
  EXPECT_LT(stats["mean"].get<double>(), stats["max"].get<double>());
  EXPECT_GT(stats["std"].get<double>(), 0.0);
  EXPECT_LE(stats["min"].get<double>(), body["window"][0].get<double>());
  EXPECT_LT(body["window"][0].get<double>(), body["window"][1].get<double>());
  EXPECT_LE(body["window"][1].get<double>(), stats["max"].get<double>());
  std::int64_t counted = 0;
  for (const auto& count : body["histogram"]["counts"]) counted += count.get<std::int64_t>();
  EXPECT_EQ(body["histogram"]["counts"].size(), 256u);
  EXPECT_GT(counted, 48 * 48 / 2);  // the disc's pixels: π/4 of the square
  EXPECT_LT(counted, 48 * 48);

  const HttpResponse centred = post("/api/preview", with_input(R"("row": 3, "params": {"cor_offset": 0.5}, "window": [0, 0.01])"));
  ASSERT_EQ(centred.status, 200) << centred.body;
  EXPECT_EQ(json::parse(centred.body)["reused"], "preprocessed");
  EXPECT_EQ(json::parse(centred.body)["window"][0], 0.0);
  EXPECT_NEAR(json::parse(centred.body)["window"][1].get<double>(), 0.01, 1e-6);
}

TEST_F(PreviewRoutes, Float32IsTheSliceValues) {
  const HttpResponse response = post("/api/preview?format=float32", with_input(R"("row": 2)"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/octet-stream");
  EXPECT_EQ(response.body.size(), 48u * 48u * 4u);
  std::map<std::string, std::string> headers(response.headers.begin(), response.headers.end());
  EXPECT_EQ(headers["X-Tomo-Width"], "48");
  EXPECT_EQ(headers["X-Tomo-Height"], "48");
  EXPECT_EQ(headers["X-Tomo-Row"], "2");
}

TEST_F(PreviewRoutes, ASweepGivesOneThumbnailPerValue) {
  const HttpResponse response =
      post("/api/preview/sweep", with_input(R"("parameter": "cor", "from": -1, "to": 1, "step": 0.5, "size": 32)"));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  ASSERT_EQ(body["images"].size(), 5u);
  EXPECT_EQ(body["images"][1]["value"], -0.5);
  for (const auto& image : body["images"]) EXPECT_EQ(png_size(image["png"]), std::pair(32, 32));
  EXPECT_LT(body["window"][0].get<double>(), body["window"][1].get<double>());
  // Without a size, thumbnails are 256 pixels, or the slice's width when it is narrower.
  const HttpResponse unsized = post("/api/preview/sweep", with_input(R"("parameter": "cor", "from": 0, "to": 1, "step": 1)"));
  ASSERT_EQ(unsized.status, 200) << unsized.body;
  EXPECT_EQ(png_size(json::parse(unsized.body)["images"][0]["png"]), std::pair(48, 48));
}

TEST_F(PreviewRoutes, TheCentreIsFoundFromTheData) {
  const HttpResponse response = post("/api/preview/centre", with_input(R"("method": "registration")"));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_NEAR(body["cor_offset"].get<double>(), 0.0, 1.0);  // simulated with the axis at the centre
  EXPECT_EQ(body["method"], "registration");
  EXPECT_FALSE(body["metric"].empty());
}

TEST_F(PreviewRoutes, BadRequestsAreRefusedNamingTheProblem) {
  const std::string scan = scan_.string();
  const std::string data = fs::canonical(dir_ / "data").string();
  struct Case {
    std::string target, body, named;
  };
  const std::vector<Case> cases = {
      {"/api/preview", "{not json", "not valid JSON"},
      {"/api/preview", "[1, 2]", "JSON object"},
      {"/api/preview", R"({"row": 2})", "'input'"},
      {"/api/preview", with_input(R"("colour": "red")"), "'colour'"},
      {"/api/preview", with_input(R"("params": {"cor_ofset": 1})"), "cor_ofset"},
      {"/api/preview", with_input(R"("params": {"filter_cutoff": 2})"), "filter_cutoff"},
      {"/api/preview", with_input(R"("params": {"cor_offset": 40})"), "cor_offset"},
      {"/api/preview", with_input(R"("row": 99)"), "row 99"},
      {"/api/preview", with_input(R"("row": "middle")"), "'row'"},
      {"/api/preview", with_input(R"("window": [1, 0])"), "'window'"},
      {"/api/preview", with_input(R"("preset": "nonesuch")"), "nonesuch"},
      {"/api/preview?format=tiff", with_input(), "format 'tiff'"},
      {"/api/preview", R"({"input": "/etc/passwd"})", "outside the data roots"},
      {"/api/preview", fmt::format(R"({{"input": "{}/../outside.h5"}})", data), "outside the data roots"},
      {"/api/preview", fmt::format(R"({{"input": "{}/missing.h5"}})", data), "does not exist"},
      {"/api/preview", fmt::format(R"({{"input": "{}/notes.txt"}})", data), "not a scan"},
      {"/api/preview/sweep", with_input(R"("parameter": "cor", "from": 0, "to": 100, "step": 1)"), "at most 64"},
      {"/api/preview/sweep", with_input(R"("parameter": "zoom", "from": 0, "to": 1, "step": 1)"), "'zoom'"},
      {"/api/preview/sweep", with_input(R"("parameter": "cor", "from": 1, "to": 0, "step": 1)"), "from <= to"},
      {"/api/preview/sweep", with_input(R"("parameter": "delta-beta", "from": 1, "to": 2, "step": 1)"), "phase_method"},
      {"/api/preview/sweep", with_input(R"("parameter": "cor", "from": 0, "to": 1, "step": 1, "size": 4)"), "size 4"},
      {"/api/preview/centre", with_input(R"("method": "guess")"), "'guess'"},
  };
  for (const auto& c : cases) {
    const HttpResponse response = post(c.target, c.body);
    EXPECT_EQ(response.status, 400) << c.target << " " << c.body << ": " << response.body;
    EXPECT_NE(error_of(response).find(c.named), std::string::npos) << c.body << ": " << error_of(response);
  }
  // And the service goes on answering.
  EXPECT_EQ(post("/api/preview", with_input()).status, 200);
}

TEST_F(PreviewRoutes, AFileChangedOnDiskIsReadAgain) {
  ASSERT_EQ(post("/api/preview", with_input()).status, 200);
  EXPECT_EQ(json::parse(post("/api/preview", with_input()).body)["reused"], "slice");
  fs::last_write_time(scan_, fs::last_write_time(scan_) + std::chrono::seconds(5));
  EXPECT_EQ(json::parse(post("/api/preview", with_input()).body)["reused"], "nothing");
}

}  // namespace

namespace {

TEST_F(PreviewRoutes, SessionsBeyondTheCacheAreDroppedLeastRecentlyUsedFirst) {
  tomo::PreviewRequest request;
  request.input = scan_;
  request.params = tomo::default_params();
  // A cache of one byte keeps only the session just used (never dropped by its own request).
  tomo::PreviewService tight({fs::canonical(dir_ / "data")}, 1, 1);
  for (int row : {0, 1, 2}) {
    request.row = row;
    EXPECT_EQ(tight.preview(request, false).row, row);
    EXPECT_EQ(tight.sessions(), 1u);
  }
  tomo::PreviewService roomy({fs::canonical(dir_ / "data")}, std::int64_t{1} << 30, 1);
  for (int row : {0, 1, 2}) {
    request.row = row;
    roomy.preview(request, false);
  }
  EXPECT_EQ(roomy.sessions(), 3u);
  EXPECT_GT(roomy.cached_bytes(), 0);
  request.row = 1;
  EXPECT_EQ(roomy.preview(request, false).reused, tomo::PreviewReuse::slice) << "row 1's session was kept";
}

}  // namespace
