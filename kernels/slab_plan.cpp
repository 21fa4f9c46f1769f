#include "kernels/slab_plan.hpp"

#include <algorithm>

#include "kernels/error.hpp"

namespace tomo {

std::int64_t bytes_per_slab_row(const SlabShape& s) {
  const std::int64_t f = sizeof(float);
  return f * (kSlabsInFlight * std::int64_t{s.projections_read} * s.columns_read +  // raw sinograms as read
              std::int64_t{s.reference_frames} * s.columns_read +                   // flats and darks
              std::int64_t{s.projections} * s.width +                               // interleaved copy
              kSlabsInFlight * std::int64_t{s.width} * s.width);                    // the slices
}

int rows_per_slab(std::int64_t budget, int total_rows, const SlabShape& shape, int lanes) {
  const std::int64_t per_row = bytes_per_slab_row(shape);
  if (per_row > budget)
    fail("memory budget of {} MiB is too small for even one slice: one slice of {} projections x {} columns "
         "needs {} MiB (raise --memory)",
         budget >> 20, shape.projections_read, shape.columns_read, (per_row + (1 << 20) - 1) >> 20);
  const int fits = static_cast<int>(std::clamp<std::int64_t>(budget / per_row, 1, std::max(1, total_rows)));
  const auto whole_groups = [lanes](int rows) { return rows >= lanes ? rows / lanes * lanes : rows; };
  const int quarter = (total_rows / 4 + lanes - 1) / lanes * lanes;  // a quarter of the scan, whole groups
  return std::max(1, std::min(whole_groups(fits), std::max(lanes, quarter)));
}

}  // namespace tomo
