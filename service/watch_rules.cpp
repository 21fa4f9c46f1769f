#include "service/watch_rules.hpp"

#include <glob.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <system_error>

#include "kernels/error.hpp"
#include "service/data_roots.hpp"

namespace fs = std::filesystem;

namespace tomo {

namespace {

constexpr std::array<const char*, 6> kPlaceholders = {"root", "sample", "folder", "parent", "rule", "date"};

std::string placeholder_list() {
  std::string list;
  for (const char* name : kPlaceholders) list += fmt::format("{}{{{}}}", list.empty() ? "" : ", ", name);
  return list;
}

// Walks `output`, handing each literal run and each placeholder name to the callbacks; the one
// parser both the load-time check and the substitution use, so they cannot disagree.
template <class Literal, class Placeholder>
void walk_template(const std::string& output, const std::string& where, Literal literal, Placeholder placeholder) {
  std::size_t at = 0;
  while (at < output.size()) {
    const auto open = output.find_first_of("{}", at);
    if (open == std::string::npos) {
      literal(output.substr(at));
      return;
    }
    if (output[open] == '}') fail("{} = '{}': unmatched '}}' at character {}", where, output, open);
    literal(output.substr(at, open - at));
    const auto close = output.find_first_of("{}", open + 1);
    if (close == std::string::npos || output[close] != '}')
      fail("{} = '{}': unmatched '{{' at character {}", where, output, open);
    const std::string name = output.substr(open + 1, close - open - 1);
    if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end())
      fail("{} = '{}': unknown placeholder {{{}}}; known: {}", where, output, name, placeholder_list());
    placeholder(name);
    at = close + 1;
  }
}

// Local time: staff look for "today's" reconstructions by the date on the beamline's clock.
std::string modification_date(const fs::path& scan) {
  std::error_code error;
  const auto written = fs::last_write_time(scan, error);
  if (error) fail("input {}: its modification time could not be read: {}", scan.string(), error.message());
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(std::chrono::file_clock::to_sys(written)));
  std::tm local{};
  localtime_r(&seconds, &local);
  std::array<char, 16> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%d", &local);
  return text.data();
}

}  // namespace

std::string sample_name(const fs::path& scan) { return scan.stem().string(); }

void check_output_template(const std::string& output, const std::string& where) {
  if (output.empty()) fail("{} is empty; give an output folder such as \"{{root}}/reconstructions/{{sample}}\"", where);
  walk_template(
      output, where, [](const std::string&) {}, [](const std::string&) {});
}

std::vector<fs::path> find_scans(const WatchRule& rule) {
  glob_t found{};
  // No GLOB_ERR: one unreadable folder (another group's beamtime) must not hide every other scan.
  const int status = glob(rule.pattern.c_str(), 0, nullptr, &found);
  const std::unique_ptr<glob_t, decltype(&globfree)> owner(&found, &globfree);
  if (status == GLOB_NOMATCH) return {};
  if (status != 0)
    fail("watch rule '{}': pattern '{}' could not be searched (glob error {})", rule.name, rule.pattern, status);
  std::vector<fs::path> scans;
  for (std::size_t i = 0; i < found.gl_pathc; ++i) {
    fs::path match = found.gl_pathv[i];
    std::error_code error;
    if (fs::is_regular_file(match, error)) scans.push_back(std::move(match));
  }
  // glob sorts by the locale's collation; byte order is the same on every node and in every test.
  std::sort(scans.begin(), scans.end());
  return scans;
}

fs::path output_for(const WatchRule& rule, const fs::path& scan, const std::vector<fs::path>& roots) {
  const std::string where = fmt::format("watch rule '{}': output", rule.name);
  resolve_under_roots(scan, roots, "input", true);
  // The folder is resolved but not the file: a scan that is a symlink keeps its own name as the
  // sample, while {folder} and {root} agree with each other.
  const fs::path folder = resolve_under_roots(scan.parent_path(), roots, "input folder", true);
  fs::path root;
  std::error_code error;
  for (const auto& candidate : roots) {
    const auto canonical_root = fs::weakly_canonical(candidate, error);
    if (!error && lies_under(folder, canonical_root)) {
      root = canonical_root;
      break;
    }
  }
  const std::map<std::string, std::string> values = {
      {"root", root.string()},     {"sample", sample_name(scan)},
      {"folder", folder.string()}, {"parent", folder.filename().string()},
      {"rule", rule.name},         {"date", modification_date(scan)}};
  std::string text;
  walk_template(
      rule.output, where, [&](const std::string& literal) { text += literal; },
      [&](const std::string& name) { text += values.at(name); });
  const fs::path output = text;
  if (!output.is_absolute())
    fail("{} = '{}' gives the relative path {}; start it with {{root}}, {{folder}} or an absolute folder", where,
         rule.output, text);
  return resolve_under_roots(output, roots, fmt::format("output folder of watch rule '{}'", rule.name), false);
}

}  // namespace tomo
