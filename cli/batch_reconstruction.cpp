#include "cli/batch_reconstruction.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <fstream>
#include <thread>

#include "cli/bounded_queue.hpp"
#include "cli/reconstruction_plan.hpp"
#include "cli/slab_reader.hpp"
#include "cli/slab_preprocessor.hpp"
#include "cli/slab_reconstructor.hpp"
#include "kernels/error.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/image_metrics.hpp"
#include "kernels/parallel.hpp"
#include "kernels/percentile.hpp"
#include "kernels/slab_plan.hpp"
#include "storage/png_image.hpp"
#include "storage/slice_writer.hpp"

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

namespace {

// A half-acquisition scan given no axis (cor_offset 0, which would put it at the centre) gets the
// one its data show: the overlap of the middle rows matched with the projections 180° later. A
// dynamic flat field estimated on the way is kept in `dynamic` for the reconstruction's plan.
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

// Runs body() on its own thread; an exception there is kept for the caller and closes `queues`
// so that the other stages stop waiting.
template <class Body, class... Queues>
std::jthread stage(std::exception_ptr& error, Body body, Queues&... queues) {
  return std::jthread([&error, body = std::move(body), &queues...] {
    try {
      body();
    } catch (...) {
      error = std::current_exception();
      (queues.close(), ...);
    }
  });
}

}  // namespace

BatchResult reconstruct_scan(const BatchRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  auto scan = open_scan(request.input, request.params.layout().empty() ? std::nullopt
                                                                        : std::optional(parse_layout(request.params.layout())));
  std::optional<DynamicFlatModel> dynamic;
  const ReconParams p = with_half_acquisition_axis(request.params, *scan, dynamic);
  const ScanInfo& info = scan->info();
  const Plan plan = plan_scan(*scan, p, dynamic);
  const int width = plan.slice_width;
  const int projections = static_cast<int>(plan.projections.size());
  SlabReconstructor reconstructor(plan, p);

  const std::int64_t budget = p.memory_bytes() > 0 ? p.memory_bytes() : default_memory_budget();
  const auto needs = memory_needs(plan, info, reconstructor.memory_need(), resolve_threads(p.threads()));
  const int slab_rows = rows_per_slab(budget, plan.rows.size(), needs, kSlabLanes);
  spdlog::info("{}: {} rows x {} projections x {} columns ({}); reconstructing rows {}:{} ({} of {} projections, "
               "slices {} x {}), {} rows per slab within a budget of {:.1f} GiB",
               info.path.string(), info.rows, info.projections, info.columns, to_string(info.layout), plan.rows.begin,
               plan.rows.end, projections, info.projections, width, width, slab_rows, static_cast<double>(budget) / (1 << 30));
  spdlog::debug("memory per slab: {}", describe(needs, slab_rows));

  const std::size_t slice_size = static_cast<std::size_t>(width) * width;
  BatchResult result{plan.rows.begin, plan.rows.size(), width, slab_rows, {}, {}, 0, 0};
  const int preview_row = plan.rows.begin + plan.rows.size() / 2;

  // An automatic range for integer output comes from the middle slice, reconstructed first; the
  // range used goes into the parameters recorded with the output.
  ReconParams recorded = p;
  if (p.output_type() != "float32" && p.auto_range_percent() > 0) {
    SlabInput middle = read_slab(*scan, plan, p, {preview_row, preview_row + 1});
    const SlabOutput slice = reconstructor.reconstruct(middle);
    std::vector<float> inside;
    const auto disc = disc_region(width, p.circular_mask() ? p.mask_ratio() : 1.0f);
    for (std::size_t i = 0; i < slice.slices.size(); ++i)
      if (disc[i]) inside.push_back(slice.slices[i]);
    const double fraction = p.auto_range_percent() / 100.0;
    recorded.set_out_min(percentile(inside, fraction));
    recorded.set_out_max(percentile(inside, 1.0 - fraction));
    if (!(recorded.out_min() < recorded.out_max())) recorded.set_out_max(recorded.out_min() + 1.0f);  // a flat slice
    spdlog::info("output range {} to {}: the {}% and {}% percentiles of slice {}", recorded.out_min(), recorded.out_max(),
                 p.auto_range_percent(), 100.0 - p.auto_range_percent(), preview_row);
  }
  // STP's post-processing crop: the part of each slice that is written.
  const Range kept_rows{p.slice_crop_top(), width - p.slice_crop_bottom()};
  const Range kept_columns{p.slice_crop_left(), width - p.slice_crop_right()};
  if (kept_rows.size() <= 0 || kept_columns.size() <= 0)
    fail("--slice-crop {}:{}:{}:{} leaves nothing of the {} x {} slices", p.slice_crop_top(), p.slice_crop_bottom(),
         p.slice_crop_left(), p.slice_crop_right(), width, width);
  const auto kept_part = [&](std::span<const float> slice) {
    std::vector<float> kept;
    kept.reserve(static_cast<std::size_t>(kept_rows.size()) * static_cast<std::size_t>(kept_columns.size()));
    for (int r = kept_rows.begin; r < kept_rows.end; ++r) {
      const auto row = slice.subspan(static_cast<std::size_t>(r) * static_cast<std::size_t>(width) + static_cast<std::size_t>(kept_columns.begin),
                                     static_cast<std::size_t>(kept_columns.size()));
      kept.insert(kept.end(), row.begin(), row.end());
    }
    return kept;
  };
  OutputSpec output{request.output_folder, p.prefix(), parse_output_format(p.format()), parse_pixel_type(p.output_type()),
                    recorded.out_min(), recorded.out_max()};
  auto writer = make_slice_writer(output, plan.rows.begin, plan.rows.size(), kept_columns.size(), kept_rows.size(),
                                  {info.path.string(), params_to_json(recorded), TOMO_VERSION});

  // Three stages, one thread each, with at most one slab waiting between two stages: reading the
  // next slab and writing the last one overlap the reconstruction of this one.
  BoundedQueue<SlabInput> to_compute(1);
  BoundedQueue<SlabOutput> to_write(1);
  std::exception_ptr read_error, write_error;
  {
    auto reader = stage(read_error, [&] {
      for (int first = plan.rows.begin; first < plan.rows.end; first += slab_rows)
        if (!to_compute.push(read_slab(*scan, plan, p, {first, std::min(first + slab_rows, plan.rows.end)}))) return;
      to_compute.close();
    }, to_compute);
    auto slice_writer = stage(write_error, [&] {
      while (auto slab = to_write.pop()) {
        for (int r = slab->rows.begin; r < slab->rows.end; ++r) {
          const std::span<const float> whole(slab->slices.data() + static_cast<std::size_t>(r - slab->rows.begin) * slice_size, slice_size);
          const auto slice = kept_part(whole);
          writer->write(r, slice);
          if (r == preview_row && request.preview_png)
            write_png_preview(*request.preview_png, slice, kept_columns.size(), kept_rows.size());
          if (request.on_progress) request.on_progress(r - plan.rows.begin + 1, plan.rows.size());
        }
        spdlog::debug("slab of rows {}:{} written ({:.1f} s since the start)", slab->rows.begin, slab->rows.end,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
    }, to_write, to_compute);
    try {
      while (auto slab = to_compute.pop())
        if (!to_write.push(reconstructor.reconstruct(*slab))) break;  // the writer failed
    } catch (...) {
      to_compute.close();
      to_write.close();
      throw;  // the stages' threads are joined on the way out
    }
    to_write.close();
  }  // joins the reader and the writer
  if (read_error) std::rethrow_exception(read_error);
  if (write_error) std::rethrow_exception(write_error);

  writer->finish();
  for (int r = plan.rows.begin; r < plan.rows.end; ++r) {
    auto path = writer->path_of(r);
    if (result.outputs.empty() || result.outputs.back() != path) result.outputs.push_back(path);
  }
  result.corrections = reconstructor.corrections();
  result.defective_flat_pixels = reconstructor.defective_flat_pixels();
  const CorrectionCounts& counts = result.corrections;
  if (counts.clamped > 0)
    spdlog::warn("{} pixels had a transmission outside [{}, {}] and were clamped before the log", counts.clamped,
                 plan.correction.bounds.min, plan.correction.bounds.max);
  if (counts.repaired > 0)
    spdlog::warn("{} pixel values were NaN, infinite, from dead pixels{} and were interpolated from their row", counts.repaired,
                 p.saturation() > 0 ? fmt::format(" or saturated (>= {})", p.saturation()) : std::string());
  if (counts.zingers > 0) spdlog::info("{} zingers replaced by the median of their pixel in 3 frames", counts.zingers);
  if (result.defective_flat_pixels > 0)
    spdlog::warn("{} flat-field pixels were not above the dark (dead); their values are interpolated from their row",
                 result.defective_flat_pixels);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

SliceSweep::SliceSweep(const std::filesystem::path& input, const ReconParams& params)
    : scan_(open_scan(input, params.layout().empty() ? std::nullopt : std::optional(parse_layout(params.layout())))) {}

SliceSweep::~SliceSweep() = default;

std::vector<float> SliceSweep::slice(const ReconParams& params, int row) {
  ReconParams one = params;
  one.set_slice_from(row);
  one.set_slice_to(row + 1);
  one = with_half_acquisition_axis(one, *scan_, dynamic_);
  const Plan plan = plan_scan(*scan_, one, dynamic_);
  dynamic_ = plan.dynamic_flats;
  SlabReconstructor reconstructor(plan, one);
  SlabInput slab = read_slab(*scan_, plan, one, plan.rows);
  return reconstructor.reconstruct(slab).slices;
}

}  // namespace tomo
