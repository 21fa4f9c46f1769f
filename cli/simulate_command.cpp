// Placeholder until the simulate command lands (replaced in this same session).
#include <CLI/CLI.hpp>
#include "cli/commands.hpp"
namespace tomo::cli {
void add_simulate_command(CLI::App& app) { app.add_subcommand("simulate", "(not built yet)"); }
}  // namespace tomo::cli
