#include "cli/batch_reconstruction.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <numbers>
#include <thread>

#include "cli/bounded_queue.hpp"
#include "kernels/binning.hpp"
#include "kernels/correction.hpp"
#include "kernels/error.hpp"
#include "kernels/fbp.hpp"
#include "kernels/fbp_cuda.hpp"
#include "kernels/gridrec.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/flat_field.hpp"
#include "kernels/image_metrics.hpp"
#include "kernels/parallel.hpp"
#include "kernels/percentile.hpp"
#include "kernels/phase_retrieval.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/slab_plan.hpp"
#include "storage/png_image.hpp"
#include "storage/slice_writer.hpp"

namespace tomo {

std::vector<double> projection_angles_deg(const ReconParams& params, const ScanInfo& info) {
  const int count = info.projections;
  if (params.angles_deg_size() > 0) {
    if (params.angles_deg_size() != count)
      fail("{} angles were given but {} has {} projections", params.angles_deg_size(), info.path.string(), count);
    return {params.angles_deg().begin(), params.angles_deg().end()};
  }
  if (!info.angles_deg.empty() && !params.ignore_file_angles()) return info.angles_deg;
  std::vector<double> angles(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    angles[static_cast<std::size_t>(i)] = params.angle_first_deg() + i * params.angle_span_deg() / count;
  return angles;
}

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

// Everything about the scan the slab loop needs, resolved once from the parameters and file.
struct Plan {
  Range rows;                  // rows to reconstruct: detector rows, or binned rows with binning
  Range columns;               // detector columns kept after cropping
  int binning = 1;
  int width = 0;               // detector width: the kept columns, binned
  int slice_width = 0;         // N of the N x N slices: the detector width, or the stitched one
  std::optional<double> half_acquisition_axis;  // detector column of the axis, to stitch around
  Range usable_rows;                            // rows inside the crop (binned with binning)
  std::optional<PhaseRetrieval> phase;          // single-distance phase retrieval, if asked for
  int phase_margin = 0;                         // rows read around a slab for it
  RingFilter rings;
  std::vector<int> projections;  // indices of the projections used (every n-th)
  FbpSettings fbp;
  int flats = 0, darks = 0;
  FlatMode flat_mode = FlatMode::mean;
  std::vector<float> after_flat_weight;  // per chosen projection, with two sets of flats
  CorrectionOptions correction;
};

Plan make_plan(const ReconParams& p, const ScanInfo& info) {
  const std::string file = info.path.string();
  Plan plan;
  // With binning b, binned row k holds detector rows [b k, b k + b): those wholly inside the crop.
  const int b = plan.binning = p.binning();
  const Range usable_rows{(p.crop_top() + b - 1) / b, (info.rows - p.crop_bottom()) / b};
  plan.usable_rows = usable_rows;
  plan.columns = {p.crop_left(), info.columns - p.crop_right()};
  plan.width = plan.columns.size() / b;
  if (usable_rows.size() <= 0 || plan.width < 8)
    fail("crop {}:{}:{}:{}{} leaves nothing of the {} x {} detector of {}", p.crop_top(), p.crop_bottom(), p.crop_left(),
         p.crop_right(), b > 1 ? fmt::format(" with binning {}", b) : std::string(), info.rows, info.columns, file);
  plan.rows = {std::max(p.slice_from(), usable_rows.begin), p.slice_to() < 0 ? usable_rows.end : p.slice_to()};
  if (p.slice_from() >= usable_rows.end || p.slice_to() > usable_rows.end || plan.rows.size() <= 0)
    fail("slice range {}:{} is outside the rows {}:{} of {}", p.slice_from(), p.slice_to() < 0 ? std::string("end") : std::to_string(p.slice_to()),
         usable_rows.begin, usable_rows.end, file);

  const auto angles = projection_angles_deg(p, info);
  const int last = p.projection_to() < 0 ? info.projections : p.projection_to();
  if (last > info.projections)
    fail("projection range {}:{} is beyond the {} projections of {}", p.projection_from(), last, info.projections, file);
  for (int i = p.projection_from(); i < last; i += p.projection_step()) plan.projections.push_back(i);
  if (plan.projections.size() < 2)
    fail("{} projections of {} are used (range {}:{}, every {}); at least 2 are needed", plan.projections.size(), file,
         p.projection_from(), last, p.projection_step());

  const int detector_width = plan.columns.size(), width = plan.width;
  if (std::abs(p.cor_offset()) >= detector_width / 2.0)
    fail("ReconParams.cor_offset = {} puts the rotation axis off the {}-pixel detector (|offset| < {})", p.cor_offset(),
         detector_width, detector_width / 2);
  plan.fbp.filter = parse_filter_window(p.filter());
  plan.fbp.filter_cutoff = p.filter_cutoff();
  // The axis in binned columns: binned column j is centred on detector column b j + (b − 1)/2.
  const double axis = (detector_width / 2.0 + p.cor_offset() - (b - 1) / 2.0) / b;
  plan.slice_width = width;
  plan.fbp.geometry.columns = width;
  plan.fbp.geometry.axis = static_cast<float>(axis);
  // Shifting every angle by the same amount rotates the slice, exactly.
  const auto angle_rad = [&](int i) {
    return static_cast<float>((angles[static_cast<std::size_t>(i)] + p.rotation_deg()) * std::numbers::pi / 180.0);
  };
  for (int i : plan.projections) plan.fbp.geometry.angles_rad.push_back(angle_rad(i));
  if (p.phase_method() != "none") {
    // Energy, distance and pixel size from the parameters, else from the file; binned pixels are larger.
    const auto from = [&](double given, std::optional<double> stored, const char* what, const char* flag) {
      if (given > 0) return given;
      if (stored && *stored > 0) return *stored;
      fail("phase retrieval needs the {}, and {} does not store it: pass {}", what, file, flag);
    };
    PhaseRetrieval phase;
    phase.method = p.phase_method() == "paganin" ? PhaseRetrieval::Method::paganin
                                                 : PhaseRetrieval::Method::generalised_paganin;
    phase.energy_kev = from(p.energy_kev(), info.energy_kev, "X-ray energy", "--energy KEV");
    phase.distance_mm = from(p.distance_mm(), info.distance_mm, "sample-detector distance", "--distance MM");
    phase.pixel_size_um = b * from(p.pixel_size_um(), info.pixel_size_um, "pixel size", "--pixel-size UM");
    phase.delta_over_beta = p.delta_over_beta();
    phase.pad_factor = p.phase_pad_factor();
    phase.unsharp_sigma_px = p.unsharp_sigma();
    phase.unsharp_amount = p.unsharp_amount();
    validate(phase);
    plan.phase = phase;
    plan.phase_margin = phase_margin_rows(phase);
    if (!p.minus_log()) fail("phase retrieval works on transmission and takes the log itself: it cannot be used with --no-log");
  }
  if (p.half_acquisition()) {
    // Projection i + P/2 must be 180° after projection i, to within half an angular step.
    const std::size_t count = plan.projections.size(), half = count / 2;
    const auto degrees = [&](std::size_t k) { return angles[static_cast<std::size_t>(plan.projections[k])]; };
    if (count % 2 != 0) fail("half acquisition needs an even number of projections over 360°; {} are used", count);
    const double step = std::abs(degrees(1) - degrees(0));
    for (std::size_t i = 0; i < half; ++i)
      if (std::abs(std::abs(degrees(i + half) - degrees(i)) - 180.0) > 0.5 * step)
        fail("half acquisition pairs each projection with the one 180° later, but projection {} is at {}° and projection {} "
             "at {}° (a 360° scan of evenly spaced angles is needed: --span 360)",
             plan.projections[i], degrees(i), plan.projections[i + half], degrees(i + half));
    const StitchedGeometry stitched = stitched_geometry(width, axis);
    plan.half_acquisition_axis = axis;
    plan.slice_width = stitched.width;
    plan.fbp.geometry.columns = stitched.width;
    plan.fbp.geometry.axis = static_cast<float>(stitched.axis);
    plan.fbp.geometry.angles_rad.resize(half);
  }
  plan.fbp.circular_mask = p.circular_mask();
  plan.fbp.mask_ratio = p.mask_ratio();
  plan.fbp.threads = p.threads();
  if (p.output_units() == "per-cm") {
    const double pixel_um = p.pixel_size_um() > 0 ? p.pixel_size_um() : info.pixel_size_um.value_or(0.0);
    if (!(pixel_um > 0))
      fail("values per cm need the pixel size, and {} does not store one: pass --pixel-size", file);
    plan.fbp.value_scale = static_cast<float>(1e4 / (pixel_um * b));  // μ per (binned) pixel / (pixel in cm)
  }

  if (p.flat_field()) {
    plan.flats = info.flats();
    plan.darks = info.darks();
    if (plan.flats == 0)
      fail("{} has no flat fields; pass --no-flat-field if its values are already normalised (with --air to "
           "normalise each row to its air columns)", file);
    if (plan.darks == 0) spdlog::warn("{} has no dark fields: the dark level is taken as 0", file);
    const int before = info.count(Frames::flats_before), after = info.count(Frames::flats_after);
    plan.flat_mode = parse_flat_mode(p.flat_mode(), before > 0 && after > 0);
    const bool both = plan.flat_mode == FlatMode::interpolate || plan.flat_mode == FlatMode::half_half;
    if ((both || plan.flat_mode == FlatMode::before) && before == 0)
      fail("--flat-mode {} needs flats taken before the scan, and {} has none ({} after it)", p.flat_mode(), file, after);
    if ((both || plan.flat_mode == FlatMode::after) && after == 0)
      fail("--flat-mode {} needs flats taken after the scan, and {} has none ({} before it)", p.flat_mode(), file, before);
    if (both) {
      const int line = p.half_half_line() < 0 ? info.projections / 2 : p.half_half_line();
      if (line > info.projections)
        fail("--half-half-line {} is beyond the {} projections of {}", line, info.projections, file);
      plan.after_flat_weight = after_flat_weights(plan.flat_mode, plan.projections, info.projections, line);
    }
  }
  plan.correction.minus_log = p.minus_log() && !plan.phase;  // the retrieval takes transmission and returns its −ln
  plan.correction.bounds = {p.min_transmission(), 1.0f / p.min_transmission()};
  plan.correction.saturation = p.saturation();
  plan.correction.air_left = p.air_left();
  plan.correction.air_right = p.air_right();
  plan.correction.zinger_threshold = p.zinger_threshold();
  plan.rings = parse_ring_filter(p.rings());
  if (p.air_left() + p.air_right() >= width)
    fail("--air {}:{} leaves no column of the {}-pixel rows for the sample", p.air_left(), p.air_right(), width);
  return plan;
}

// Reads every reference frame of the kinds `which` (flats or darks, before and/or after the
// scan) for `rows` and averages them.
std::vector<float> averaged_reference(ScanReader& scan, std::initializer_list<Frames> which, Range rows, FrameAverage how) {
  const ScanInfo& info = scan.info();
  const std::size_t n = static_cast<std::size_t>(info.columns);
  int images = 0;
  for (const Frames kind : which) images += info.count(kind);
  std::vector<float> frames(static_cast<std::size_t>(rows.size()) * images * n), part;
  int offset = 0;
  for (const Frames kind : which) {
    const int count = info.count(kind);
    if (count == 0) continue;
    part.resize(static_cast<std::size_t>(rows.size()) * count * n);
    scan.read(kind, {0, count}, rows, part);
    for (int r = 0; r < rows.size(); ++r)
      std::copy_n(part.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * count * n), count * n,
                  frames.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(r) * images + offset) * n));
    offset += count;
  }
  std::vector<float> average(static_cast<std::size_t>(rows.size()) * n);
  average_frames(frames, rows.size(), images, info.columns, how, average);
  return average;
}

// Keeps columns [columns.begin, columns.end) of every line of `width` values, in place.
void crop_columns(std::vector<float>& lines, int width, Range columns) {
  if (columns.begin == 0 && columns.end == width) return;
  const std::size_t count = lines.size() / static_cast<std::size_t>(width);
  for (std::size_t line = 0; line < count; ++line)
    std::copy_n(lines.begin() + static_cast<std::ptrdiff_t>(line * width + columns.begin), columns.size(),
                lines.begin() + static_cast<std::ptrdiff_t>(line * columns.size()));
  lines.resize(count * static_cast<std::size_t>(columns.size()));
}

// Raw projections of `rows`, laid out (row, projection, column), the chosen projections only.
std::vector<float> read_projections(ScanReader& scan, const std::vector<int>& chosen, Range rows) {
  const ScanInfo& info = scan.info();
  const std::size_t n = static_cast<std::size_t>(info.columns);
  const std::size_t count = chosen.size();
  std::vector<float> slab(static_cast<std::size_t>(rows.size()) * count * n);
  if (static_cast<int>(count) == info.projections) {
    scan.read(Frames::projections, {0, info.projections}, rows, slab);
    return slab;
  }
  std::vector<float> one(static_cast<std::size_t>(rows.size()) * n);
  for (std::size_t k = 0; k < count; ++k) {
    scan.read(Frames::projections, {chosen[k], chosen[k] + 1}, rows, one);
    for (int r = 0; r < rows.size(); ++r)
      std::copy_n(one.begin() + static_cast<std::ptrdiff_t>(r * n), n,
                  slab.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(r) * count + k) * n));
  }
  return slab;
}

// What each step of the pipeline below needs for a slab: the reader's raw sinograms and
// reference frames, the flat field and slices that travel with each slab, the reconstruction's
// working memory and the writer's one converted slice.
std::vector<MemoryNeed> memory_needs(const Plan& plan, const ScanInfo& info, MemoryNeed reconstruction, int threads) {
  const std::int64_t f = sizeof(float), width = plan.width, read = info.columns, b = plan.binning;
  const std::int64_t slice = f * plan.slice_width * plan.slice_width;
  const std::int64_t projections = static_cast<std::int64_t>(plan.projections.size());
  // Phase retrieval: the margin rows read around each slab (raw, as the rows themselves), and
  // per thread one padded projection band in real and complex form (≈ 8 bytes a padded pixel)
  // with its gathered copy.
  const std::int64_t margin = 2 * plan.phase_margin;
  const std::int64_t raw_row = kSlabsInFlight * f * info.projections * read * b;
  const double pad = plan.phase ? plan.phase->pad_factor : 0.0;
  const std::int64_t band_row =
      plan.phase ? threads * static_cast<std::int64_t>((8.0 * pad * pad + 4.0) * static_cast<double>(width)) : 0;
  // Ring removal works on one sinogram per thread, with a copy or two of it.
  const std::int64_t ring_work = plan.rings.method == RingMethod::none ? 0 : threads * 2 * f * projections * width;
  return {
      {"phase retrieval", margin * (raw_row + band_row), band_row},
      {"ring removal", ring_work, 0},
      // Half acquisition: the stitched sinograms, made beside the corrected ones.
      {"stitched sinograms", 0, plan.half_acquisition_axis ? f * (projections / 2) * plan.slice_width : 0},
      // With binning, b detector rows are read per slice (and binned into a new buffer).
      {"raw sinograms", 0, kSlabsInFlight * f * info.projections * read * b + (b > 1 ? f * info.projections * read * b : 0)},
      // Each kind of reference frame is read whole, then averaged (frames and a part-copy).
      {"reference frames", 0, 2 * f * std::max(plan.flats, plan.darks) * read * b},
      {"flat fields", 0, kSlabsInFlight * 2 * f * width},
      std::move(reconstruction),
      {"slices", 0, kSlabsInFlight * slice},
      {"slice writer", slice, 0},
  };
}

// Whether to run on the GPU for the requested device ("cpu", "gpu", "auto").
bool use_gpu(const std::string& device) {
  if (device == "cpu") return false;
  std::string why;
  const bool available = cuda::device_available(&why);
  if (device == "gpu" && !available) fail("device 'gpu' was requested but no GPU can be used: {}", why);
  if (!available) spdlog::info("no GPU ({}): reconstructing on the CPU", why);
  return available;
}


// One slab as it moves through the pipeline.
struct SlabInput {
  Range rows;
  Range read_rows;  // rows read: `rows` and the margin phase retrieval needs around them
  std::vector<float> sinograms;  // raw counts (row, projection, column), cropped
  FlatField flat_field;
};
struct SlabOutput {
  Range rows;
  std::vector<float> slices;  // (row, N, N)
};

// Keeps the plan's columns of (row, frame, column) detector data and bins them as it says.
std::vector<float> crop_and_bin(std::vector<float> lines, const Plan& plan, int detector_columns, Range detector_rows,
                                int frames) {
  crop_columns(lines, detector_columns, plan.columns);
  if (plan.binning == 1) return lines;
  return bin_pixels(lines, detector_rows.size(), frames, plan.columns.size(), plan.binning);
}

// Reads the raw projections and the flat field of one slab, with the margin rows phase
// retrieval needs around it (the reader thread's work).
SlabInput read_slab(ScanReader& scan, const Plan& plan, const ReconParams& p, Range slab_rows) {
  const ScanInfo& info = scan.info();
  const int width = plan.width;
  const Range rows{std::max(plan.usable_rows.begin, slab_rows.begin - plan.phase_margin),
                   std::min(plan.usable_rows.end, slab_rows.end + plan.phase_margin)};
  const Range detector_rows{rows.begin * plan.binning, rows.end * plan.binning};
  SlabInput slab{slab_rows, rows,
                 crop_and_bin(read_projections(scan, plan.projections, detector_rows), plan, info.columns, detector_rows,
                              static_cast<int>(plan.projections.size())),
                 identity_flat_field(rows.size(), width)};
  if (!p.flat_field()) return slab;
  const auto how = parse_frame_average(p.flat_average());
  const auto flats = [&](std::initializer_list<Frames> which) {
    return crop_and_bin(averaged_reference(scan, which, detector_rows, how), plan, info.columns, detector_rows, 1);
  };
  const auto dark = plan.darks > 0 ? flats({Frames::darks_before, Frames::darks_after})
                                   : std::vector<float>(static_cast<std::size_t>(rows.size()) * width, 0.0f);
  try {
    switch (plan.flat_mode) {
      case FlatMode::mean:
        slab.flat_field = make_flat_field(dark, flats({Frames::flats_before, Frames::flats_after}), rows.size(), width);
        break;
      case FlatMode::before: slab.flat_field = make_flat_field(dark, flats({Frames::flats_before}), rows.size(), width); break;
      case FlatMode::after: slab.flat_field = make_flat_field(dark, flats({Frames::flats_after}), rows.size(), width); break;
      case FlatMode::interpolate:
      case FlatMode::half_half:
        slab.flat_field = with_flats_after(make_flat_field(dark, flats({Frames::flats_before}), rows.size(), width),
                                           make_flat_field(dark, flats({Frames::flats_after}), rows.size(), width),
                                           plan.after_flat_weight);
        break;
    }
  } catch (const Error& e) {
    fail("{} (rows {}:{}): {}", info.path.string(), rows.begin, rows.end, e.what());
  }
  return slab;
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
  const ReconParams& p = request.params;
  auto scan = open_scan(request.input, p.layout().empty() ? std::nullopt : std::optional(parse_layout(p.layout())));
  const ScanInfo& info = scan->info();
  const Plan plan = make_plan(p, info);
  const int width = plan.slice_width;
  const int projections = static_cast<int>(plan.projections.size());

  // Direct FBP, or Fourier gridding (--method gridrec); one is made, once.
  std::optional<FbpReconstructor> fbp;
  std::optional<GridrecReconstructor> gridrec;
  if (p.method() == "gridrec") gridrec.emplace(plan.fbp);
  else fbp.emplace(plan.fbp);

  const std::int64_t budget = p.memory_bytes() > 0 ? p.memory_bytes() : default_memory_budget();
  const auto needs = memory_needs(plan, info, gridrec ? gridrec->memory_need() : fbp->memory_need(), resolve_threads(p.threads()));
  const int slab_rows = rows_per_slab(budget, plan.rows.size(), needs, kSlabLanes);
  spdlog::info("{}: {} rows x {} projections x {} columns ({}); reconstructing rows {}:{} ({} of {} projections, "
               "slices {} x {}), {} rows per slab within a budget of {:.1f} GiB",
               info.path.string(), info.rows, info.projections, info.columns, to_string(info.layout), plan.rows.begin,
               plan.rows.end, projections, info.projections, width, width, slab_rows, static_cast<double>(budget) / (1 << 30));
  spdlog::debug("memory per slab: {}", describe(needs, slab_rows));

  const int threads = resolve_threads(p.threads());
  const bool gpu = use_gpu(p.device());
  const std::size_t slice_size = static_cast<std::size_t>(width) * width;
  BatchResult result{plan.rows.begin, plan.rows.size(), width, slab_rows, {}, {}, 0, 0};
  const int preview_row = plan.rows.begin + plan.rows.size() / 2;

  // Phase retrieval plans its transforms for a band of rows: one retriever per band height
  // (the slabs', and the last one's, with their margins).
  std::map<int, std::unique_ptr<PhaseRetriever>> retrievers;
  const auto retrieve_phase = [&](SlabInput& slab) {
    auto& retriever = retrievers[slab.read_rows.size()];
    if (!retriever) retriever = std::make_unique<PhaseRetriever>(*plan.phase, slab.read_rows.size(), plan.width);
    result.corrections.clamped += retriever->apply_to_sinograms(slab.sinograms, projections, threads);
    // Keep the slab's own rows; the margins were only there for the filter.
    const std::size_t row_size = static_cast<std::size_t>(projections) * static_cast<std::size_t>(plan.width);
    const auto first = slab.sinograms.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(slab.rows.begin - slab.read_rows.begin) * row_size);
    slab.sinograms.erase(first + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(slab.rows.size()) * row_size), slab.sinograms.end());
    slab.sinograms.erase(slab.sinograms.begin(), first);
  };

  // Correction and reconstruction of one slab (the compute thread's work).
  const auto reconstruct_slab = [&](SlabInput& slab) {
    result.defective_flat_pixels += slab.flat_field.defective_pixels;
    SlabOutput done{slab.rows, std::vector<float>(static_cast<std::size_t>(slab.rows.size()) * slice_size)};
    // The correction runs on the CPU even with a GPU: repairing invalid pixels from their
    // line and the zinger median need whole lines (fbp_cuda.hpp).
    result.corrections += correct_projections(slab.sinograms, projections, slab.flat_field, plan.correction, threads);
    if (plan.phase) retrieve_phase(slab);
    if (plan.rings.method != RingMethod::none)
      remove_rings(slab.sinograms, slab.rows.size(), projections, plan.width, plan.rings, threads);
    if (plan.half_acquisition_axis)
      slab.sinograms = stitch_half_acquisition(slab.sinograms, slab.rows.size(), projections, plan.width,
                                               *plan.half_acquisition_axis, threads);
    if (gpu) {
      if (gridrec) cuda::reconstruct_gridrec(*gridrec, slab.sinograms, slab.rows.size(), done.slices);
      else cuda::reconstruct(plan.fbp, slab.sinograms, slab.rows.size(), done.slices);
    } else {
      if (gridrec) gridrec->reconstruct(slab.sinograms, slab.rows.size(), done.slices);
      else fbp->reconstruct(slab.sinograms, slab.rows.size(), done.slices);
    }
    return done;
  };

  // An automatic range for integer output comes from the middle slice, reconstructed first; the
  // range used goes into the parameters recorded with the output.
  ReconParams recorded = p;
  if (p.output_type() != "float32" && p.auto_range_percent() > 0) {
    SlabInput middle = read_slab(*scan, plan, p, {preview_row, preview_row + 1});
    const SlabOutput slice = reconstruct_slab(middle);
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
  OutputSpec output{request.output_folder, p.prefix(), parse_output_format(p.format()), parse_pixel_type(p.output_type()),
                    recorded.out_min(), recorded.out_max()};
  auto writer = make_slice_writer(output, plan.rows.begin, plan.rows.size(), width,
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
          const std::span<const float> slice(slab->slices.data() + static_cast<std::size_t>(r - slab->rows.begin) * slice_size, slice_size);
          writer->write(r, slice);
          if (r == preview_row && request.preview_png) write_png_preview(*request.preview_png, slice, width, width);
          if (request.on_progress) request.on_progress(r - plan.rows.begin + 1, plan.rows.size());
        }
        spdlog::debug("slab of rows {}:{} written ({:.1f} s since the start)", slab->rows.begin, slab->rows.end,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
    }, to_write, to_compute);
    try {
      while (auto slab = to_compute.pop())
        if (!to_write.push(reconstruct_slab(*slab))) break;  // the writer failed
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
  const CorrectionCounts& counts = result.corrections;
  if (counts.clamped > 0)
    spdlog::warn("{} pixels had a transmission outside [{}, {}] and were clamped before the log", counts.clamped,
                 plan.correction.bounds.min, plan.correction.bounds.max);
  if (counts.repaired > 0)
    spdlog::warn("{} pixels were NaN, infinite{} and were interpolated from their row", counts.repaired,
                 p.saturation() > 0 ? fmt::format(" or saturated (>= {})", p.saturation()) : std::string());
  if (counts.zingers > 0) spdlog::info("{} zingers replaced by the median of their pixel in 3 frames", counts.zingers);
  if (result.defective_flat_pixels > 0)
    spdlog::warn("{} flat-field pixels were not above the dark; they use a neighbour's gain", result.defective_flat_pixels);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace tomo
