#pragma once
// How many detector rows (slices) one slab holds so that a reconstruction stays inside its
// memory budget whatever the size of the scan.
#include <cstdint>

namespace tomo {

struct SlabShape {
  int projections_read = 0;  // projections read per row (before decimation)
  int columns_read = 0;      // detector columns read per row (before cropping)
  int projections = 0;       // projections reconstructed
  int width = 0;             // slice width N (after cropping)
  int reference_frames = 0;  // flats + darks read per row
};

// Bytes one row of a slab costs: its raw sinogram, its reference frames, the corrected
// sinogram, its interleaved copy for the multi-slice backprojection, and the slice.
std::int64_t bytes_per_slab_row(const SlabShape& shape);

// Rows per slab for `budget` bytes (at least 1, at most total_rows). Throws tomo::Error when
// not even one row fits, naming the budget and what one row needs.
int rows_per_slab(std::int64_t budget, int total_rows, const SlabShape& shape);

}  // namespace tomo
