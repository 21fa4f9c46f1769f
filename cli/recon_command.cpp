// tomoedge recon INPUT --out DIR [...]: batch reconstruction of a finished scan.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "actors/job_runner.hpp"
#include "cli/commands.hpp"
#include "cli/params_flags.hpp"
#include "kernels/error.hpp"

namespace tomo::cli {
namespace {

struct ReconFlags {
  std::string input, out, preview, events;
  bool dump_params = false;
  int writer_delay_ms = 0;
  ParamsFlags params;
};

void show_progress(int done, int total) {
  const int width = 40, filled = total > 0 ? done * width / total : width;
  std::cerr << fmt::format("\r[{}{}] {}/{} slices", std::string(static_cast<std::size_t>(filled), '#'),
                           std::string(static_cast<std::size_t>(width - filled), ' '), done, total)
            << (done == total ? "\n" : "") << std::flush;
}

void run(const ReconFlags& f) {
  const ReconParams params = resolve_params(f.params, f.input);
  if (f.dump_params) {
    std::cout << params_to_json(params) << "\n";
    return;
  }
  if (f.out.empty()) fail("recon needs --out DIR (where the slices go)");

  JobRequest request{f.input, f.out, params, std::nullopt};
  if (!f.preview.empty()) request.preview_png = f.preview;
  JobOptions options;
  if (isatty(STDERR_FILENO)) options.on_progress = show_progress;
  if (!f.events.empty()) options.events = f.events;
  options.writer_delay = std::chrono::milliseconds(f.writer_delay_ms);
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
  // Hidden: for the tests of bounded memory, a writer as slow as a congested disk.
  cmd->add_option("--test-writer-delay", flags->writer_delay_ms, "Milliseconds the writer waits before each slab")
      ->group("")
      ->check(CLI::Range(0, 60000));
  add_params_flags(cmd, flags->params);
  cmd->callback([flags] { run(*flags); });
}

}  // namespace tomo::cli
