// Placeholder until the recon command lands (replaced in this same session).
#include <CLI/CLI.hpp>
#include "cli/commands.hpp"
namespace tomo::cli {
void add_recon_command(CLI::App& app) { app.add_subcommand("recon", "(not built yet)"); }
}  // namespace tomo::cli
