#pragma once
// What the web app's data browser shows: the folders under the service's data roots and the
// scans in them. Only paths under a root are listed (service/data_roots.hpp).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tomo {

struct FolderEntry {
  enum class Kind { folder, scan, file };
  std::string name;
  std::filesystem::path path;  // canonical
  Kind kind = Kind::file;
  std::uintmax_t size = 0;     // bytes; 0 for a folder
  double modified = 0;         // Unix time, seconds
};

struct FolderListing {
  std::filesystem::path path;                   // canonical
  std::optional<std::filesystem::path> parent;  // none at a data root: above it is the list of roots
  std::vector<FolderEntry> entries;             // folders first, then by name; hidden (dot) entries left out
  bool truncated = false;                       // more entries than a listing shows
};

// Lists `folder` (resolved under `roots`): tomo::Error naming it when it is outside them, missing,
// not a folder or unreadable.
FolderListing list_folder(const std::filesystem::path& folder, const std::vector<std::filesystem::path>& roots);

// Whether a file's name says it is a scan tomoedge reads (HDF5: .h5 .hdf5 .hdf .tdf .nxs .nx5).
bool looks_like_scan(const std::filesystem::path& file);

std::string to_string(FolderEntry::Kind kind);

}  // namespace tomo
