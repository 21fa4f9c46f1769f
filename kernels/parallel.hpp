#pragma once
// Splits an index range over worker threads. Kernels call this instead of owning threads, so
// the caller (a command, later an actor) decides how many cores a piece of work may use.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace tomo {

// Number of worker threads to use when the caller asked for `requested` (0 = all cores).
int resolve_threads(int requested);

// Calls body(begin, end) on contiguous pieces of [0, count) from `threads` threads (the calling
// thread is one of them) and waits. The first exception thrown by any piece is rethrown here.
void parallel_for(std::size_t count, int threads,
                  const std::function<void(std::size_t begin, std::size_t end)>& body);

}  // namespace tomo
