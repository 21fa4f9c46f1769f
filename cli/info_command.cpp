// `tomoedge info SCAN [--json] [--layout L]`: the quick summary STP3 users know -- layout,
// shape, counts of projections / sinograms / flats / darks, storage, angles and geometry --
// read from the file's metadata only (no pixel data is read).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "storage/scan_reader.hpp"
#include "storage/scan_summary.hpp"

namespace tomo::cli {
namespace {

struct InfoOptions {
  std::string input;
  std::string layout;  // empty: detect
  bool json = false;
};

template <class T>
std::string or_dash(const std::optional<T>& value, const char* unit) {
  return value ? fmt::format("{:g} {}", *value, unit) : std::string("-");
}

std::string angle_summary(const ScanInfo& info) {
  if (info.angles_deg.empty()) return "not in the file (evenly spaced over the scan)";
  return fmt::format("{:g} to {:g} deg ({} stored)", info.angles_deg.front(), info.angles_deg.back(),
                     info.angles_deg.size());
}

void print_summary(const ScanInfo& info, const AcquisitionState& acquisition) {
  const auto line = [](const char* label, const std::string& value) { std::cout << fmt::format("{:<13}{}\n", label, value); };
  line("file", info.path.string());
  line("layout", to_string(info.layout));
  line("shape", fmt::format("{} projections x {} rows x {} columns", info.projections, info.rows, info.columns));
  line("projections", std::to_string(info.projections));
  line("sinograms", std::to_string(info.rows));
  line("detector", fmt::format("{} columns", info.columns));
  line("darks", fmt::format("{} ({} before, {} after)", info.darks(), info.darks_before, info.darks_after));
  line("flats", fmt::format("{} ({} before, {} after)", info.flats(), info.flats_before, info.flats_after));
  line("dtype", info.dtype);
  line("storage", fmt::format("{}, compression {}", info.chunking, info.compression));
  line("angles", angle_summary(info));
  line("pixel size", or_dash(info.pixel_size_um, "um"));
  line("distance", or_dash(info.distance_mm, "mm"));
  line("energy", or_dash(info.energy_kev, "keV"));
  line("sample", info.sample.empty() ? std::string("-") : info.sample);
  // Only a scan being acquired says so; every other file is complete.
  if (!acquisition.complete)
    line("acquisition", fmt::format("{} of {} projections written, not marked complete (still being acquired, or "
                                    "its writer stopped)",
                                    acquisition.written, acquisition.expected));
}

void run_info(const InfoOptions& options) {
  const std::optional<Layout> layout =
      options.layout.empty() ? std::nullopt : std::optional<Layout>(parse_layout(options.layout));
  const std::unique_ptr<ScanReader> scan = open_scan(options.input, layout);
  const AcquisitionState acquisition = scan->refresh();
  if (options.json) std::cout << scan_summary_json(scan->info(), acquisition).dump(2) << "\n";
  else print_summary(scan->info(), acquisition);
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* info = app.add_subcommand("info", "Summarise a scan: layout, shape, flats, darks, storage, geometry");
  info->add_option("scan", options->input,
                   "HDF5 file (TDF, Data Exchange, NXtomo), TIFF sinogram, or folder / quoted pattern of TIFFs")
      ->required();
  info->add_flag("--json", options->json, "Print one JSON object instead of the text summary");
  info->add_option("--layout", options->layout, "Read as this layout instead of detecting it")
      ->check(CLI::IsMember({"tdf", "dx", "nxtomo", "tiff-stack", "sinogram-tiff"}));
  info->callback([options] { run_info(*options); });
}

}  // namespace tomo::cli
