#pragma once
// What a watch rule matches and where its output goes.
#include <filesystem>
#include <string>
#include <vector>

#include "service/service_config.hpp"

namespace tomo {

// Scans matching the rule now (glob(3), in byte order of their paths), regular files only (a
// symlink to one counts). Hidden files (a leading dot, as acquisition software uses for files it
// is still renaming) match only if the pattern says so, as in the shell. Matches are not checked
// against the data roots here: output_for and resolve_under_roots do that.
std::vector<std::filesystem::path> find_scans(const WatchRule& rule);

// The rule's output folder for `scan`, canonical and checked to lie under a data root. The
// template's placeholders:
//   {root}    the data root holding the scan's folder
//   {sample}  the scan file's stem (sample_name)
//   {folder}  the scan's folder (canonical)
//   {parent}  that folder's name
//   {rule}    the rule's name
//   {date}    the scan file's modification date, YYYY-MM-DD in local time
// Throws tomo::Error when the scan does not exist or lies outside the roots, or when the output
// would (a template whose "{folder}/../.." climbs out, a symlink).
std::filesystem::path output_for(const WatchRule& rule, const std::filesystem::path& scan,
                                 const std::vector<std::filesystem::path>& roots);

// The stem, e.g. "phantom_0001" for /data/raw/phantom_0001.h5.
std::string sample_name(const std::filesystem::path& scan);

// Throws tomo::Error naming `where` (e.g. "watch[0].output") when `output` is empty, has an
// unknown placeholder or an unmatched brace.
void check_output_template(const std::string& output, const std::string& where);

}  // namespace tomo
