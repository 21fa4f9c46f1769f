#include "cli/slab_reconstructor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kernels/error.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/parallel.hpp"
#include "kernels/ring_removal.hpp"

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
    : plan_(plan), threads_(resolve_threads(params.threads())), gpu_(use_gpu(params.device())) {
  // Direct FBP, or Fourier gridding (--method gridrec).
  if (params.method() == "gridrec") gridrec_.emplace(plan.fbp);
  else fbp_.emplace(plan.fbp);
}

MemoryNeed SlabReconstructor::memory_need() const { return gridrec_ ? gridrec_->memory_need() : fbp_->memory_need(); }

void SlabReconstructor::retrieve_phase(SlabInput& slab) {
  const int projections = static_cast<int>(plan_.projections.size());
  auto& retriever = retrievers_[slab.read_rows.size()];
  if (!retriever) retriever = std::make_unique<PhaseRetriever>(*plan_.phase, slab.read_rows.size(), plan_.width);
  corrections_.clamped += retriever->apply_to_sinograms(slab.sinograms, projections, threads_);
  // Keep the slab's own rows; the margins were only there for the filter.
  const std::size_t row_size = static_cast<std::size_t>(projections) * static_cast<std::size_t>(plan_.width);
  const auto first = slab.sinograms.begin() +
                     static_cast<std::ptrdiff_t>(static_cast<std::size_t>(slab.rows.begin - slab.read_rows.begin) * row_size);
  slab.sinograms.erase(first + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(slab.rows.size()) * row_size),
                       slab.sinograms.end());
  slab.sinograms.erase(slab.sinograms.begin(), first);
}

void SlabReconstructor::preprocess(SlabInput& slab) {
  const int projections = static_cast<int>(plan_.projections.size());
  defective_flat_pixels_ += slab.flat_field.defective_pixels;
  // The correction runs on the CPU even with a GPU: repairing invalid pixels from their line and
  // the zinger median need whole lines (fbp_cuda.hpp).
  corrections_ += correct_projections(slab.sinograms, projections, slab.flat_field, plan_.correction, threads_);
  if (plan_.phase) retrieve_phase(slab);
  if (plan_.rings.method != RingMethod::none) remove_rings_of(slab);
}

void SlabReconstructor::remove_rings_of(SlabInput& slab) const {
  const int projections = static_cast<int>(plan_.projections.size());
  const RingMethod method = plan_.rings.method;
  // STP's half-half mode: the column statistics of rivers and boinhaibel are taken separately
  // for the projections corrected with the flats before and those with the flats after, whose
  // stripes differ.
  const int split = plan_.flat_mode == FlatMode::half_half && (method == RingMethod::rivers || method == RingMethod::boinhaibel)
                        ? static_cast<int>(std::count(plan_.after_flat_weight.begin(), plan_.after_flat_weight.end(), 0.0f))
                        : 0;
  if (split == 0 || split == projections) {
    remove_rings(slab.sinograms, slab.rows.size(), projections, plan_.width, plan_.rings, threads_);
    return;
  }
  const std::size_t n = static_cast<std::size_t>(plan_.width), p = static_cast<std::size_t>(projections);
  for (const auto& [first, end] : {std::pair{0, split}, std::pair{split, projections}}) {
    const std::size_t count = static_cast<std::size_t>(end - first);
    std::vector<float> part(static_cast<std::size_t>(slab.rows.size()) * count * n);
    const auto line = [&](std::size_t row, std::size_t k) { return slab.sinograms.begin() + static_cast<std::ptrdiff_t>((row * p + static_cast<std::size_t>(first) + k) * n); };
    for (std::size_t row = 0; row < static_cast<std::size_t>(slab.rows.size()); ++row)
      std::copy_n(line(row, 0), count * n, part.begin() + static_cast<std::ptrdiff_t>(row * count * n));
    remove_rings(part, slab.rows.size(), static_cast<int>(count), plan_.width, plan_.rings, threads_);
    for (std::size_t row = 0; row < static_cast<std::size_t>(slab.rows.size()); ++row)
      std::copy_n(part.begin() + static_cast<std::ptrdiff_t>(row * count * n), count * n, line(row, 0));
  }
}

SlabOutput SlabReconstructor::reconstruct(SlabInput& slab) {
  const int projections = static_cast<int>(plan_.projections.size());
  const std::size_t slice_size = static_cast<std::size_t>(plan_.slice_width) * static_cast<std::size_t>(plan_.slice_width);
  SlabOutput done{slab.rows, std::vector<float>(static_cast<std::size_t>(slab.rows.size()) * slice_size)};
  preprocess(slab);
  if (plan_.half_acquisition_axis)
    slab.sinograms = stitch_half_acquisition(slab.sinograms, slab.rows.size(), projections, plan_.width,
                                             *plan_.half_acquisition_axis, threads_);
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
