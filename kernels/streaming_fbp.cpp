#include "kernels/streaming_fbp.hpp"

#include <algorithm>
#include <cstdint>

#include "kernels/backprojection_math.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"
#include "kernels/stripe_filter_tables.hpp"

namespace tomo {
namespace {

// Angles per pass of the Rivers correction's backprojection: its sinogram is the same row at every
// angle, so a block of this many rows, made once, serves every pass; 128 rows of a group of 16
// slices of 2048 columns are 16 MiB (and as much again for the slab kernel's interleaved copy), and
// the P/128 passes over the slab's output cost little beside the backprojection itself.
constexpr int kCorrectionAngles = 128;

ParallelGeometry angles_subset(const ParallelGeometry& geometry, int first, int count) {
  const auto begin = geometry.angles_rad.begin() + first;
  return {geometry.columns, geometry.axis, std::vector<float>(begin, begin + count)};
}

// Adds scale · BP(sinograms) of `slices` slices to `out`, with the kernel FbpReconstructor uses for
// a slab of `slab_slices` slices (the multi-slice one from two slices on).
void accumulate_backprojection(std::span<const float> sinograms, int slices, int slab_slices,
                               const ParallelGeometry& geometry, float scale, std::span<float> out, int threads) {
  if (slab_slices > 1)
    backproject_slab(sinograms, slices, geometry, scale, out, threads, BackprojectionOutput::accumulate);
  else
    backproject(sinograms, slices, geometry, scale, out, threads, BackprojectionOutput::accumulate);
}

}  // namespace

StreamingFbp::StreamingFbp(FbpSettings settings, int slices, RingFilter rings)
    : settings_(std::move(settings)),
      slices_(slices),
      rings_(rings),
      threads_(resolve_threads(settings_.threads)),
      filter_(settings_.geometry.columns, settings_.filter, settings_.filter_cutoff),
      added_flags_(settings_.geometry.angles_rad.size(), false) {
  if (settings_.geometry.angles_rad.empty()) fail("streaming FBP: the scan needs at least one projection angle");
  if (slices < 1) fail("streaming FBP: a slab needs at least one slice, got {}", slices);
  check_ring_filter(rings_);
  if (rings_.method != RingMethod::none && rings_.method != RingMethod::rivers)
    fail("streaming FBP: ring filter '{}' needs the whole sinogram; only rivers (or none) can be applied while "
         "projections arrive — run it in the batch pass",
         to_string(rings_));
  const std::size_t n = static_cast<std::size_t>(settings_.geometry.columns), rows = static_cast<std::size_t>(slices);
  sums_.assign(rows * n * n, 0.0f);
  if (rings_.method == RingMethod::rivers) column_sums_.assign(rows * n, 0.0);
}

void StreamingFbp::add(std::span<float> line_integrals, int first, int count) {
  const int n = settings_.geometry.columns;
  const int total = projections();
  if (count < 1) fail("streaming FBP: a chunk from projection {} holds {} projections; it needs at least one", first, count);
  const std::int64_t end = std::int64_t{first} + count;
  for (std::int64_t p = first; p < end; ++p) {
    if (p < 0 || p >= total) fail("streaming FBP: projection {} is out of range: the scan has projections 0 to {}", p, total - 1);
    if (added_flags_[static_cast<std::size_t>(p)]) fail("streaming FBP: projection {} was already added", p);
  }
  const std::size_t columns = static_cast<std::size_t>(n), in_chunk = static_cast<std::size_t>(count);
  if (line_integrals.size() != static_cast<std::size_t>(slices_) * in_chunk * columns)
    fail("streaming FBP: the chunk of projections {} to {} holds {} values, not {} slices x {} projections x {} columns",
         first, end - 1, line_integrals.size(), slices_, count, n);

  if (!column_sums_.empty())  // Rivers' column means are of the line integrals, before filtering
    parallel_for(static_cast<std::size_t>(slices_), threads_, [&](std::size_t begin, std::size_t stop) {
      for (std::size_t s = begin; s < stop; ++s) {
        double* sums = column_sums_.data() + s * columns;
        for (std::size_t k = 0; k < in_chunk; ++k) {
          const float* row = line_integrals.data() + (s * in_chunk + k) * columns;
          for (std::size_t c = 0; c < columns; ++c) sums[c] += row[c];
        }
      }
    });
  filter_.apply(line_integrals, threads_);
  for (std::int64_t p = first; p < end; ++p) added_flags_[static_cast<std::size_t>(p)] = true;
  added_ += count;
  if (count >= kBatchedProjections) {
    flush();
    accumulate_backprojection(line_integrals, slices_, slices_, angles_subset(settings_.geometry, first, count), 1.0f,
                             sums_, threads_);
  } else {
    if (pending_count_ + count > kBatchedProjections) flush();
    hold(line_integrals, first, count);
    if (pending_count_ == kBatchedProjections) flush();
  }
  if (complete()) flush();
}

void StreamingFbp::hold(std::span<const float> filtered, int first, int count) {
  const std::size_t columns = static_cast<std::size_t>(settings_.geometry.columns), in_chunk = static_cast<std::size_t>(count);
  const std::size_t capacity = static_cast<std::size_t>(kBatchedProjections);
  if (pending_.empty()) pending_.resize(static_cast<std::size_t>(slices_) * capacity * columns);
  for (std::size_t s = 0; s < static_cast<std::size_t>(slices_); ++s)
    std::copy_n(filtered.begin() + static_cast<std::ptrdiff_t>(s * in_chunk * columns), in_chunk * columns,
                pending_.begin() + static_cast<std::ptrdiff_t>((s * capacity + static_cast<std::size_t>(pending_count_)) * columns));
  const auto angles = settings_.geometry.angles_rad.begin() + first;
  pending_angles_.insert(pending_angles_.end(), angles, angles + count);
  pending_count_ += count;
}

void StreamingFbp::flush() const {
  if (pending_count_ == 0) return;
  const std::size_t columns = static_cast<std::size_t>(settings_.geometry.columns);
  const std::size_t held = static_cast<std::size_t>(pending_count_), capacity = static_cast<std::size_t>(kBatchedProjections);
  // Close the gaps between the slices' rows, (slice, capacity, column) → (slice, held, column): each
  // slice moves towards the front, so copying forwards never overwrites rows still to be moved.
  for (std::size_t s = 1; s < static_cast<std::size_t>(slices_); ++s)
    std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(s * capacity * columns), held * columns,
                pending_.begin() + static_cast<std::ptrdiff_t>(s * held * columns));
  const ParallelGeometry geometry{settings_.geometry.columns, settings_.geometry.axis, pending_angles_};
  accumulate_backprojection(std::span(pending_).first(static_cast<std::size_t>(slices_) * held * columns), slices_,
                            slices_, geometry, 1.0f, sums_, threads_);
  pending_angles_.clear();
  pending_count_ = 0;
}

void StreamingFbp::scaled_sums(int first_slice, int slices, float scale, bool mask, std::span<float> out) const {
  const int n = settings_.geometry.columns;
  const std::size_t nn = static_cast<std::size_t>(n);
  if (out.size() != static_cast<std::size_t>(slices) * nn * nn)
    fail("streaming FBP: output holds {} values, not {} slices of {} x {}", out.size(), slices, n, n);
  if (sums_.empty()) fail("streaming FBP: the slab was already handed over by finish_in_place()");
  const float* sums = sums_.data() + static_cast<std::size_t>(first_slice) * nn * nn;
  parallel_for(static_cast<std::size_t>(slices) * nn, threads_, [&](std::size_t begin, std::size_t end) {
    for (std::size_t row = begin; row < end; ++row) {
      const int r = static_cast<int>(row % nn);
      for (std::size_t j = 0; j < nn; ++j) {
        const std::size_t i = row * nn + j;
        out[i] = !mask || inside_circular_mask(r, static_cast<int>(j), n, settings_.mask_ratio) ? scale * sums[i] : 0.0f;
      }
    }
  });
}

void StreamingFbp::snapshot(std::span<float> out) const {
  flush();
  const float weight = added_ > 0 ? fbp_weight(added_) * settings_.value_scale : 0.0f;
  scaled_sums(0, slices_, weight, settings_.circular_mask, out);
}

void StreamingFbp::snapshot_slice(int slice, std::span<float> out) const {
  if (slice < 0 || slice >= slices_) fail("streaming FBP: slice {} is out of range: the slab has slices 0 to {}", slice, slices_ - 1);
  flush();
  const float weight = added_ > 0 ? fbp_weight(added_) * settings_.value_scale : 0.0f;
  scaled_sums(slice, 1, weight, settings_.circular_mask, out);
}

void StreamingFbp::finish(std::span<float> out) const {
  if (!complete()) {
    const auto missing = std::find(added_flags_.begin(), added_flags_.end(), false) - added_flags_.begin();
    fail("streaming FBP: the slab is finished only when all {} projections are in; {} are (projection {} is missing)",
         projections(), added_, missing);
  }
  const float scale = fbp_weight(projections()) * settings_.value_scale;
  const bool rivers = rings_.method == RingMethod::rivers;
  // The mask comes last, after the ring correction, as in FbpReconstructor.
  scaled_sums(0, slices_, scale, settings_.circular_mask && !rivers, out);
  if (!rivers) return;
  subtract_rivers_correction(scale, out);
  if (settings_.circular_mask) apply_circular_mask(out, settings_.geometry.columns, settings_.mask_ratio);
}

std::vector<float> StreamingFbp::finish_in_place() {
  // Each value is read and written once, at the same index (scaled_sums), and the Rivers
  // correction only adds to `out`: the sums can be their own output.
  finish(sums_);
  return std::move(sums_);
}

void StreamingFbp::subtract_rivers_correction(float scale, std::span<float> out) const {
  const int n = settings_.geometry.columns, total = projections();
  const std::size_t columns = static_cast<std::size_t>(n), nn = columns * columns;
  // Each slice's profile, the offset rivers_filter subtracts from every row, ramp-filtered once: the
  // filtered correction sinogram is this row at every angle.
  std::vector<float> profiles(static_cast<std::size_t>(slices_) * columns);
  for (std::size_t s = 0; s < static_cast<std::size_t>(slices_); ++s) {
    const auto profile = rivers_correction(std::span(column_sums_).subspan(s * columns, columns), total,
                                               static_cast<int>(rings_.p1));
    std::copy(profile.begin(), profile.end(), profiles.begin() + static_cast<std::ptrdiff_t>(s * columns));
  }
  filter_.apply(profiles, threads_);
  // Its reconstruction at all P angles, subtracted group by group, a block of angles at a time.
  std::vector<float> block;
  for (int group = 0; group < slices_; group += kSlabLanes) {
    const int in_group = std::min(kSlabLanes, slices_ - group);
    auto group_out = out.subspan(static_cast<std::size_t>(group) * nn, static_cast<std::size_t>(in_group) * nn);
    int block_angles = 0;
    for (int first = 0; first < total; first += kCorrectionAngles) {
      const int count = std::min(kCorrectionAngles, total - first);
      if (count != block_angles) {
        block_angles = count;
        block.resize(static_cast<std::size_t>(in_group) * static_cast<std::size_t>(count) * columns);
        for (int s = 0; s < in_group; ++s)
          for (int k = 0; k < count; ++k)
            std::copy_n(profiles.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(group + s) * columns),
                        columns,
                        block.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(s) * count + k) * columns));
      }
      accumulate_backprojection(block, in_group, slices_, angles_subset(settings_.geometry, first, count), -scale,
                                group_out, threads_);
    }
  }
}

MemoryNeed StreamingFbp::memory_need(int chunk_projections) const {
  const std::int64_t n = settings_.geometry.columns;
  const bool rivers = rings_.method == RingMethod::rivers;
  const int largest_backprojection = std::max(chunk_projections, kBatchedProjections);
  const std::int64_t add_workspace = backproject_slab_workspace_bytes(largest_backprojection, settings_.geometry.columns);
  const int correction_angles = std::min(kCorrectionAngles, projections());
  const std::int64_t finish_workspace =
      rivers ? std::int64_t{kSlabLanes} * correction_angles * n * std::int64_t{sizeof(float)} +
                   backproject_slab_workspace_bytes(correction_angles, settings_.geometry.columns)
             : 0;
  // Per row: the running sums, the rows of projections held back, and with Rivers the column sums
  // and, in finish(), the profile.
  const std::int64_t per_row = n * n * std::int64_t{sizeof(float)} +
                               std::int64_t{kBatchedProjections} * n * std::int64_t{sizeof(float)} +
                               (rivers ? n * std::int64_t{sizeof(double) + sizeof(float)} : 0);
  return {"streaming FBP sums and working memory",
          std::max(add_workspace, finish_workspace) + filter_.workspace_bytes(threads_), per_row};
}

}  // namespace tomo
