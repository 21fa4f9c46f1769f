#pragma once
// Helpers shared by the tests: scratch folders, running the tomoedge binary, reading strings,
// comparing outputs.
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/error.hpp"
#include "storage/hdf5_handle.hpp"

namespace tomo::test {

// Largest |got − reference| over the largest |reference|: the error bound the kernels' tests state.
template <class Reference>
double relative_error(const std::vector<float>& got, const std::vector<Reference>& reference) {
  double worst = 0, largest = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(got[i]) - static_cast<double>(reference[i])));
    largest = std::max(largest, std::abs(static_cast<double>(reference[i])));
  }
  return worst / largest;
}

// A fresh, empty folder for one test (under $TOMO_TEST_TMP when set).
inline std::filesystem::path scratch_dir(const std::string& name) {
  const char* root = std::getenv("TOMO_TEST_TMP");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = (root ? std::filesystem::path(root) : std::filesystem::temp_directory_path() / "tomoedge-tests") /
             (std::string(info->test_suite_name()) + "." + info->name() + "." + name + "." + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `tomoedge ARGS` and collects its output and exit code.
inline CommandResult run_tomoedge(const std::string& args) {
  CommandResult result;
  const std::string command = std::string(TOMOEDGE_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) result.output += buffer.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Pearson correlation of two images of the same size.
inline double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double mean_a = 0, mean_b = 0;
  for (std::size_t i = 0; i < a.size(); ++i) mean_a += a[i], mean_b += b[i];
  mean_a /= static_cast<double>(a.size()), mean_b /= static_cast<double>(b.size());
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - mean_a) * (b[i] - mean_b);
    aa += (a[i] - mean_a) * (a[i] - mean_a);
    bb += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return ab / std::sqrt(aa * bb);
}

// The message of the tomo::Error that action() throws, or "<no error>".
template <class Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const tomo::Error& e) {
    return e.what();
  }
  return "<no error>";
}

// A scalar string dataset.
inline std::string read_string(hid_t file, const char* path) {
  h5::Dataset dataset(H5Dopen2(file, path, H5P_DEFAULT));
  if (!dataset) return "<missing " + std::string(path) + ">";
  h5::Datatype type(H5Dget_type(dataset.get()));
  std::string value(H5Tget_size(type.get()), '\0');
  h5::Datatype memory(H5Tcopy(H5T_C_S1));
  H5Tset_size(memory.get(), value.size());
  if (H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, value.data()) < 0) return "<unreadable>";
  return value.substr(0, value.find('\0'));
}

}  // namespace tomo::test

namespace tomo::test {

// A whole float dataset (any stored type) and its shape.
struct FloatArray {
  std::vector<hsize_t> shape;
  std::vector<float> values;
};

inline FloatArray read_floats(const std::filesystem::path& file_path, const char* dataset_path) {
  FloatArray result;
  h5::File file(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file) return result;
  h5::Dataset dataset(H5Dopen2(file.get(), dataset_path, H5P_DEFAULT));
  if (!dataset) return result;
  h5::Dataspace space(H5Dget_space(dataset.get()));
  result.shape.resize(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), result.shape.data(), nullptr);
  std::size_t count = 1;
  for (auto d : result.shape) count *= d;
  result.values.resize(count);
  if (H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, result.values.data()) < 0) result.values.clear();
  return result;
}

// A file's bytes, to compare outputs byte for byte.
inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// `got` holds exactly the slices of `reference` (a folder of finished TIFF slices), byte for
// byte, and nothing half-written.
inline void expect_same_slices(const std::filesystem::path& got, const std::filesystem::path& reference) {
  std::size_t files = 0, expected = 0;
  for (const auto& entry : std::filesystem::directory_iterator(got)) {
    EXPECT_EQ(entry.path().extension(), ".tif") << "not a finished slice: " << entry.path();
    ++files;
  }
  for (const auto& entry : std::filesystem::directory_iterator(reference)) {
    ++expected;
    EXPECT_TRUE(file_bytes(got / entry.path().filename()) == file_bytes(entry.path()))
        << (got / entry.path().filename()) << " differs from " << entry.path();
  }
  EXPECT_GT(expected, 0u);
  EXPECT_EQ(files, expected);
}

}  // namespace tomo::test
