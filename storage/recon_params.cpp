#include "storage/recon_params.hpp"

#include <cctype>
#include <cmath>
#include <set>

#include "kernels/error.hpp"
#include "kernels/ramp_filter.hpp"
#include "kernels/ring_removal.hpp"
#include "storage/proto_json.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

ReconParams default_params() {
  ReconParams p;
  p.set_layout("");
  p.set_slice_from(0);
  p.set_slice_to(-1);
  p.set_projection_step(1);
  p.set_crop_top(0);
  p.set_crop_bottom(0);
  p.set_crop_left(0);
  p.set_crop_right(0);
  p.set_binning(1);
  p.set_projection_from(0);
  p.set_projection_to(-1);
  p.set_angle_span_deg(180.0);
  p.set_angle_first_deg(0.0);
  p.set_ignore_file_angles(false);
  p.set_flat_field(true);
  p.set_flat_average("mean");
  p.set_minus_log(true);
  p.set_min_transmission(1e-4f);
  p.set_flat_mode("auto");
  p.set_half_half_line(-1);
  p.set_dynamic_flat_components(3);
  p.set_air_left(0);
  p.set_air_right(0);
  p.set_zinger_threshold(0.0f);
  p.set_saturation(0.0f);
  p.set_rings("none");
  p.set_phase_method("none");
  p.set_energy_kev(0.0);
  p.set_distance_mm(0.0);
  p.set_delta_over_beta(0.0);
  p.set_phase_pad_factor(2.0);
  p.set_unsharp_sigma(0.0);
  p.set_unsharp_amount(0.0);
  p.set_method("gridrec");
  p.set_filter("ram-lak");
  p.set_filter_cutoff(1.0f);
  p.set_cor_offset(0.0);
  p.set_circular_mask(true);
  p.set_mask_ratio(1.0f);
  p.set_pixel_size_um(0.0);
  p.set_output_units("per-pixel");
  p.set_format("tiff");
  p.set_prefix("slice");
  p.set_output_type("float32");
  p.set_out_min(0.0f);
  p.set_out_max(0.0f);
  p.set_auto_range_percent(0.0f);
  p.set_slice_crop_top(0);
  p.set_slice_crop_bottom(0);
  p.set_slice_crop_left(0);
  p.set_slice_crop_right(0);
  p.set_rotation_deg(0.0);
  p.set_half_acquisition(false);
  p.set_half_acquisition_blend("ramp");
  p.set_half_acquisition_normalise(false);
  p.set_threads(0);
  p.set_memory_bytes(0);
  // The CUDA kernels compile and share the CPU's per-element math, but have not yet run on a
  // GPU in this project's tests, so the GPU is used only when asked for.
  p.set_device("cpu");
  return p;
}

ReconParams merged(ReconParams base, const ReconParams& over) {
  if (over.angles_deg_size() > 0) base.clear_angles_deg();  // a list replaces, never appends
  // proto3 `optional` fields are merged when present, so an explicit false or 0 wins.
  base.MergeFrom(over);
  return base;
}

ReconParams with_defaults(const ReconParams& overrides) { return merged(default_params(), overrides); }

ReconParams params_from_json(const std::string& json, const std::string& source) {
  ReconParams parsed;
  message_from_json(json, parsed, source + ": not valid reconstruction parameters");
  return parsed;
}

std::string params_to_json(const ReconParams& params) { return message_to_json(params, /*pretty=*/true); }

namespace {

template <class T>
void check_range(const char* field, T value, T low, T high, const char* shown_range) {
  if (!(value >= low && value <= high)) fail("ReconParams.{} = {} is out of range {}", field, value, shown_range);
}

void check_member(const char* field, const std::string& value, const std::set<std::string>& allowed) {
  if (allowed.count(value)) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  fail("ReconParams.{} = '{}' is not one of: {}", field, value, list);
}

}  // namespace

void validate(const ReconParams& p) {
  if (!p.layout().empty()) parse_layout(p.layout());
  check_range("slice_from", p.slice_from(), 0, 1 << 24, "[0, 16777216]");
  if (p.slice_to() != -1 && p.slice_to() <= p.slice_from())
    fail("ReconParams.slice_to = {} must be -1 (to the last row) or greater than slice_from = {}", p.slice_to(),
         p.slice_from());
  check_range("projection_step", p.projection_step(), 1, 10000, "[1, 10000]");
  check_range("crop_top", p.crop_top(), 0, 1 << 20, "[0, 1048576]");
  check_range("crop_bottom", p.crop_bottom(), 0, 1 << 20, "[0, 1048576]");
  check_range("crop_left", p.crop_left(), 0, 1 << 20, "[0, 1048576]");
  check_range("crop_right", p.crop_right(), 0, 1 << 20, "[0, 1048576]");
  if (p.binning() != 1 && p.binning() != 2 && p.binning() != 4) fail("ReconParams.binning = {} is not one of: 1, 2, 4", p.binning());
  check_range("projection_from", p.projection_from(), 0, 1 << 24, "[0, 16777216]");
  if (p.projection_to() != -1 && p.projection_to() <= p.projection_from())
    fail("ReconParams.projection_to = {} must be -1 (to the last projection) or greater than projection_from = {}",
         p.projection_to(), p.projection_from());
  for (int i = 0; i < p.angles_deg_size(); ++i)
    if (!std::isfinite(p.angles_deg(i))) fail("ReconParams.angles_deg[{}] = {} is not a finite angle", i, p.angles_deg(i));
  check_range("angle_span_deg", p.angle_span_deg(), 1e-3, 360.0, "(0, 360]");
  check_range("angle_first_deg", p.angle_first_deg(), -360.0, 360.0, "[-360, 360]");
  check_member("flat_average", p.flat_average(), {"mean", "median"});
  check_range("min_transmission", p.min_transmission(), 1e-12f, 0.5f, "[1e-12, 0.5]");
  check_member("flat_mode", p.flat_mode(), {"auto", "mean", "before", "after", "interpolate", "half-half", "dynamic"});
  check_range("dynamic_flat_components", p.dynamic_flat_components(), 1, 20, "[1, 20]");
  check_range("half_half_line", p.half_half_line(), -1, 1 << 24, "[-1, 16777216] (-1 = the middle projection)");
  check_range("air_left", p.air_left(), 0, 1 << 20, "[0, 1048576] columns");
  check_range("air_right", p.air_right(), 0, 1 << 20, "[0, 1048576] columns");
  // Below 1 % the threshold is inside the noise of any real detector: it would median-filter the data.
  if (p.zinger_threshold() != 0.0f) check_range("zinger_threshold", p.zinger_threshold(), 0.01f, 10.0f, "[0.01, 10] or 0 (off)");
  check_range("saturation", p.saturation(), 0.0f, 1e9f, "[0, 1e9] counts (0 = no limit)");
  parse_ring_filter(p.rings());  // names the string and the allowed form when malformed
  check_member("phase_method", p.phase_method(), {"none", "paganin", "generalised-paganin"});
  // The physics ranges are checked with the file's values filled in (kernels/phase_retrieval.hpp).
  check_range("energy_kev", p.energy_kev(), 0.0, 500.0, "[0, 500] keV (0 = from the file)");
  check_range("distance_mm", p.distance_mm(), 0.0, 1e5, "[0, 100000] mm (0 = from the file)");
  check_range("delta_over_beta", p.delta_over_beta(), 0.0, 1e6, "[0, 1000000]");
  check_member("method", p.method(), {"fbp", "gridrec"});
  parse_filter_window(p.filter());
  check_range("filter_cutoff", p.filter_cutoff(), 1e-3f, 1.0f, "(0, 1]");
  check_range("cor_offset", p.cor_offset(), -1e5, 1e5, "[-100000, 100000] pixels");
  check_member("half_acquisition_blend", p.half_acquisition_blend(), {"ramp", "average", "cut"});
  check_range("rotation_deg", p.rotation_deg(), -360.0, 360.0, "[-360, 360] degrees");
  check_range("mask_ratio", p.mask_ratio(), 1e-3f, 1.5f, "(0, 1.5]");
  check_range("pixel_size_um", p.pixel_size_um(), 0.0, 1e5, "[0, 100000] (0 = from the file)");
  check_member("output_units", p.output_units(), {"per-pixel", "per-cm"});
  check_member("format", p.format(), {"tiff", "hdf5"});
  if (p.prefix().empty() || p.prefix().find('/') != std::string::npos)
    fail("ReconParams.prefix = '{}' must be a non-empty file name prefix without '/'", p.prefix());
  check_member("output_type", p.output_type(), {"float32", "uint16", "uint8"});
  check_range("auto_range_percent", p.auto_range_percent(), 0.0f, 20.0f, "[0, 20] (0 = out_min/out_max as given)");
  check_range("slice_crop_top", p.slice_crop_top(), 0, 1 << 20, "[0, 1048576]");
  check_range("slice_crop_bottom", p.slice_crop_bottom(), 0, 1 << 20, "[0, 1048576]");
  check_range("slice_crop_left", p.slice_crop_left(), 0, 1 << 20, "[0, 1048576]");
  check_range("slice_crop_right", p.slice_crop_right(), 0, 1 << 20, "[0, 1048576]");
  if (p.output_type() != "float32" && p.auto_range_percent() == 0.0f) {
    if (!std::isfinite(p.out_min()) || !std::isfinite(p.out_max()) || !(p.out_min() < p.out_max()))
      fail("ReconParams.out_min = {} and out_max = {}: {} output needs a finite range with out_min < out_max "
           "(or an automatic one, --range auto)",
           p.out_min(), p.out_max(), p.output_type());
  }
  check_member("device", p.device(), {"cpu", "gpu", "auto"});
  check_range("threads", p.threads(), 0, 1024, "[0, 1024] (0 = all cores)");
  if (p.memory_bytes() != 0) check_range("memory_bytes", p.memory_bytes(), std::int64_t{1} << 20, std::int64_t{1} << 50, "[1 MiB, 1 PiB] or 0 (automatic)");
}

std::int64_t parse_memory_size(const std::string& text) {
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    fail("memory size '{}' is not a number with an optional unit (K, M, G, T)", text);
  }
  std::string unit = text.substr(used);
  for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (unit.ends_with("IB")) unit.resize(unit.size() - 2);
  else if (unit.ends_with("B")) unit.resize(unit.size() - 1);
  double scale = 1;
  if (unit == "K") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) fail("memory size '{}' has an unknown unit '{}' (use K, M, G or T)", text, unit);
  if (!(number > 0) || !std::isfinite(number)) fail("memory size '{}' must be positive", text);
  return static_cast<std::int64_t>(number * scale);
}

void apply_output_conversion(const std::string& text, ReconParams& params) {
  const auto expected = [&](const std::string& what) -> void {
    fail("output conversion '{}': {}; expected linear8:MIN;MAX, linear16:MIN;MAX or float32", text, what);
  };
  if (text == "float32" || text == "none") {
    params.set_output_type("float32");
    return;
  }
  const auto colon = text.find(':');
  const std::string method = text.substr(0, colon);
  if (method != "linear8" && method != "linear16") expected(fmt::format("unknown conversion '{}'", method));
  if (colon == std::string::npos) expected("the range MIN;MAX is missing");
  const std::string range = text.substr(colon + 1);
  const auto semicolon = range.find(';');
  if (semicolon == std::string::npos) expected("the range must be MIN;MAX");
  const auto number = [&](const std::string& part, const char* name) {
    try {
      std::size_t used = 0;
      const double value = std::stod(part, &used);
      if (used == part.size() && std::isfinite(value)) return static_cast<float>(value);
    } catch (const std::exception&) {
    }
    expected(fmt::format("{} '{}' is not a number", name, part));
    return 0.0f;
  };
  params.set_output_type(method == "linear8" ? "uint8" : "uint16");
  params.set_out_min(number(range.substr(0, semicolon), "MIN"));
  params.set_out_max(number(range.substr(semicolon + 1), "MAX"));
  params.set_auto_range_percent(0.0f);
}

}  // namespace tomo
