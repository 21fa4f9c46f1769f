#pragma once
// Slices reconstructed one at a time in memory with every step of a job, for sweeps and
// previews: the scan stays open, and what depends only on its data (a dynamic flat field) is
// estimated once, so the parameters of successive slices may differ in the centre offset, δ/β
// or later steps, not in the projections, pixels or flats used.
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "pipeline/reconstruction_plan.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

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

}  // namespace tomo
