// tomoedge cor-sweep INPUT --slice ROW --from A --to B --step S --out DIR: one slice per value of
// the centre offset (or of δ/β), each file named by the value used, and a labelled contact sheet
// to choose from (STP's "multi-offset").
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "pipeline/slice_sweep.hpp"
#include "cli/commands.hpp"
#include "cli/params_flags.hpp"
#include "kernels/error.hpp"
#include "storage/plots.hpp"
#include "storage/slice_writer.hpp"
#include "storage/tiff_image.hpp"

namespace tomo::cli {
namespace {

// More slices than a person compares at once, and a bound on the time a typo can cost.
constexpr int kMaxSweepSlices = 200;

struct SweepFlags {
  std::string input, out, parameter = "cor";
  int slice = 0;
  double from = 0, to = 0, step = 1;
  ParamsFlags params;
};

void run(const SweepFlags& f) {
  if (f.parameter != "cor" && f.parameter != "delta-beta")
    fail("--parameter '{}' is not one of: cor, delta-beta", f.parameter);
  if (!(f.step > 0)) fail("--step {} must be positive", f.step);
  if (!(f.to >= f.from)) fail("--to {} must not be below --from {}", f.to, f.from);
  const int count = static_cast<int>(std::floor((f.to - f.from) / f.step + 1e-9)) + 1;
  if (count > kMaxSweepSlices) fail("--from {} --to {} --step {} makes {} slices; at most {}", f.from, f.to, f.step, count, kMaxSweepSlices);
  if (f.parameter == "delta-beta" && !(f.from > 0)) fail("a δ/β sweep needs positive values: --from {}", f.from);
  ReconParams params = resolve_params(f.params, f.input);
  if (f.parameter == "delta-beta" && params.phase_method() == "none") params.set_phase_method("paganin");
  if (f.slice < 0) fail("--slice {} is not a detector row", f.slice);
  std::filesystem::create_directories(f.out);

  SliceSweep sweep(f.input, params);
  std::vector<std::vector<float>> slices;
  std::vector<std::string> labels;
  int n = 0;
  for (int i = 0; i < count; ++i) {
    const double value = f.from + i * f.step;
    if (f.parameter == "cor") params.set_cor_offset(value);
    else params.set_delta_over_beta(value);
    validate(params);
    slices.push_back(sweep.slice(params, f.slice));
    n = static_cast<int>(std::lround(std::sqrt(static_cast<double>(slices.back().size()))));
    // The name says the value actually used, to the precision a sweep step can have.
    const std::string label = f.parameter == "cor" ? fmt::format("{:+.2f}", value) : fmt::format("{:g}", value);
    const auto path = std::filesystem::path(f.out) / fmt::format("{}_{}_{}.tif", params.prefix(), f.parameter, label);
    write_atomically(path, [&](const std::filesystem::path& part) { write_tiff(part, slices.back(), n, n, PixelType::float32, 0, 1); });
    labels.push_back(f.parameter == "cor" ? "offset " + label : "δ/β " + label);
    std::cout << path.string() << "\n";
  }
  const auto sheet = std::filesystem::path(f.out) / fmt::format("{}_{}_sweep.png", params.prefix(), f.parameter);
  write_contact_sheet(sheet, slices, n, labels);
  std::cout << "contact sheet: " << sheet.string() << "\n";
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto flags = std::make_shared<SweepFlags>();
  auto* cmd = app.add_subcommand("cor-sweep",
                                 "One slice per centre offset (or δ/β), named by the value, and a labelled contact sheet");
  cmd->add_option("input", flags->input, "Scan file or TIFF folder/sinogram")->required();
  cmd->add_option("--slice", flags->slice, "Detector row to reconstruct")->required();
  cmd->add_option("--from", flags->from, "First value (offset in pixels, or δ/β)")->required();
  cmd->add_option("--to", flags->to, "Last value")->required();
  cmd->add_option("--step", flags->step, "Step between values")->capture_default_str();
  cmd->add_option("--out,-o", flags->out, "Output folder")->required();
  cmd->add_option("--parameter", flags->parameter, "What to sweep: cor (--cor-offset) or delta-beta (phase retrieval's δ/β)")
      ->capture_default_str();
  add_params_flags(cmd, flags->params);
  cmd->callback([flags] { run(*flags); });
}

}  // namespace tomo::cli
