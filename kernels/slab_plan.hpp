#pragma once
// How many detector rows (slices) one slab holds so that a reconstruction stays inside its
// memory budget whatever the size of the scan. Every step of the reconstruction declares what it
// needs (MemoryNeed); the slab is as large as the sum allows.
#include <cstdint>
#include <span>
#include <string>

namespace tomo {

// The memory one step needs for a slab of `rows` detector rows: fixed_bytes whatever the slab
// (tables, plans, per-thread workspaces) plus bytes_per_row for each row of the slab.
struct MemoryNeed {
  std::string step;  // what it is for, in the log and in errors: "raw sinograms", "gridrec workspaces"
  std::int64_t fixed_bytes = 0;
  std::int64_t bytes_per_row = 0;

  std::int64_t bytes(int rows) const { return fixed_bytes + rows * bytes_per_row; }
};

// Slabs alive at once per kind of buffer in the actor pipeline (docs/pipeline.md): with two chunks
// of credit, one slab being reconstructed and one read or waiting (raw sinograms), one being made
// and one being written (slices); a third of each is counted for the moments a buffer is handed
// over before the last one is freed.
inline constexpr int kSlabsInFlight = 3;

// The sum of `needs` for a slab of `rows` rows.
std::int64_t total_bytes(std::span<const MemoryNeed> needs, int rows);

// One line for the log: each step's bytes for a slab of `rows` rows and the total, in MiB.
std::string describe(std::span<const MemoryNeed> needs, int rows);

// Rows per slab (at least 1, at most total_rows) whose needs fit in `budget` bytes. Within the
// budget, slabs are whole groups of `lanes` rows (the multi-slice kernel's width) and small
// enough that a scan makes at least 4 slabs, so that reading, reconstructing and writing
// overlap. Throws tomo::Error when not even one row fits, naming the budget and each step's need.
int rows_per_slab(std::int64_t budget, int total_rows, std::span<const MemoryNeed> needs, int lanes = 16);

}  // namespace tomo
