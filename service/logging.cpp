#include "service/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string_view>
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

// The job the current thread works for, if any: logging is process-wide (spdlog's default
// logger), so the one way to know whose line it is without passing a logger through every layer.
thread_local JobLogContext* current_job = nullptr;

// Puts the current job's prefix on each line and hands the line to the job's record, then
// passes it on to the real sinks.
class JobLineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JobLineSink(std::vector<spdlog::sink_ptr> sinks) : sinks_(std::move(sinks)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    const JobLogContext* job = current_job;
    if (!job) return pass_on(message);
    const std::string prefix = job_prefix(job->id());
    const std::string_view text(message.payload.data(), message.payload.size());
    // A line that names its job already is the service's own, which records what matters itself.
    const bool named = text.starts_with(prefix);
    const std::string line = named ? std::string(text) : prefix + std::string(text);
    if (!named && message.level >= spdlog::level::info && job->keep())
      job->keep()(message.level == spdlog::level::info ? "info" : message.level == spdlog::level::warn ? "warn" : "error",
                  std::string(text));
    spdlog::details::log_msg prefixed(message);
    prefixed.payload = line;
    pass_on(prefixed);
  }
  void flush_() override {
    for (auto& inner : sinks_) inner->flush();
  }

 private:
  void pass_on(const spdlog::details::log_msg& message) {
    for (auto& inner : sinks_)
      if (inner->should_log(message.level)) inner->log(message);
  }
  std::vector<spdlog::sink_ptr> sinks_;
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

  auto logger = std::make_shared<spdlog::logger>("tomoedge", std::make_shared<JobLineSink>(std::move(sinks)));
  logger->set_level(threshold);
  // Warnings and errors reach the file at once (a crash right after must not lose them); the rest
  // within a couple of seconds, which is soon enough for someone running `tail -f`.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  spdlog::flush_every(std::chrono::seconds(2));
}

std::string job_prefix(std::uint64_t id) { return fmt::format("job {}: ", id); }

JobLogContext::JobLogContext(std::uint64_t id, Keep keep) : id_(id), keep_(std::move(keep)), outer_(current_job) {
  current_job = this;
}

JobLogContext::~JobLogContext() { current_job = outer_; }

}  // namespace tomo
