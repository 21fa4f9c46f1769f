#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "kernels/parallel.hpp"

TEST(ParallelFor, CoversEveryIndexOnce) {
  std::vector<std::atomic<int>> hits(1001);
  tomo::parallel_for(hits.size(), 3, [&](std::size_t b, std::size_t e) {
    for (auto i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ParallelFor, RethrowsTheWorkersException) {
  EXPECT_THROW(tomo::parallel_for(10, 2, [](std::size_t b, std::size_t) {
                 if (b > 0) throw std::runtime_error("piece failed");
               }),
               std::runtime_error);
}
