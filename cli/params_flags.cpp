#include "cli/params_flags.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "kernels/error.hpp"
#include "storage/scan_reader.hpp"

namespace tomo::cli {

// "FROM:TO" (either side may be empty) → two integers.
std::pair<std::string, std::string> split_pair(const std::string& text, const char* flag) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) fail("{} '{}' must be FROM:TO", flag, text);
  return {text.substr(0, colon), text.substr(colon + 1)};
}

double to_number(const std::string& text, const char* flag) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  fail("{}: '{}' is not a number", flag, text);
}

namespace {

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) fail("{} {}: cannot open the file", what, path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Applies the flags that need parsing beyond CLI11's (ranges, lists) to `o`.
void apply_compound_flags(const ParamsFlags& f, ReconParams& o) {
  if (!f.slices.empty()) {
    auto [from, to] = split_pair(f.slices, "--slices");
    if (!from.empty()) o.set_slice_from(static_cast<int>(to_number(from, "--slices")));
    o.set_slice_to(to.empty() ? -1 : static_cast<int>(to_number(to, "--slices")));
  }
  const auto four = [&](const std::string& text, const char* flag) {  // STP's top:bottom:left:right
    std::vector<int> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ':');) parts.push_back(static_cast<int>(to_number(part, flag)));
    if (parts.size() != 4) fail("{} '{}' must be TOP:BOTTOM:LEFT:RIGHT", flag, text);
    return parts;
  };
  if (!f.crop.empty()) {  // pixels removed from each edge of the projections
    const auto parts = four(f.crop, "--crop");
    o.set_crop_top(parts[0]);
    o.set_crop_bottom(parts[1]);
    o.set_crop_left(parts[2]);
    o.set_crop_right(parts[3]);
  }
  if (!f.slice_crop.empty()) {  // and from each edge of the slices
    const auto parts = four(f.slice_crop, "--slice-crop");
    o.set_slice_crop_top(parts[0]);
    o.set_slice_crop_bottom(parts[1]);
    o.set_slice_crop_left(parts[2]);
    o.set_slice_crop_right(parts[3]);
  }
  if (!f.angles_file.empty()) {
    std::stringstream in(read_text_file(f.angles_file, "--angles-file"));
    o.clear_angles_deg();
    for (std::string word; in >> word;) o.add_angles_deg(to_number(word, "--angles-file"));
    if (o.angles_deg_size() == 0) fail("--angles-file {} holds no angles", f.angles_file);
  }
  if (!f.convert.empty()) apply_output_conversion(f.convert, o);
  if (!f.unsharp.empty()) {
    auto [sigma, amount] = split_pair(f.unsharp, "--unsharp");
    o.set_unsharp_sigma(to_number(sigma, "--unsharp"));
    o.set_unsharp_amount(to_number(amount, "--unsharp"));
  }
  if (f.range == "auto") {
    o.set_auto_range_percent(0.1f);
  } else if (f.range.starts_with("auto:")) {
    o.set_auto_range_percent(static_cast<float>(to_number(f.range.substr(5), "--range auto:P")));
  } else if (!f.range.empty()) {
    auto [low, high] = split_pair(f.range, "--range");
    o.set_out_min(static_cast<float>(to_number(low, "--range")));
    o.set_out_max(static_cast<float>(to_number(high, "--range")));
    o.set_auto_range_percent(0.0f);
  }
  if (!f.memory.empty()) o.set_memory_bytes(parse_memory_size(f.memory));
  if (!f.projections.empty()) {
    auto [from, to] = split_pair(f.projections, "--projections");
    if (!from.empty()) o.set_projection_from(static_cast<int>(to_number(from, "--projections")));
    o.set_projection_to(to.empty() ? -1 : static_cast<int>(to_number(to, "--projections")));
  }
  if (!f.air.empty()) {
    auto [left, right] = split_pair(f.air, "--air");
    o.set_air_left(left.empty() ? 0 : static_cast<int>(to_number(left, "--air")));
    o.set_air_right(right.empty() ? 0 : static_cast<int>(to_number(right, "--air")));
  }
}

}  // namespace

void add_params_flags(CLI::App* command, ParamsFlags& flags, FlagSet set) {
  ReconParams& o = flags.overrides;
  command->add_option("--params", flags.params_file, "JSON file of ReconParams (flags given here override it)");
  // Each option sets its ReconParams field only when given, so --params values survive. Groups
  // keep `--help` in the order a user thinks: input, preprocessing, then reconstruction and output.
  CLI::Option_group* input = command->add_option_group("Input");
  CLI::Option_group* pre = command->add_option_group("Preprocessing");
  const auto text = [&o](CLI::Option_group* group, const char* name, void (ReconParams::*set_field)(const std::string&),
                         const char* help) {
    group->add_option_function<std::string>(name, [&o, set_field](const std::string& v) { (o.*set_field)(v); }, help);
  };
  text(input, "--layout", &ReconParams::set_layout, "Force the layout: tdf, dx, nxtomo, tiff-stack, sinogram-tiff");
  input->add_option("--crop", flags.crop, "Pixels removed TOP:BOTTOM:LEFT:RIGHT");
  input->add_option_function<int>("--binning", [&o](int v) { o.set_binning(v); },
                                  "Average b x b detector pixels: 1, 2 or 4 (slice numbers then count binned rows)");
  input->add_option("--projections", flags.projections, "Projections FROM:TO (half-open, scan order) before --step");
  input->add_option_function<int>("--step", [&o](int v) { o.set_projection_step(v); }, "Use every n-th projection");
  input->add_option("--angles", flags.angles, "Angles FIRST:STEP in degrees, one per projection");
  input->add_option("--angles-file", flags.angles_file, "Text file with one angle (degrees) per projection");
  input->add_option_function<double>("--span", [&o](double v) { o.set_angle_span_deg(v); },
                                     "Angular range when the file has no angles: 180 or 360");
  input->add_flag_callback("--ignore-file-angles", [&o] { o.set_ignore_file_angles(true); }, "Use --span, not the file's angles");
  input->add_option_function<double>("--pixel-size", [&o](double v) { o.set_pixel_size_um(v); }, "Pixel size in µm");
  input->add_option_function<int>("--threads", [&o](int v) { o.set_threads(v); }, "Worker threads (0 = all cores)");

  text(pre, "--flat-mode", &ReconParams::set_flat_mode,
       "Which flats: auto, mean, before, after, interpolate, half-half (see --half-half-line), dynamic");
  pre->add_option_function<int>("--eigen-flats", [&o](int v) { o.set_dynamic_flat_components(v); },
                                 "Eigen flats each projection's own flat is made from (--flat-mode dynamic; default 3)");
  text(pre, "--flat-average", &ReconParams::set_flat_average, "How flats/darks are averaged: mean or median");
  pre->add_option_function<int>("--half-half-line", [&o](int v) { o.set_half_half_line(v); },
                                "First projection corrected with the after-scan flats (half-half; default the middle)");
  pre->add_flag_callback("--no-flat-field", [&o] { o.set_flat_field(false); }, "Data are already flat-field corrected");
  pre->add_flag_callback("--no-log", [&o] { o.set_minus_log(false); }, "Do not take -log (data are line integrals)");
  pre->add_option("--air", flags.air, "Air normalisation: LEFT:RIGHT columns of air at the edges of each row");
  pre->add_option_function<float>("--zingers", [&o](float v) { o.set_zinger_threshold(v); },
                                  "Remove zingers: relative difference from the median of 3 frames, e.g. 0.1 (0 = off)");
  pre->add_option_function<float>("--saturation", [&o](float v) { o.set_saturation(v); },
                                  "Raw counts at or above this are repaired like NaN (0 = no limit)");
  text(pre, "--rings", &ReconParams::set_rings,
       "Ring removal, STP's string: rivers:N;_, boinhaibel:N;_, muenchetal:L;S, raven:N;P, oimoen:N1;N2, "
       "sijberspostnov:W;T, vo-sort[:SIZE[;DIM]], vo-filter[:SIGMA[;SIZE[;DIM]]], vo-large|vo-dead[:SNR[;SIZE]], "
       "vo-all[:SNR[;LA[;SM[;DIM]]]], vo-fit[:ORDER[;SIGMA]], none (docs/ring_removal.md)");
  text(pre, "--phase", &ReconParams::set_phase_method, "Phase retrieval: none, paganin or generalised-paganin");
  pre->add_option_function<double>("--energy", [&o](double v) { o.set_energy_kev(v); }, "X-ray energy, keV (default: the file's)");
  pre->add_option_function<double>("--distance", [&o](double v) { o.set_distance_mm(v); },
                                   "Sample-detector distance, mm (default: the file's)");
  pre->add_option_function<double>("--delta-beta", [&o](double v) { o.set_delta_over_beta(v); }, "delta/beta of the sample");
  pre->add_option_function<double>("--phase-pad", [&o](double v) { o.set_phase_pad_factor(v); },
                                   "Padding factor of the projections for phase retrieval (1-4, default 2)");
  pre->add_option("--unsharp", flags.unsharp, "Unsharp mask after phase retrieval: SIGMA:AMOUNT (pixels, fraction)");
  if (set == FlagSet::input_and_preprocessing) return;

  CLI::Option_group* recon = command->add_option_group("Reconstruction");
  CLI::Option_group* output = command->add_option_group("Output");
  text(recon, "--method", &ReconParams::set_method, "gridrec (Fourier gridding, the default) or fbp (direct backprojection)");
  text(recon, "--filter", &ReconParams::set_filter, "ram-lak, shepp-logan, cosine, hamming, hann, parzen");
  recon->add_option_function<float>("--cutoff", [&o](float v) { o.set_filter_cutoff(v); }, "Filter cut-off, fraction of Nyquist");
  recon->add_option_function<double>("--cor-offset", [&o](double v) { o.set_cor_offset(v); },
                                     "Rotation axis offset from the detector centre, pixels");
  recon->add_flag_callback("--half-acquisition", [&o] { o.set_half_acquisition(true); },
                           "360-degree scan with the axis near an edge (--cor-offset): stitch pairs 180 degrees apart");
  text(recon, "--stitch-blend", &ReconParams::set_half_acquisition_blend,
       "Half acquisition: join the overlap by ramp (default), average or cut");
  recon->add_flag_callback("--stitch-normalise", [&o] { o.set_half_acquisition_normalise(true); },
                           "Half acquisition: match each pair's overlap (beam intensity changed between them)");
  recon->add_option_function<double>("--rotate", [&o](double v) { o.set_rotation_deg(v); },
                                     "Rotate the slices counter-clockwise by this many degrees");
  recon->add_option_function<float>("--mask-ratio", [&o](float v) { o.set_mask_ratio(v); }, "Radius of the circular mask / (N/2)");
  recon->add_flag_callback("--no-mask", [&o] { o.set_circular_mask(false); }, "Keep the corners outside the disc");
  text(recon, "--device", &ReconParams::set_device, "cpu, gpu (CUDA) or auto");
  recon->add_option("--memory", flags.memory, "Memory budget, e.g. 4G (default: half the available memory)");
  output->add_option("--slices", flags.slices, "Detector rows FROM:TO (half-open)");
  text(output, "--format", &ReconParams::set_format, "tiff (one file per slice) or hdf5 (one NXtomoproc volume)");
  text(output, "--prefix", &ReconParams::set_prefix, "Output name prefix (PREFIX_NNNN.tif, PREFIX.h5)");
  text(output, "--output-type", &ReconParams::set_output_type, "float32, uint16 or uint8 (with --range)");
  output->add_option("--range", flags.range,
                     "MIN:MAX mapped onto the integer output type, or auto[:P] (the P and 100 - P percentiles of the "
                     "middle slice; P = 0.1 by default)");
  output->add_option("--convert", flags.convert, "STP's output conversion: linear8:MIN;MAX, linear16:MIN;MAX or float32");
  output->add_option("--slice-crop", flags.slice_crop, "Pixels cut off each slice's edges before writing: TOP:BOTTOM:LEFT:RIGHT");
  text(output, "--units", &ReconParams::set_output_units, "per-pixel or per-cm (needs a pixel size)");
}

ReconParams given_params(const ParamsFlags& f) {
  ReconParams params;
  if (!f.params_file.empty()) params = params_from_json(read_text_file(f.params_file, "--params"), f.params_file);
  ReconParams overrides = f.overrides;
  apply_compound_flags(f, overrides);
  return merged(params, overrides);
}

ReconParams resolve_params(const ParamsFlags& f, const std::filesystem::path& input) {
  ReconParams params = with_defaults(given_params(f));
  if (!f.angles.empty()) {
    // --angles FIRST:STEP: one angle per projection, so the scan's projection count is needed.
    auto [first, step] = split_pair(f.angles, "--angles");
    const auto layout = params.layout().empty() ? std::nullopt : std::optional(parse_layout(params.layout()));
    const int count = open_scan(input, layout)->info().projections;
    params.clear_angles_deg();
    for (int i = 0; i < count; ++i) params.add_angles_deg(to_number(first, "--angles") + i * to_number(step, "--angles"));
  }
  validate(params);
  return params;
}

}  // namespace tomo::cli
