#include "pipeline/reconstruction_job.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "kernels/error.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/image_metrics.hpp"
#include "kernels/parallel.hpp"
#include "kernels/percentile.hpp"
#include "kernels/slab_plan.hpp"
#include "pipeline/slab_preprocessor.hpp"
#include "pipeline/slab_reader.hpp"
#include "storage/png_image.hpp"

namespace tomo {

std::int64_t default_memory_budget() {
  // MemAvailable counts the page cache the kernel would give back; free pages alone would make
  // the budget shrink on a machine that has just read a large scan.
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0;
  while (meminfo >> key >> kib)
    if (key == "MemAvailable:") return kib * 1024 / 2;
    else meminfo.ignore(64, '\n');
  const long pages = sysconf(_SC_AVPHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return std::int64_t{2} << 30;  // cannot tell: a modest 2 GiB
  return std::int64_t{pages} * page_size / 2;
}

ReconParams with_half_acquisition_axis(const ReconParams& params, ScanReader& scan,
                                       std::optional<DynamicFlatModel>& dynamic) {
  if (!params.half_acquisition() || params.cor_offset() != 0.0) return params;
  ReconParams detector = params;
  detector.set_half_acquisition(false);  // the plan of the unstitched detector, to read it
  const Plan plan = plan_scan(scan, detector, dynamic);
  dynamic = plan.dynamic_flats;
  const int middle = plan.usable_rows.begin + plan.usable_rows.size() / 2;
  const Range rows{std::max(plan.usable_rows.begin, middle - 2), std::min(plan.usable_rows.end, middle + 3)};
  SlabPreprocessor preprocessing(plan, detector);
  SlabInput slab = read_slab(scan, plan, detector, rows);
  preprocessing.preprocess(slab);
  const CorEstimate estimate = estimate_half_acquisition_axis(slab.sinograms, rows.size(),
                                                              static_cast<int>(plan.projections.size()), plan.width);
  ReconParams found = params;
  found.set_cor_offset(detector_offset(plan, estimate.offset));
  spdlog::info("half acquisition: axis offset {:.2f} pixels found from rows {}:{} (confidence {:.2f}); give --cor-offset "
               "to set it yourself",
               found.cor_offset(), rows.begin, rows.end, estimate.confidence);
  return found;
}

namespace {

// An automatic range for integer output: the percentiles of the middle slice inside the disc.
void find_output_range(JobPlan& job, ScanReader& scan) {
  ReconParams& p = job.params;
  SlabReconstructor reconstructor(job.plan, p);
  SlabInput middle = read_slab(scan, job.plan, p, {job.preview_row, job.preview_row + 1});
  const SlabOutput slice = reconstructor.reconstruct(middle);
  std::vector<float> inside;
  const int width = job.plan.slice_width;
  const auto disc = disc_region(width, p.circular_mask() ? p.mask_ratio() : 1.0f);
  for (std::size_t i = 0; i < slice.slices.size(); ++i)
    if (disc[i]) inside.push_back(slice.slices[i]);
  const double fraction = p.auto_range_percent() / 100.0;
  p.set_out_min(percentile(inside, fraction));
  p.set_out_max(percentile(inside, 1.0 - fraction));
  if (!(p.out_min() < p.out_max())) p.set_out_max(p.out_min() + 1.0f);  // a flat slice
  spdlog::info("output range {} to {}: the {}% and {}% percentiles of slice {}", p.out_min(), p.out_max(),
               p.auto_range_percent(), 100.0 - p.auto_range_percent(), job.preview_row);
}

}  // namespace

bool resumes_by_slab(const ReconParams& params) { return parse_output_format(params.format()) == OutputFormat::tiff; }

PreparedJob prepare_job(const JobRequest& request) {
  PreparedJob prepared;
  const ReconParams& requested = request.params;
  prepared.scan = open_scan(request.input, requested.layout().empty() ? std::nullopt
                                                                      : std::optional(parse_layout(requested.layout())));
  ScanReader& scan = *prepared.scan;
  const ScanInfo& info = scan.info();
  auto job = std::make_shared<JobPlan>();
  job->input = info.path.string();
  job->dtype = info.dtype;
  std::optional<DynamicFlatModel> dynamic;
  job->params = with_half_acquisition_axis(requested, scan, dynamic);
  const ReconParams& p = job->params;
  job->plan = plan_scan(scan, p, dynamic);
  const Plan& plan = job->plan;
  const int width = plan.slice_width;
  if (p.slice_crop_top() + p.slice_crop_bottom() >= width || p.slice_crop_left() + p.slice_crop_right() >= width)
    fail("--slice-crop {}:{}:{}:{} leaves nothing of the {} x {} slices", p.slice_crop_top(), p.slice_crop_bottom(),
         p.slice_crop_left(), p.slice_crop_right(), width, width);

  job->budget = p.memory_bytes() > 0 ? p.memory_bytes() : default_memory_budget();
  // Made once (gridrec's tables, FFTW plans, the device check) for the planner and the job.
  prepared.reconstructor = std::make_shared<SlabReconstructor>(plan, p);
  const auto needs = memory_needs(plan, info, prepared.reconstructor->memory_need(), resolve_threads(p.threads()));
  job->slab_rows = request.slab_rows > 0 ? request.slab_rows : rows_per_slab(job->budget, plan.rows.size(), needs, kSlabLanes);
  const std::vector<int> written = resumes_by_slab(p) ? request.written_slabs : std::vector<int>{};
  for (int first = plan.rows.begin; first < plan.rows.end; first += job->slab_rows)
    if (std::find(written.begin(), written.end(), first) == written.end())
      job->slabs.push_back({first, std::min(first + job->slab_rows, plan.rows.end)});
  if (!written.empty())
    spdlog::info("resuming: {} slabs already written, {} to reconstruct", written.size(), job->slabs.size());
  job->preview_row = plan.rows.begin + plan.rows.size() / 2;
  spdlog::info("{}: {} rows x {} projections x {} columns ({}); reconstructing rows {}:{} ({} of {} projections, "
               "slices {} x {}), {} rows per slab within a budget of {:.1f} GiB",
               info.path.string(), info.rows, info.projections, info.columns, to_string(info.layout), plan.rows.begin,
               plan.rows.end, plan.projections.size(), info.projections, width, width, job->slab_rows,
               static_cast<double>(job->budget) / (1 << 30));
  spdlog::debug("memory per slab: {}", describe(needs, job->slab_rows));
  if (p.output_type() != "float32" && p.auto_range_percent() > 0) find_output_range(*job, scan);
  prepared.job = std::move(job);
  return prepared;
}

SliceOutput::SliceOutput(const JobRequest& request, const JobPlan& job)
    : job_(job),
      preview_png_(request.preview_png),
      kept_rows_{job.params.slice_crop_top(), job.plan.slice_width - job.params.slice_crop_bottom()},
      kept_columns_{job.params.slice_crop_left(), job.plan.slice_width - job.params.slice_crop_right()} {
  const ReconParams& p = job.params;
  const OutputSpec output{request.output_folder, p.prefix(), parse_output_format(p.format()),
                          parse_pixel_type(p.output_type()), p.out_min(), p.out_max()};
  writer_ = make_slice_writer(output, job.plan.rows.begin, job.plan.rows.size(), kept_columns_.size(), kept_rows_.size(),
                              {job.input, params_to_json(p), TOMO_VERSION});
}

void SliceOutput::write(const SlabOutput& slab, int row) {
  const auto width = static_cast<std::size_t>(job_.plan.slice_width);
  const std::span<const float> whole(slab.slices.data() + static_cast<std::size_t>(row - slab.rows.begin) * width * width,
                                     width * width);
  // STP's post-processing crop: the part of each slice that is written (a copy only when cropped).
  std::vector<float> cropped;
  if (kept_rows_.size() * kept_columns_.size() != static_cast<int>(width * width)) {
    cropped.reserve(static_cast<std::size_t>(kept_rows_.size()) * static_cast<std::size_t>(kept_columns_.size()));
    for (int r = kept_rows_.begin; r < kept_rows_.end; ++r) {
      const auto line = whole.subspan(static_cast<std::size_t>(r) * width + static_cast<std::size_t>(kept_columns_.begin),
                                      static_cast<std::size_t>(kept_columns_.size()));
      cropped.insert(cropped.end(), line.begin(), line.end());
    }
  }
  const std::span<const float> kept = cropped.empty() ? whole : std::span<const float>(cropped);
  writer_->write(row, kept);
  if (row == job_.preview_row && preview_png_) write_png_preview(*preview_png_, kept, kept_columns_.size(), kept_rows_.size());
}

std::vector<std::filesystem::path> SliceOutput::finish() {
  writer_->finish();
  std::vector<std::filesystem::path> outputs;
  for (int r = job_.plan.rows.begin; r < job_.plan.rows.end; ++r) {
    auto path = writer_->path_of(r);
    if (outputs.empty() || outputs.back() != path) outputs.push_back(std::move(path));
  }
  return outputs;
}

void SliceOutput::discard() { writer_->discard(); }

void log_corrections(const JobPlan& job, const CorrectionCounts& counts, std::int64_t defective_flat_pixels) {
  if (counts.clamped > 0)
    spdlog::warn("{} pixels had a transmission outside [{}, {}] and were clamped before the log", counts.clamped,
                 job.plan.correction.bounds.min, job.plan.correction.bounds.max);
  if (counts.repaired > 0)
    spdlog::warn("{} pixel values were NaN, infinite, from dead pixels{} and were interpolated from their row", counts.repaired,
                 job.params.saturation() > 0 ? fmt::format(" or saturated (>= {})", job.params.saturation()) : std::string());
  if (counts.zingers > 0) spdlog::info("{} zingers replaced by the median of their pixel in 3 frames", counts.zingers);
  if (defective_flat_pixels > 0)
    spdlog::warn("{} flat-field pixels were not above the dark (dead); their values are interpolated from their row",
                 defective_flat_pixels);
}

}  // namespace tomo
