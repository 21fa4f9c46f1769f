#pragma once
// Seconds on the monotonic clock since `start`: how every timing of the project (logs, metrics,
// the preview's timings) is taken.
#include <chrono>

namespace tomo {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace tomo
