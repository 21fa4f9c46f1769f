// tomoedge: reconstruct parallel-beam CT scans. `tomoedge --help` lists the subcommands.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

#include "cli/commands.hpp"
#include "kernels/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tomoedge " TOMO_VERSION " - live and batch reconstruction of parallel-beam CT scans"};
  app.require_subcommand(1);
  app.fallthrough();  // --log-level may also follow the subcommand
  app.set_version_flag("--version", "tomoedge " TOMO_VERSION);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  // Log lines go to stderr: stdout carries results other programs parse (info --json, --dump-params).
  spdlog::set_default_logger(spdlog::stderr_color_mt("tomoedge"));
  app.parse_complete_callback([&] { spdlog::set_level(spdlog::level::from_str(log_level)); });

  tomo::cli::add_info_command(app);
  tomo::cli::add_simulate_command(app);
  tomo::cli::add_recon_command(app);
  tomo::cli::add_cor_command(app);
  tomo::cli::add_sweep_command(app);
  tomo::cli::add_serve_command(app);
  tomo::cli::add_jobs_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const tomo::Error& e) {
    std::cerr << "tomoedge: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tomoedge: internal error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
