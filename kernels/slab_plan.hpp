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

// Slabs alive at once in the batch pipeline per stage buffer: one being read, one waiting, one
// being reconstructed (raw sinograms); one being reconstructed, one waiting, one being written
// (slices).
inline constexpr int kSlabsInFlight = 3;

// Bytes one row of a slab costs in the pipeline: its raw sinogram and slice kSlabsInFlight times,
// its reference frames, and the interleaved copy the multi-slice backprojection makes.
std::int64_t bytes_per_slab_row(const SlabShape& shape);

// Rows per slab for `budget` bytes (at least 1, at most total_rows). Within the budget, slabs are
// whole groups of `lanes` rows (the multi-slice kernel's width) and small enough that a scan makes
// at least 4 slabs, so that reading, reconstructing and writing overlap. Throws tomo::Error when
// not even one row fits, naming the budget and what one row needs.
int rows_per_slab(std::int64_t budget, int total_rows, const SlabShape& shape, int lanes = 16);

}  // namespace tomo
