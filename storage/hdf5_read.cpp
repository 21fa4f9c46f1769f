#include "storage/hdf5_read.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <system_error>

namespace tomo::h5 {
namespace {

namespace fs = std::filesystem;

// Chunk ranks are small; HDF5 itself caps a dataspace at 32 dimensions.
constexpr int max_rank = 32;

herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* client_data) {
  try {
    static_cast<std::vector<std::string>*>(client_data)->push_back(std::string("/") + name);
    return 0;
  } catch (...) {
    return -1;  // out of memory: stop the walk; the caller reports it
  }
}

// Strings come back either as one pointer per value (variable length) or as a block of
// fixed-size fields. `read(memory_type, element_size, buffer)` performs the H5Dread/H5Aread
// with a memory string type this function chooses. nullopt when HDF5 fails.
template <class Read>
std::optional<std::vector<std::string>> read_string_values(hid_t stored_type, hid_t space, Read read) {
  const hssize_t count = H5Sget_simple_extent_npoints(space);
  const htri_t variable = H5Tis_variable_str(stored_type);
  if (count < 0 || variable < 0) return std::nullopt;
  const auto n = static_cast<std::size_t>(count);
  Datatype memory_type(H5Tcopy(H5T_C_S1));
  if (!memory_type) return std::nullopt;
  const H5T_cset_t cset = H5Tget_cset(stored_type);
  if (cset >= 0 && H5Tset_cset(memory_type.get(), cset) < 0) return std::nullopt;
  std::vector<std::string> values;
  values.reserve(n);
  if (variable > 0) {
    if (H5Tset_size(memory_type.get(), H5T_VARIABLE) < 0) return std::nullopt;
    std::vector<char*> pointers(n, nullptr);
    if (read(memory_type.get(), sizeof(char*), static_cast<void*>(pointers.data())) < 0) return std::nullopt;
    for (char* text : pointers) {
      values.emplace_back(text != nullptr ? text : "");
      if (text != nullptr && H5free_memory(text) < 0) spdlog::debug("HDF5 could not free a string it allocated");
    }
    return values;
  }
  const std::size_t size = H5Tget_size(stored_type);
  if (size == 0 || H5Tset_size(memory_type.get(), size) < 0 ||
      H5Tset_strpad(memory_type.get(), H5T_STR_NULLPAD) < 0)
    return std::nullopt;
  std::vector<char> block(n * size, '\0');
  if (read(memory_type.get(), size, static_cast<void*>(block.data())) < 0) return std::nullopt;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text(block.data() + i * size, size);
    text.erase(std::find(text.begin(), text.end(), '\0'), text.end());
    text.erase(text.find_last_not_of(' ') + 1);  // space-padded strings (Fortran style)
    values.push_back(std::move(text));
  }
  return values;
}

std::string filter_name(H5Z_filter_t id) {
  switch (id) {
    case H5Z_FILTER_DEFLATE: return "gzip";
    case H5Z_FILTER_SHUFFLE: return "shuffle";
    case H5Z_FILTER_FLETCHER32: return "fletcher32";
    case H5Z_FILTER_SZIP: return "szip";
    case H5Z_FILTER_NBIT: return "nbit";
    case H5Z_FILTER_SCALEOFFSET: return "scaleoffset";
    // Registered third-party filters (https://portal.hdfgroup.org/documentation/hdf5-docs/registered_filter_plugins.html)
    case 307: return "bzip2";
    case 32000: return "lzf";
    case 32001: return "blosc";
    case 32004: return "lz4";
    case 32008: return "bitshuffle";
    case 32015: return "zstd";
    default: return fmt::format("filter {}", id);
  }
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::string shape_string(std::span<const hsize_t> shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

bool is_hdf5_file(const fs::path& path) {
  QuietErrors quiet;
  std::error_code error;
  return fs::is_regular_file(path, error) && H5Fis_hdf5(path.c_str()) > 0;
}

File open_read_only(const fs::path& path) {
  QuietErrors quiet;
  std::error_code error;
  if (!fs::exists(path, error)) fail("{}: no such file", path.string());
  if (fs::is_directory(path, error)) fail("{}: is a folder, not an HDF5 file", path.string());
  const htri_t signature = H5Fis_hdf5(path.c_str());
  if (signature < 0) fail("{}: cannot read the file ({})", path.string(), error_detail());
  if (signature == 0)
    fail("{}: not an HDF5 file (no HDF5 signature): a corrupt file, or another format", path.string());
  File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (file) return file;
  const std::string reason = error_detail();
  // The superblock of a file open for SWMR writing (or left so by a writer that died) says
  // "being written"; only a SWMR reader may open it then.
  File swmr(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
  if (swmr) return swmr;
  fail("{}: cannot open the HDF5 file, it is truncated or corrupt ({})", path.string(), reason);
}

File open_swmr_read(const fs::path& path) {
  QuietErrors quiet;
  File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
  if (!file) fail("{}: cannot open the HDF5 file for SWMR reading ({})", path.string(), error_detail());
  return file;
}

bool is_swmr_read(hid_t file) {
  QuietErrors quiet;
  unsigned intent = 0;
  return H5Fget_intent(file, &intent) >= 0 && (intent & H5F_ACC_SWMR_READ) != 0;
}

bool link_exists(hid_t file, const std::string& path) {
  QuietErrors quiet;
  // H5Lexists needs every parent to exist, so walk down one component at a time.
  std::string prefix;
  for (const std::string& part : split_path(path)) {
    prefix += "/" + part;
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

bool object_exists(hid_t file, const std::string& path) {
  QuietErrors quiet;
  return link_exists(file, path) && H5Oexists_by_name(file, path.c_str(), H5P_DEFAULT) > 0;
}

bool is_dataset(hid_t file, const std::string& path) {
  QuietErrors quiet;
  if (!object_exists(file, path)) return false;
  const Object object(H5Oopen(file, path.c_str(), H5P_DEFAULT));
  return object && H5Iget_type(object.get()) == H5I_DATASET;
}

std::vector<std::string> link_paths(hid_t file) {
  QuietErrors quiet;
  std::vector<std::string> paths;
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_link, &paths) < 0)
    fail("cannot list the links of the HDF5 file ({})", error_detail());
  return paths;
}

std::string link_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string parent_path(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::optional<std::string> string_attribute(hid_t object, const std::string& name) {
  QuietErrors quiet;
  if (H5Aexists(object, name.c_str()) <= 0) return std::nullopt;
  const Attribute attribute(H5Aopen(object, name.c_str(), H5P_DEFAULT));
  if (!attribute) return std::nullopt;
  const Datatype type(H5Aget_type(attribute.get()));
  const Dataspace space(H5Aget_space(attribute.get()));
  if (!type || !space || H5Tget_class(type.get()) != H5T_STRING) return std::nullopt;
  const auto values = read_string_values(type.get(), space.get(), [&](hid_t memory_type, std::size_t, void* buffer) {
    return H5Aread(attribute.get(), memory_type, buffer);
  });
  if (!values || values->empty()) return std::nullopt;
  return values->front();
}

// ---- NamedDataset ---------------------------------------------------------------------------

NamedDataset::NamedDataset(hid_t file, fs::path file_name, std::string path)
    : file_name_(std::move(file_name)), path_(std::move(path)) {
  QuietErrors quiet;
  if (!link_exists(file, path_)) ::tomo::fail("{}: no dataset {}", file_name_.string(), path_);
  if (!object_exists(file, path_))
    ::tomo::fail("{}: {} is a link to a file or object that does not exist", file_name_.string(), path_);
  dataset_ = Dataset(H5Dopen2(file, path_.c_str(), H5P_DEFAULT));
  if (!dataset_) ::tomo::fail("{}: {} is not a readable dataset ({})", file_name_.string(), path_, error_detail());
}

std::vector<hsize_t> NamedDataset::shape() const {
  QuietErrors quiet;
  const Dataspace space(H5Dget_space(id()));
  const int rank = space ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) fail("cannot read its shape ({})", error_detail());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    fail("cannot read its shape ({})", error_detail());
  return dims;
}

H5T_class_t NamedDataset::type_class() const {
  QuietErrors quiet;
  const Datatype type(H5Dget_type(id()));
  const H5T_class_t kind = type ? H5Tget_class(type.get()) : H5T_NO_CLASS;
  if (kind == H5T_NO_CLASS) fail("cannot read its data type ({})", error_detail());
  return kind;
}

bool NamedDataset::is_numeric() const {
  const H5T_class_t kind = type_class();
  return kind == H5T_INTEGER || kind == H5T_FLOAT;
}

std::string NamedDataset::dtype_name() const {
  QuietErrors quiet;
  const Datatype type(H5Dget_type(id()));
  if (!type) fail("cannot read its data type ({})", error_detail());
  const std::size_t bytes = H5Tget_size(type.get());
  if (bytes == 0) fail("cannot read its data type size ({})", error_detail());
  const std::size_t bits = 8 * bytes;
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER: {
      const H5T_sign_t sign = H5Tget_sign(type.get());
      if (sign == H5T_SGN_ERROR) fail("cannot read its data type ({})", error_detail());
      return fmt::format("{}int{}", sign == H5T_SGN_NONE ? "u" : "", bits);
    }
    case H5T_FLOAT: return fmt::format("float{}", bits);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    default: return "other";
  }
}

std::string NamedDataset::chunking() const {
  QuietErrors quiet;
  const PropertyList creation(H5Dget_create_plist(id()));
  if (!creation) fail("cannot read its storage layout ({})", error_detail());
  switch (H5Pget_layout(creation.get())) {
    case H5D_CHUNKED: {
      std::array<hsize_t, max_rank> chunk{};
      const int rank = H5Pget_chunk(creation.get(), max_rank, chunk.data());
      if (rank < 0) fail("cannot read its chunk shape ({})", error_detail());
      return shape_string(std::span(chunk.data(), static_cast<std::size_t>(rank)));
    }
    case H5D_CONTIGUOUS: return "contiguous";
    case H5D_COMPACT: return "compact";
    case H5D_VIRTUAL: return "virtual";
    default: fail("cannot read its storage layout ({})", error_detail());
  }
}

std::string NamedDataset::compression() const {
  QuietErrors quiet;
  const PropertyList creation(H5Dget_create_plist(id()));
  const int count = creation ? H5Pget_nfilters(creation.get()) : -1;
  if (count < 0) fail("cannot read its filters ({})", error_detail());
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    unsigned flags = 0, configuration = 0;
    std::size_t parameter_count = 0;
    std::array<char, 64> name{};
    const H5Z_filter_t filter = H5Pget_filter2(creation.get(), static_cast<unsigned>(i), &flags, &parameter_count,
                                               nullptr, name.size(), name.data(), &configuration);
    if (filter < 0) fail("cannot read filter {} ({})", i, error_detail());
    names.push_back(filter_name(filter));
  }
  return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, "+"));
}

std::optional<std::string> NamedDataset::string_attribute(const std::string& name) const {
  return h5::string_attribute(id(), name);
}

void NamedDataset::refresh() const {
  QuietErrors quiet;
  if (H5Drefresh(id()) < 0) fail("cannot refresh it from the file ({})", error_detail());
}

void NamedDataset::read_floats(std::span<const hsize_t> start, std::span<const hsize_t> count, hid_t memory_space,
                               float* out) const {
  QuietErrors quiet;
  const Dataspace file_space(H5Dget_space(id()));
  if (!file_space ||
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0)
    fail("cannot select {} at {} ({})", shape_string(count), shape_string(start), error_detail());
  if (H5Dread(id(), H5T_NATIVE_FLOAT, memory_space, file_space.get(), H5P_DEFAULT, out) < 0)
    fail("cannot read a block of shape {} at {} ({})", shape_string(count), shape_string(start), error_detail());
}

std::vector<double> NamedDataset::read_doubles() const {
  QuietErrors quiet;
  if (!is_numeric()) fail("holds {}, not numbers", dtype_name());
  const Dataspace space(H5Dget_space(id()));
  const hssize_t count = space ? H5Sget_simple_extent_npoints(space.get()) : -1;
  if (count < 0) fail("cannot read its size ({})", error_detail());
  std::vector<double> values(static_cast<std::size_t>(count));
  if (count > 0 && H5Dread(id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail("cannot read its {} values ({})", count, error_detail());
  return values;
}

std::vector<std::string> NamedDataset::read_strings() const {
  QuietErrors quiet;
  const Datatype type(H5Dget_type(id()));
  const Dataspace space(H5Dget_space(id()));
  if (!type || !space) fail("cannot read its type ({})", error_detail());
  if (H5Tget_class(type.get()) != H5T_STRING) fail("holds {}, not text", dtype_name());
  auto values = read_string_values(type.get(), space.get(), [&](hid_t memory_type, std::size_t, void* buffer) {
    return H5Dread(id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  });
  if (!values) fail("cannot read its text ({})", error_detail());
  return std::move(*values);
}

std::vector<std::string> NamedDataset::member_names() const {
  QuietErrors quiet;
  const Datatype type(H5Dget_type(id()));
  if (!type || H5Tget_class(type.get()) != H5T_COMPOUND) return {};
  const int count = H5Tget_nmembers(type.get());
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    char* name = H5Tget_member_name(type.get(), static_cast<unsigned>(i));
    if (name == nullptr) continue;
    names.emplace_back(name);
    if (H5free_memory(name) < 0) spdlog::debug("HDF5 could not free a member name it allocated");
  }
  return names;
}

std::optional<H5T_class_t> NamedDataset::member_class(const std::string& member) const {
  QuietErrors quiet;
  const Datatype type(H5Dget_type(id()));
  if (!type || H5Tget_class(type.get()) != H5T_COMPOUND) return std::nullopt;
  const int index = H5Tget_member_index(type.get(), member.c_str());
  if (index < 0) return std::nullopt;
  const H5T_class_t kind = H5Tget_member_class(type.get(), static_cast<unsigned>(index));
  if (kind == H5T_NO_CLASS) return std::nullopt;
  return kind;
}

std::vector<double> NamedDataset::read_member_doubles(const std::string& member) const {
  QuietErrors quiet;
  const Dataspace space(H5Dget_space(id()));
  const hssize_t count = space ? H5Sget_simple_extent_npoints(space.get()) : -1;
  // A compound memory type with only this member: HDF5 matches members by name.
  const Datatype row(H5Tcreate(H5T_COMPOUND, sizeof(double)));
  if (count < 0 || !row || H5Tinsert(row.get(), member.c_str(), 0, H5T_NATIVE_DOUBLE) < 0)
    fail("cannot read column {} ({})", member, error_detail());
  std::vector<double> values(static_cast<std::size_t>(count));
  if (count > 0 && H5Dread(id(), row.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail("cannot read column {} as numbers ({})", member, error_detail());
  return values;
}

std::vector<std::string> NamedDataset::read_member_strings(const std::string& member) const {
  QuietErrors quiet;
  const Datatype type(H5Dget_type(id()));
  const Dataspace space(H5Dget_space(id()));
  const int index = type ? H5Tget_member_index(type.get(), member.c_str()) : -1;
  if (!space || index < 0) fail("has no column {}", member);
  const Datatype stored(H5Tget_member_type(type.get(), static_cast<unsigned>(index)));
  if (!stored || H5Tget_class(stored.get()) != H5T_STRING) fail("column {} is not text", member);
  auto values = read_string_values(stored.get(), space.get(),
                                   [&](hid_t memory_type, std::size_t element_size, void* buffer) -> herr_t {
                                     const Datatype row(H5Tcreate(H5T_COMPOUND, element_size));
                                     if (!row || H5Tinsert(row.get(), member.c_str(), 0, memory_type) < 0) return -1;
                                     return H5Dread(id(), row.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
                                   });
  if (!values) fail("cannot read column {} as text ({})", member, error_detail());
  return std::move(*values);
}

}  // namespace tomo::h5
