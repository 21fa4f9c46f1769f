#pragma once
// What a worker node has and does, as the batch page's workers panel and GET /api/workers show it:
// its CPUs, GPUs and memory, and the jobs it runs. (One node today; remote nodes join later.)
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tomo {

struct GpuStatus {
  std::string name;
  std::int64_t memory_total = 0;  // bytes
};

struct WorkerStatus {
  std::string name;  // host name and process: how the job records name the worker (SlabRecord.worker)
  std::string host;
  int pid = 0;
  int cpus = 0;
  std::int64_t memory_total = 0;      // bytes
  std::int64_t memory_available = 0;  // bytes, page cache the kernel would give back included
  double load = 0;                    // the 1-minute load average
  std::vector<GpuStatus> gpus;
  int jobs_running = 0;
  int jobs_limit = 0;
};

// The CUDA devices this process can use: looked up once at start (a driver query takes time).
std::vector<GpuStatus> local_gpus();

// This process's node now.
WorkerStatus local_worker_status(const std::vector<GpuStatus>& gpus, int jobs_running, int jobs_limit);

// "host (pid N)": the worker's name in job records and logs.
std::string local_worker_name();

nlohmann::json to_json(const WorkerStatus& worker);

}  // namespace tomo
