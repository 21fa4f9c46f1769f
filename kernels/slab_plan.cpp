#include "kernels/slab_plan.hpp"

#include <algorithm>

#include "kernels/error.hpp"

namespace tomo {
namespace {

double mib(std::int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

std::int64_t total_bytes(std::span<const MemoryNeed> needs, int rows) {
  std::int64_t sum = 0;
  for (const auto& need : needs) sum += need.bytes(rows);
  return sum;
}

std::string describe(std::span<const MemoryNeed> needs, int rows) {
  std::string text;
  for (const auto& need : needs) text += fmt::format("{} {:.1f} MiB, ", need.step, mib(need.bytes(rows)));
  return text + fmt::format("in all {:.1f} MiB for {} rows", mib(total_bytes(needs, rows)), rows);
}

int rows_per_slab(std::int64_t budget, int total_rows, std::span<const MemoryNeed> needs, int lanes) {
  std::int64_t fixed = 0, per_row = 0;
  for (const auto& need : needs) fixed += need.fixed_bytes, per_row += need.bytes_per_row;
  if (fixed + per_row > budget)
    fail("memory budget of {:.1f} MiB is too small for even one slice, which needs {:.1f} MiB ({}): raise --memory",
         mib(budget), mib(fixed + per_row), describe(needs, 1));
  const std::int64_t fits = per_row > 0 ? (budget - fixed) / per_row : total_rows;
  const int rows = static_cast<int>(std::clamp<std::int64_t>(fits, 1, std::max(1, total_rows)));
  const auto whole_groups = [lanes](int count) { return count >= lanes ? count / lanes * lanes : count; };
  const int quarter = (total_rows / 4 + lanes - 1) / lanes * lanes;  // a quarter of the scan, whole groups
  return std::max(1, std::min(whole_groups(rows), std::max(lanes, quarter)));
}

}  // namespace tomo
