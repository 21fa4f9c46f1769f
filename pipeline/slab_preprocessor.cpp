#include "pipeline/slab_preprocessor.hpp"

#include <algorithm>

#include "kernels/parallel.hpp"
#include "kernels/ring_removal.hpp"

namespace tomo {

SlabPreprocessor::SlabPreprocessor(const Plan& plan, const ReconParams& params)
    : plan_(plan), threads_(resolve_threads(params.threads())) {}

void SlabPreprocessor::retrieve_phase(SlabInput& slab, int projections) {
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

void SlabPreprocessor::preprocess(SlabInput& slab) {
  defective_flat_pixels_ += slab.flat_field.defective_pixels;
  correct(slab, slab.flat_field);
  if (plan_.rings.method != RingMethod::none) remove_rings_of(slab);
}

void SlabPreprocessor::correct(SlabInput& slab, const FlatField& flat_field) {
  const std::size_t line = static_cast<std::size_t>(slab.read_rows.size()) * static_cast<std::size_t>(plan_.width);
  const int projections = line > 0 ? static_cast<int>(slab.sinograms.size() / line) : 0;
  // The correction runs on the CPU even with a GPU: repairing invalid pixels from their line and
  // the zinger median need whole lines (fbp_cuda.hpp).
  corrections_ += correct_projections(slab.sinograms, projections, flat_field, plan_.correction, threads_);
  if (plan_.phase) retrieve_phase(slab, projections);
}

void SlabPreprocessor::remove_rings_of(SlabInput& slab) const {
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

}  // namespace tomo
