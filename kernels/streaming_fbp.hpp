#pragma once
// Filtered backprojection accumulated as projections arrive: the live reconstruction of a slab
// while a scan is acquired (DESIGN.md, "Processing chain"). Direct FBP is linear in the
// projections, slice = w · Σ_θ BP(ramp-filtered row θ), so each chunk of projections is filtered
// and backprojected at its own angles only, and added to running sums; chunks may come in any
// order and size, and once all P are in the sums give FbpReconstructor's result.
//
// Rivers' ring correction subtracts from every row of a sinogram a per-column offset computed
// from the column means over all P angles, known only at the end. The reconstruction is linear,
// so a running column sum is kept and at the end the reconstruction of the offset (a sinogram
// constant in angle) is subtracted: the same as correcting first (docs/reconstruction.md, "Live
// reconstruction", says why that is a full backprojection and what it costs).
#include <span>
#include <vector>

#include "kernels/fbp.hpp"
#include "kernels/ramp_filter.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/slab_plan.hpp"

namespace tomo {

class StreamingFbp {
 public:
  // Chunks smaller than this are held back, filtered, until this many projections are waiting, and
  // then backprojected together: every backprojection into the running sums reads and writes all
  // of them (256 MiB for 64 slices of 1024²), which costs as much CPU as backprojecting 10 to 15
  // projections (bench/RESULTS.md, "Live reconstruction"); 128 at a time keep a streamed slab
  // within about 10 % of the batch reconstruction's CPU time, whatever the chunk size. snapshot()
  // and the last projection backproject what is waiting, so no result ever misses a projection.
  static constexpr int kBatchedProjections = 128;

  // A slab of `slices` detector rows of the scan that `settings` describes in full: every
  // projection's angle (P = angles_rad.size()), the axis, filter, mask, value scale and threads,
  // as FbpReconstructor takes them. `rings`: none, or rivers — the one ring filter that streams
  // (the others need the whole sinogram: run them in the batch pass); throws tomo::Error naming
  // any other, or a parameter out of range.
  StreamingFbp(FbpSettings settings, int slices, RingFilter rings = {});

  // Adds projections [first, first + count) of line integrals, laid out (slice, k, column) for
  // k < count: `line_integrals` is ramp-filtered in place, then backprojected at those angles and
  // added to the slab's running sums (at once for kBatchedProjections or more, else when that
  // many are waiting). Throws tomo::Error, having changed nothing, when the size is not
  // slices × count × N, or a projection index is out of [0, P) or was already added.
  void add(std::span<float> line_integrals, int first, int count);

  int slices() const { return slices_; }
  int projections() const { return static_cast<int>(added_flags_.size()); }  // P, of the whole scan
  int added() const { return added_; }
  bool complete() const { return added_ == projections(); }

  // Backprojects the rows held back into the running sums now, rather than when the next chunks
  // make kBatchedProjections of them: near the end of a scan, so that the last projection finds
  // little left to do. Changes nothing that snapshot() or finish() give.
  void flush() const;

  // The live view, (slices, N, N): the slab from every projection added so far, weighted as if
  // they were the whole scan (π / added() in place of π / P), with the value scale and circular
  // mask of the final result but no ring correction; zeros before the first projection. It
  // backprojects the projections held back (fewer than kBatchedProjections, work add() would do
  // anyway), then makes one pass over the running sums.
  // Const: backprojecting what is held back changes how the slab is stored, not what it is; like
  // add(), not to be called from two threads at once.
  void snapshot(std::span<float> out) const;
  // The same for one slice of the slab (N × N), for publishing a few chosen slices.
  void snapshot_slice(int slice, std::span<float> out) const;

  // The final slab, (slices, N, N): FbpReconstructor::reconstruct of the complete sinograms
  // (after rivers_filter on each when `rings` is rivers) to float rounding, whatever the chunks
  // and their order. Throws tomo::Error unless complete(). The running sums are left as they are.
  void finish(std::span<float> out) const;
  // The same, made in the running sums themselves and handed over: no second slab in memory, no
  // copy. The object is spent afterwards (throws tomo::Error if used again).
  std::vector<float> finish_in_place();

  // For the memory planner: per row of the slab its running sums (N² floats), the rows held back
  // (kBatchedProjections × N floats) and, with Rivers, its column sums (N doubles); fixed, the
  // working memory of add() for chunks of up to `chunk_projections` projections or of finish(),
  // whichever is larger, and the filter's buffers. The chunks themselves are the caller's
  // (slices × count × N floats each, filtered in place).
  MemoryNeed memory_need(int chunk_projections) const;

 private:
  // out = scale · the sums of `slices` slices from `first_slice`, zero outside the circular mask
  // if `mask`.
  void scaled_sums(int first_slice, int slices, float scale, bool mask, std::span<float> out) const;
  // Copies filtered projections [first, first + count) into the rows held back.
  void hold(std::span<const float> filtered, int first, int count);
  // Subtracts the reconstruction of the Rivers profiles (constant in angle) from `out`.
  void subtract_rivers_correction(float scale, std::span<float> out) const;

  FbpSettings settings_;
  int slices_;
  RingFilter rings_;
  int threads_;
  RampFilter filter_;
  // The slab so far is the running sums plus the rows held back; flush() moves the rows into the
  // sums, which changes neither, hence mutable (snapshot() is const).
  mutable std::vector<float> sums_;    // (slice, N, N): Σ over backprojected projections of BP(filtered row)
  std::vector<double> column_sums_;    // (slice, N): Σ over added projections of the line integrals
  std::vector<bool> added_flags_;      // per projection index
  int added_ = 0;
  mutable std::vector<float> pending_;         // (slice, kBatchedProjections, N): filtered rows held back
  mutable std::vector<float> pending_angles_;  // their angles, in the order they are held
  mutable int pending_count_ = 0;
};

}  // namespace tomo
