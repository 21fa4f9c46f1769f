#pragma once
// The live reconstruction of one slab while its scan is acquired: each chunk of raw projections
// is corrected (flats and darks taken before the scan, −log, repair, air, phase retrieval) and
// added to the slab's running filtered backprojection (kernels/streaming_fbp.hpp); once the last
// projection is in, finish() gives the slices the batch reconstruction would (direct method).
#include <optional>
#include <span>
#include <string>

#include "kernels/streaming_fbp.hpp"
#include "pipeline/reconstruction_plan.hpp"
#include "pipeline/slab_preprocessor.hpp"
#include "pipeline/slab_reader.hpp"
#include "pipeline/slab_reconstructor.hpp"

namespace tomo {

// Why slabs of this job cannot be reconstructed while the scan is acquired — a step that needs
// every projection or a projection's index — or nullopt when they can.
std::optional<std::string> why_not_live(const Plan& plan, const ReconParams& params);

class LiveSlab {
 public:
  // Slab `rows` of a job whose plan passes why_not_live (checked once for the job, by the caller;
  // a ring filter other than Rivers would still be refused here, by StreamingFbp).
  LiveSlab(const Plan& plan, const ReconParams& params, Range rows);

  // Adds a chunk of the plan's projections [first, first + chunk.size) (slab_reader.hpp,
  // read_chunk), raw; the chunk's flat field, if it has one, is kept for this and later chunks
  // (the first chunk must bring it). The chunk's data are used up.
  void add(SlabInput& chunk, int first, int count);

  Range rows() const { return rows_; }
  int added() const { return added_; }
  bool complete() const { return added_ == projections_; }

  // Slice `row` of the slab as it stands (N × N), weighted as if the projections so far were all.
  void snapshot(int row, std::span<float> out) const;
  // The slab's slices, once complete(); the running sums are freed: call it once.
  SlabOutput finish();

  // For the memory planner, before any slab is made: what a live slab of `plan` needs per row
  // (running sums, rows held back, its chunks) and fixed (workspaces), for chunks of up to
  // `chunk_projections` projections.
  static MemoryNeed memory_need(const Plan& plan, int chunk_projections);

  const CorrectionCounts& corrections() const { return preprocessor_.corrections(); }
  std::int64_t defective_flat_pixels() const { return flat_field_.defective_pixels; }

 private:
  const Plan& plan_;
  Range rows_;
  SlabPreprocessor preprocessor_;
  std::optional<StreamingFbp> fbp_;  // until finish()
  FlatField flat_field_;
  int projections_ = 0, added_ = 0;
};

}  // namespace tomo
