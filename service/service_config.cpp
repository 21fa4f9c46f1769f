#include "service/service_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>

#include "kernels/error.hpp"
#include "service/data_roots.hpp"
#include "service/watch_rules.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tomo {

namespace {

// An inclusive range and why it is what it is, shown in the message when a value falls outside.
struct Range {
  std::int64_t low;
  std::int64_t high;
  const char* meaning;
};

// More jobs at once than cores only splits the same cores finer and multiplies the memory held.
constexpr Range kConcurrentJobs{1, 64, "jobs reconstructed at once on this node"};
constexpr Range kWorkerThreads{0, 1024, "0 = all cores"};
// Below 50 ms polling costs more than it gains (a projection takes longer to write); above a
// minute a live view is no longer live.
constexpr Range kWatchPollMs{50, 60000, "milliseconds between looks at the watched folders"};
constexpr Range kStallTimeoutS{1, 86400, "seconds an acquisition may be silent before it is an incomplete scan"};
constexpr Range kPriority{-1000, 1000, "higher is scheduled sooner"};
constexpr Range kLiveRow{0, 1 << 20, "a row of the scan, as slice numbers count them"};
constexpr std::int64_t kMinMemoryBudget = std::int64_t{1} << 20;
constexpr std::int64_t kMaxMemoryBudget = std::int64_t{1} << 50;

const std::vector<std::string> kTopKeys = {"listen",          "data_roots",      "database",  "worker_threads",
                                           "concurrent_jobs", "memory_budget",   "log_level", "log_file",
                                           "web_root",        "watch_poll_ms",   "stall_timeout_s", "presets",   "watch",
                                           "preview_cache_bytes"};
const std::vector<std::string> kRuleKeys = {"name", "pattern", "preset", "output", "when", "priority", "live_rows"};
constexpr std::size_t kMaxLiveRows = 8;
const std::vector<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};

void check_range(const std::string& key, std::int64_t value, const Range& range) {
  if (value < range.low || value > range.high)
    fail("{} = {} is out of range [{}, {}] ({})", key, value, range.low, range.high, range.meaning);
}

void check_memory_budget(const std::string& key, std::int64_t bytes) {
  if (bytes != 0 && (bytes < kMinMemoryBudget || bytes > kMaxMemoryBudget))
    fail("{} = {} bytes is out of range [1 MiB, 1 PiB] or 0 (half the available memory)", key, bytes);
}

// Below 16 MiB the preview keeps not even one row of a 2048-column scan, and re-reads at every change.
void check_preview_cache(const std::string& key, std::int64_t bytes) {
  if (bytes < (std::int64_t{16} << 20) || bytes > kMaxMemoryBudget)
    fail("{} = {} bytes is out of range [16 MiB, 1 PiB] (what the interactive preview keeps)", key, bytes);
}

void check_log_level(const std::string& key, const std::string& level) {
  if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end())
    fail("{} = '{}' is not one of: {}", key, level, fmt::join(kLogLevels, ", "));
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (const auto& candidate : known) {
    const auto distance = edit_distance(key, candidate);
    if (distance < best_distance) best = candidate, best_distance = distance;
  }
  return best.empty() ? fmt::format("known keys: {}", fmt::join(known, ", ")) : fmt::format("did you mean '{}'?", best);
}

// The part of a glob pattern before its first wildcard component, without the last component
// (the file name pattern): the folder a rule watches, which must lie under a data root.
fs::path literal_folder(const std::string& pattern) {
  fs::path folder;
  const fs::path whole = pattern;
  for (auto part = whole.begin(); part != whole.end(); ++part) {
    if (std::next(part) == whole.end() || part->string().find_first_of("*?[") != std::string::npos) break;
    folder /= *part;
  }
  return folder;
}

// Reads the keys of one file; every message starts "config FILE: KEY".
class ConfigReader {
 public:
  explicit ConfigReader(const fs::path& file) : file_(file.string()), folder_(fs::absolute(file).parent_path()) {}

  [[noreturn]] void bad(const std::string& key, const std::string& problem) const {
    fail("config {}: {} {}", file_, key, problem);
  }

  void only_known_keys(const json& object, const std::string& where, const std::vector<std::string>& known) const {
    for (const auto& [key, value] : object.items())
      if (std::find(known.begin(), known.end(), key) == known.end())
        fail("config {}: {}unknown key '{}' ({})", file_, where.empty() ? "" : where + ": ", key,
             did_you_mean(key, known));
  }

  const json& object(const json& value, const std::string& key) const {
    if (!value.is_object()) bad(key, fmt::format("must be an object {{...}}, not {}", shown(value)));
    return value;
  }

  const json& array(const json& value, const std::string& key) const {
    if (!value.is_array()) bad(key, fmt::format("must be an array [...], not {}", shown(value)));
    return value;
  }

  std::string string(const json& value, const std::string& key) const {
    if (!value.is_string()) bad(key, fmt::format("must be a string, not {}", shown(value)));
    return value.get<std::string>();
  }

  std::int64_t integer(const json& value, const std::string& key, const Range& range) const {
    if (!value.is_number_integer()) bad(key, fmt::format("must be an integer, not {}", shown(value)));
    // A uint64 above INT64_MAX would wrap; it is out of every range here anyway.
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(range.high))
      bad(key, fmt::format("= {} is out of range [{}, {}] ({})", value.dump(), range.low, range.high, range.meaning));
    wrapped([&] { check_range(key, value.get<std::int64_t>(), range); });
    return value.get<std::int64_t>();
  }

  // A size in bytes: "8G", "512M", "1.5GiB" (binary units), or a number of bytes; with
  // `zero_means`, 0 too (and then what it means, for the message). The range is checked after.
  std::int64_t memory_size(const json& value, const std::string& key, const char* zero_means = nullptr) const {
    const std::string or_zero = zero_means ? fmt::format(", or 0 ({})", zero_means) : "";
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      std::int64_t bytes = 0;
      wrapped([&] {
        try {
          bytes = zero_means && text == "0" ? 0 : parse_memory_size(text);
        } catch (const Error& e) {
          fail("{}: {}", key, e.what());
        }
      });
      return bytes;
    }
    if (!value.is_number_integer())
      bad(key, fmt::format("must be a size such as \"8G\" or \"512M\", a number of bytes{}", or_zero));
    // A uint64 above INT64_MAX would wrap to a negative size.
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxMemoryBudget))
      bad(key, fmt::format("= {} bytes is out of range (at most 1 PiB)", value.dump()));
    return value.get<std::int64_t>();
  }

  // Relative paths are relative to the config file's folder, whoever started the service where.
  fs::path path(const json& value, const std::string& key) const {
    const fs::path text = string(value, key);
    if (text.empty()) bad(key, "must not be empty");
    return in_folder(text);
  }

  fs::path in_folder(const fs::path& path) const { return (folder_ / path).lexically_normal(); }

  // Runs a check whose message names the key but not the file.
  template <class Check>
  void wrapped(Check check) const {
    try {
      check();
    } catch (const Error& e) {
      fail("config {}: {}", file_, e.what());
    }
  }

  const std::string& file() const { return file_; }

  static std::string shown(const json& value) {
    std::string text = value.dump();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return fmt::format("the {} {}", value.type_name(), text);
  }

 private:
  std::string file_;
  fs::path folder_;
};

WatchRule read_rule(const ConfigReader& reader, const json& value, std::size_t index) {
  const std::string where = fmt::format("watch[{}]", index);
  reader.object(value, where);
  reader.only_known_keys(value, where, kRuleKeys);
  const auto required = [&](const char* key, const char* example) -> const json& {
    if (!value.contains(key)) reader.bad(where, fmt::format("has no '{}' (e.g. {})", key, example));
    return value.at(key);
  };
  WatchRule rule;
  rule.name = reader.string(required("name", "\"raw-scans\""), where + ".name");
  reader.wrapped([&] { check_name(where + ".name =", rule.name); });
  const std::string pattern = reader.string(required("pattern", "\"/data/*/raw/*.h5\""), where + ".pattern");
  if (pattern.empty()) reader.bad(where + ".pattern", "must not be empty");
  rule.pattern = reader.in_folder(pattern).string();
  rule.output = reader.string(required("output", "\"{root}/reconstructions/{sample}\""), where + ".output");
  check_output_template(rule.output, fmt::format("config {}: {}.output", reader.file(), where));
  // A template starting with a placeholder is absolute once filled in ({root}, {folder}); any
  // other relative one is relative to the config file's folder, like every path in the file.
  if (!rule.output.starts_with('{') && fs::path(rule.output).is_relative())
    rule.output = reader.in_folder(rule.output).string();
  rule.preset = value.contains("preset") ? reader.string(value.at("preset"), where + ".preset") : "default";
  if (value.contains("when")) {
    const std::string when = reader.string(value.at("when"), where + ".when");
    if (when != "live" && when != "complete")
      reader.bad(where + ".when", fmt::format("= '{}' is not one of: live, complete", when));
    rule.live = when == "live";
  }
  if (value.contains("priority"))
    rule.priority = static_cast<int>(reader.integer(value.at("priority"), where + ".priority", kPriority));
  if (value.contains("live_rows")) {
    const json& rows = reader.array(value.at("live_rows"), where + ".live_rows");
    for (std::size_t i = 0; i < rows.size(); ++i)
      rule.live_rows.push_back(
          static_cast<int>(reader.integer(rows[i], fmt::format("{}.live_rows[{}]", where, i), kLiveRow)));
    reader.wrapped([&] { check_live_rows(where + ".live_rows", rule.live_rows); });
  }
  return rule;
}

ReconParams read_preset(const ConfigReader& reader, const std::string& name, const json& value) {
  const std::string key = fmt::format("presets.{}", name);
  reader.wrapped([&] { check_name("presets: the preset name", name); });
  reader.object(value, key);
  // Through the protobuf JSON parser, so an unknown or misspelt parameter is an error here too.
  ReconParams params = with_defaults(params_from_json(value.dump(), fmt::format("config {}: {}", reader.file(), key)));
  reader.wrapped([&] {
    try {
      validate(params);
    } catch (const Error& e) {
      fail("{}: {}", key, e.what());
    }
  });
  return params;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("config {}: could not be read: {}", file.string(), std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail("config {}: could not be read: {}", file.string(), std::strerror(errno));
  return text.str();
}

}  // namespace

ServiceConfig default_config() {
  ServiceConfig config;
  const fs::path here = fs::current_path();
  config.data_roots = {fs::canonical(here)};
  config.database = here / "tomoedge-db";
  config.presets["default"] = default_params();
  std::error_code error;
  if (fs::is_directory(TOMO_WEB_ROOT, error)) config.web_root = TOMO_WEB_ROOT;
  return config;
}

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text) {
  const auto bad = [&](const std::string& why) -> void {
    fail("listen address '{}' {}; expected ADDRESS:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or 0.0.0.0:9000", text, why);
  };
  std::string address, port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos) bad("has no ']' after the IPv6 address");
    address = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':') bad("has no ':PORT' after ']'");
    port = text.substr(close + 2);
    in6_addr parsed{};
    if (inet_pton(AF_INET6, address.c_str(), &parsed) != 1) bad(fmt::format("has '{}', not an IPv6 address", address));
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) bad("has no ':PORT'");
    address = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (address.find(':') != std::string::npos) bad("has an IPv6 address outside brackets");
    if (address.empty()) bad("has no address");
    const bool dotted = std::all_of(address.begin(), address.end(),
                                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
    in_addr parsed{};
    if (dotted && inet_pton(AF_INET, address.c_str(), &parsed) != 1)
      bad(fmt::format("has '{}', not an IPv4 address", address));
    const bool host_name = std::all_of(address.begin(), address.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    });
    if (!host_name) bad(fmt::format("has '{}', neither an IP address nor a host name", address));
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    bad(fmt::format("has the port '{}', not a number in [0, 65535]", port));
  // Port 0: any free port, which `serve` then prints (tests and scripts start services so).
  const int number = std::stoi(port);
  if (number > 65535) bad(fmt::format("has the port {}, out of range [0, 65535]", number));
  return {address, static_cast<std::uint16_t>(number)};
}

void check_config(ServiceConfig& config) {
  if (config.listen_address.empty()) fail("listen has no address");
  check_range("worker_threads", config.worker_threads, kWorkerThreads);
  check_range("concurrent_jobs", config.concurrent_jobs, kConcurrentJobs);
  check_memory_budget("memory_budget", config.memory_budget);
  check_preview_cache("preview_cache_bytes", config.preview_cache_bytes);
  check_log_level("log_level", config.log_level);
  check_range("watch_poll_ms", config.watch_poll.count(), kWatchPollMs);
  check_range("stall_timeout_s", config.stall_timeout.count(), kStallTimeoutS);

  if (config.data_roots.empty()) fail("data_roots is empty: the service needs at least one folder to read scans from");
  for (auto& root : config.data_roots) {
    std::error_code error;
    if (!fs::is_directory(root, error)) fail("data_roots: {} is not an existing folder", root.string());
    auto canonical = fs::canonical(root, error);
    if (error) fail("data_roots: {} could not be resolved: {}", root.string(), error.message());
    root = std::move(canonical);
  }
  // Nested roots would make {root} ambiguous and a listing show the same scans twice.
  for (const auto& a : config.data_roots)
    for (const auto& b : config.data_roots)
      if (&a != &b && lies_under(a, b))
        fail("data_roots: {} lies inside {}{}; list each folder once", a.string(), b.string(),
             a == b ? " (the same folder)" : "");

  std::error_code error;
  config.database = fs::absolute(config.database, error).lexically_normal();
  if (!config.database.has_filename()) config.database = config.database.parent_path();
  if (!fs::is_directory(config.database.parent_path(), error))
    fail("database {}: its parent folder {} does not exist", config.database.string(),
         config.database.parent_path().string());
  if (fs::exists(config.database, error) && !fs::is_directory(config.database, error))
    fail("database {} exists but is not a folder", config.database.string());

  if (!config.web_root.empty() && !fs::is_directory(config.web_root, error))
    fail("web_root: {} is not an existing folder (the web app's files, web/ in the source tree)", config.web_root.string());

  for (const auto& [name, params] : config.presets) {
    check_name("presets: the preset name", name);
    try {
      validate(params);
    } catch (const Error& e) {
      fail("presets.{}: {}", name, e.what());
    }
  }

  std::set<std::string> rule_names;
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const auto& rule = config.rules[i];
    const std::string where = fmt::format("watch[{}]", i);
    check_name(where + ".name =", rule.name);
    if (!rule_names.insert(rule.name).second)
      fail("{}.name = '{}' is already the name of another rule", where, rule.name);
    if (!fs::path(rule.pattern).is_absolute())
      fail("{}.pattern = '{}' must be an absolute glob, e.g. \"/data/*/raw/*.h5\"", where, rule.pattern);
    resolve_under_roots(literal_folder(rule.pattern), config.data_roots,
                        fmt::format("{}.pattern = '{}': its folder", where, rule.pattern), false);
    check_output_template(rule.output, where + ".output");
    if (!rule.output.starts_with("{root}") && !rule.output.starts_with("{folder}") &&
        !fs::path(rule.output).is_absolute())
      fail("{}.output = '{}' must start with {{root}}, {{folder}} or an absolute folder", where, rule.output);
    // The literal start of an absolute template can be checked now rather than at the first scan.
    if (fs::path(rule.output).is_absolute()) {
      const auto brace = rule.output.find('{');
      const fs::path folder =
          brace == std::string::npos ? fs::path(rule.output) : fs::path(rule.output.substr(0, brace)).parent_path();
      resolve_under_roots(folder, config.data_roots, fmt::format("{}.output = '{}': its folder", where, rule.output),
                          false);
    }
    if (!config.presets.count(rule.preset)) {
      std::vector<std::string> names;
      for (const auto& [name, params] : config.presets) names.push_back(name);
      fail("{}.preset = '{}' is not a preset; presets: {}", where, rule.preset, fmt::join(names, ", "));
    }
    check_range(where + ".priority", rule.priority, kPriority);
  }
}

ServiceConfig load_config(const fs::path& file) {
  const ConfigReader reader(file);
  json root;
  try {
    root = json::parse(read_text(file), nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    fail("config {}: not valid JSON (// and /* */ comments are allowed): {}", file.string(), e.what());
  }
  if (!root.is_object())
    fail("config {}: must hold one JSON object {{...}}, not {}", file.string(), ConfigReader::shown(root));
  reader.only_known_keys(root, "", kTopKeys);

  ServiceConfig config = default_config();
  if (root.contains("listen")) {
    const std::string text = reader.string(root["listen"], "listen");
    reader.wrapped([&] { std::tie(config.listen_address, config.listen_port) = parse_listen_address(text); });
  }
  if (root.contains("data_roots")) {
    config.data_roots.clear();
    const auto& roots = reader.array(root["data_roots"], "data_roots");
    for (std::size_t i = 0; i < roots.size(); ++i)
      config.data_roots.push_back(reader.path(roots[i], fmt::format("data_roots[{}]", i)));
  }
  if (root.contains("database")) config.database = reader.path(root["database"], "database");
  if (root.contains("worker_threads"))
    config.worker_threads = static_cast<int>(reader.integer(root["worker_threads"], "worker_threads", kWorkerThreads));
  if (root.contains("concurrent_jobs"))
    config.concurrent_jobs =
        static_cast<int>(reader.integer(root["concurrent_jobs"], "concurrent_jobs", kConcurrentJobs));
  if (root.contains("memory_budget")) {
    config.memory_budget = reader.memory_size(root["memory_budget"], "memory_budget", "half the available memory");
    reader.wrapped([&] { check_memory_budget("memory_budget", config.memory_budget); });
  }
  if (root.contains("preview_cache_bytes")) {
    config.preview_cache_bytes = reader.memory_size(root["preview_cache_bytes"], "preview_cache_bytes");
    reader.wrapped([&] { check_preview_cache("preview_cache_bytes", config.preview_cache_bytes); });
  }
  if (root.contains("log_level")) {
    config.log_level = reader.string(root["log_level"], "log_level");
    reader.wrapped([&] { check_log_level("log_level", config.log_level); });
  }
  if (root.contains("log_file")) {
    // "" (or null) keeps the log on stderr only.
    const auto& value = root["log_file"];
    const bool none = value.is_null() || (value.is_string() && value.get<std::string>().empty());
    config.log_file = none ? fs::path() : reader.path(value, "log_file");
  }
  if (root.contains("web_root")) {
    // "" (or null): no web app, the API only.
    const auto& value = root["web_root"];
    const bool none = value.is_null() || (value.is_string() && value.get<std::string>().empty());
    config.web_root = none ? fs::path() : reader.path(value, "web_root");
  }
  if (root.contains("watch_poll_ms"))
    config.watch_poll = std::chrono::milliseconds(reader.integer(root["watch_poll_ms"], "watch_poll_ms", kWatchPollMs));
  if (root.contains("stall_timeout_s"))
    config.stall_timeout =
        std::chrono::seconds(reader.integer(root["stall_timeout_s"], "stall_timeout_s", kStallTimeoutS));
  if (root.contains("presets")) {
    // Merged over the built-in "default", which a file may redefine.
    for (const auto& [name, value] : reader.object(root["presets"], "presets").items())
      config.presets[name] = read_preset(reader, name, value);
  }
  if (root.contains("watch")) {
    const auto& rules = reader.array(root["watch"], "watch");
    for (std::size_t i = 0; i < rules.size(); ++i) config.rules.push_back(read_rule(reader, rules[i], i));
  }

  reader.wrapped([&] { check_config(config); });
  return config;
}

void check_live_rows(const std::string& what, const std::vector<int>& rows) {
  if (rows.size() > kMaxLiveRows) fail("{} names {} rows; a live view shows at most {}", what, rows.size(), kMaxLiveRows);
  for (const int row : rows) check_range(what, row, kLiveRow);
}

// Preset and rule names end up in URLs, job records, log lines and ({rule}) folder names.
void check_name(const std::string& what, const std::string& name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (!plain || name == "." || name == "..")
    fail("{} '{}' must be a non-empty name of letters, digits, '-', '_' and '.'", what, name);
}

}  // namespace tomo
