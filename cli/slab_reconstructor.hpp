#pragma once
// From a slab of raw counts to its slices: correction, phase retrieval, ring removal, stitching
// (half acquisition) and the reconstruction, on the CPU or the GPU, as the plan says. The
// reconstructor (FFTW plans, gridrec's tables) is made once and serves every slab.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "cli/reconstruction_plan.hpp"
#include "cli/slab_reader.hpp"
#include "kernels/correction.hpp"
#include "kernels/fbp.hpp"
#include "kernels/gridrec.hpp"
#include "kernels/phase_retrieval.hpp"

namespace tomo {

struct SlabOutput {
  Range rows;
  std::vector<float> slices;  // (row, N, N), N = plan.slice_width
};

class SlabReconstructor {
 public:
  // Throws tomo::Error when the device asked for cannot be used.
  SlabReconstructor(const Plan& plan, const ReconParams& params);

  // Reconstructs `slab` (its sinograms are used up). Call from one thread at a time.
  SlabOutput reconstruct(SlabInput& slab);

  // The steps before the reconstruction, in place: afterwards slab.sinograms hold the line
  // integrals of slab.rows (row, projection, column) as corrected, phase-retrieved and
  // ring-filtered, on the detector (before any half-acquisition stitching).
  void preprocess(SlabInput& slab);

  // The reconstruction's own working memory, for the memory planner.
  MemoryNeed memory_need() const;

  // What the corrections found so far, for the log.
  const CorrectionCounts& corrections() const { return corrections_; }
  std::int64_t defective_flat_pixels() const { return defective_flat_pixels_; }

 private:
  void retrieve_phase(SlabInput& slab);
  void remove_rings_of(SlabInput& slab) const;

  const Plan& plan_;
  int threads_;
  bool gpu_;
  std::optional<FbpReconstructor> fbp_;
  std::optional<GridrecReconstructor> gridrec_;
  // Phase retrieval plans its transforms for a band of rows: one retriever per band height
  // (the slabs', and the last one's, with their margins).
  std::map<int, std::unique_ptr<PhaseRetriever>> retrievers_;
  CorrectionCounts corrections_;
  std::int64_t defective_flat_pixels_ = 0;
};

// Whether to run on the GPU for the requested device ("cpu", "gpu", "auto"); throws for "gpu"
// when none can be used.
bool use_gpu(const std::string& device);

}  // namespace tomo
