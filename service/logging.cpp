#include "service/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <system_error>
#include <vector>

#include "kernels/error.hpp"

namespace tomo {

namespace {

constexpr std::size_t kLogFileBytes = 10 * 1024 * 1024;
constexpr std::size_t kLogFiles = 5;

// "%*": the sd-daemon priority prefix (sd-daemon.h's SD_ERR ... SD_DEBUG), which journald reads
// off each line of a service's stderr and strips.
class SyslogPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&, spdlog::memory_buf_t& out) override {
    const char* prefix = "<6>";
    switch (message.level) {
      case spdlog::level::critical: prefix = "<2>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::info: prefix = "<6>"; break;
      default: prefix = "<7>"; break;  // debug and trace
    }
    out.append(prefix, prefix + 3);
  }
  std::unique_ptr<spdlog::custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriority>(); }
};

spdlog::level::level_enum parse_level(const std::string& level) {
  static const std::vector<std::pair<std::string, spdlog::level::level_enum>> levels = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  for (const auto& [name, value] : levels)
    if (name == level) return value;
  fail("log level '{}' is not one of: trace, debug, info, warn, error, off", level);
}

}  // namespace

void setup_service_logging(const std::string& level, const std::filesystem::path& file) {
  const auto threshold = parse_level(level);
  // ISO 8601 with the zone, so lines from nodes in different zones and the job store's times compare.
  const std::string timestamped = "%Y-%m-%dT%H:%M:%S.%e%z %l %v";

  auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  if (std::getenv("JOURNAL_STREAM")) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriority>('*').set_pattern("%*%v");
    console->set_formatter(std::move(formatter));
  } else {
    console->set_pattern(timestamped);
  }
  std::vector<spdlog::sink_ptr> sinks{console};

  if (!file.empty()) {
    std::error_code error;
    const auto folder = file.parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder, error);
    if (error)
      fail("log file {}: its folder {} could not be created: {}", file.string(), folder.string(), error.message());
    try {
      auto rotating = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file.string(), kLogFileBytes, kLogFiles);
      rotating->set_pattern(timestamped);
      sinks.push_back(std::move(rotating));
    } catch (const spdlog::spdlog_ex& e) {
      fail("log file {} could not be opened: {}", file.string(), e.what());
    }
  }

  auto logger = std::make_shared<spdlog::logger>("tomoedge", sinks.begin(), sinks.end());
  logger->set_level(threshold);
  // Warnings and errors reach the file at once (a crash right after must not lose them); the rest
  // within a couple of seconds, which is soon enough for someone running `tail -f`.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  spdlog::flush_every(std::chrono::seconds(2));
}

std::string job_prefix(std::uint64_t id) { return fmt::format("job {}: ", id); }

}  // namespace tomo
