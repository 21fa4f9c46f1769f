// tomoedge cor INPUT [--slice ROW] [--method registration|vo] [--json] [--plot FILE.png]:
// the centre of rotation estimated from the data.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/params_flags.hpp"
#include "pipeline/reconstruction_plan.hpp"
#include "pipeline/slab_reader.hpp"
#include "pipeline/slab_preprocessor.hpp"
#include "kernels/center_of_rotation.hpp"
#include "kernels/error.hpp"
#include "kernels/half_acquisition.hpp"
#include "storage/plots.hpp"

namespace tomo::cli {
namespace {

struct CorFlags {
  std::string input, method = "registration", plot;
  int slice = -1;  // -1: the middle row
  int rows = 5;    // registration averages its metric over this many rows around the slice
  double search = 0;
  bool json = false;
  bool half_acquisition = false;
  ParamsFlags params;
};

void run(const CorFlags& f) {
  if (f.method != "registration" && f.method != "vo") fail("--method '{}' is not one of: registration, vo", f.method);
  if (f.half_acquisition && f.method != "registration")
    fail("--half-acquisition finds the axis by registration of the overlap; --method {} does not apply", f.method);
  if (f.rows < 1 || f.rows > 64) fail("--rows {} is out of range [1, 64]", f.rows);
  if (f.search < 0) fail("--search {} must be positive (pixels), or 0 for a quarter of the detector", f.search);
  const ReconParams params = resolve_params(f.params, f.input);
  auto scan = open_scan(f.input, params.layout().empty() ? std::nullopt : std::optional(parse_layout(params.layout())));
  require_complete(*scan);
  const Plan plan = plan_scan(*scan, params);
  const int centre = f.slice >= 0 ? f.slice : plan.usable_rows.begin + plan.usable_rows.size() / 2;
  if (centre < plan.usable_rows.begin || centre >= plan.usable_rows.end)
    fail("--slice {} is outside the rows {}:{} of {}", centre, plan.usable_rows.begin, plan.usable_rows.end, f.input);
  const int count = f.method == "vo" ? 1 : f.rows;
  const Range rows{std::max(plan.usable_rows.begin, centre - count / 2), std::min(plan.usable_rows.end, centre - count / 2 + count)};

  SlabPreprocessor preprocessing(plan, params);
  SlabInput slab = read_slab(*scan, plan, params, rows);
  preprocessing.preprocess(slab);
  const int projections = static_cast<int>(plan.projections.size());
  const CorEstimate estimate =
      f.half_acquisition ? estimate_half_acquisition_axis(slab.sinograms, rows.size(), projections, plan.width)
      : f.method == "vo" ? estimate_cor_vo(slab.sinograms, projections, plan.width, plan.angles_rad, f.search)
                         : estimate_cor_registration(slab.sinograms, rows.size(), projections, plan.width, plan.angles_rad, f.search);

  // From the (binned) columns the estimate works in to --cor-offset's detector pixels.
  const double offset = detector_offset(plan, estimate.offset), axis = plan.columns.size() / 2.0 + offset;
  std::vector<std::pair<double, double>> metric;
  for (const auto& [trial, value] : estimate.metric) metric.emplace_back(detector_offset(plan, trial), value);
  if (!f.plot.empty()) {
    write_metric_plot(f.plot, metric, offset,
                      {fmt::format("{}: centre of rotation ({})", scan->info().path.filename().string(), f.method),
                       "offset from the detector centre (pixels)", "mismatch (lower is better)"});
  }
  if (f.json) {
    nlohmann::json out{{"offset", offset},
                       {"axis_column", axis + plan.columns.begin},
                       {"confidence", estimate.confidence},
                       {"method", f.method},
                       {"rows", {rows.begin, rows.end}},
                       {"metric", nlohmann::json::array()}};
    for (const auto& [trial, value] : metric) out["metric"].push_back({trial, value});
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("offset {:+.2f} pixels: the axis at column {:.2f} of the detector's {}\n", offset,
                           axis + plan.columns.begin, scan->info().columns);
  std::cout << fmt::format("confidence {:.2f} ({}, rows {}:{})\n", estimate.confidence, f.method, rows.begin, rows.end);
  std::cout << fmt::format("reconstruct with: --cor-offset {:.2f}\n", offset);
  if (!f.plot.empty()) std::cout << "plot: " << f.plot << "\n";
}

}  // namespace

void add_cor_command(CLI::App& app) {
  auto flags = std::make_shared<CorFlags>();
  auto* cmd = app.add_subcommand("cor", "Estimate the centre of rotation from the data (prints --cor-offset)");
  cmd->add_option("input", flags->input, "Scan file or TIFF folder/sinogram")->required();
  cmd->add_option("--slice", flags->slice, "Detector row to use (default: the middle one)");
  cmd->add_option("--rows", flags->rows, "Rows around it that registration uses")->capture_default_str();
  cmd->add_option("--method", flags->method, "registration (0° against mirrored 180°) or vo (Vo et al. 2014)")
      ->capture_default_str();
  cmd->add_option("--search", flags->search, "Offsets searched, ± pixels (0: a quarter of the detector)");
  cmd->add_flag("--json", flags->json, "Print the estimate as JSON (offset, axis_column, confidence, metric)");
  cmd->add_flag("--half-acquisition", flags->half_acquisition,
                "A 360-degree scan with the axis near an edge: match each projection's overlap with the one 180 degrees later");
  cmd->add_option("--plot", flags->plot, "Also draw the metric against the offset into this PNG");
  add_params_flags(cmd, flags->params, FlagSet::input_and_preprocessing);
  cmd->callback([flags] { run(*flags); });
}

}  // namespace tomo::cli
