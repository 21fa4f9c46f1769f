#include "service/worker_status.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "kernels/fbp_cuda.hpp"

namespace tomo {
namespace {

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

// MemTotal and MemAvailable from /proc/meminfo, in bytes (0 where the kernel does not say).
std::pair<std::int64_t, std::int64_t> memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0, total = 0, available = 0;
  while (meminfo >> key >> kib) {
    if (key == "MemTotal:") total = kib * 1024;
    if (key == "MemAvailable:") available = kib * 1024;
    meminfo.ignore(64, '\n');
  }
  return {total, available};
}

}  // namespace

std::vector<GpuStatus> local_gpus() {
  std::vector<GpuStatus> found;
  for (const auto& device : cuda::devices()) found.push_back({device.name, device.memory_bytes});
  return found;
}

std::string local_worker_name() { return fmt::format("{} (pid {})", host_name(), getpid()); }

WorkerStatus local_worker_status(const std::vector<GpuStatus>& gpus, int jobs_running, int jobs_limit) {
  WorkerStatus worker;
  worker.host = host_name();
  worker.pid = getpid();
  worker.name = fmt::format("{} (pid {})", worker.host, worker.pid);
  worker.cpus = static_cast<int>(std::thread::hardware_concurrency());
  std::tie(worker.memory_total, worker.memory_available) = memory();
  double loads[1] = {0};
  if (getloadavg(loads, 1) == 1) worker.load = loads[0];
  worker.gpus = gpus;
  worker.jobs_running = jobs_running;
  worker.jobs_limit = jobs_limit;
  return worker;
}

nlohmann::json to_json(const WorkerStatus& worker) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& gpu : worker.gpus) gpus.push_back({{"name", gpu.name}, {"memory_total", gpu.memory_total}});
  return {{"name", worker.name},
          {"host", worker.host},
          {"pid", worker.pid},
          {"cpus", worker.cpus},
          {"memory_total", worker.memory_total},
          {"memory_available", worker.memory_available},
          {"load", worker.load},
          {"gpus", gpus},
          {"jobs_running", worker.jobs_running},
          {"jobs_limit", worker.jobs_limit},
          {"state", "up"}};
}

}  // namespace tomo
