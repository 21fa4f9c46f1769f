#pragma once
// The configuration of `tomoedge serve`: one JSON file (comments allowed; config/tomoedge.json is
// the documented example), loaded once at start, then overridden key by key by `serve`'s flags.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/recon_params.hpp"

namespace tomo {

// Which scans are reconstructed without anyone asking, with what, and where the output goes.
struct WatchRule {
  std::string name;     // for logs and job records; also {rule} in `output`
  std::string pattern;  // a glob(3) over absolute paths, e.g. "/data/*/raw/*.h5"
  std::string preset;   // name of a parameter preset ("default" = the built-in defaults)
  std::string output;   // output folder template, e.g. "{root}/reconstructions/{sample}" (watch_rules.hpp)
  bool live = false;    // true: a job at once, reconstructed as the scan is acquired; false: when complete
  int priority = 0;     // higher is scheduled sooner; [-1000, 1000]
  std::vector<int> live_rows;  // rows of the live view of its live jobs; none: the middle one
};

struct ServiceConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::vector<std::filesystem::path> data_roots;   // canonical (symlinks resolved); scans and outputs only under these
  std::filesystem::path database = "tomoedge-db";  // RocksDB folder
  int worker_threads = 0;                          // 0 = all cores
  int concurrent_jobs = 1;                         // jobs reconstructed at once on this node
  std::int64_t memory_budget = 0;                  // bytes per job, 0 = half the available memory
  // What the interactive preview keeps of the slices being tuned (raw and preprocessed sinograms,
  // slices), all sessions together: a 2048-column, 1800-projection row is ~15 MB raw, ~0.6 GB
  // with a phase-retrieval band of 40 rows, so 2 GiB keeps a few users' scans at once.
  std::int64_t preview_cache_bytes = std::int64_t{2} << 30;
  std::string log_level = "info";                  // trace, debug, info, warn, error, off
  std::filesystem::path log_file;                  // empty: stderr only
  // The web app's files (served at /); empty: the API only. The default is the web/ folder of the
  // source tree this binary was built from, when it exists.
  std::filesystem::path web_root;
  std::chrono::milliseconds watch_poll{1000};
  std::chrono::seconds stall_timeout{60};  // an acquisition silent this long is an incomplete scan
  std::vector<WatchRule> rules;
  std::map<std::string, ReconParams> presets;  // complete (with_defaults) and valid; seeded into the job store at start
};

// A working default: data root = the current directory, database "tomoedge-db" in it, no rules,
// and the one preset "default" (default_params()).
ServiceConfig default_config();

// default_config() with the file's keys over it; relative paths in the file are relative to the
// file's folder. Ends with check_config(). Throws tomo::Error naming the file and the key.
ServiceConfig load_config(const std::filesystem::path& file);

// "127.0.0.1:8080", "[::1]:8080", "localhost:9000" → address (IPv6 without brackets), port.
// Throws tomo::Error naming the text otherwise.
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text);

// Checks what can only be checked on this machine, and the ranges again since `serve`'s flags
// may have changed them: data roots exist, are folders and do not nest (made canonical here),
// the database folder's parent exists (database made absolute), rule patterns lie under a data
// root, presets named by rules exist. Throws tomo::Error naming the key.
void check_config(ServiceConfig& config);

// The rows of a live view (WatchRule::live_rows, a job's live_rows): at most 8 (each is a slice
// encoded and sent a few times a second), each a row number >= 0; tomo::Error starting with
// `what` otherwise. Rows beyond the scan are said in the job's log when it is planned.
void check_live_rows(const std::string& what, const std::vector<int>& rows);

// A preset or rule name: letters, digits, '-', '_' and '.' (it ends up in URLs and folder names);
// tomo::Error starting with `what` otherwise.
void check_name(const std::string& what, const std::string& name);

}  // namespace tomo
