#include "storage/event_log.hpp"

#include <cerrno>
#include <cstring>

#include "kernels/error.hpp"

namespace tomo {

EventLog::EventLog(const std::filesystem::path& path) : path_(path), file_(path, std::ios::trunc) {
  if (!file_) fail("--events {}: cannot write it: {}", path.string(), std::strerror(errno));
}

void EventLog::write(const nlohmann::json& event) {
  file_ << event.dump() << '\n' << std::flush;
  if (!file_) fail("event log {}: write failed: {}", path_.string(), std::strerror(errno));
}

}  // namespace tomo
