// The scan simulator and its files: noise statistics, determinism across thread counts, the
// centre-of-rotation offset, agreement of the truth with a reconstruction of noise-free data,
// the three file layouts (read back with plain HDF5 calls, not the scan readers), bad
// parameters, and `tomoedge simulate` end to end.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernels/error.hpp"
#include "kernels/fbp.hpp"
#include "kernels/scan_simulator.hpp"
#include "storage/hdf5_handle.hpp"
#include "storage/scan_writer.hpp"
#include "test_support.hpp"

namespace {
namespace fs = std::filesystem;
using tomo::ImageKind;

tomo::SimulationParams small_scan(int projections = 24, int rows = 3, int columns = 48) {
  tomo::SimulationParams p;
  p.projections = projections;
  p.rows = rows;
  p.columns = columns;
  p.flats = 5;
  p.darks = 4;
  p.seed = 11;
  return p;
}

template <class T>
std::vector<T> simulate(const tomo::ScanSimulator& sim, ImageKind kind, int first, int rows, int threads) {
  std::vector<T> out(static_cast<std::size_t>(rows) * sim.frames(kind) * sim.params().columns);
  sim.simulate(kind, first, rows, out, threads);
  return out;
}

using tomo::test::error_of;

// ------------------------------------------------------------------ reading files back

struct StoredShape {
  std::vector<hsize_t> dims;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t type_size = 0;
  H5T_sign_t sign = H5T_SGN_ERROR;
};

StoredShape shape_of(hid_t file, const std::string& path) {
  StoredShape shape;
  const tomo::h5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dataset) return shape;
  const tomo::h5::Dataspace space(H5Dget_space(dataset.get()));
  shape.dims.resize(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), shape.dims.data(), nullptr);
  const tomo::h5::Datatype type(H5Dget_type(dataset.get()));
  shape.type_class = H5Tget_class(type.get());
  shape.type_size = H5Tget_size(type.get());
  if (shape.type_class == H5T_INTEGER) shape.sign = H5Tget_sign(type.get());
  return shape;
}

template <class T>
std::vector<T> read_all(hid_t file, const std::string& path, hid_t memory_type) {
  const tomo::h5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dataset) return {};
  const tomo::h5::Dataspace space(H5Dget_space(dataset.get()));
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) return {};
  return values;
}

double read_number(hid_t file, const std::string& path) {
  const auto values = read_all<double>(file, path, H5T_NATIVE_DOUBLE);
  return values.size() == 1 ? values[0] : std::nan("");
}

std::string string_attribute(hid_t file, const std::string& object_path, const char* name) {
  const tomo::h5::Handle<H5Oclose> object(H5Oopen(file, object_path.c_str(), H5P_DEFAULT));
  if (!object || H5Aexists(object.get(), name) <= 0) return "<missing>";
  const tomo::h5::Attribute attribute(H5Aopen(object.get(), name, H5P_DEFAULT));
  const tomo::h5::Datatype type(H5Aget_type(attribute.get()));
  std::string value(H5Tget_size(type.get()), '\0');
  if (H5Aread(attribute.get(), type.get(), value.data()) < 0) return "<unreadable>";
  return value.substr(0, value.find('\0'));
}

bool has_link(hid_t file, const std::string& path) { return H5Lexists(file, path.c_str(), H5P_DEFAULT) > 0; }

std::vector<hsize_t> chunk_of(hid_t file, const std::string& path) {
  const tomo::h5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  const tomo::h5::PropertyList dcpl(H5Dget_create_plist(dataset.get()));
  std::vector<hsize_t> chunk(3, 0);
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return {};
  chunk.resize(static_cast<std::size_t>(H5Pget_chunk(dcpl.get(), 3, chunk.data())));
  return chunk;
}

int filters_of(hid_t file, const std::string& path) {
  const tomo::h5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  const tomo::h5::PropertyList dcpl(H5Dget_create_plist(dataset.get()));
  return H5Pget_nfilters(dcpl.get());
}

tomo::h5::File open_read_only(const fs::path& path) {
  return tomo::h5::File(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
}

std::vector<fs::path> part_files(const fs::path& dir) {
  std::vector<fs::path> parts;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".part") parts.push_back(entry.path());
  return parts;
}

// (row, frame, column) block → (frame, row, column), as DX and NXtomo store images.
std::vector<std::uint16_t> frame_major(const std::vector<std::uint16_t>& block, int rows, int frames, int n) {
  std::vector<std::uint16_t> out(block.size());
  for (int r = 0; r < rows; ++r)
    for (int f = 0; f < frames; ++f)
      for (int c = 0; c < n; ++c) out[(std::size_t(f) * rows + r) * n + c] = block[(std::size_t(r) * frames + f) * n + c];
  return out;
}

StoredShape expect_uint16(hid_t file, const std::string& path, std::vector<hsize_t> dims) {
  const StoredShape shape = shape_of(file, path);
  EXPECT_EQ(shape.dims, dims) << path;
  EXPECT_EQ(shape.type_class, H5T_INTEGER) << path;
  EXPECT_EQ(shape.type_size, 2u) << path;
  EXPECT_EQ(shape.sign, H5T_SGN_NONE) << path;
  return shape;
}

// ------------------------------------------------------------------ noise

TEST(Simulator, PoissonSamplerHasPoissonMeanAndVariance) {
  const int n = 200000;
  for (const double mean : {0.3, 4.0, 9.99, 10.0, 37.5, 1000.0, 20000.0}) {
    tomo::NoiseStream noise(7, 1, 2, static_cast<std::uint64_t>(mean * 100));
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double k = noise.poisson(mean);
      sum += k;
      sum2 += k * k;
    }
    const double m = sum / n, variance = sum2 / n - m * m;
    // 5σ bounds: the sample mean has variance λ/n, the sample variance (λ + 2λ²)/n.
    EXPECT_NEAR(m, mean, 5 * std::sqrt(mean / n)) << mean;
    EXPECT_NEAR(variance, mean, 5 * std::sqrt((mean + 2 * mean * mean) / n)) << mean;
  }
}

TEST(Simulator, PoissonSamplerFollowsThePoissonProbabilities) {
  // Mean and variance do not see a wrong shape; compare the histogram with the exact pmf.
  const int n = 400000;
  for (const double mean : {15.0, 120.0}) {
    tomo::NoiseStream noise(3, 4, 5, static_cast<std::uint64_t>(mean));
    std::vector<int> histogram(static_cast<std::size_t>(4 * mean), 0);
    for (int i = 0; i < n; ++i) {
      const auto k = noise.poisson(mean);
      if (k < histogram.size()) ++histogram[k];
    }
    for (int k = static_cast<int>(mean - 3 * std::sqrt(mean)); k <= static_cast<int>(mean + 3 * std::sqrt(mean)); ++k) {
      const double pmf = std::exp(-mean + k * std::log(mean) - std::lgamma(k + 1.0));
      const double observed = static_cast<double>(histogram[static_cast<std::size_t>(k)]) / n;
      EXPECT_NEAR(observed, pmf, 5 * std::sqrt(pmf / n)) << "mean " << mean << ", k = " << k;
    }
  }
}

TEST(Simulator, NormalSamplerIsStandard) {
  tomo::NoiseStream noise(1, 2, 3, 4);
  const int n = 200000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = noise.normal();
    sum += x;
    sum2 += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(sum2 / n, 1.0, 5 * std::sqrt(2.0 / n));
}

TEST(Simulator, CountsAverageToTheAttenuatedBeamWithPoissonVariance) {
  const double photons = 10000, p = 1.2, dark = 100, read_noise = 3;
  const double expected = photons * std::exp(-p);
  tomo::NoiseStream noise(5, 0, 0, 0);
  const int n = 100000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = tomo::detector_counts(expected, 1.0, dark, read_noise, noise) - dark;
    sum += x;
    sum2 += x * x;
  }
  const double m = sum / n, variance = sum2 / n - m * m;
  // Variance: Poisson (= the mean) plus the read noise plus 1/12 from rounding to integers.
  const double expected_variance = expected + read_noise * read_noise + 1.0 / 12.0;
  EXPECT_NEAR(m, expected, 5 * std::sqrt(expected_variance / n));
  EXPECT_NEAR(variance, expected_variance, 5 * std::sqrt(2.0 / n) * expected_variance);
}

TEST(Simulator, FlatsAndProjectionsScatterAroundTheirExpectedCounts) {
  // Every pixel of a small scan, as a z-score against its own expected counts: mean 0,
  // variance 1 if the simulator's noise is Poisson + read noise around the right mean.
  tomo::SimulationParams p = small_scan(90, 2, 64);
  p.flats = 200;
  p.photons = 5000;
  p.defective_columns = 3;
  const tomo::ScanSimulator sim(p);
  for (const ImageKind kind : {ImageKind::flat, ImageKind::projection}) {
    const auto counts = simulate<std::uint16_t>(sim, kind, 0, p.rows, 2);
    std::vector<double> expected(p.columns);
    double sum = 0, sum2 = 0;
    std::size_t n = 0;
    for (int row = 0; row < p.rows; ++row)
      for (int frame = 0; frame < sim.frames(kind); ++frame) {
        sim.expected_counts(kind, row, frame, expected);
        for (int c = 0; c < p.columns; ++c) {
          const double mean = expected[c];
          const double photons = mean - p.dark_level;  // the dark pattern averages out here
          const double sigma = std::sqrt(std::max(photons, 0.0) + p.read_noise * p.read_noise + 1.0 / 12.0);
          const double z = (counts[(std::size_t(row) * sim.frames(kind) + frame) * p.columns + c] - mean) / sigma;
          sum += z;
          sum2 += z * z;
          ++n;
        }
      }
    const double m = sum / n;
    EXPECT_NEAR(m, 0.0, 5 / std::sqrt(double(n))) << static_cast<int>(kind);
    EXPECT_NEAR(sum2 / n - m * m, 1.0, 0.03) << static_cast<int>(kind);
  }
}

TEST(Simulator, BrightBeamsKeepTheirNoiseButFitUint16) {
  tomo::SimulationParams p = small_scan(8, 1, 32);
  p.photons = 200000;  // far above uint16: counts are scaled by κ = 50000 / I0
  const tomo::ScanSimulator sim(p);
  EXPECT_NEAR(sim.counts_per_photon(), 0.25, 1e-12);
  const auto flats = simulate<std::uint16_t>(sim, ImageKind::flat, 0, 1, 1);
  EXPECT_LT(*std::max_element(flats.begin(), flats.end()), 60000);
  EXPECT_GT(*std::max_element(flats.begin(), flats.end()), 40000);
}

// ------------------------------------------------------------------ determinism, defects, geometry

TEST(Simulator, SameSeedSameCountsWhateverTheThreadsAndBlocks) {
  const tomo::ScanSimulator sim(small_scan());
  for (const ImageKind kind : {ImageKind::projection, ImageKind::flat, ImageKind::dark}) {
    const auto one = simulate<std::uint16_t>(sim, kind, 0, 3, 1);
    const auto two = simulate<std::uint16_t>(sim, kind, 0, 3, 2);
    EXPECT_EQ(one, two) << static_cast<int>(kind);
    // Rows simulated in two blocks: the same numbers.
    auto first = simulate<std::uint16_t>(sim, kind, 0, 1, 2);
    const auto rest = simulate<std::uint16_t>(sim, kind, 1, 2, 2);
    first.insert(first.end(), rest.begin(), rest.end());
    EXPECT_EQ(one, first) << static_cast<int>(kind);
  }
  tomo::SimulationParams other = small_scan();
  other.seed = 12;
  EXPECT_NE(simulate<std::uint16_t>(tomo::ScanSimulator(other), ImageKind::projection, 0, 3, 2),
            simulate<std::uint16_t>(sim, ImageKind::projection, 0, 3, 2));
}

// Frames simulated in order, as `simulate --stream` writes them, hold the rows' counts exactly:
// with every effect that has its own random stream or reaches across rows (phase contrast).
TEST(Simulator, FramesByFramesAreTheRowsTransposed) {
  tomo::SimulationParams p = small_scan(24, 4, 48);
  p.flats_after = 3;
  p.zinger_fraction = 0.01;
  p.beam_flicker = 0.02;
  p.beam_drift = 0.1;
  p.beam_structure = 0.03;
  p.phase_alpha = 0.5;
  p.defective_columns = 2;
  const tomo::ScanSimulator sim(p);
  const std::size_t rows = 4, columns = 48;
  for (const ImageKind kind : {ImageKind::projection, ImageKind::flat, ImageKind::dark, ImageKind::flat_after}) {
    const auto by_rows = simulate<std::uint16_t>(sim, kind, 0, 4, 2);  // (row, frame, column)
    const std::size_t frames = static_cast<std::size_t>(sim.frames(kind));
    // Two calls, the second from a frame in the middle.
    std::vector<std::uint16_t> by_frames(by_rows.size());  // (frame, row, column)
    const std::size_t split = frames / 3;
    sim.simulate_frames(kind, 0, static_cast<int>(split), std::span(by_frames).first(split * rows * columns), 1);
    sim.simulate_frames(kind, static_cast<int>(split), static_cast<int>(frames - split),
                        std::span(by_frames).subspan(split * rows * columns), 2);
    std::size_t differ = 0;
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t f = 0; f < frames; ++f)
        for (std::size_t c = 0; c < columns; ++c)
          differ += by_rows[(r * frames + f) * columns + c] != by_frames[(f * rows + r) * columns + c];
    EXPECT_EQ(differ, 0u) << static_cast<int>(kind);
  }
  std::vector<std::uint16_t> two(2 * rows * columns);
  EXPECT_NE(error_of([&] { sim.simulate_frames(ImageKind::projection, 23, 2, two, 1); }).find("frames [23, 25)"),
            std::string::npos);
}

// A beam that changes intensity over the scan: the flats after it see the end of the drift, the
// projections a linear change between; flicker varies projection by projection.
TEST(Simulator, BeamDriftAndFlickerScaleTheFrames) {
  auto p = small_scan();
  p.flats_after = 3;
  p.beam_drift = -0.2;
  const tomo::ScanSimulator sim(p);
  EXPECT_EQ(sim.frames(ImageKind::flat_after), 3);
  EXPECT_DOUBLE_EQ(sim.beam_intensity(ImageKind::flat, 0), 1.0);
  EXPECT_DOUBLE_EQ(sim.beam_intensity(ImageKind::flat_after, 2), 0.8);
  EXPECT_DOUBLE_EQ(sim.beam_intensity(ImageKind::projection, 0), 1.0);
  EXPECT_DOUBLE_EQ(sim.beam_intensity(ImageKind::projection, p.projections - 1), 0.8);
  EXPECT_EQ(tomo::nxtomo_image_key(ImageKind::flat_after), 1);
  p.beam_drift = 0;
  p.beam_flicker = 0.05;
  const tomo::ScanSimulator flicker(p);
  EXPECT_NE(flicker.beam_intensity(ImageKind::projection, 3), flicker.beam_intensity(ImageKind::projection, 4));
  p.photons = 100000;  // a full-scale beam: four standard deviations of flicker would saturate
  EXPECT_THROW(tomo::ScanSimulator{p}, tomo::Error);
}

// Zingers hit about the requested fraction of pixels and only add counts.
TEST(Simulator, ZingersHitTheRequestedFractionOfPixels) {
  auto p = small_scan(200, 2, 64);
  const auto clean = simulate<std::uint16_t>(tomo::ScanSimulator(p), ImageKind::projection, 0, 2, 2);
  p.zinger_fraction = 0.01;
  const auto hit = simulate<std::uint16_t>(tomo::ScanSimulator(p), ImageKind::projection, 0, 2, 2);
  std::size_t changed = 0;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    EXPECT_GE(hit[i], clean[i]);
    changed += hit[i] != clean[i];
  }
  // 25 600 pixels at 1 %: 256 expected, ±3σ = ±48.
  EXPECT_NEAR(static_cast<double>(changed), 0.01 * clean.size(), 48.0);
}

TEST(Simulator, DefectiveColumnsDifferFromTheFlatsByAFewPercent) {
  tomo::SimulationParams p = small_scan(12, 2, 128);
  p.defective_columns = 6;
  const tomo::ScanSimulator sim(p);
  ASSERT_EQ(sim.defective_columns().size(), 6u);
  EXPECT_TRUE(std::is_sorted(sim.defective_columns().begin(), sim.defective_columns().end()));
  for (const int c : sim.defective_columns()) {
    const double deviation = std::abs(sim.defect_gain()[c] - 1.0);
    EXPECT_GE(deviation, 0.02) << c;
    EXPECT_LE(deviation, 0.05) << c;
    EXPECT_LT(std::abs(c - sim.axis()), sim.phantom().radius_px()) << "column " << c << " outside the sample";
  }
  int sound = 0;
  for (const double g : sim.defect_gain()) sound += g == 1.0;
  EXPECT_EQ(sound, 128 - 6);
}

// Centre of mass of each projection row of line integrals, in detector columns.
std::vector<double> centres_of_mass(const tomo::ScanSimulator& sim) {
  const auto& p = sim.params();
  std::vector<float> sinogram(static_cast<std::size_t>(p.projections) * p.columns);
  sim.line_integrals(0, 1, sinogram, 2);
  std::vector<double> centres;
  for (int i = 0; i < p.projections; ++i) {
    double mass = 0, moment = 0;
    for (int c = 0; c < p.columns; ++c) {
      mass += sinogram[std::size_t(i) * p.columns + c];
      moment += c * double(sinogram[std::size_t(i) * p.columns + c]);
    }
    centres.push_back(moment / mass);
  }
  return centres;
}

TEST(Simulator, CorOffsetShiftsTheSinogramsCentreOfMass) {
  tomo::SimulationParams centred = small_scan(72, 1, 128);
  centred.span_deg = 360;
  tomo::SimulationParams shifted = centred;
  shifted.cor_offset = 3.25;
  const auto at_centre = centres_of_mass(tomo::ScanSimulator(centred));
  const auto off_centre = centres_of_mass(tomo::ScanSimulator(shifted));
  double mean = 0;
  for (std::size_t i = 0; i < at_centre.size(); ++i) {
    EXPECT_NEAR(off_centre[i] - at_centre[i], 3.25, 1e-3) << "projection " << i;
    mean += off_centre[i] / off_centre.size();
  }
  // Over a full turn the phantom's own centre of mass averages out: the mean is the axis.
  EXPECT_NEAR(mean, 64 + 3.25, 1e-3);
}

// Filtered backprojection of the noise-free line integrals of row 0, with the axis moved by
// `axis_error` from the simulator's (to show what a wrong geometry would cost).
std::vector<float> reconstruct_noise_free(const tomo::ScanSimulator& sim, double axis_error) {
  const auto& p = sim.params();
  std::vector<float> sinogram(static_cast<std::size_t>(p.projections) * p.columns);
  std::vector<float> slice(static_cast<std::size_t>(p.columns) * p.columns);
  sim.line_integrals(0, 1, sinogram, 2);
  tomo::FbpSettings settings;
  settings.geometry.columns = p.columns;
  settings.geometry.axis = static_cast<float>(sim.axis() + axis_error);
  for (const double degrees : sim.angles_deg())
    settings.geometry.angles_rad.push_back(static_cast<float>(degrees * std::numbers::pi / 180.0));
  settings.threads = 2;
  tomo::FbpReconstructor(settings).reconstruct(sinogram, 1, slice);
  return slice;
}

struct SliceErrors {
  double uniform = 0;  // mean |recon − truth| where the truth's 5 × 5 neighbourhood is uniform
  double all = 0;      // mean |recon − truth| over the phantom's disc, edges included
};

SliceErrors compare(const std::vector<float>& slice, const std::vector<float>& truth, int n, double radius) {
  SliceErrors e;
  int uniform_count = 0, all_count = 0;
  for (int r = 2; r < n - 2; ++r)
    for (int j = 2; j < n - 2; ++j) {
      const double x = j - 0.5 * n, y = 0.5 * n - r;
      if (x * x + y * y > radius * radius) continue;
      const float centre = truth[std::size_t(r) * n + j];
      const double error = std::abs(slice[std::size_t(r) * n + j] - centre);
      e.all += error;
      ++all_count;
      bool uniform = centre > 0;
      for (int dr = -2; dr <= 2 && uniform; ++dr)
        for (int dj = -2; dj <= 2 && uniform; ++dj) uniform = truth[std::size_t(r + dr) * n + j + dj] == centre;
      if (!uniform) continue;
      e.uniform += error;
      ++uniform_count;
    }
  EXPECT_GT(uniform_count, n * n / 8);
  e.uniform /= std::max(uniform_count, 1);
  e.all /= std::max(all_count, 1);
  return e;
}

TEST(Simulator, TruthIsWhatFilteredBackprojectionOfNoiseFreeDataGives) {
  // The truth and the projections must share one geometry with the backprojector
  // (kernels/backprojection_math.hpp): reconstruct noise-free line integrals and compare.
  for (const double offset : {0.0, 2.5}) {
    tomo::SimulationParams p = small_scan(400, 1, 128);
    p.cor_offset = offset;
    const tomo::ScanSimulator sim(p);
    const int n = p.columns;
    std::vector<float> truth(std::size_t(n) * n);
    sim.truth(0, 1, truth, 2);
    const double radius = sim.phantom().radius_px() + 2;
    const double mu_skull = sim.phantom().mu_per_density();
    const SliceErrors right = compare(reconstruct_noise_free(sim, 0.0), truth, n, radius);
    const SliceErrors half_pixel_off = compare(reconstruct_noise_free(sim, 0.5), truth, n, radius);
    // Away from edges (where ramp-filter ringing lives) within 0.5 % of the skull's μ
    // (measured: 0.19 %); with the edges, a geometry half a pixel off must do clearly worse
    // (measured: 0.00093 against 0.0023 for an axis 0.5 px off).
    EXPECT_LT(right.uniform, 0.005 * mu_skull) << "offset " << offset;
    EXPECT_LT(right.all, 0.7 * half_pixel_off.all) << "offset " << offset;
  }
}

// ------------------------------------------------------------------ files

class SimulatedFiles : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tomo::test::scratch_dir("simulate"); }
  void TearDown() override {
    std::error_code ignored;
    if (!HasFailure()) fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_F(SimulatedFiles, TdfIsSinogramMajorWithMetadataAndTruth) {
  const tomo::ScanSimulator sim(small_scan());
  const auto& p = sim.params();
  tomo::ScanWriteOptions options;
  options.layout = tomo::Layout::tdf;
  options.threads = 2;
  options.metadata.distance_mm = 120.0;
  const fs::path path = dir_ / "scan.tdf";
  tomo::write_simulated_scan(sim, path, options);
  EXPECT_TRUE(part_files(dir_).empty());

  const auto file = open_read_only(path);
  ASSERT_TRUE(file.valid());
  expect_uint16(file.get(), "/exchange/data", {3, 24, 48});
  expect_uint16(file.get(), "/exchange/data_white", {3, 5, 48});
  expect_uint16(file.get(), "/exchange/data_dark", {3, 4, 48});
  EXPECT_FALSE(has_link(file.get(), "/exchange/theta"));
  const auto chunk = chunk_of(file.get(), "/exchange/data");
  ASSERT_EQ(chunk.size(), 3u);
  EXPECT_EQ(chunk[0], 1u);  // one detector row per chunk
  EXPECT_EQ(chunk[2], 48u);

  EXPECT_EQ(read_all<std::uint16_t>(file.get(), "/exchange/data", H5T_NATIVE_UINT16),
            simulate<std::uint16_t>(sim, ImageKind::projection, 0, p.rows, 1));
  EXPECT_EQ(read_all<std::uint16_t>(file.get(), "/exchange/data_white", H5T_NATIVE_UINT16),
            simulate<std::uint16_t>(sim, ImageKind::flat, 0, p.rows, 1));
  EXPECT_EQ(read_all<std::uint16_t>(file.get(), "/exchange/data_dark", H5T_NATIVE_UINT16),
            simulate<std::uint16_t>(sim, ImageKind::dark, 0, p.rows, 1));

  EXPECT_EQ(tomo::test::read_string(file.get(), "/measurement/sample/name"), "simulated phantom");
  EXPECT_EQ(read_number(file.get(), "/measurement/instrument/detector/pixel_size"), 1.0);
  EXPECT_EQ(string_attribute(file.get(), "/measurement/instrument/detector/pixel_size", "units"), "um");
  EXPECT_EQ(read_number(file.get(), "/measurement/instrument/detector/distance"), 120.0);
  EXPECT_EQ(string_attribute(file.get(), "/measurement/instrument/detector/distance", "units"), "mm");
  EXPECT_FALSE(has_link(file.get(), "/measurement/instrument/monochromator"));  // no energy given

  const auto truth = open_read_only(tomo::truth_path(path));
  ASSERT_TRUE(truth.valid());
  const StoredShape phantom = shape_of(truth.get(), "/phantom");
  EXPECT_EQ(phantom.dims, (std::vector<hsize_t>{3, 48, 48}));
  EXPECT_EQ(phantom.type_class, H5T_FLOAT);
  EXPECT_EQ(phantom.type_size, 4u);
  std::vector<float> expected(std::size_t(3) * 48 * 48);
  sim.truth(0, 3, expected, 1);
  EXPECT_EQ(read_all<float>(truth.get(), "/phantom", H5T_NATIVE_FLOAT), expected);
  EXPECT_EQ(string_attribute(truth.get(), "/phantom", "units"), "1/pixel");
  EXPECT_EQ(read_number(truth.get(), "/simulation/axis"), 24.0);
}

TEST_F(SimulatedFiles, DxIsProjectionMajorWithTheta) {
  const tomo::ScanSimulator sim(small_scan());
  const auto& p = sim.params();
  tomo::ScanWriteOptions options;
  options.layout = tomo::Layout::dx;
  options.metadata.energy_kev = 25.0;
  // Blocks of 2 rows for 3 rows: two writes, the last one a partial chunk.
  options.block_bytes = std::size_t{2} * p.projections * p.columns * sizeof(std::uint16_t);
  ASSERT_EQ(tomo::rows_per_block(p, options.block_bytes), 2);
  const fs::path path = dir_ / "scan.h5";
  tomo::write_simulated_scan(sim, path, options);

  const auto file = open_read_only(path);
  ASSERT_TRUE(file.valid());
  expect_uint16(file.get(), "/exchange/data", {24, 3, 48});
  expect_uint16(file.get(), "/exchange/data_white", {5, 3, 48});
  expect_uint16(file.get(), "/exchange/data_dark", {4, 3, 48});
  EXPECT_EQ(chunk_of(file.get(), "/exchange/data"), (std::vector<hsize_t>{1, 2, 48}));
  EXPECT_EQ(read_all<std::uint16_t>(file.get(), "/exchange/data", H5T_NATIVE_UINT16),
            frame_major(simulate<std::uint16_t>(sim, ImageKind::projection, 0, 3, 2), 3, 24, 48));
  EXPECT_EQ(read_all<std::uint16_t>(file.get(), "/exchange/data_white", H5T_NATIVE_UINT16),
            frame_major(simulate<std::uint16_t>(sim, ImageKind::flat, 0, 3, 2), 3, 5, 48));
  const StoredShape theta = shape_of(file.get(), "/exchange/theta");
  EXPECT_EQ(theta.dims, (std::vector<hsize_t>{24}));
  EXPECT_EQ(theta.type_class, H5T_FLOAT);
  EXPECT_EQ(theta.type_size, 8u);
  EXPECT_EQ(read_all<double>(file.get(), "/exchange/theta", H5T_NATIVE_DOUBLE), sim.angles_deg());
  EXPECT_EQ(read_all<double>(file.get(), "/exchange/theta", H5T_NATIVE_DOUBLE)[1], 7.5);
  EXPECT_EQ(read_number(file.get(), "/measurement/instrument/monochromator/energy"), 25.0);
  EXPECT_EQ(string_attribute(file.get(), "/measurement/instrument/monochromator/energy", "units"), "keV");
  EXPECT_FALSE(has_link(file.get(), "/measurement/instrument/detector/distance"));
}

TEST_F(SimulatedFiles, NxtomoStacksDarksFlatsProjectionsWithKeysAndAngles) {
  tomo::SimulationParams params = small_scan();
  params.span_deg = 360;
  const tomo::ScanSimulator sim(params);
  tomo::ScanWriteOptions options;
  options.layout = tomo::Layout::nxtomo;
  options.gzip_level = 4;
  options.metadata.pixel_size_um = 6.5;
  options.metadata.distance_mm = 80.0;
  options.metadata.energy_kev = 30.0;
  const fs::path path = dir_ / "scan.nx";
  tomo::write_simulated_scan(sim, path, options);

  const auto file = open_read_only(path);
  ASSERT_TRUE(file.valid());
  const hsize_t frames = 4 + 5 + 24;
  expect_uint16(file.get(), "/entry/instrument/detector/data", {frames, 3, 48});
  EXPECT_EQ(filters_of(file.get(), "/entry/instrument/detector/data"), 2);  // shuffle + deflate
  expect_uint16(file.get(), "/entry/data/data", {frames, 3, 48});          // the soft link resolves

  std::vector<std::int32_t> keys(4, 2);
  keys.insert(keys.end(), 5, 1);
  keys.insert(keys.end(), 24, 0);
  EXPECT_EQ(read_all<std::int32_t>(file.get(), "/entry/instrument/detector/image_key", H5T_NATIVE_INT32), keys);
  EXPECT_EQ(read_all<std::int32_t>(file.get(), "/entry/data/image_key", H5T_NATIVE_INT32), keys);
  const auto angles = read_all<double>(file.get(), "/entry/sample/rotation_angle", H5T_NATIVE_DOUBLE);
  ASSERT_EQ(angles.size(), frames);
  EXPECT_EQ(angles[0], 0.0);
  EXPECT_EQ(angles[8], 0.0);
  EXPECT_EQ(angles[9 + 1], 15.0);  // 360° over 24 projections
  EXPECT_EQ(string_attribute(file.get(), "/entry/sample/rotation_angle", "units"), "degree");
  EXPECT_EQ(read_all<double>(file.get(), "/entry/data/rotation_angle", H5T_NATIVE_DOUBLE), angles);

  const auto data = read_all<std::uint16_t>(file.get(), "/entry/instrument/detector/data", H5T_NATIVE_UINT16);
  auto expected = frame_major(simulate<std::uint16_t>(sim, ImageKind::dark, 0, 3, 2), 3, 4, 48);
  const auto flats = frame_major(simulate<std::uint16_t>(sim, ImageKind::flat, 0, 3, 2), 3, 5, 48);
  const auto projections = frame_major(simulate<std::uint16_t>(sim, ImageKind::projection, 0, 3, 2), 3, 24, 48);
  expected.insert(expected.end(), flats.begin(), flats.end());
  expected.insert(expected.end(), projections.begin(), projections.end());
  EXPECT_EQ(data, expected);

  EXPECT_EQ(tomo::test::read_string(file.get(), "/entry/definition"), "NXtomo");
  EXPECT_EQ(string_attribute(file.get(), "/entry", "NX_class"), "NXentry");
  EXPECT_EQ(string_attribute(file.get(), "/entry/instrument", "NX_class"), "NXinstrument");
  EXPECT_EQ(string_attribute(file.get(), "/entry/instrument/detector", "NX_class"), "NXdetector");
  EXPECT_EQ(string_attribute(file.get(), "/entry/sample", "NX_class"), "NXsample");
  EXPECT_EQ(string_attribute(file.get(), "/entry/data", "NX_class"), "NXdata");
  EXPECT_EQ(tomo::test::read_string(file.get(), "/entry/sample/name"), "simulated phantom");
  EXPECT_EQ(read_number(file.get(), "/entry/instrument/detector/x_pixel_size"), 6.5);
  EXPECT_EQ(string_attribute(file.get(), "/entry/instrument/detector/x_pixel_size", "units"), "um");
  EXPECT_EQ(read_number(file.get(), "/entry/instrument/detector/distance"), 80.0);
  EXPECT_EQ(string_attribute(file.get(), "/entry/instrument/detector/distance", "units"), "mm");
  EXPECT_EQ(read_number(file.get(), "/entry/instrument/source/energy"), 30.0);
  EXPECT_EQ(string_attribute(file.get(), "/entry/instrument/source/energy", "units"), "keV");

  const auto truth = open_read_only(tomo::truth_path(path));
  EXPECT_EQ(filters_of(truth.get(), "/phantom"), 2);
}

// ------------------------------------------------------------------ bad parameters and paths

TEST(SimulatorParameters, OutOfRangeValuesNameTheirFlag) {
  struct Case {
    const char* flag;
    void (*spoil)(tomo::SimulationParams&);
  };
  const Case cases[] = {
      {"--projections", [](tomo::SimulationParams& p) { p.projections = 0; }},
      {"--projections", [](tomo::SimulationParams& p) { p.projections = 10'000'000; }},
      {"--rows", [](tomo::SimulationParams& p) { p.rows = -3; }},
      {"--columns", [](tomo::SimulationParams& p) { p.columns = 4; }},
      {"--flats", [](tomo::SimulationParams& p) { p.flats = 0; }},
      {"--darks", [](tomo::SimulationParams& p) { p.darks = -1; }},
      {"--photons", [](tomo::SimulationParams& p) { p.photons = 0; }},
      {"--photons", [](tomo::SimulationParams& p) { p.photons = -5; }},
      {"--photons", [](tomo::SimulationParams& p) { p.photons = std::nan(""); }},
      {"--span", [](tomo::SimulationParams& p) { p.span_deg = 90; }},
      {"--cor-offset", [](tomo::SimulationParams& p) { p.cor_offset = 20; }},
      {"--defective-columns", [](tomo::SimulationParams& p) { p.defective_columns = 40; }},
      {"GiB", [](tomo::SimulationParams& p) {
         p.projections = 90000;
         p.rows = 10000;
         p.columns = 10000;
       }},
  };
  for (const Case& c : cases) {
    tomo::SimulationParams p = small_scan();
    c.spoil(p);
    const std::string message = error_of([&] { tomo::validate(p); });
    EXPECT_NE(message.find(c.flag), std::string::npos) << c.flag << ": " << message;
  }
  EXPECT_EQ(error_of([] { tomo::validate(small_scan()); }), "<no error>");
  EXPECT_NE(error_of([] { tomo::parse_simulated_layout("tiff-stack"); }).find("--layout"), std::string::npos);
}

TEST_F(SimulatedFiles, UnwritablePlacesNameOut) {
  const tomo::ScanSimulator sim(small_scan());
  const std::string missing = error_of([&] { tomo::write_simulated_scan(sim, dir_ / "no-such-folder" / "scan.tdf", {}); });
  EXPECT_NE(missing.find("--out"), std::string::npos) << missing;
  EXPECT_NE(missing.find("does not exist"), std::string::npos) << missing;
  const std::string folder = error_of([&] { tomo::write_simulated_scan(sim, dir_, {}); });
  EXPECT_NE(folder.find("--out"), std::string::npos) << folder;
}

TEST_F(SimulatedFiles, AFailureLeavesNoFileBehind) {
  // The truth's final name is taken by a folder with a file in it: the rename at the end fails.
  const tomo::ScanSimulator sim(small_scan());
  const fs::path path = dir_ / "scan.tdf";
  fs::create_directories(tomo::truth_path(path));
  std::ofstream(tomo::truth_path(path) / "keep").put('x');
  const std::string message = error_of([&] { tomo::write_simulated_scan(sim, path, {}); });
  EXPECT_NE(message.find("rename"), std::string::npos) << message;
  EXPECT_TRUE(part_files(dir_).empty());
  EXPECT_FALSE(fs::exists(path));
}

// ------------------------------------------------------------------ the command

TEST_F(SimulatedFiles, CommandWritesATinyScan) {
  const fs::path path = dir_ / "cli.dx";
  const auto result = tomo::test::run_tomoedge(
      fmt::format("simulate --out {} --projections 12 --rows 2 --columns 32 --layout dx --seed 3 --threads 2 "
                  "--cor-offset 1.5 --defective-columns 2 --energy 30 --pixel-size 6.5",
                  path.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto file = open_read_only(path);
  ASSERT_TRUE(file.valid());
  expect_uint16(file.get(), "/exchange/data", {12, 2, 32});
  expect_uint16(file.get(), "/exchange/data_white", {20, 2, 32});
  expect_uint16(file.get(), "/exchange/data_dark", {10, 2, 32});
  EXPECT_EQ(read_number(file.get(), "/measurement/instrument/detector/pixel_size"), 6.5);
  const auto truth = open_read_only(tomo::truth_path(path));
  ASSERT_TRUE(truth.valid());
  EXPECT_EQ(shape_of(truth.get(), "/phantom").dims, (std::vector<hsize_t>{2, 32, 32}));
  EXPECT_EQ(read_number(truth.get(), "/simulation/axis"), 17.5);
  EXPECT_EQ(read_all<std::int32_t>(truth.get(), "/simulation/defective_columns", H5T_NATIVE_INT32).size(), 2u);
  EXPECT_TRUE(part_files(dir_).empty());
}

// --no-truth writes the scan alone, and removes a truth left from an earlier scan of that name
// (it would describe another scan).
TEST_F(SimulatedFiles, NoTruthWritesTheScanAlone) {
  const fs::path path = dir_ / "alone.tdf";
  std::ofstream(tomo::truth_path(path)).put('x');
  const auto result = tomo::test::run_tomoedge(
      fmt::format("simulate --out {} --projections 12 --rows 2 --columns 32 --no-truth", path.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto file = open_read_only(path);
  ASSERT_TRUE(file.valid());
  expect_uint16(file.get(), "/exchange/data", {2, 12, 32});
  EXPECT_FALSE(fs::exists(tomo::truth_path(path)));
  EXPECT_TRUE(part_files(dir_).empty());
}

// Flats after the projections go after them in the NXtomo stack, with image key 1; the other
// layouts refuse them.
TEST_F(SimulatedFiles, NxtomoStoresFlatsTakenAfterTheScan) {
  const fs::path path = dir_ / "after.nxs";
  const auto result = tomo::test::run_tomoedge(fmt::format(
      "simulate --out {} --layout nxtomo --projections 6 --rows 2 --columns 32 --flats 2 --darks 1 --flats-after 3",
      path.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto file = open_read_only(path);
  expect_uint16(file.get(), "/entry/instrument/detector/data", {12, 2, 32});
  EXPECT_EQ(read_all<std::int32_t>(file.get(), "/entry/instrument/detector/image_key", H5T_NATIVE_INT32),
            (std::vector<std::int32_t>{2, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1}));
  const auto refused = tomo::test::run_tomoedge(fmt::format(
      "simulate --out {} --projections 6 --rows 2 --columns 32 --flats-after 3", (dir_ / "after.tdf").string()));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("--flats-after needs --layout nxtomo"), std::string::npos) << refused.output;
}

TEST_F(SimulatedFiles, CommandRejectsBadFlagsClearly) {
  const std::string out = (dir_ / "bad.tdf").string();
  const std::pair<std::string, std::string> cases[] = {
      {"--projections 0 --rows 2 --columns 32", "--projections"},
      {"--projections 8 --rows 2 --columns 32 --layout tiff", "--layout"},
      {"--projections 8 --rows 2 --columns 32 --photons -1", "--photons"},
      {"--projections 8 --rows 2 --columns 32 --span 270", "--span"},
      {"--projections 8 --rows 2 --columns 32 --gzip 12", "--gzip"},
      {"--projections 8 --rows 2 --columns 32 --threads -2", "--threads"},
  };
  for (const auto& [flags, flag] : cases) {
    const auto result = tomo::test::run_tomoedge(fmt::format("simulate --out {} {}", out, flags));
    EXPECT_NE(result.exit_code, 0) << flags;
    EXPECT_NE(result.output.find(flag), std::string::npos) << flags << ": " << result.output;
  }
  const auto missing = tomo::test::run_tomoedge("simulate --out /no-such-folder/x.tdf --projections 8 --rows 2 --columns 32");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("--out"), std::string::npos) << missing.output;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
