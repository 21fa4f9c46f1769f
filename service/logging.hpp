#pragma once
// Logging of the long-running service: spdlog's default logger, so every layer logs with spdlog::info(...).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace tomo {

// Replaces spdlog's default logger with one writing to stderr without colours (systemd's journal
// and log files get no escape codes) and, when `file` is not empty, to a rotating file (10 MiB × 5)
// with ISO timestamps, its folder created if missing. Under systemd (JOURNAL_STREAM set) stderr
// lines carry no timestamp, since the journal adds its own, and start with the sd-daemon priority
// ("<3>" error, "<4>" warn, "<6>" info, "<7>" debug) so `journalctl -p warning` filters them.
// `level`: trace, debug, info, warn, error or off. Throws tomo::Error naming a bad level, or the
// log file when its folder cannot be created or the file opened.
void setup_service_logging(const std::string& level, const std::filesystem::path& file);

// "job 12: ": the start of every log line about one job, so `grep "job 12:"` finds its history.
std::string job_prefix(std::uint64_t id);

// While one lives, what this thread logs is about job `id` (the thread that runs the job: it
// prepares it and waits for its actors): with the logger of setup_service_logging, each line gets
// the job's prefix, and lines at info and above that did not name the job themselves (the
// pipeline's) are also handed to `keep`, for the job's own record. Lines logged on the job's actor threads are not caught (they log little: their failures
// reach the job as its error).
class JobLogContext {
 public:
  using Keep = std::function<void(const std::string& level, const std::string& message)>;
  JobLogContext(std::uint64_t id, Keep keep);
  ~JobLogContext();
  JobLogContext(const JobLogContext&) = delete;
  JobLogContext& operator=(const JobLogContext&) = delete;

  std::uint64_t id() const { return id_; }
  const Keep& keep() const { return keep_; }

 private:
  std::uint64_t id_;
  Keep keep_;
  JobLogContext* outer_;
};

}  // namespace tomo
