#pragma once
// Batch reconstruction of a finished scan, slab by slab within a memory budget:
// read rows → flat/dark correction and -log → FBP → write slices. This is what
// `tomoedge recon` runs; the actor pipeline (a later issue) takes over the same steps.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "cli/reconstruction_plan.hpp"
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

// Slices reconstructed one at a time in memory with every step of the batch, for sweeps and
// previews: the scan stays open, and what depends only on its data (a dynamic flat field) is
// estimated once, so the parameters of successive slices may differ in the centre offset, δ/β
// or later steps, not in the projections, pixels or flats used.
class SliceSweep {
 public:
  SliceSweep(const std::filesystem::path& input, const ReconParams& params);
  ~SliceSweep();
  // Detector row `row` (binned row with binning): N × N values, N = the slice width.
  std::vector<float> slice(const ReconParams& params, int row);

 private:
  std::unique_ptr<ScanReader> scan_;
  std::optional<DynamicFlatModel> dynamic_;
};

// Half of the memory the machine has available now: the default budget of one reconstruction.
std::int64_t default_memory_budget();

}  // namespace tomo
