#pragma once
// The steps between reading a slab and reconstructing it, on the CPU: flat/dark correction
// (with repair, air normalisation, zingers, −log), phase retrieval with its margin rows, and ring
// removal. What `cor` and the half-acquisition axis search need of a slab, and the first half of
// SlabReconstructor's work.
#include <cstdint>
#include <map>
#include <memory>

#include "pipeline/reconstruction_plan.hpp"
#include "pipeline/slab_reader.hpp"
#include "kernels/correction.hpp"
#include "kernels/phase_retrieval.hpp"

namespace tomo {

class SlabPreprocessor {
 public:
  SlabPreprocessor(const Plan& plan, const ReconParams& params);

  // In place: afterwards slab.sinograms hold the line integrals of slab.rows (row, projection,
  // column) as corrected, phase-retrieved and ring-filtered, on the detector (before any
  // half-acquisition stitching). Call from one thread at a time.
  void preprocess(SlabInput& slab);

  // The steps that work one projection at a time — correction, −log, phase retrieval — on a chunk
  // of projections of a slab being acquired (slab_reader.hpp, read_chunk), with the slab's
  // `flat_field` (one set of flats: nothing that depends on the projection's index). Ring removal
  // is left to the reconstruction (kernels/streaming_fbp.hpp).
  void correct(SlabInput& chunk, const FlatField& flat_field);

  // What the corrections found so far, for the log.
  const CorrectionCounts& corrections() const { return corrections_; }
  std::int64_t defective_flat_pixels() const { return defective_flat_pixels_; }

 private:
  void retrieve_phase(SlabInput& slab, int projections);
  void remove_rings_of(SlabInput& slab) const;

  const Plan& plan_;
  int threads_;
  // Phase retrieval plans its transforms for a band of rows: one retriever per band height
  // (the slabs', and the last one's, with their margins).
  std::map<int, std::unique_ptr<PhaseRetriever>> retrievers_;
  CorrectionCounts corrections_;
  std::int64_t defective_flat_pixels_ = 0;
};

}  // namespace tomo
