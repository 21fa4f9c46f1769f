#include "service/data_browser.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>

#include "kernels/error.hpp"
#include "service/data_roots.hpp"

namespace tomo {
namespace fs = std::filesystem;

namespace {

// A beamline folder holds a few hundred scans; one of tens of thousands of TIFFs is listed in
// part, so that a click on it does not stall the browser.
constexpr std::size_t kMaxEntries = 5000;

double unix_seconds(fs::file_time_type time) {
  const auto system = std::chrono::file_clock::to_sys(time);
  return std::chrono::duration<double>(system.time_since_epoch()).count();
}

}  // namespace

bool looks_like_scan(const fs::path& file) {
  static constexpr std::array<std::string_view, 6> extensions{".h5", ".hdf5", ".hdf", ".tdf", ".nxs", ".nx5"};
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(extensions.begin(), extensions.end(), extension) != extensions.end();
}

std::string to_string(FolderEntry::Kind kind) {
  switch (kind) {
    case FolderEntry::Kind::folder: return "dir";
    case FolderEntry::Kind::scan: return "scan";
    case FolderEntry::Kind::file: return "file";
  }
  return "file";
}

FolderListing list_folder(const fs::path& folder, const std::vector<fs::path>& roots) {
  FolderListing listing;
  listing.path = resolve_under_roots(folder, roots, "folder", true);
  std::error_code error;
  if (!fs::is_directory(listing.path, error)) fail("{} is not a folder", listing.path.string());
  const bool at_root = std::find(roots.begin(), roots.end(), listing.path) != roots.end();
  if (!at_root) listing.parent = listing.path.parent_path();

  fs::directory_iterator it(listing.path, fs::directory_options::skip_permission_denied, error);
  if (error) fail("cannot list {}: {}", listing.path.string(), error.message());
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) fail("cannot list {}: {}", listing.path.string(), error.message());
    const fs::directory_entry& found = *it;
    const std::string name = found.path().filename().string();
    if (name.starts_with('.')) continue;
    if (listing.entries.size() == kMaxEntries) {
      listing.truncated = true;
      break;
    }
    std::error_code entry_error;
    // A symlink is shown as what it leads to, and only when that is under a root too.
    const fs::path target = fs::canonical(found.path(), entry_error);
    if (entry_error || !std::any_of(roots.begin(), roots.end(), [&](const fs::path& root) { return lies_under(target, root); }))
      continue;
    FolderEntry entry;
    entry.name = name;
    entry.path = target;
    const auto status = fs::status(target, entry_error);
    if (entry_error) continue;
    entry.kind = fs::is_directory(status) ? FolderEntry::Kind::folder
                 : looks_like_scan(target) ? FolderEntry::Kind::scan
                                           : FolderEntry::Kind::file;
    if (fs::is_regular_file(status)) entry.size = fs::file_size(target, entry_error);
    const auto modified = fs::last_write_time(target, entry_error);
    if (!entry_error) entry.modified = unix_seconds(modified);
    listing.entries.push_back(std::move(entry));
  }
  std::sort(listing.entries.begin(), listing.entries.end(), [](const FolderEntry& a, const FolderEntry& b) {
    const bool a_folder = a.kind == FolderEntry::Kind::folder, b_folder = b.kind == FolderEntry::Kind::folder;
    return a_folder != b_folder ? a_folder : a.name < b.name;
  });
  return listing;
}

}  // namespace tomo
