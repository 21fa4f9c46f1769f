#include "pipeline/reconstruction_plan.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/error.hpp"
#include "kernels/half_acquisition.hpp"

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
  for (int i : plan.projections) plan.angles_rad.push_back(angle_rad(i));
  plan.fbp.geometry.angles_rad = plan.angles_rad;
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
    plan.stitch.blend = parse_stitch_blend(p.half_acquisition_blend());
    plan.stitch.normalise = p.half_acquisition_normalise();
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
    // Fewer than 3 flats vary along at most one direction: too little to learn the beam's changes from.
    if (plan.flat_mode == FlatMode::dynamic && before + after < 3)
      fail("--flat-mode dynamic needs at least 3 flats to learn how they vary; {} has {}", file, before + after);
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

double detector_offset(const Plan& plan, double binned_offset) {
  const int b = plan.binning;
  return b * (plan.width / 2.0 + binned_offset) + (b - 1) / 2.0 - plan.columns.size() / 2.0;
}

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
  // Dynamic flat fielding: each slab's flats one by one and its eigen flats travel with it.
  const std::int64_t flats = plan.flats, components = plan.dynamic_flats ? plan.dynamic_flats->basis.components : 0;
  const std::int64_t dynamic_row = components > 0 ? f * width * (flats * b + kSlabsInFlight * components) : 0;
  return {
      {"phase retrieval", margin * (raw_row + band_row), band_row},
      {"dynamic flat field", 0, dynamic_row},
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

}  // namespace tomo
