#include "service/data_roots.hpp"

#include <algorithm>
#include <system_error>

#include "kernels/error.hpp"

namespace fs = std::filesystem;

namespace tomo {

namespace {

// weakly_canonical keeps a trailing separator ("/data/new/"), whose empty last component would
// make a root look longer than the paths under it.
fs::path without_trailing_separator(fs::path path) {
  path = path.lexically_normal();
  if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();
  return path;
}

std::string root_list(const std::vector<fs::path>& roots) {
  std::string list;
  for (const auto& root : roots) list += (list.empty() ? "" : ", ") + root.string();
  return list.empty() ? "none configured" : list;
}

}  // namespace

bool lies_under(const fs::path& path, const fs::path& root) {
  const auto clean_path = without_trailing_separator(path);
  const auto clean_root = without_trailing_separator(root);
  const auto [root_end, path_end] =
      std::mismatch(clean_root.begin(), clean_root.end(), clean_path.begin(), clean_path.end());
  return root_end == clean_root.end();
}

fs::path resolve_under_roots(const fs::path& path, const std::vector<fs::path>& roots, const std::string& what,
                             bool must_exist) {
  // A relative path means nothing to a service whose current directory nobody chose.
  if (!path.is_absolute()) fail("{} {} must be an absolute path", what, path.string());
  // Outside the roots is said before whether it exists: the service tells nobody what lies
  // outside the data roots.
  std::error_code error;
  fs::path resolved = fs::weakly_canonical(path, error);
  if (error) fail("{} {} could not be resolved: {}", what, path.string(), error.message());
  resolved = without_trailing_separator(resolved);
  for (const auto& root : roots) {
    const auto canonical_root = fs::weakly_canonical(root, error);
    if (error || !lies_under(resolved, canonical_root)) continue;
    // exists() follows symlinks, so a dangling one does not exist either.
    if (must_exist && !fs::exists(resolved, error)) {
      if (error) fail("{} {} could not be examined: {}", what, path.string(), error.message());
      fail("{} {} does not exist", what, path.string());
    }
    return resolved;
  }
  if (resolved != without_trailing_separator(path))
    fail("{} {} (resolved to {}) is outside the data roots ({})", what, path.string(), resolved.string(),
         root_list(roots));
  fail("{} {} is outside the data roots ({})", what, path.string(), root_list(roots));
}

}  // namespace tomo
