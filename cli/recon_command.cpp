// tomoedge recon INPUT --out DIR [...]: batch reconstruction of a finished scan.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "actors/job_runner.hpp"
#include "cli/commands.hpp"
#include "cli/params_flags.hpp"
#include "kernels/error.hpp"
#include "storage/png_image.hpp"
#include "storage/slice_writer.hpp"
#include "storage/tiff_image.hpp"

namespace tomo::cli {
namespace {

struct ReconFlags {
  std::string input, out, preview, events;
  bool dump_params = false;
  int writer_delay_ms = 0;
  bool follow = false;
  double stall_timeout = 60;
  std::string live_view, live_rows;
  int live_every = 100;
  ParamsFlags params;
};

void show_progress(int done, int total) {
  const int width = 40, filled = total > 0 ? done * width / total : width;
  std::cerr << fmt::format("\r[{}{}] {}/{} slices", std::string(static_cast<std::size_t>(filled), '#'),
                           std::string(static_cast<std::size_t>(width - filled), ' '), done, total)
            << (done == total ? "\n" : "") << std::flush;
}

// "100,500" → {100, 500}.
std::vector<int> parse_rows(const std::string& text) {
  std::vector<int> rows;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) rows.push_back(static_cast<int>(to_number(item, "--live-slices")));
  return rows;
}

void run(const ReconFlags& f) {
  ReconParams params = resolve_params(f.params, f.input);
  // Following a scan means reconstructing it as it comes: unless told otherwise, with the method
  // that adds projection by projection (gridrec, the batch default, waits for the whole scan).
  if (f.follow && !f.params.overrides.has_method() && f.params.params_file.empty() && params.method() != "fbp") {
    params.set_method("fbp");
    spdlog::info("--follow: reconstructing with the direct method (fbp), which runs live; --method gridrec waits "
                 "for the end of the scan");
  }
  if (f.dump_params) {
    std::cout << params_to_json(params) << "\n";
    return;
  }
  if (f.out.empty()) fail("recon needs --out DIR (where the slices go)");

  JobRequest request;
  request.input = f.input;
  request.output_folder = f.out;
  request.params = params;
  if (!f.preview.empty()) request.preview_png = f.preview;
  JobOptions options;
  if (isatty(STDERR_FILENO)) options.on_progress = show_progress;
  if (!f.events.empty()) options.events = f.events;
  options.writer_delay = std::chrono::milliseconds(f.writer_delay_ms);
  options.follow = f.follow;
  options.stall_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.stall_timeout * 1000));
  if (!f.live_view.empty()) {
    // The live view as float32 TIFFs, LIVE_DIR/live_ROW_PROJECTIONS.tif, and PNGs to look at
    // (each written whole, then renamed).
    std::filesystem::create_directories(f.live_view);
    options.live_rows = parse_rows(f.live_rows);
    options.live_every = f.live_every;
    options.on_live_slice = [dir = std::filesystem::path(f.live_view)](int row, int added, int width, std::span<const float> values) {
      const auto name = dir / fmt::format("live_{:04}_{:05}", row, added);
      write_atomically(std::filesystem::path(name) += ".tif", [&](const std::filesystem::path& to) {
        write_tiff(to, values, width, width, PixelType::float32);
      });
      write_png_preview(std::filesystem::path(name) += ".png", values, width, width);
    };
  }
  JobRunner runner;
  const auto result = runner.run(request, options);
  const ReconParams& p = request.params;
  std::cout << fmt::format("reconstructed {} slices ({} x {}) in {:.1f} s\n", result.slices, result.slice_width,
                           result.slice_width, result.seconds);
  if (p.format() == "hdf5") std::cout << "volume: " << result.outputs.front().string() << "\n";
  else if (result.outputs.size() == 1) std::cout << "slice: " << result.outputs.front().string() << "\n";
  else std::cout << "slices: " << result.outputs.front().string() << " ... " << result.outputs.back().filename().string() << "\n";
  if (request.preview_png) std::cout << "preview: " << request.preview_png->string() << "\n";
}

}  // namespace

void add_recon_command(CLI::App& app) {
  auto flags = std::make_shared<ReconFlags>();
  auto* cmd = app.add_subcommand("recon", "Reconstruct a finished scan into a TIFF stack or an HDF5 volume");
  cmd->add_option("input", flags->input, "Scan file (HDF5: TDF, Data Exchange, NXtomo) or TIFF folder/sinogram")->required();
  cmd->add_option("--out,-o", flags->out, "Output folder");
  cmd->add_flag("--dump-params", flags->dump_params, "Print the effective parameters as JSON and exit");
  cmd->add_option("--preview", flags->preview, "Also write the middle slice as a PNG here");
  cmd->add_option("--events", flags->events, "Write the job's events (slabs read, reconstructed, slices written) as JSON lines here");
  cmd->add_flag("--follow", flags->follow,
                "The scan is being acquired: reconstruct it as it grows (docs/pipeline.md), wait for it to complete");
  cmd->add_option("--stall-timeout", flags->stall_timeout,
                  "With --follow: seconds without a new projection (or without the file) before the scan is given up as incomplete")
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--live-view", flags->live_view,
                  "With --follow: write the live view of chosen slices (TIFF and PNG) in this folder");
  cmd->add_option("--live-slices", flags->live_rows, "Rows of the live view, e.g. 100,500 (default: the middle row)");
  cmd->add_option("--live-every", flags->live_every, "Update the live view every this many projections (default 100)")
      ->check(CLI::Range(1, 1000000));
  // Hidden: for the tests of bounded memory, a writer as slow as a congested disk.
  cmd->add_option("--test-writer-delay", flags->writer_delay_ms, "Milliseconds the writer waits before each slab")
      ->group("")
      ->check(CLI::Range(0, 60000));
  add_params_flags(cmd, flags->params);
  cmd->callback([flags] { run(*flags); });
}

}  // namespace tomo::cli
