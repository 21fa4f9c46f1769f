#pragma once
// The reconstruction parameters on the command line: every ReconParams field as a flag, shared
// by the commands that reconstruct (recon, cor, cor-sweep). Flags override --params FILE.json,
// which overrides the defaults; only flags that are given change anything.
#include <filesystem>
#include <string>

#include "storage/recon_params.hpp"

namespace CLI {
class App;
}

namespace tomo::cli {

struct ParamsFlags {
  std::string params_file, slices, crop, slice_crop, angles, angles_file, range, memory, air, projections, convert, unsharp;
  ReconParams overrides;  // only the fields given on the command line
};

// Which flags a command takes: all of them, or only those that shape the data before the
// reconstruction (for commands that look at sinograms, such as `cor`).
enum class FlagSet { all, input_and_preprocessing };

// Registers --params and the parameter flags on `command`; `flags` must outlive the parse.
void add_params_flags(CLI::App* command, ParamsFlags& flags, FlagSet set = FlagSet::all);

// Only what the --params file and the flags set, without defaults (what `jobs submit` sends for
// the service to complete); --angles FIRST:STEP, which needs the scan, is not in it.
ReconParams given_params(const ParamsFlags& flags);

// The effective parameters for `input`: defaults, then --params, then the flags; validated.
// (--angles FIRST:STEP needs the scan's projection count, hence the input.)
ReconParams resolve_params(const ParamsFlags& flags, const std::filesystem::path& input);

// "A:B" → {"A", "B"}; throws tomo::Error naming the flag when there is no colon.
std::pair<std::string, std::string> split_pair(const std::string& text, const char* flag);
// The whole of `text` as a number; throws tomo::Error naming the flag otherwise.
double to_number(const std::string& text, const char* flag);

}  // namespace tomo::cli
