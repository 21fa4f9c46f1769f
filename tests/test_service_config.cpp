// The service's configuration file, data roots, watch rules and logging.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "kernels/error.hpp"
#include "service/data_roots.hpp"
#include "service/logging.hpp"
#include "service/service_config.hpp"
#include "service/watch_rules.hpp"
#include "storage/recon_params.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using tomo::test::error_of;
using tomo::test::scratch_dir;

namespace {

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces every "$ROOT" in `text` with `root`.
std::string with_root(std::string text, const fs::path& root) {
  for (auto at = text.find("$ROOT"); at != std::string::npos; at = text.find("$ROOT", at))
    text.replace(at, 5, root.string());
  return text;
}

// Puts spdlog's default logger back after a test replaced it.
struct RestoreLogger {
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  ~RestoreLogger() { spdlog::set_default_logger(previous); }
};

// A file's modification time set to noon, local time, on the given day.
void set_modified(const fs::path& path, int year, int month, int day) {
  std::tm local{};
  local.tm_year = year - 1900;
  local.tm_mon = month - 1;
  local.tm_mday = day;
  local.tm_hour = 12;
  local.tm_isdst = -1;
  const auto when = std::chrono::system_clock::from_time_t(std::mktime(&local));
  fs::last_write_time(path, std::chrono::file_clock::from_sys(when));
}

}  // namespace

struct BadConfig {
  const char* name;
  const char* json;      // "$ROOT" is an existing data root
  const char* expected;  // in the message, besides the file's name
};

// One fixture for the whole suite so that the table of bad files below runs as
// ServiceConfig.ErrorNamesTheFileAndTheKey/CASE, beside the suite's other tests.
class ServiceConfig : public ::testing::TestWithParam<BadConfig> {};

TEST_F(ServiceConfig, DefaultsAreAWorkingConfig) {
  auto config = tomo::default_config();
  EXPECT_EQ(config.listen_address, "127.0.0.1");
  EXPECT_EQ(config.listen_port, 8080);
  ASSERT_EQ(config.data_roots.size(), 1u);
  EXPECT_EQ(config.data_roots[0], fs::canonical(fs::current_path()));
  EXPECT_EQ(config.database, fs::current_path() / "tomoedge-db");
  EXPECT_EQ(config.worker_threads, 0);
  EXPECT_EQ(config.concurrent_jobs, 1);
  EXPECT_EQ(config.memory_budget, 0);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_TRUE(config.log_file.empty());
  EXPECT_EQ(config.watch_poll, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.stall_timeout, std::chrono::seconds(60));
  EXPECT_TRUE(config.rules.empty());
  ASSERT_EQ(config.presets.count("default"), 1u);
  EXPECT_EQ(tomo::params_to_json(config.presets.at("default")), tomo::params_to_json(tomo::default_params()));
  EXPECT_EQ(error_of([&] { tomo::check_config(config); }), "<no error>");
}

TEST_F(ServiceConfig, ShippedExampleLoads) {
  const fs::path source = fs::canonical(TOMO_SOURCE_DIR);
  const auto config = tomo::load_config(source / "config" / "tomoedge.json");
  const auto defaults = tomo::default_config();
  // Every scalar in the example is the default, so the file documents the defaults truthfully.
  EXPECT_EQ(config.listen_address, defaults.listen_address);
  EXPECT_EQ(config.listen_port, defaults.listen_port);
  EXPECT_EQ(config.worker_threads, defaults.worker_threads);
  EXPECT_EQ(config.concurrent_jobs, defaults.concurrent_jobs);
  EXPECT_EQ(config.memory_budget, defaults.memory_budget);
  EXPECT_EQ(config.log_level, defaults.log_level);
  EXPECT_EQ(config.log_file, defaults.log_file);
  EXPECT_EQ(config.watch_poll, defaults.watch_poll);
  EXPECT_EQ(config.stall_timeout, defaults.stall_timeout);
  // Its paths are relative to config/, so they name the checkout.
  ASSERT_EQ(config.data_roots.size(), 1u);
  EXPECT_EQ(config.data_roots[0], source);
  EXPECT_EQ(config.database, source / "tomoedge-db");
  ASSERT_EQ(config.rules.size(), 1u);
  EXPECT_EQ(config.rules[0].name, "demo");
  EXPECT_EQ(config.rules[0].pattern, (source / "demo-data" / "incoming" / "*.h5").string());
  EXPECT_EQ(config.rules[0].preset, "fast-preview");
  EXPECT_TRUE(config.rules[0].live);
  EXPECT_EQ(tomo::params_to_json(config.presets.at("default")), tomo::params_to_json(tomo::default_params()));
  EXPECT_EQ(config.presets.at("fast-preview").method(), "fbp");
  EXPECT_EQ(config.presets.at("fast-preview").filter(), "shepp-logan");
  // Completed with the defaults.
  EXPECT_EQ(config.presets.at("fast-preview").projection_step(), 1);
}

TEST_F(ServiceConfig, RelativePathsAreRelativeToTheFilesFolder) {
  const auto dir = fs::canonical(scratch_dir("relative"));
  fs::create_directories(dir / "data" / "raw");
  write_file(dir / "etc" / "tomoedge.json", R"({
    "data_roots": ["../data"],  // comments are allowed
    "database": "db",
    /* and block comments */
    "log_file": "logs/service.log",
    "watch": [{"name": "raw", "pattern": "../data/raw/*.h5", "output": "../data/recon/{sample}"}]
  })");
  const auto config = tomo::load_config(dir / "etc" / "tomoedge.json");
  ASSERT_EQ(config.data_roots.size(), 1u);
  EXPECT_EQ(config.data_roots[0], dir / "data");
  EXPECT_EQ(config.database, dir / "etc" / "db");
  EXPECT_EQ(config.log_file, dir / "etc" / "logs" / "service.log");
  ASSERT_EQ(config.rules.size(), 1u);
  EXPECT_EQ(config.rules[0].pattern, (dir / "data" / "raw" / "*.h5").string());
  EXPECT_EQ(config.rules[0].output, (dir / "data" / "recon" / "{sample}").string());
  EXPECT_EQ(config.rules[0].preset, "default");
  EXPECT_FALSE(config.rules[0].live);
  EXPECT_EQ(config.rules[0].priority, 0);
}

TEST_F(ServiceConfig, ValuesInRangeAreTaken) {
  const auto dir = fs::canonical(scratch_dir("values"));
  write_file(dir / "tomoedge.json", R"({
    "listen": "[::1]:9000", "worker_threads": 1024, "concurrent_jobs": 64, "memory_budget": "8G",
    "log_level": "debug", "watch_poll_ms": 50, "stall_timeout_s": 86400, "data_roots": ["."],
    "presets": {"default": {"method": "fbp"}},
    "watch": [{"name": "a", "pattern": "*/*.h5", "output": "{folder}/recon", "when": "complete", "priority": -1000}]
  })");
  const auto config = tomo::load_config(dir / "tomoedge.json");
  EXPECT_EQ(config.listen_address, "::1");
  EXPECT_EQ(config.listen_port, 9000);
  EXPECT_EQ(config.worker_threads, 1024);
  EXPECT_EQ(config.concurrent_jobs, 64);
  EXPECT_EQ(config.memory_budget, std::int64_t{8} << 30);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.watch_poll, std::chrono::milliseconds(50));
  EXPECT_EQ(config.stall_timeout, std::chrono::seconds(86400));
  // A file's "default" replaces the built-in one.
  EXPECT_EQ(config.presets.at("default").method(), "fbp");
  EXPECT_EQ(config.rules.at(0).priority, -1000);

  write_file(dir / "bytes.json", R"({"memory_budget": 2000000000, "data_roots": ["."]})");
  EXPECT_EQ(tomo::load_config(dir / "bytes.json").memory_budget, 2000000000);
}

TEST_P(ServiceConfig, ErrorNamesTheFileAndTheKey) {
  const auto& bad = GetParam();
  const auto dir = fs::canonical(scratch_dir(bad.name));
  fs::create_directories(dir / "data");
  write_file(dir / "tomoedge.json", with_root(bad.json, dir / "data"));
  const std::string message = error_of([&] { tomo::load_config(dir / "tomoedge.json"); });
  EXPECT_NE(message.find((dir / "tomoedge.json").string()), std::string::npos) << message;
  EXPECT_NE(message.find(bad.expected), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    , ServiceConfig,
    ::testing::Values(
        BadConfig{"not_json", R"({"listen": "127.0.0.1:8080",})", "not valid JSON"},
        BadConfig{"not_object", R"([1, 2])", "must hold one JSON object {...}, not the array [1,2]"},
        BadConfig{"unknown_key", R"({"concurent_jobs": 2})", "unknown key 'concurent_jobs' (did you mean 'concurrent_jobs'?)"},
        BadConfig{"unknown_far", R"({"zzz": 2})", "unknown key 'zzz' (known keys: listen,"},
        BadConfig{"jobs_type", R"({"concurrent_jobs": "2"})", "concurrent_jobs must be an integer, not the string \"2\""},
        BadConfig{"jobs_float", R"({"concurrent_jobs": 1.5})", "concurrent_jobs must be an integer"},
        BadConfig{"jobs_low", R"({"concurrent_jobs": 0})", "concurrent_jobs = 0 is out of range [1, 64]"},
        BadConfig{"jobs_high", R"({"concurrent_jobs": 65})", "concurrent_jobs = 65 is out of range [1, 64]"},
        BadConfig{"jobs_huge", R"({"concurrent_jobs": 18446744073709551615})", "concurrent_jobs = 18446744073709551615 is out of range"},
        BadConfig{"threads_low", R"({"worker_threads": -1})", "worker_threads = -1 is out of range [0, 1024]"},
        BadConfig{"threads_high", R"({"worker_threads": 1025})", "worker_threads = 1025 is out of range [0, 1024]"},
        BadConfig{"poll_low", R"({"watch_poll_ms": 49})", "watch_poll_ms = 49 is out of range [50, 60000]"},
        BadConfig{"poll_high", R"({"watch_poll_ms": 60001})", "watch_poll_ms = 60001 is out of range [50, 60000]"},
        BadConfig{"stall_low", R"({"stall_timeout_s": 0})", "stall_timeout_s = 0 is out of range [1, 86400]"},
        BadConfig{"stall_high", R"({"stall_timeout_s": 86401})", "stall_timeout_s = 86401 is out of range [1, 86400]"},
        BadConfig{"listen_type", R"({"listen": 8080})", "listen must be a string"},
        BadConfig{"listen_port_high", R"({"listen": "127.0.0.1:65536"})", "listen address '127.0.0.1:65536'"},
        BadConfig{"listen_no_port", R"({"listen": "127.0.0.1"})", "listen address '127.0.0.1'"},
        BadConfig{"memory_unit", R"({"memory_budget": "8X"})", "memory_budget: memory size '8X' has an unknown unit"},
        BadConfig{"memory_type", R"({"memory_budget": true})", "memory_budget must be a size"},
        BadConfig{"memory_small", R"({"memory_budget": 1000})", "memory_budget = 1000 bytes is out of range"},
        BadConfig{"memory_negative", R"({"memory_budget": -5})", "memory_budget = -5 bytes is out of range"},
        BadConfig{"preview_cache_small", R"({"preview_cache_bytes": "1M"})", "preview_cache_bytes = 1048576 bytes is out of range [16 MiB"},
        BadConfig{"preview_cache_zero", R"({"preview_cache_bytes": "0"})", "preview_cache_bytes: memory size '0'"},
        BadConfig{"preview_cache_type", R"({"preview_cache_bytes": [1]})", "preview_cache_bytes must be a size"},
        BadConfig{"rule_live_rows_type", R"({"watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/r", "live_rows": 5}]})",
                  "watch[0].live_rows must be an array"},
        BadConfig{"rule_live_row_negative", R"({"watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/r", "live_rows": [-2]}]})",
                  "watch[0].live_rows[0] = -2 is out of range"},
        BadConfig{"web_root_missing", R"({"web_root": "$ROOT/no-web"})", "web_root: "},
        BadConfig{"log_level", R"({"log_level": "verbose"})", "log_level = 'verbose' is not one of: trace, debug"},
        BadConfig{"log_file_type", R"({"log_file": 3})", "log_file must be a string"},
        BadConfig{"roots_type", R"({"data_roots": "/data"})", "data_roots must be an array"},
        BadConfig{"roots_item_type", R"({"data_roots": [1]})", "data_roots[0] must be a string"},
        BadConfig{"roots_empty", R"({"data_roots": []})", "data_roots is empty"},
        BadConfig{"roots_missing", R"({"data_roots": ["$ROOT/missing"]})", "data_roots: "},
        BadConfig{"roots_nested", R"({"data_roots": ["$ROOT", "$ROOT/.."]})", "data_roots: "},
        BadConfig{"database_parent", R"({"data_roots": ["$ROOT"], "database": "no/such/db"})", "database "},
        BadConfig{"preset_unknown_field", R"({"data_roots": ["$ROOT"], "presets": {"p": {"methd": "fbp"}}})", "presets.p"},
        BadConfig{"preset_bad_value", R"({"data_roots": ["$ROOT"], "presets": {"p": {"method": "art"}}})",
                  "presets.p: ReconParams.method = 'art'"},
        BadConfig{"preset_type", R"({"data_roots": ["$ROOT"], "presets": {"p": "fbp"}})", "presets.p must be an object"},
        BadConfig{"preset_name", R"({"data_roots": ["$ROOT"], "presets": {"a b": {}}})", "preset name 'a b'"},
        BadConfig{"watch_type", R"({"data_roots": ["$ROOT"], "watch": {}})", "watch must be an array"},
        BadConfig{"rule_type", R"({"data_roots": ["$ROOT"], "watch": ["x"]})", "watch[0] must be an object"},
        BadConfig{"rule_no_pattern", R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "output": "{root}/r"}]})",
                  "watch[0] has no 'pattern'"},
        BadConfig{"rule_unknown_key",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "patern": "$ROOT/*.h5", "output": "{root}/r"}]})",
                  "watch[0]: unknown key 'patern' (did you mean 'pattern'?)"},
        BadConfig{"rule_when",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/r", "when": "sometimes"}]})",
                  "watch[0].when = 'sometimes' is not one of: live, complete"},
        BadConfig{"rule_placeholder",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/{sampel}"}]})",
                  "watch[0].output = '{root}/{sampel}': unknown placeholder {sampel}"},
        BadConfig{"rule_brace",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/{sample"}]})",
                  "watch[0].output = '{root}/{sample': unmatched '{'"},
        BadConfig{"rule_relative_output",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{sample}/r"}]})",
                  "watch[0].output = '{sample}/r' must start with {root}, {folder} or an absolute folder"},
        BadConfig{"rule_output_outside",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "/tmp/{sample}"}]})",
                  "watch[0].output = '/tmp/{sample}': its folder /tmp is outside the data roots"},
        BadConfig{"rule_preset",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/r", "preset": "nope"}]})",
                  "watch[0].preset = 'nope' is not a preset; presets: default"},
        BadConfig{"rule_pattern_outside",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "/*/raw/*.h5", "output": "{root}/r"}]})",
                  "watch[0].pattern = '/*/raw/*.h5': its folder / is outside the data roots"},
        BadConfig{"rule_priority",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/r", "priority": 5000}]})",
                  "watch[0].priority = 5000 is out of range [-1000, 1000]"},
        BadConfig{"rule_name",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a/b", "pattern": "$ROOT/*.h5", "output": "{root}/r"}]})",
                  "watch[0].name = 'a/b' must be"},
        BadConfig{"rule_duplicate",
                  R"({"data_roots": ["$ROOT"], "watch": [{"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/r"},
                                                          {"name": "a", "pattern": "$ROOT/*.h5", "output": "{root}/s"}]})",
                  "watch[1].name = 'a' is already the name of another rule"}),
    [](const ::testing::TestParamInfo<BadConfig>& tested) { return std::string(tested.param.name); });

TEST_F(ServiceConfig, MissingFileIsNamed) {
  const auto dir = scratch_dir("missing");
  const std::string message = error_of([&] { tomo::load_config(dir / "none.json"); });
  EXPECT_NE(message.find((dir / "none.json").string() + ": could not be read"), std::string::npos) << message;
}

TEST_F(ServiceConfig, CheckConfigRechecksWhatFlagsOverride) {
  const auto dir = fs::canonical(scratch_dir("flags"));
  fs::create_directories(dir / "real");
  fs::create_directory_symlink(dir / "real", dir / "link");
  auto config = tomo::default_config();
  config.data_roots = {dir / "link"};
  config.database = dir / "db";
  tomo::check_config(config);
  // Roots are made canonical, so later prefix checks compare resolved paths.
  EXPECT_EQ(config.data_roots.at(0), dir / "real");

  auto jobs = config;
  jobs.concurrent_jobs = 0;
  EXPECT_NE(error_of([&] { tomo::check_config(jobs); }).find("concurrent_jobs = 0"), std::string::npos);
  auto level = config;
  level.log_level = "loud";
  EXPECT_NE(error_of([&] { tomo::check_config(level); }).find("log_level = 'loud'"), std::string::npos);
}

TEST_F(ServiceConfig, ParseListenAddress) {
  using Address = std::pair<std::string, std::uint16_t>;
  EXPECT_EQ(tomo::parse_listen_address("127.0.0.1:8080"), Address("127.0.0.1", 8080));
  EXPECT_EQ(tomo::parse_listen_address("[::1]:8080"), Address("::1", 8080));
  EXPECT_EQ(tomo::parse_listen_address("0.0.0.0:9000"), Address("0.0.0.0", 9000));
  EXPECT_EQ(tomo::parse_listen_address("[::]:1"), Address("::", 1));
  EXPECT_EQ(tomo::parse_listen_address("localhost:65535"), Address("localhost", 65535));
  EXPECT_EQ(tomo::parse_listen_address("127.0.0.1:0"), Address("127.0.0.1", 0));  // any free port
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:80x",
                          "127.0.0.1:-1", "::1:8080", "[::1]8080", "[::1:8080", "[nothost]:80", "300.1.1.1:80",
                          "bad host:80", "127.0.0.1:999999"}) {
    const std::string message = error_of([&] { tomo::parse_listen_address(bad); });
    EXPECT_NE(message.find(fmt::format("listen address '{}'", bad)), std::string::npos) << bad << ": " << message;
  }
}

TEST_F(ServiceConfig, LoggingWritesTheFile) {
  const RestoreLogger restore;
  const auto dir = scratch_dir("logging");
  const auto file = dir / "logs" / "deeper" / "tomoedge.log";
  unsetenv("JOURNAL_STREAM");  // a test run from a systemd unit would get the journal's format
  tomo::setup_service_logging("debug", file);
  ::testing::internal::CaptureStderr();
  spdlog::info("{}reconstruction started", tomo::job_prefix(12));
  spdlog::trace("below the level");
  spdlog::default_logger()->flush();
  const std::string console = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(console.find("info job 12: reconstruction started\n"), std::string::npos) << console;
  EXPECT_EQ(console.find('\x1b'), std::string::npos) << "no colour codes: " << console;
  const std::string text = read_whole(file);
  EXPECT_NE(text.find("info job 12: reconstruction started"), std::string::npos) << text;
  EXPECT_EQ(text.find("below the level"), std::string::npos) << text;
  // ISO date first: 2024-03-15T...
  ASSERT_GE(text.size(), 11u);
  EXPECT_EQ(text[4], '-');
  EXPECT_EQ(text[10], 'T');
}

TEST_F(ServiceConfig, LoggingUnderJournaldHasPrioritiesAndNoTime) {
  const RestoreLogger restore;
  setenv("JOURNAL_STREAM", "8:12345", 1);
  tomo::setup_service_logging("info", "");
  unsetenv("JOURNAL_STREAM");
  ::testing::internal::CaptureStderr();
  spdlog::warn("disk nearly full");
  spdlog::error("job failed");
  spdlog::info("job done");
  spdlog::debug("hidden");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "<4>disk nearly full\n<3>job failed\n<6>job done\n");
}

TEST_F(ServiceConfig, LoggingErrorsNameTheLevelAndTheFile) {
  const RestoreLogger restore;
  const auto dir = scratch_dir("logging_bad");
  write_file(dir / "plain-file", "not a folder");
  const auto file = dir / "plain-file" / "tomoedge.log";
  const std::string message = error_of([&] { tomo::setup_service_logging("info", file); });
  EXPECT_NE(message.find("log file " + file.string()), std::string::npos) << message;
  EXPECT_NE(error_of([] { tomo::setup_service_logging("loud", ""); }).find("log level 'loud'"), std::string::npos);
  EXPECT_EQ(tomo::job_prefix(7), "job 7: ");
}

// A tree under a scratch folder: data/ (the root), data2/ (a sibling whose name extends the
// root's), outside/ (a secret), and symlinks from inside data/ to both sides.
class DataRoots : public ::testing::Test {
 protected:
  void SetUp() override {
    base = fs::canonical(scratch_dir("roots"));
    root = base / "data";
    write_file(root / "raw" / "scan.h5", "scan");
    write_file(base / "data2" / "scan.h5", "scan");
    write_file(base / "outside" / "secret.h5", "secret");
    fs::create_directory_symlink(base / "outside", root / "escape");
    fs::create_directory_symlink(root / "raw", root / "alias");
    roots = {root};
  }
  std::string error(const fs::path& path, bool must_exist, const std::vector<fs::path>& in = {}) {
    return error_of([&] { tomo::resolve_under_roots(path, in.empty() ? roots : in, "input", must_exist); });
  }
  fs::path base, root;
  std::vector<fs::path> roots;
};

TEST_F(DataRoots, PathsInsideAreCanonical) {
  EXPECT_EQ(tomo::resolve_under_roots(root / "raw" / "scan.h5", roots, "input", true), root / "raw" / "scan.h5");
  EXPECT_EQ(tomo::resolve_under_roots(root / "alias" / "." / "scan.h5", roots, "input", true), root / "raw" / "scan.h5");
  EXPECT_EQ(tomo::resolve_under_roots(root / "raw" / ".." / "raw" / "scan.h5", roots, "input", true),
            root / "raw" / "scan.h5");
  // The root itself, with or without a trailing separator.
  EXPECT_EQ(tomo::resolve_under_roots(root, roots, "input", true), root);
  EXPECT_EQ(tomo::resolve_under_roots(root.string() + "/", roots, "input", true), root);
}

TEST_F(DataRoots, DotDotCannotEscape) {
  const std::string message = error(root / "raw" / ".." / ".." / "outside" / "secret.h5", true);
  EXPECT_NE(message.find("is outside the data roots (" + root.string() + ")"), std::string::npos) << message;
  EXPECT_NE(error(root / ".." / "outside" / "new", false).find("is outside the data roots"), std::string::npos);
}

TEST_F(DataRoots, SymlinkOutOfTheRootIsRejected) {
  const std::string message = error(root / "escape" / "secret.h5", true);
  EXPECT_NE(message.find("input " + (root / "escape" / "secret.h5").string() + " (resolved to " +
                         (base / "outside" / "secret.h5").string() + ") is outside the data roots"),
            std::string::npos)
      << message;
  // Not yet made, but behind the same symlink.
  EXPECT_NE(error(root / "escape" / "new" / "folder", false).find("is outside the data roots"), std::string::npos);
}

TEST_F(DataRoots, SiblingWithALongerNameIsNotUnder) {
  const std::string message = error(base / "data2" / "scan.h5", true);
  EXPECT_NE(message.find("is outside the data roots"), std::string::npos) << message;
  EXPECT_FALSE(tomo::lies_under("/data2", "/data"));
  EXPECT_FALSE(tomo::lies_under("/data2/x", "/data"));
  EXPECT_TRUE(tomo::lies_under("/data/x", "/data"));
  EXPECT_TRUE(tomo::lies_under("/data", "/data/"));
  EXPECT_TRUE(tomo::lies_under("/data", "/"));
}

TEST_F(DataRoots, MissingInputIsNamed) {
  const auto missing = root / "raw" / "missing.h5";
  EXPECT_EQ(error(missing, true), "input " + missing.string() + " does not exist");
  // A dangling symlink does not exist either.
  fs::create_symlink(root / "nowhere.h5", root / "dangling.h5");
  EXPECT_EQ(error(root / "dangling.h5", true), "input " + (root / "dangling.h5").string() + " does not exist");
}

TEST_F(DataRoots, OutputFoldersNotYetMade) {
  EXPECT_EQ(tomo::resolve_under_roots(root / "recon" / "new" / "deeper", roots, "output folder", false),
            root / "recon" / "new" / "deeper");
  // Followed through a symlink that exists.
  EXPECT_EQ(tomo::resolve_under_roots(root / "alias" / "new", roots, "output folder", false), root / "raw" / "new");
  const std::string message =
      error_of([&] { tomo::resolve_under_roots(base / "outside" / "new", roots, "output folder", false); });
  EXPECT_EQ(message, "output folder " + (base / "outside" / "new").string() + " is outside the data roots (" +
                         root.string() + ")");
}

TEST_F(DataRoots, SeveralRootsAndRelativePaths) {
  const std::vector<fs::path> two = {root, base / "data2"};
  EXPECT_EQ(tomo::resolve_under_roots(base / "data2" / "scan.h5", two, "input", true), base / "data2" / "scan.h5");
  EXPECT_NE(error(base / "outside" / "secret.h5", true, two)
                .find("outside the data roots (" + root.string() + ", " + (base / "data2").string() + ")"),
            std::string::npos);
  EXPECT_EQ(error("data/raw/scan.h5", true), "input data/raw/scan.h5 must be an absolute path");
}

class WatchRules : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::canonical(scratch_dir("watch"));
    roots = {root};
  }
  fs::path root;
  std::vector<fs::path> roots;
};

TEST_F(WatchRules, FindScansMatchesRegularFilesInOrder) {
  write_file(root / "b" / "raw" / "s3.h5", "");
  write_file(root / "a" / "raw" / "s2.h5", "");
  write_file(root / "a" / "raw" / "s1.h5", "");
  write_file(root / "a" / "raw" / "notes.txt", "");
  write_file(root / "a" / "raw" / ".s0.h5", "");               // still being renamed into place
  fs::create_directories(root / "a" / "raw" / "folder.h5");    // a folder, not a scan
  write_file(root / "a" / "other" / "s4.h5", "");
  tomo::WatchRule rule;
  rule.name = "raw";
  rule.pattern = (root / "*" / "raw" / "*.h5").string();
  EXPECT_EQ(tomo::find_scans(rule), (std::vector<fs::path>{root / "a" / "raw" / "s1.h5", root / "a" / "raw" / "s2.h5",
                                                           root / "b" / "raw" / "s3.h5"}));
  rule.pattern = (root / "*" / "raw" / "*.tdf").string();
  EXPECT_TRUE(tomo::find_scans(rule).empty());
  rule.pattern = (root / "missing" / "*.h5").string();
  EXPECT_TRUE(tomo::find_scans(rule).empty());
}

TEST_F(WatchRules, OutputPlaceholders) {
  const auto scan = root / "beamtime" / "raw" / "phantom_0001.h5";
  write_file(scan, "");
  set_modified(scan, 2024, 3, 15);
  tomo::WatchRule rule;
  rule.name = "nightly";
  rule.output = "{root}/recon/{parent}/{sample}_{rule}_{date}";
  EXPECT_EQ(tomo::output_for(rule, scan, roots), root / "recon" / "raw" / "phantom_0001_nightly_2024-03-15");
  rule.output = "{folder}/../recon/{sample}";
  EXPECT_EQ(tomo::output_for(rule, scan, roots), root / "beamtime" / "recon" / "phantom_0001");
  EXPECT_EQ(tomo::sample_name(scan), "phantom_0001");
  EXPECT_EQ(tomo::sample_name("/data/raw/scan.nx.h5"), "scan.nx");
}

TEST_F(WatchRules, OutputMustStayUnderTheRoots) {
  const auto scan = root / "raw" / "scan.h5";
  write_file(scan, "");
  tomo::WatchRule rule;
  rule.name = "climb";
  rule.output = "{folder}/../../escaped/{sample}";
  const std::string message = error_of([&] { tomo::output_for(rule, scan, roots); });
  EXPECT_NE(message.find("output folder of watch rule 'climb' "), std::string::npos) << message;
  EXPECT_NE(message.find("is outside the data roots"), std::string::npos) << message;

  // A scan outside the roots has no output at all.
  const auto outside = fs::canonical(scratch_dir("outside")) / "scan.h5";
  write_file(outside, "");
  rule.output = "{root}/{sample}";
  EXPECT_NE(error_of([&] { tomo::output_for(rule, outside, roots); }).find("is outside the data roots"), std::string::npos);
  EXPECT_NE(error_of([&] { tomo::output_for(rule, root / "raw" / "none.h5", roots); }).find("does not exist"),
            std::string::npos);
}

TEST_F(WatchRules, OutputTemplatesAreChecked) {
  EXPECT_EQ(error_of([] { tomo::check_output_template("{root}/{sample}/{folder}/{parent}/{rule}/{date}", "x"); }),
            "<no error>");
  EXPECT_EQ(error_of([] { tomo::check_output_template("/fixed/folder", "x"); }), "<no error>");
  EXPECT_NE(error_of([] { tomo::check_output_template("{root}/{user}", "watch[0].output"); })
                .find("watch[0].output = '{root}/{user}': unknown placeholder {user}; known: {root}, {sample}"),
            std::string::npos);
  EXPECT_NE(error_of([] { tomo::check_output_template("{root}/x}", "o"); }).find("unmatched '}'"), std::string::npos);
  EXPECT_NE(error_of([] { tomo::check_output_template("{root/x", "o"); }).find("unmatched '{'"), std::string::npos);
  EXPECT_NE(error_of([] { tomo::check_output_template("{ro{ot}", "o"); }).find("unmatched '{'"), std::string::npos);
  EXPECT_NE(error_of([] { tomo::check_output_template("", "o"); }).find("o is empty"), std::string::npos);
}
