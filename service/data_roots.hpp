#pragma once
// The service reads scans and writes outputs only under its configured data roots: a path from a
// request or a watch rule is checked here after "..", "." and symlinks are resolved, so neither a
// "../../etc" nor a symlink planted in a data folder reaches outside.
#include <filesystem>
#include <string>
#include <vector>

namespace tomo {

// The canonical form of the absolute `path` if it lies under one of `roots` (the root itself
// counts) after resolving "..", "." and symlinks; tomo::Error otherwise, e.g.
// "input /x/y is outside the data roots (/data, /scratch)" or "input /data/x does not exist".
// `what` names the path in the message ("input", "output folder"). With must_exist false (an
// output folder not made yet) the longest existing prefix is resolved, so a symlink in it is
// still followed. Roots need not be canonical: they are resolved here too.
std::filesystem::path resolve_under_roots(const std::filesystem::path& path,
                                          const std::vector<std::filesystem::path>& roots, const std::string& what,
                                          bool must_exist);

// Whether `path` is `root` or inside it, component by component (so /data2 is not under /data).
// Both must already be canonical: this looks at the text only.
bool lies_under(const std::filesystem::path& path, const std::filesystem::path& root);

}  // namespace tomo
