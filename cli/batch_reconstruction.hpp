#pragma once
// Batch reconstruction of a finished scan, slab by slab within a memory budget:
// read rows → flat/dark correction and -log → FBP → write slices. This is what
// `tomoedge recon` runs; the actor pipeline (a later issue) takes over the same steps.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "kernels/correction.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

struct BatchRequest {
  std::filesystem::path input;
  std::filesystem::path output_folder;
  ReconParams params;  // complete (with_defaults) and validated
  // Also write the middle slice as an 8-bit PNG here, for people to look at.
  std::optional<std::filesystem::path> preview_png;
  // Called after each slice is written with (slices done, slices in all).
  std::function<void(int, int)> on_progress;
};

struct BatchResult {
  int first_row = 0;
  int slices = 0;
  int slice_width = 0;
  int slab_rows = 0;
  std::vector<std::filesystem::path> outputs;  // one per slice (TIFF) or the volume (HDF5)
  CorrectionCounts corrections;                // pixels clamped, repaired, zingers removed
  std::int64_t defective_flat_pixels = 0;
  double seconds = 0;
};

BatchResult reconstruct_scan(const BatchRequest& request);

// One slice, detector row `row` (binned row with binning), reconstructed in memory with every
// step of the batch (for previews and sweeps): N × N values, N = the slice width.
std::vector<float> reconstruct_slice(const std::filesystem::path& input, const ReconParams& params, int row);

// Half of the memory the machine has available now: the default budget of one reconstruction.
std::int64_t default_memory_budget();

}  // namespace tomo
