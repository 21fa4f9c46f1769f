#include "pipeline/live_slab.hpp"

#include "kernels/error.hpp"

namespace tomo {

std::optional<std::string> why_not_live(const Plan& plan, const ReconParams& params) {
  // Only the direct method adds up projection by projection (gridrec's grid would too, but it is
  // not built that way yet).
  if (params.method() != "fbp") return fmt::format("--method {} reconstructs whole sinograms (--method fbp streams)", params.method());
  if (use_gpu(params.device())) return std::string("the GPU path reconstructs whole slabs");
  if (plan.flat_mode != FlatMode::mean && plan.flat_mode != FlatMode::before)
    return fmt::format("flat mode '{}' needs the flats taken after the scan or every projection", params.flat_mode());
  if (plan.correction.zinger_threshold > 0) return std::string("zinger removal compares each projection with the next");
  if (plan.half_acquisition_axis) return std::string("half acquisition pairs each projection with the one 180° later");
  if (plan.rings.method != RingMethod::none && plan.rings.method != RingMethod::rivers)
    return fmt::format("ring filter '{}' needs the whole sinogram (rivers streams)", to_string(plan.rings));
  return std::nullopt;
}

LiveSlab::LiveSlab(const Plan& plan, const ReconParams& params, Range rows)
    : plan_(plan),
      rows_(rows),
      preprocessor_(plan, params),
      fbp_(std::in_place, plan.fbp, rows.size(), plan.rings),
      projections_(static_cast<int>(plan.projections.size())) {}

MemoryNeed LiveSlab::memory_need(const Plan& plan, int chunk_projections) {
  // A one-slice StreamingFbp knows the per-row and fixed needs of any slab of the plan.
  MemoryNeed need = StreamingFbp(plan.fbp, 1, plan.rings).memory_need(chunk_projections);
  // The chunks themselves, raw and then corrected in place, and the flat field.
  need.bytes_per_row += static_cast<std::int64_t>(sizeof(float)) * plan.width * (chunk_projections + 2);
  return need;
}

void LiveSlab::add(SlabInput& chunk, int first, int count) {
  if (chunk.flat_field.rows > 0) flat_field_ = std::move(chunk.flat_field);
  if (flat_field_.rows == 0) fail("live slab {}:{}: its first chunk brought no flat field", rows_.begin, rows_.end);
  if (!fbp_) fail("live slab {}:{}: a chunk after the last projection", rows_.begin, rows_.end);
  preprocessor_.correct(chunk, flat_field_);
  fbp_->add(chunk.sinograms, first, count);
  added_ = fbp_->added();
  // The scan's last projections are backprojected as they come, not held back for one batch at
  // the end: what is left after the last one arrives is the lag behind the acquisition.
  if (!complete() && projections_ - added_ < StreamingFbp::kBatchedProjections) fbp_->flush();
}

void LiveSlab::snapshot(int row, std::span<float> out) const {
  if (fbp_) fbp_->snapshot_slice(row - rows_.begin, out);
}

SlabOutput LiveSlab::finish() {
  if (!fbp_) fail("live slab {}:{}: finished twice", rows_.begin, rows_.end);
  SlabOutput out{rows_, fbp_->finish_in_place()};
  fbp_.reset();
  return out;
}

}  // namespace tomo
