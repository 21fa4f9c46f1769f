#pragma once
// Small helpers for reading scan files with the HDF5 C API. Every failure becomes a tomo::Error
// whose message names the file, the dataset and what is wrong; HDF5's own error stack is never
// printed (see QuietErrors). Every identifier is owned by an RAII handle from hdf5_handle.hpp.
#include <hdf5.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernels/error.hpp"
#include "storage/hdf5_errors.hpp"
#include "storage/hdf5_handle.hpp"

namespace tomo::h5 {

// A generic object (group or dataset) opened by path, e.g. to ask what it is.
using Object = Handle<H5Oclose>;


// "(181, 2, 640)"
std::string shape_string(std::span<const hsize_t> shape);

// True when the file exists and starts with an HDF5 signature.
bool is_hdf5_file(const std::filesystem::path& path);

// Opens an HDF5 file read-only. Throws tomo::Error for a missing file, a file that is not HDF5
// and a truncated or corrupt one (with HDF5's reason). A file that a writer holds open in SWMR
// mode -- or whose SWMR writer stopped without closing it -- refuses a plain read-only open
// ("already open for write"); such a file is opened for SWMR reading instead, as HDF5 allows.
File open_read_only(const std::filesystem::path& path);
// Opens an HDF5 file for SWMR reading (H5F_ACC_SWMR_READ): a reader that follows a file another
// process writes in SWMR mode, seeing what it flushed after refreshing a dataset. The file must
// be in the newest format (h5::create_swmr_capable_file).
File open_swmr_read(const std::filesystem::path& path);
// True when `file` was opened for SWMR reading.
bool is_swmr_read(hid_t file);

// True when every component of an absolute `path` ("/entry/data/data") is a link. The last link
// may dangle (an external link whose file is missing still "exists"); use object_exists to know
// whether it leads anywhere.
bool link_exists(hid_t file, const std::string& path);
// True when the link exists and resolves to an object (false for a dangling external link).
bool object_exists(hid_t file, const std::string& path);
// True when `path` resolves to a dataset.
bool is_dataset(hid_t file, const std::string& path);
// Every link in the file as an absolute path, groups before their members, without following
// external links (their targets may be missing; those links are still listed).
std::vector<std::string> link_paths(hid_t file);
// The last component of a path: "/entry/data/image_key" -> "image_key".
std::string link_name(const std::string& path);
// The group part of a path: "/entry/data/image_key" -> "/entry/data"; "/data" -> "".
std::string parent_path(const std::string& path);

// A string attribute of an object (scalar or the first element of an array), without trailing
// NULs or padding; nullopt when the attribute is missing or not a string.
std::optional<std::string> string_attribute(hid_t object, const std::string& name);

// An open dataset with the names a user needs in an error message.
class NamedDataset {
 public:
  // Opens `path` in `file` (following soft and external links). Throws tomo::Error naming
  // `file_name` and `path` when it is missing, dangling or not a dataset.
  NamedDataset(hid_t file, std::filesystem::path file_name, std::string path);

  const std::string& path() const { return path_; }
  const std::filesystem::path& file_name() const { return file_name_; }
  hid_t id() const { return dataset_.get(); }

  std::vector<hsize_t> shape() const;
  H5T_class_t type_class() const;
  bool is_numeric() const;
  std::string dtype_name() const;    // "uint16", "float32", "string", ...
  std::string chunking() const;      // "(1, 22, 26)", "contiguous", "compact" or "virtual"
  std::string compression() const;   // "none", "gzip", "shuffle+gzip", "lz4", "filter 32017", ...
  std::optional<std::string> string_attribute(const std::string& name) const;

  // SWMR reading: drops what HDF5 cached of the dataset's metadata (its shape, its chunk index,
  // the values of a compact dataset) and reads them again, to see what a writer in another
  // process has flushed since. The handle stays the same; const because the dataset's identity
  // does not change, only HDF5's view of its contents.
  void refresh() const;

  // Reads the file hyperslab (start, count), one entry per dimension, converted to float32,
  // into the elements of `out` that `memory_space`'s selection picks. The two selections must
  // hold the same number of elements; they are matched in row-major order.
  void read_floats(std::span<const hsize_t> start, std::span<const hsize_t> count, hid_t memory_space,
                   float* out) const;
  // The whole dataset (scalar or any rank) as numbers; throws unless it is numeric.
  std::vector<double> read_doubles() const;
  // The whole dataset as strings (scalar or any rank); throws unless it holds strings.
  std::vector<std::string> read_strings() const;

  // Compound datasets (tables): member names, and one member read as numbers or strings.
  std::vector<std::string> member_names() const;
  std::optional<H5T_class_t> member_class(const std::string& member) const;
  std::vector<double> read_member_doubles(const std::string& member) const;
  std::vector<std::string> read_member_strings(const std::string& member) const;

  // Throws tomo::Error "FILE: dataset PATH: <message>".
  template <class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    ::tomo::fail("{}: dataset {}: {}", file_name_.string(), path_,
                 fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  std::filesystem::path file_name_;
  std::string path_;
  Dataset dataset_;
};

}  // namespace tomo::h5
