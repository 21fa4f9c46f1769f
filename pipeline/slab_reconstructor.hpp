#pragma once
// From a slab of raw counts to its slices: the preprocessing (slab_preprocessor.hpp), stitching
// (half acquisition) and the reconstruction, on the CPU or the GPU, as the plan says. The
// reconstructor (FFTW plans, gridrec's tables) is made once and serves every slab.
#include <cstdint>
#include <optional>
#include <vector>

#include "pipeline/reconstruction_plan.hpp"
#include "pipeline/slab_preprocessor.hpp"
#include "pipeline/slab_reader.hpp"
#include "kernels/correction.hpp"
#include "kernels/fbp.hpp"
#include "kernels/gridrec.hpp"

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

  // The second half of reconstruct(): stitching and reconstruction of a slab already
  // preprocessed (SlabPreprocessor::preprocess), whose sinograms are used up. The preview keeps
  // preprocessed sinograms and reconstructs them again for each new centre or filter.
  SlabOutput reconstruct_preprocessed(SlabInput& slab);

  // The reconstruction's own working memory, for the memory planner.
  MemoryNeed memory_need() const;

  // What the corrections found so far, for the log.
  const CorrectionCounts& corrections() const { return preprocessor_.corrections(); }
  std::int64_t defective_flat_pixels() const { return preprocessor_.defective_flat_pixels(); }

 private:
  const Plan& plan_;
  int threads_;
  bool gpu_;
  SlabPreprocessor preprocessor_;
  std::optional<FbpReconstructor> fbp_;
  std::optional<GridrecReconstructor> gridrec_;
};

// Whether to run on the GPU for the requested device ("cpu", "gpu", "auto"); throws for "gpu"
// when none can be used.
bool use_gpu(const std::string& device);

}  // namespace tomo
