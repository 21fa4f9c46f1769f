#include "storage/slice_writer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>

#include "kernels/error.hpp"
#include "storage/nxtomoproc_writer.hpp"

namespace tomo {
namespace fs = std::filesystem;

OutputFormat parse_output_format(const std::string& name) {
  if (name == "tiff") return OutputFormat::tiff;
  if (name == "hdf5") return OutputFormat::hdf5;
  fail("unknown output format '{}' (use tiff or hdf5)", name);
}

fs::path tiff_slice_path(const fs::path& folder, const std::string& prefix, int row) {
  return folder / fmt::format("{}_{:04d}.tif", prefix, row);
}

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write_to) {
  fs::path temporary = path;
  temporary += ".part";
  try {
    write_to(temporary);
    fs::rename(temporary, path);
  } catch (...) {
    std::error_code ignored;  // the original error is the one worth reporting
    fs::remove(temporary, ignored);
    throw;
  }
}

namespace {

void prepare_folder(const fs::path& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) fail("output folder {}: cannot create it: {}", folder.string(), error.message());
  const fs::path probe = folder / ".tomoedge-write-test";
  {
    std::ofstream out(probe);
    if (!(out << "x")) fail("output folder {} is not writable", folder.string());
  }
  fs::remove(probe, error);
}

// Removes `path` if it is there; a file that cannot be removed is worth a warning, not a failure
// of what is already failing or cancelled.
void remove_if_there(const fs::path& path) {
  std::error_code error;
  fs::remove(path, error);
  if (error) spdlog::warn("could not remove {}: {}", path.string(), error.message());
}

class TiffStackWriter final : public SliceWriter {
 public:
  TiffStackWriter(OutputSpec spec, int first_row, int rows, int width, int height)
      : spec_(std::move(spec)), first_row_(first_row), rows_(rows), width_(width), height_(height) {}

  void write(int row, std::span<const float> slice) override {
    write_atomically(path_of(row), [&](const fs::path& temporary) {
      write_tiff(temporary, slice, width_, height_, spec_.type, spec_.low, spec_.high);
    });
  }
  void finish() override {}
  fs::path path_of(int row) const override { return tiff_slice_path(spec_.folder, spec_.prefix, row); }
  void discard() override { remove_tiff_slices(spec_.folder, spec_.prefix, first_row_, rows_); }

 private:
  OutputSpec spec_;
  int first_row_, rows_;
  int width_, height_;
};

class VolumeWriter final : public SliceWriter {
 public:
  VolumeWriter(const OutputSpec& spec, int first_row, int rows, int width, int height, const Provenance& provenance)
      : path_(spec.folder / (spec.prefix + ".h5")),
        volume_(fs::path(path_) += ".part", first_row, rows, width, height, spec.type, spec.low, spec.high, provenance) {}
  ~VolumeWriter() override {
    if (!finished_) {
      volume_.close();
      std::error_code ignored;
      fs::remove(fs::path(path_) += ".part", ignored);
    }
  }
  void write(int row, std::span<const float> slice) override { volume_.write(row, slice); }
  void finish() override {
    volume_.close();
    fs::rename(fs::path(path_) += ".part", path_);
    finished_ = true;
  }
  fs::path path_of(int) const override { return path_; }
  void discard() override {
    if (!finished_) volume_.close();
    finished_ = true;
    remove_if_there(fs::path(path_) += ".part");
    remove_if_there(path_);
  }

 private:
  fs::path path_;
  NxTomoProcFile volume_;
  bool finished_ = false;
};

}  // namespace

void remove_tiff_slices(const fs::path& folder, const std::string& prefix, int first_row, int rows) {
  for (int row = first_row; row < first_row + rows; ++row) {
    remove_if_there(tiff_slice_path(folder, prefix, row));
    remove_if_there(tiff_slice_path(folder, prefix, row) += ".part");
  }
}

std::unique_ptr<SliceWriter> make_slice_writer(const OutputSpec& spec, int first_row, int rows, int width, int height,
                                               const Provenance& provenance) {
  prepare_folder(spec.folder);
  if (spec.format == OutputFormat::tiff) return std::make_unique<TiffStackWriter>(spec, first_row, rows, width, height);
  return std::make_unique<VolumeWriter>(spec, first_row, rows, width, height, provenance);
}

}  // namespace tomo
