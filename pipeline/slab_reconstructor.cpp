#include "pipeline/slab_reconstructor.hpp"

#include <spdlog/spdlog.h>

#include "kernels/error.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/parallel.hpp"

namespace tomo {

bool use_gpu(const std::string& device) {
  if (device == "cpu") return false;
  std::string why;
  const bool available = cuda::device_available(&why);
  if (device == "gpu" && !available) fail("device 'gpu' was requested but no GPU can be used: {}", why);
  if (!available) spdlog::info("no GPU ({}): reconstructing on the CPU", why);
  return available;
}

SlabReconstructor::SlabReconstructor(const Plan& plan, const ReconParams& params)
    : plan_(plan), threads_(resolve_threads(params.threads())), gpu_(use_gpu(params.device())), preprocessor_(plan, params) {
  // Direct FBP, or Fourier gridding (--method gridrec).
  if (params.method() == "gridrec") gridrec_.emplace(plan.fbp);
  else fbp_.emplace(plan.fbp);
}

MemoryNeed SlabReconstructor::memory_need() const { return gridrec_ ? gridrec_->memory_need() : fbp_->memory_need(); }

SlabOutput SlabReconstructor::reconstruct(SlabInput& slab) {
  preprocessor_.preprocess(slab);
  return reconstruct_preprocessed(slab);
}

SlabOutput SlabReconstructor::reconstruct_preprocessed(SlabInput& slab) {
  const int projections = static_cast<int>(plan_.projections.size());
  const std::size_t slice_size = static_cast<std::size_t>(plan_.slice_width) * static_cast<std::size_t>(plan_.slice_width);
  SlabOutput done{slab.rows, std::vector<float>(static_cast<std::size_t>(slab.rows.size()) * slice_size)};
  if (plan_.half_acquisition_axis)
    slab.sinograms = stitch_half_acquisition(slab.sinograms, slab.rows.size(), projections, plan_.width,
                                             *plan_.half_acquisition_axis, plan_.stitch, threads_);
  if (gpu_) {
    if (gridrec_) cuda::reconstruct_gridrec(*gridrec_, slab.sinograms, slab.rows.size(), done.slices);
    else cuda::reconstruct(plan_.fbp, slab.sinograms, slab.rows.size(), done.slices);
  } else {
    if (gridrec_) gridrec_->reconstruct(slab.sinograms, slab.rows.size(), done.slices);
    else fbp_->reconstruct(slab.sinograms, slab.rows.size(), done.slices);
  }
  return done;
}

}  // namespace tomo
