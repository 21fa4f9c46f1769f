// Placeholder until the info command lands (replaced in this same session).
#include <CLI/CLI.hpp>
#include "cli/commands.hpp"
namespace tomo::cli {
void add_info_command(CLI::App& app) { app.add_subcommand("info", "(not built yet)"); }
}  // namespace tomo::cli
