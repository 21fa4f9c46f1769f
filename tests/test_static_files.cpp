// The web app's files as the gateway serves them (gateway/static_files.hpp): content types, a
// cheap revalidation, and nothing outside the folder whatever the spelling of "..", through the
// handler and through a real server.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/http_client.hpp"
#include "gateway/http_server.hpp"
#include "gateway/static_files.hpp"
#include "test_support.hpp"

namespace {
namespace fs = std::filesystem;
using tomo::gateway::HttpRequest;
using tomo::gateway::HttpResponse;
using tomo::gateway::StaticFiles;

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

HttpRequest get(const std::string& target) {
  HttpRequest request;
  request.method = "GET";
  request.target = target;
  return request;
}

std::string header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers)
    if (key == name) return value;
  return {};
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = tomo::test::scratch_dir("static");
    write_file(dir / "web/index.html", "<!doctype html><title>tomoedge</title>");
    write_file(dir / "web/app.js", "export const a = 1;");
    write_file(dir / "web/vendor/uPlot.min.css", ".u{}");
    write_file(dir / "web/pages/index.html", "pages");
    write_file(dir / "secret.txt", "outside the web folder");
    fs::create_symlink(dir / "secret.txt", dir / "web/leak.txt");
  }
  fs::path dir;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirTypesAndAnETag) {
  const StaticFiles files(dir / "web");
  const HttpResponse index = files.serve(get("/"));
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>tomoedge</title>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(index, "Cache-Control"), "no-cache");
  EXPECT_EQ(files.serve(get("/app.js")).content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files.serve(get("/vendor/uPlot.min.css?v=2")).content_type, "text/css; charset=utf-8");
  EXPECT_EQ(files.serve(get("/pages/")).body, "pages");

  // The browser revalidates with the ETag it has: unchanged, a 304 without a body.
  HttpRequest again = get("/app.js");
  again.headers["if-none-match"] = header(files.serve(get("/app.js")), "ETag");
  const HttpResponse unchanged = files.serve(again);
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_TRUE(unchanged.body.empty());
}

TEST_F(StaticFilesTest, RefusesEverySpellingOfATraversalAndWhatIsNotThere) {
  const StaticFiles files(dir / "web");
  for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/pages/%2e%2e/%2e%2e/secret.txt",
                             "/..%2fsecret.txt", "/vendor/../../secret.txt"}) {
    const HttpResponse response = files.serve(get(target));
    EXPECT_EQ(response.status, 400) << target << ": " << response.body;
    EXPECT_NE(response.body.find("'..'"), std::string::npos) << target;
  }
  // Double encoding is a file literally named "%2e%2e", and a symlink out of the folder leads nowhere.
  for (const char* target : {"/%252e%252e/secret.txt", "/leak.txt", "/missing.js", "//secret.txt"})
    EXPECT_EQ(files.serve(get(target)).status, 404) << target;
  EXPECT_EQ(files.serve(get("/app.js%00.png")).status, 400);
  HttpRequest post = get("/app.js");
  post.method = "POST";
  EXPECT_EQ(files.serve(post).status, 405);
  EXPECT_THROW(StaticFiles(dir / "no-such-folder"), tomo::Error);
}

TEST_F(StaticFilesTest, ARealServerNeverAnswersWithAFileOutsideTheFolder) {
  const StaticFiles files(dir / "web");
  tomo::gateway::HttpServer server("127.0.0.1", 0, [&](const HttpRequest& request) { return files.serve(request); });
  const tomo::gateway::ServerUrl url{"127.0.0.1", server.port()};
  EXPECT_EQ(tomo::gateway::http_call(url, "GET", "/app.js").body, "export const a = 1;");
  for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt", "/leak.txt", "//etc/passwd",
                             "/..\\secret.txt"}) {
    const HttpResponse response = tomo::gateway::http_call(url, "GET", target);
    EXPECT_GE(response.status, 400) << target;
    EXPECT_EQ(response.body.find("outside the web folder"), std::string::npos) << target;
  }
}

}  // namespace
