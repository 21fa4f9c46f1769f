#include "storage/hdf5_write.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

#include <fmt/format.h>

#include "kernels/error.hpp"
#include "storage/hdf5_read.hpp"

namespace tomo::h5 {
namespace {

// Read the error stack before any other HDF5 call: every API call clears it on entry.
[[noreturn]] void fail_with_reason(std::string_view action, hid_t location, std::string_view child) {
  const std::string reason = error_detail();
  const std::string where = describe(location, child);
  fail("{} {} failed: {}", action, where, reason);
}

void check(herr_t status, std::string_view action, hid_t location, std::string_view child = {}) {
  if (status < 0) fail_with_reason(action, location, child);
}

// Link creation that makes missing parent groups on the way, like `mkdir -p`.
PropertyList with_parent_groups(hid_t location, std::string_view child) {
  PropertyList lcpl(H5Pcreate(H5P_LINK_CREATE));
  if (!lcpl) fail_with_reason("creating a link property list for", location, child);
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), "asking for parent groups of", location, child);
  return lcpl;
}

// A fixed-length, null-terminated UTF-8 string type that holds `value`.
Datatype string_type(std::string_view value, hid_t location, std::string_view child) {
  Datatype type(H5Tcopy(H5T_C_S1));
  if (!type) fail_with_reason("creating a string type for", location, child);
  check(H5Tset_size(type.get(), value.size() + 1), "sizing the string type of", location, child);
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "setting the string padding of", location, child);
  const bool ascii = std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 128; });
  check(H5Tset_cset(type.get(), ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8), "setting the string encoding of", location,
        child);
  return type;
}

Dataspace scalar_space(hid_t location, std::string_view child) {
  Dataspace space(H5Screate(H5S_SCALAR));
  if (!space) fail_with_reason("creating a scalar dataspace for", location, child);
  return space;
}

}  // namespace

std::string describe(hid_t object, std::string_view child) {
  QuietErrors quiet;
  std::string file = "(unknown file)";
  if (const ssize_t length = H5Fget_name(object, nullptr, 0); length > 0) {
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    if (H5Fget_name(object, name.data(), name.size()) > 0) file = name.c_str();
  }
  std::string path;
  if (const ssize_t length = H5Iget_name(object, nullptr, 0); length > 0) {
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    if (H5Iget_name(object, name.data(), name.size()) > 0) path = name.c_str();
  }
  if (!child.empty()) {
    if (child.front() == '/' || path.empty()) {
      path = std::string(child);
    } else if (child.front() == '@') {  // an attribute: "/group@name"
      path += child;
    } else {
      if (path.back() != '/') path += '/';
      path += child;
    }
  }
  if (path.empty() || path.front() != '/') path = "/" + path;
  return file + ":" + path;
}

File create_file(const std::filesystem::path& path) {
  QuietErrors quiet;
  File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (!file) {
    fail("cannot create HDF5 file {}: {}", path.string(), error_detail());
  }
  return file;
}

File create_swmr_capable_file(const std::filesystem::path& path) {
  QuietErrors quiet;
  PropertyList fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl) fail("cannot create HDF5 file {}: no file access properties ({})", path.string(), error_detail());
  if (H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0)
    fail("cannot create HDF5 file {}: cannot ask for the newest file format ({})", path.string(), error_detail());
  File file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
  if (!file) fail("cannot create HDF5 file {}: {}", path.string(), error_detail());
  return file;
}

void start_swmr_write(const File& file) {
  QuietErrors quiet;
  check(H5Fstart_swmr_write(file.get()), "starting SWMR writing of", file.get());
}

void flush(const File& file) {
  QuietErrors quiet;
  check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flushing", file.get());
}

void flush(const Dataset& dataset) {
  QuietErrors quiet;
  check(H5Dflush(dataset.get()), "flushing", dataset.get());
}

Group create_group(hid_t parent, const std::string& path, std::string_view nx_class) {
  QuietErrors quiet;
  const PropertyList lcpl = with_parent_groups(parent, path);
  Group group(H5Gcreate2(parent, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!group) fail_with_reason("creating group", parent, path);
  if (!nx_class.empty()) write_attribute(group.get(), "NX_class", nx_class);
  return group;
}

Dataset create_dataset(hid_t parent, const std::string& path, hid_t file_type, std::span<const hsize_t> dims,
                       const StorageOptions& options) {
  return create_dataset(parent, path, file_type, dims, dims, options);
}

Dataset create_dataset(hid_t parent, const std::string& path, hid_t file_type, std::span<const hsize_t> dims,
                       std::span<const hsize_t> max_dims, const StorageOptions& options) {
  QuietErrors quiet;
  const int rank = static_cast<int>(dims.size());
  if (max_dims.size() != dims.size())
    fail("dataset {}: maximum shape of rank {} for a dataset of rank {}", describe(parent, path), max_dims.size(),
         dims.size());
  const bool grows = !std::equal(dims.begin(), dims.end(), max_dims.begin());
  if (grows && options.chunk.empty())
    fail("dataset {}: a dataset that can grow needs a chunked layout", describe(parent, path));
  Dataspace space(H5Screate_simple(rank, dims.data(), max_dims.data()));
  if (!space) fail_with_reason("creating the dataspace of", parent, path);

  PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (!dcpl) fail_with_reason("creating the creation properties of", parent, path);
  if (!options.chunk.empty()) {
    if (options.chunk.size() != dims.size())
      fail("dataset {}: chunk of rank {} for a dataset of rank {}", describe(parent, path), options.chunk.size(),
           dims.size());
    // A dataset cannot have chunks larger than its largest shape; clamp rather than fail.
    std::vector<hsize_t> chunk(options.chunk);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] == 0) fail("dataset {}: chunk dimension {} is 0", describe(parent, path), i);
      if (max_dims[i] != H5S_UNLIMITED) chunk[i] = std::min(chunk[i], std::max<hsize_t>(max_dims[i], 1));
    }
    check(H5Pset_chunk(dcpl.get(), rank, chunk.data()), "setting the chunks of", parent, path);
    if (options.gzip_level > 0) {
      // Shuffling the bytes of each element first groups the slowly varying high bytes of
      // counts, which deflate then compresses far better.
      check(H5Pset_shuffle(dcpl.get()), "setting the shuffle filter of", parent, path);
      check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.gzip_level)), "setting gzip on", parent, path);
    }
  } else if (options.gzip_level > 0) {
    fail("dataset {}: gzip needs a chunked layout", describe(parent, path));
  }

  PropertyList dapl(H5Pcreate(H5P_DATASET_ACCESS));
  if (!dapl) fail_with_reason("creating the access properties of", parent, path);
  if (options.chunk_cache_bytes > 0) {
    // A prime number of hash slots, ~100 times the chunks the cache holds (HDF5's advice);
    // w0 = 1: evict fully written chunks first.
    constexpr std::size_t kSlots = 12421;
    check(H5Pset_chunk_cache(dapl.get(), kSlots, options.chunk_cache_bytes, 1.0), "setting the chunk cache of",
          parent, path);
  }

  const PropertyList lcpl = with_parent_groups(parent, path);
  Dataset dataset(H5Dcreate2(parent, path.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), dapl.get()));
  if (!dataset) fail_with_reason("creating dataset", parent, path);
  return dataset;
}

Dataset create_compact_dataset(hid_t parent, const std::string& path, hid_t file_type, std::span<const hsize_t> dims) {
  QuietErrors quiet;
  Dataspace space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  if (!space) fail_with_reason("creating the dataspace of", parent, path);
  PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (!dcpl) fail_with_reason("creating the creation properties of", parent, path);
  check(H5Pset_layout(dcpl.get(), H5D_COMPACT), "asking for a compact layout of", parent, path);
  const PropertyList lcpl = with_parent_groups(parent, path);
  Dataset dataset(H5Dcreate2(parent, path.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT));
  if (!dataset) fail_with_reason("creating dataset", parent, path);
  return dataset;
}

void set_extent(const Dataset& dataset, std::span<const hsize_t> dims) {
  QuietErrors quiet;
  if (H5Dset_extent(dataset.get(), dims.data()) < 0)
    fail_with_reason(fmt::format("growing to shape {}", shape_string(dims)), dataset.get(), {});
}

void write_block(const Dataset& dataset, std::span<const hsize_t> start, std::span<const hsize_t> count,
                 hid_t memory_type, const void* data, std::size_t elements) {
  QuietErrors quiet;
  const hid_t id = dataset.get();
  Dataspace file_space(H5Dget_space(id));
  if (!file_space) fail_with_reason("getting the dataspace of", id, {});
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  if (rank < 0) fail_with_reason("getting the rank of", id, {});
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr), "getting the shape of", id);
  if (start.size() != dims.size() || count.size() != dims.size())
    fail("writing to {}: a block of rank {} into a dataset of rank {}", describe(id), count.size(), dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i)
    if (start[i] + count[i] > dims[i])
      fail("writing to {}: block [{}, {}) along axis {} exceeds its size {}", describe(id), start[i],
           start[i] + count[i], i, dims[i]);
  const std::size_t expected = std::accumulate(count.begin(), count.end(), std::size_t{1}, std::multiplies<>());
  if (expected != elements)
    fail("writing to {}: the block holds {} elements, {} given", describe(id), expected, elements);
  if (elements == 0) return;

  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
        "selecting a block of", id);
  Dataspace memory_space(H5Screate_simple(rank, count.data(), nullptr));
  if (!memory_space) fail_with_reason("creating the memory dataspace for", id, {});
  check(H5Dwrite(id, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), "writing to", id);
}

void write_string(hid_t parent, const std::string& path, std::string_view value) {
  QuietErrors quiet;
  const Datatype type = string_type(value, parent, path);
  const Dataspace space = scalar_space(parent, path);
  const PropertyList lcpl = with_parent_groups(parent, path);
  const Dataset dataset(H5Dcreate2(parent, path.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset) fail_with_reason("creating string dataset", parent, path);
  const std::string buffer(value);  // null-terminated
  check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.c_str()), "writing", parent, path);
}

void write_number(hid_t parent, const std::string& path, double value, std::string_view units) {
  QuietErrors quiet;
  const Dataspace space = scalar_space(parent, path);
  const PropertyList lcpl = with_parent_groups(parent, path);
  const Dataset dataset(
      H5Dcreate2(parent, path.c_str(), H5T_IEEE_F64LE, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset) fail_with_reason("creating dataset", parent, path);
  check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), "writing", parent, path);
  if (!units.empty()) write_attribute(dataset.get(), "units", units);
}

void write_attribute(hid_t object, const std::string& name, std::string_view value) {
  QuietErrors quiet;
  const std::string what = "@" + name;
  const Datatype type = string_type(value, object, what);
  const Dataspace space = scalar_space(object, what);
  const Attribute attribute(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute) fail_with_reason("creating attribute", object, what);
  const std::string buffer(value);
  check(H5Awrite(attribute.get(), type.get(), buffer.c_str()), "writing attribute", object, what);
}

void write_attribute(hid_t object, const std::string& name, double value) {
  QuietErrors quiet;
  const std::string what = "@" + name;
  const Dataspace space = scalar_space(object, what);
  const Attribute attribute(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attribute) fail_with_reason("creating attribute", object, what);
  check(H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &value), "writing attribute", object, what);
}

void soft_link(hid_t group, const std::string& name, const std::string& target) {
  QuietErrors quiet;
  check(H5Lcreate_soft(target.c_str(), group, name.c_str(), H5P_DEFAULT, H5P_DEFAULT), "linking", group, name);
}

}  // namespace tomo::h5
