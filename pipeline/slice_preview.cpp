#include "pipeline/slice_preview.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "pipeline/reconstruction_job.hpp"
#include "pipeline/slab_preprocessor.hpp"
#include "pipeline/slab_reconstructor.hpp"
#include "kernels/elapsed.hpp"
#include "kernels/error.hpp"

namespace tomo {
namespace {

// Fields that change how slices are written or how fast they are made, not their values; the
// slice range is the preview's own row.
void clear_unused(ReconParams& p) {
  p.clear_format();
  p.clear_prefix();
  p.clear_output_type();
  p.clear_out_min();
  p.clear_out_max();
  p.clear_auto_range_percent();
  p.clear_slice_crop_top();
  p.clear_slice_crop_bottom();
  p.clear_slice_crop_left();
  p.clear_slice_crop_right();
  p.clear_threads();
  p.clear_memory_bytes();
  p.clear_slice_from();
  p.clear_slice_to();
}

// Fields used only from the preprocessed sinogram on: stitching and reconstruction.
void clear_reconstruction(ReconParams& p) {
  p.clear_method();
  p.clear_filter();
  p.clear_filter_cutoff();
  p.clear_cor_offset();
  p.clear_rotation_deg();
  p.clear_angles_deg();
  p.clear_angle_span_deg();
  p.clear_angle_first_deg();
  p.clear_ignore_file_angles();
  p.clear_half_acquisition();
  p.clear_half_acquisition_blend();
  p.clear_half_acquisition_normalise();
  p.clear_circular_mask();
  p.clear_mask_ratio();
  p.clear_output_units();
  p.clear_device();  // the preprocessing runs on the CPU whatever the device (slab_preprocessor.cpp)
}

// Fields used from the raw counts on: correction, phase retrieval, ring removal.
void clear_preprocessing(ReconParams& p) {
  p.clear_minus_log();
  p.clear_min_transmission();
  p.clear_saturation();
  p.clear_air_left();
  p.clear_air_right();
  p.clear_zinger_threshold();
  p.clear_rings();
  p.clear_phase_method();
  p.clear_energy_kev();
  p.clear_distance_mm();
  p.clear_delta_over_beta();
  p.clear_phase_pad_factor();
  p.clear_unsharp_sigma();
  p.clear_unsharp_amount();
  p.clear_pixel_size_um();
}

std::size_t flat_field_bytes(const FlatField& f) {
  return sizeof(float) * (f.dark.size() + f.inverse_gain.size() + f.inverse_gain_after.size() + f.after_weight.size() +
                          f.dynamic_weights.size() + f.dynamic.mean.size() + f.dynamic.basis.size());
}

}  // namespace

const char* reuse_name(PreviewReuse reuse) {
  switch (reuse) {
    case PreviewReuse::slice: return "slice";
    case PreviewReuse::preprocessed: return "preprocessed";
    case PreviewReuse::sinogram: return "sinogram";
    case PreviewReuse::nothing: return "nothing";
  }
  return "nothing";
}

std::string read_stage_key(const ReconParams& params) {
  ReconParams p = params;
  clear_unused(p);
  clear_reconstruction(p);
  clear_preprocessing(p);
  return p.SerializeAsString();
}

std::string preprocess_stage_key(const ReconParams& params) {
  ReconParams p = params;
  clear_unused(p);
  clear_reconstruction(p);
  return p.SerializeAsString();
}

std::string reconstruct_stage_key(const ReconParams& params) {
  ReconParams p = params;
  clear_unused(p);
  return p.SerializeAsString();
}

Range preview_rows(const ReconParams& params, const ScanInfo& info) {
  ReconParams whole = params;
  whole.set_slice_from(0);
  whole.set_slice_to(-1);
  return make_plan(whole, info).usable_rows;
}

SlicePreview::SlicePreview(std::unique_ptr<ScanReader> scan, int row) : scan_(std::move(scan)), row_(row) {}

SlicePreview::~SlicePreview() = default;

const ScanInfo& SlicePreview::info() const { return scan_->info(); }

std::size_t SlicePreview::bytes() const {
  std::size_t total = 0;
  for (const auto* kept : {&raw_, &preprocessed_})
    if (*kept) total += sizeof(float) * (*kept)->value.sinograms.size() + flat_field_bytes((*kept)->value.flat_field);
  if (slice_) total += sizeof(float) * slice_->value.pixels->size();
  if (dynamic_flats_ && dynamic_flats_->value)
    total += sizeof(float) * dynamic_flats_->value->weights.size() + sizeof(double) * dynamic_flats_->value->basis.coefficients.size();
  return total;
}

// A half-acquisition scan given no axis gets the one its data show (with_half_acquisition_axis),
// found once per preprocessing: the search reads and preprocesses the middle rows.
ReconParams SlicePreview::with_axis(const ReconParams& params) {
  if (!params.half_acquisition() || params.cor_offset() != 0.0) return params;
  const std::string key = preprocess_stage_key(params);
  ReconParams found = params;
  if (const auto known = half_acquisition_axes_.find(key); known != half_acquisition_axes_.end()) {
    found.set_cor_offset(known->second);
    return found;
  }
  std::optional<DynamicFlatModel> dynamic;
  if (dynamic_flats_ && dynamic_flats_->key == read_stage_key(params)) dynamic = dynamic_flats_->value;
  found = with_half_acquisition_axis(params, *scan_, dynamic);
  half_acquisition_axes_[key] = found.cor_offset();
  return found;
}

PreviewSlice SlicePreview::slice(const ReconParams& params) {
  ReconParams p = params;
  p.set_slice_from(row_);
  p.set_slice_to(row_ + 1);
  p = with_axis(p);

  const std::string read_key = read_stage_key(p);
  std::optional<DynamicFlatModel> known;
  if (dynamic_flats_ && dynamic_flats_->key == read_key) known = dynamic_flats_->value;
  const Plan plan = plan_scan(*scan_, p, known);
  dynamic_flats_ = {read_key, plan.dynamic_flats};

  // The band read_slab reads for the row (slab_reader.cpp, read_chunk).
  const Range band{std::max(plan.usable_rows.begin, row_ - plan.phase_margin),
                   std::min(plan.usable_rows.end, row_ + 1 + plan.phase_margin)};
  const std::string band_key = read_key + fmt::format("|rows {}:{}", band.begin, band.end);
  const std::string preprocess_key = band_key + preprocess_stage_key(p);
  const std::string slice_key = band_key + reconstruct_stage_key(p);

  if (slice_ && slice_->key == slice_key) {
    PreviewSlice kept = slice_->value;
    kept.reused = PreviewReuse::slice;
    kept.timings = {};
    return kept;
  }
  PreviewSlice made;
  made.row = row_;
  made.width = plan.slice_width;
  made.reused = PreviewReuse::preprocessed;
  if (!preprocessed_ || preprocessed_->key != preprocess_key) {
    made.reused = PreviewReuse::sinogram;
    if (!raw_ || raw_->key != band_key) {
      made.reused = PreviewReuse::nothing;
      // Only one band is kept: the old one goes before the new one is read.
      raw_.reset();
      preprocessed_.reset();
      const auto started = std::chrono::steady_clock::now();
      raw_ = {band_key, read_slab(*scan_, plan, p, {row_, row_ + 1})};
      made.timings.read = seconds_since(started);
    }
    const auto started = std::chrono::steady_clock::now();
    preprocessed_.reset();
    SlabInput slab = raw_->value;  // the preprocessing works in place
    SlabPreprocessor preprocessor(plan, p);
    preprocessor.preprocess(slab);
    slab.flat_field = {};  // used up: the corrected sinogram no longer needs it
    preprocessed_ = {preprocess_key, std::move(slab)};
    made.timings.preprocess = seconds_since(started);
  }
  const auto started = std::chrono::steady_clock::now();
  SlabInput slab = preprocessed_->value;  // stitching and the direct method use it up
  SlabReconstructor reconstructor(plan, p);
  made.pixels = std::make_shared<const std::vector<float>>(reconstructor.reconstruct_preprocessed(slab).slices);
  made.timings.reconstruct = seconds_since(started);
  slice_ = {slice_key, made};
  return made;
}

CentreEstimate SlicePreview::centre(const ReconParams& params, const std::string& method) {
  if (method != "registration" && method != "vo") fail("method '{}' is not one of: registration, vo", method);
  ReconParams p = params;
  p.set_slice_from(0);
  p.set_slice_to(-1);
  std::optional<DynamicFlatModel> known;
  if (dynamic_flats_ && dynamic_flats_->key == read_stage_key(p)) known = dynamic_flats_->value;
  const Plan plan = plan_scan(*scan_, p, known);
  // Registration averages its metric over 5 rows against noise, as `tomoedge cor` does.
  const int count = method == "vo" ? 1 : 5;
  const Range rows{std::max(plan.usable_rows.begin, row_ - count / 2), std::min(plan.usable_rows.end, row_ - count / 2 + count)};
  SlabInput slab = read_slab(*scan_, plan, p, rows);
  SlabPreprocessor(plan, p).preprocess(slab);
  const int projections = static_cast<int>(plan.projections.size());
  const CorEstimate estimate =
      method == "vo" ? estimate_cor_vo(slab.sinograms, projections, plan.width, plan.angles_rad)
                     : estimate_cor_registration(slab.sinograms, rows.size(), projections, plan.width, plan.angles_rad);
  CentreEstimate found{detector_offset(plan, estimate.offset), estimate.confidence, {}};
  for (const auto& [trial, value] : estimate.metric) found.metric.emplace_back(detector_offset(plan, trial), value);
  return found;
}

}  // namespace tomo
