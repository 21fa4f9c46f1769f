#pragma once
// A job's events as JSON lines (one object per line, appended and flushed as they happen), for
// users, operators and tests to follow a job: `tail -f`, or a line-by-line JSON reader.
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace tomo {

class EventLog {
 public:
  // Creates (or truncates) `path`; throws tomo::Error naming it when it cannot be written.
  explicit EventLog(const std::filesystem::path& path);
  // Appends `event` as one line and flushes it; throws tomo::Error when the write fails.
  void write(const nlohmann::json& event);

 private:
  std::filesystem::path path_;
  std::ofstream file_;
};

}  // namespace tomo
