// `tomoedge serve [--config FILE] [--listen ADDR:PORT] [--data-root DIR]... [--db DIR]`: the head
// in one process — job store, scheduler, watch rules, local workers and the HTTP gateway — until
// SIGINT or SIGTERM. Running jobs are then interrupted and resume at the next start.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "gateway/api_routes.hpp"
#include "gateway/event_socket.hpp"
#include "gateway/http_server.hpp"
#include "gateway/static_files.hpp"
#include "service/job_service.hpp"
#include "service/logging.hpp"
#include "service/preview_service.hpp"

namespace tomo::cli {
namespace {

struct ServeOptions {
  std::string config_file, listen, database, log_file, web_root;
  std::vector<std::string> data_roots;
  int concurrent_jobs = 0;
};

// Waits for SIGINT or SIGTERM. They are blocked before any thread starts (threads inherit the
// mask), so that this thread, not a worker's, takes them.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set_, nullptr) != 0) fail("serve: cannot block SIGINT and SIGTERM");
  }
  int wait() const {
    int signal = 0;
    if (sigwait(&set_, &signal) != 0) fail("serve: waiting for a signal failed");
    return signal;
  }

 private:
  sigset_t set_;
};

void serve(const ServeOptions& o, const CLI::App& app) {
  const StopSignals signals;
  ServiceConfig config = o.config_file.empty() ? default_config() : load_config(o.config_file);
  // Flags override the file's keys.
  if (!o.listen.empty()) std::tie(config.listen_address, config.listen_port) = parse_listen_address(o.listen);
  if (!o.data_roots.empty()) config.data_roots.assign(o.data_roots.begin(), o.data_roots.end());
  if (!o.database.empty()) config.database = o.database;
  if (!o.log_file.empty()) config.log_file = o.log_file;
  if (!o.web_root.empty()) config.web_root = o.web_root;
  if (o.concurrent_jobs > 0) config.concurrent_jobs = o.concurrent_jobs;
  const CLI::App* top = app.get_parent();
  if (top && top->get_option("--log-level")->count() > 0) config.log_level = top->get_option("--log-level")->as<std::string>();
  check_config(config);
  setup_service_logging(config.log_level, config.log_file);

  JobService service(config);
  PreviewService previews(config.data_roots, config.preview_cache_bytes);
  gateway::HttpLimits limits;
  // Cancelling a running job waits for it to stop, holding an io thread meanwhile; so does a
  // preview while it is reconstructed or queued behind others (PreviewService bounds them).
  limits.threads = 4;
  gateway::ApiServices api{service, previews};
  std::optional<gateway::StaticFiles> web;
  if (!config.web_root.empty()) web.emplace(config.web_root);
  gateway::HttpServer server(
      config.listen_address, config.listen_port,
      [&api, &web](const gateway::HttpRequest& request) { return gateway::handle_request(api, web ? &*web : nullptr, request); },
      limits, gateway::event_socket(service.events()));
  std::string roots;
  for (const auto& root : config.data_roots) roots += (roots.empty() ? "" : ", ") + root.string();
  spdlog::info("tomoedge serve: http://{}:{}/ (data roots: {}; job database: {}; web app: {})", config.listen_address,
               server.port(), roots, config.database.string(), web ? web->root().string() : "none");
  // The URL on stdout too, for scripts that start the service and talk to it.
  std::cout << "http://" << config.listen_address << ":" << server.port() << "/" << std::endl;

  const int signal = signals.wait();
  spdlog::info("tomoedge serve: {}: stopping (running jobs resume at the next start)", strsignal(signal));
  server.stop();
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* command = app.add_subcommand("serve", "Run the service: job queue, watch rules, workers and the REST API");
  command->add_option("--config", options->config_file, "Configuration file (config/tomoedge.json documents every key)")
      ->check(CLI::ExistingFile);
  command->add_option("--listen", options->listen, "Address and port of the API, e.g. 127.0.0.1:8080 (the default)");
  command->add_option("--data-root", options->data_roots, "A folder whose scans may be reconstructed (repeatable)");
  command->add_option("--db", options->database, "Folder of the job database (RocksDB)");
  command->add_option("--log-file", options->log_file, "Also write the log here (rotated at 10 MiB)");
  command->add_option("--web-root", options->web_root, "Folder of the web app's files (default: web/ of the source tree)");
  command->add_option("--concurrent-jobs", options->concurrent_jobs, "Jobs reconstructed at once")->check(CLI::Range(1, 64));
  command->callback([options, command] { serve(*options, *command); });
}

}  // namespace tomo::cli
