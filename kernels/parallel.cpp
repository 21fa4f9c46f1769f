#include "kernels/parallel.hpp"

#include <mutex>

namespace tomo {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(std::size_t count, int threads,
                  const std::function<void(std::size_t, std::size_t)>& body) {
  const std::size_t workers = std::min<std::size_t>(std::max(1, threads), std::max<std::size_t>(count, 1));
  if (workers <= 1) {
    if (count > 0) body(0, count);
    return;
  }
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto run = [&](std::size_t w) {
    const std::size_t begin = count * w / workers;
    const std::size_t end = count * (w + 1) / workers;
    try {
      if (begin < end) body(begin, end);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
    }
  };
  std::vector<std::jthread> pool;
  pool.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  pool.clear();  // joins
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace tomo
