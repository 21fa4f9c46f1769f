#pragma once
// Each subcommand of `tomoedge` registers its flags and its action on the top-level app.
// Actions report user errors by throwing tomo::Error; main() prints them and exits 1.
namespace CLI {
class App;
}

namespace tomo::cli {

void add_info_command(CLI::App& app);      // tomoedge info FILE [--json]
void add_simulate_command(CLI::App& app);  // tomoedge simulate --out FILE ...
void add_recon_command(CLI::App& app);     // tomoedge recon INPUT --out DIR ...
void add_cor_command(CLI::App& app);       // tomoedge cor INPUT [--slice ROW] [--method M] [--json]
void add_sweep_command(CLI::App& app);     // tomoedge cor-sweep INPUT --slice ROW --from A --to B --step S --out DIR
void add_serve_command(CLI::App& app);     // tomoedge serve [--config FILE] [--listen ADDR:PORT] [--data-root DIR]...
void add_jobs_command(CLI::App& app);      // tomoedge jobs list|show|submit|cancel|retry [--server URL]

}  // namespace tomo::cli
