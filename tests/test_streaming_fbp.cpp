// Live reconstruction: StreamingFbp, fed projections in chunks of random sizes in random order,
// against FbpReconstructor on the complete sinograms (with rivers_filter first for Rivers), and the
// kernels' accumulate mode it is built on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/fbp.hpp"
#include "kernels/phantom.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/stripe_filter_tables.hpp"
#include "kernels/streaming_fbp.hpp"
#include "kernels/stripe_filters.hpp"
#include "test_support.hpp"

namespace {

using tomo::test::relative_error;

std::vector<float> even_angles(int projections, double span_deg) {
  std::vector<float> angles(static_cast<std::size_t>(projections));
  for (int i = 0; i < projections; ++i)
    angles[static_cast<std::size_t>(i)] = static_cast<float>(i * span_deg / projections * std::numbers::pi / 180.0);
  return angles;
}

// Line integrals of the Shepp–Logan phantom's slices (slice, projection, column), with the axis at
// `axis`, plus a little white noise so that every frequency of the filter is exercised.
std::vector<float> phantom_sinograms(int slices, int n, const std::vector<float>& angles, double axis,
                                     double noise = 0.01) {
  const tomo::Phantom phantom(tomo::shepp_logan_3d(), slices, n);
  std::mt19937 rng(11);
  std::normal_distribution<double> gauss(0.0, noise);
  std::vector<float> sinograms(static_cast<std::size_t>(slices) * angles.size() * n);
  std::vector<double> row(static_cast<std::size_t>(n));
  for (int s = 0; s < slices; ++s) {
    const auto ellipses = phantom.slice(s);
    for (std::size_t p = 0; p < angles.size(); ++p) {
      tomo::project_slice(ellipses, angles[p], axis, 2, row);
      for (int c = 0; c < n; ++c)
        sinograms[(static_cast<std::size_t>(s) * angles.size() + p) * n + c] = static_cast<float>(row[c] + gauss(rng));
    }
  }
  return sinograms;
}

// Projections [first, first + count) of every slice, laid out (slice, k, column).
std::vector<float> chunk_of(const std::vector<float>& sinograms, int slices, int projections, int n, int first,
                            int count) {
  std::vector<float> chunk(static_cast<std::size_t>(slices) * count * n);
  for (int s = 0; s < slices; ++s)
    std::copy_n(sinograms.begin() + (static_cast<std::ptrdiff_t>(s) * projections + first) * n,
                static_cast<std::ptrdiff_t>(count) * n, chunk.begin() + static_cast<std::ptrdiff_t>(s) * count * n);
  return chunk;
}

// [first, count) chunks covering 0..P, of random sizes 1..largest, in random order.
std::vector<std::pair<int, int>> random_chunks(int projections, int largest, std::mt19937& rng) {
  std::vector<std::pair<int, int>> chunks;
  std::uniform_int_distribution<int> size(1, largest);
  for (int first = 0; first < projections;) {
    const int count = std::min(size(rng), projections - first);
    chunks.emplace_back(first, count);
    first += count;
  }
  std::shuffle(chunks.begin(), chunks.end(), rng);
  return chunks;
}

void add_chunks(tomo::StreamingFbp& streaming, const std::vector<float>& sinograms, int slices, int projections,
                int n, const std::vector<std::pair<int, int>>& chunks) {
  for (const auto& [first, count] : chunks) {
    auto chunk = chunk_of(sinograms, slices, projections, n, first, count);
    streaming.add(chunk, first, count);
  }
}

tomo::FbpSettings settings_for(int n, std::vector<float> angles, float offset) {
  tomo::FbpSettings s;
  s.geometry = {n, 0.5f * static_cast<float>(n) + offset, std::move(angles)};
  s.threads = 2;
  return s;
}

std::vector<float> batch_fbp(const tomo::FbpSettings& settings, std::vector<float> sinograms, int slices) {
  const std::size_t n = static_cast<std::size_t>(settings.geometry.columns);
  std::vector<float> out(static_cast<std::size_t>(slices) * n * n);
  tomo::FbpReconstructor(settings).reconstruct(sinograms, slices, out);
  return out;
}

// --- the kernels' accumulate mode ---

TEST(BackprojectionAccumulate, AddsToWhatTheOutputHolds) {
  for (const int slices : {1, 3, 17}) {
    const int n = 41, projections = 30;
    const auto angles = even_angles(projections, 180.0);
    const tomo::ParallelGeometry geometry{n, 0.5f * n + 1.25f, angles};
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> value(-1.f, 1.f);
    std::vector<float> sinograms(static_cast<std::size_t>(slices) * projections * n), before(static_cast<std::size_t>(slices) * n * n);
    for (auto& v : sinograms) v = value(rng);
    for (auto& v : before) v = value(rng);
    for (const bool slab : {false, true}) {
      std::vector<float> fresh(before.size()), added = before;
      const auto run = slab ? tomo::backproject_slab : tomo::backproject;
      run(sinograms, slices, geometry, 0.5f, fresh, 2, tomo::BackprojectionOutput::overwrite);
      run(sinograms, slices, geometry, 0.5f, added, 2, tomo::BackprojectionOutput::accumulate);
      std::vector<double> expected(before.size());
      for (std::size_t i = 0; i < before.size(); ++i) expected[i] = double(before[i]) + double(fresh[i]);
      EXPECT_LT(relative_error(added, expected), 1e-6) << slices << " slices, slab kernel " << slab;
    }
  }
}

// --- StreamingFbp against FbpReconstructor ---

struct StreamingCase {
  int n, projections, slices;
  float axis_offset;
  double span_deg;
  int largest_chunk;
};

class StreamingMatchesBatch : public ::testing::TestWithParam<StreamingCase> {};

TEST_P(StreamingMatchesBatch, AnyChunkingAndOrder) {
  const auto [n, projections, slices, offset, span, largest] = GetParam();
  auto settings = settings_for(n, even_angles(projections, span), offset);
  const auto sinograms = phantom_sinograms(slices, n, settings.geometry.angles_rad, settings.geometry.axis);
  const auto batch = batch_fbp(settings, sinograms, slices);
  std::mt19937 rng(static_cast<unsigned>(n * 1000 + slices));
  for (int trial = 0; trial < 3; ++trial) {
    // One chunk size throughout (1, then the largest), then random sizes.
    std::vector<std::pair<int, int>> chunks;
    if (trial < 2) {
      const int size = trial == 0 ? 1 : largest;
      for (int first = 0; first < projections; first += size) chunks.emplace_back(first, std::min(size, projections - first));
      std::shuffle(chunks.begin(), chunks.end(), rng);
    } else {
      chunks = random_chunks(projections, largest, rng);
    }
    tomo::StreamingFbp streaming(settings, slices);
    add_chunks(streaming, sinograms, slices, projections, n, chunks);
    ASSERT_TRUE(streaming.complete());
    EXPECT_EQ(streaming.added(), projections);
    std::vector<float> out(batch.size());
    streaming.finish(out);
    EXPECT_LT(relative_error(out, batch), 1e-5) << "trial " << trial << ", " << chunks.size() << " chunks";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, StreamingMatchesBatch,
    ::testing::Values(StreamingCase{64, 90, 1, 0.0f, 180.0, 20},     // one slice: the one-slice kernel
                      StreamingCase{47, 73, 17, 2.5f, 180.0, 16},    // odd width, 17 slices: 16 lanes + 1
                      StreamingCase{66, 120, 17, -3.25f, 360.0, 40}, // 360°, the axis off centre
                      StreamingCase{33, 61, 5, 0.5f, 360.0, 61},     // fewer slices than a slab group
                      StreamingCase{96, 180, 16, 0.0f, 180.0, 64},
                      // chunks above and below kBatchedProjections: some held back, some not
                      StreamingCase{40, 300, 3, 1.0f, 180.0, 150}));

TEST(StreamingFbp, FilterWindowValueScaleAndMaskAsBatch) {
  const int n = 50, projections = 80, slices = 9;
  auto settings = settings_for(n, even_angles(projections, 180.0), 1.5f);
  settings.filter = tomo::FilterWindow::hann;
  settings.filter_cutoff = 0.8f;
  settings.value_scale = 3.5f;
  settings.mask_ratio = 0.8f;
  const auto sinograms = phantom_sinograms(slices, n, settings.geometry.angles_rad, settings.geometry.axis);
  const auto batch = batch_fbp(settings, sinograms, slices);
  std::mt19937 rng(3);
  tomo::StreamingFbp streaming(settings, slices);
  add_chunks(streaming, sinograms, slices, projections, n, random_chunks(projections, 12, rng));
  std::vector<float> out(batch.size());
  streaming.finish(out);
  EXPECT_LT(relative_error(out, batch), 1e-5);
  // Complete, the live view is the final slab (no ring correction here): the same weight π/P.
  std::vector<float> live(batch.size());
  streaming.snapshot(live);
  EXPECT_EQ(live, out);
  // Made in the running sums themselves and handed over: the same values; then spent.
  EXPECT_EQ(streaming.finish_in_place(), out);
  EXPECT_THROW(streaming.finish_in_place(), tomo::Error);
  settings.circular_mask = false;
  const auto unmasked = batch_fbp(settings, sinograms, slices);
  tomo::StreamingFbp without_mask(settings, slices);
  add_chunks(without_mask, sinograms, slices, projections, n, random_chunks(projections, 30, rng));
  without_mask.finish(out);
  EXPECT_LT(relative_error(out, unmasked), 1e-5);
}

TEST(StreamingFbp, RejectsRepeatsIndicesOutOfRangeAndWrongSizes) {
  const int n = 16, projections = 10, slices = 2;
  tomo::StreamingFbp streaming(settings_for(n, even_angles(projections, 180.0), 0.0f), slices);
  const auto chunk = [&](int count) { return std::vector<float>(static_cast<std::size_t>(slices) * count * n, 1.0f); };
  const auto message = [&](int first, int count, std::vector<float> values) {
    try {
      streaming.add(values, first, count);
    } catch (const tomo::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto three = chunk(3);
  streaming.add(three, 2, 3);  // projections 2, 3, 4
  EXPECT_EQ(streaming.added(), 3);
  EXPECT_NE(message(4, 2, chunk(2)).find("projection 4 was already added"), std::string::npos);
  EXPECT_NE(message(8, 3, chunk(3)).find("projection 10 is out of range"), std::string::npos);
  EXPECT_NE(message(-1, 2, chunk(2)).find("projection -1 is out of range"), std::string::npos);
  EXPECT_NE(message(5, 2, chunk(3)).find("not 2 slices x 2 projections x 16 columns"), std::string::npos);
  EXPECT_NE(message(5, 0, chunk(0)).find("at least one"), std::string::npos);
  EXPECT_EQ(streaming.added(), 3);  // a rejected chunk changes nothing: 5 and 6 are still free
  auto two = chunk(2);
  streaming.add(two, 5, 2);
  EXPECT_EQ(streaming.added(), 5);
  EXPECT_FALSE(streaming.complete());
  std::vector<float> out(static_cast<std::size_t>(slices) * n * n);
  try {
    streaming.finish(out);
    ADD_FAILURE() << "finish() before the last projection";
  } catch (const tomo::Error& e) {
    EXPECT_NE(std::string(e.what()).find("projection 0 is missing"), std::string::npos) << e.what();
  }
  std::vector<float> wrong(static_cast<std::size_t>(n) * n);
  EXPECT_THROW(streaming.snapshot(wrong), tomo::Error);
  EXPECT_THROW(streaming.snapshot_slice(2, wrong), tomo::Error);
  streaming.snapshot_slice(1, wrong);  // one slice fits
  // Ring filters that need the whole sinogram cannot stream.
  EXPECT_THROW(tomo::StreamingFbp(settings_for(n, even_angles(projections, 180.0), 0.0f), 1,
                                  tomo::parse_ring_filter("vo-sort:21")),
               tomo::Error);
  EXPECT_THROW(tomo::StreamingFbp(settings_for(n, even_angles(projections, 180.0), 0.0f), 0), tomo::Error);
}

// The live view after half of the projections. Over 360° in acquisition order, and over 180° in
// the interleaved order some scans use (every other angle first), half the projections span 180°:
// the snapshot is the final slice at half the angular sampling. Over 180° in plain order it is a
// limited-angle reconstruction over the first 90°, smeared along one direction but recognisable.
double snapshot_correlation_after_half(double span_deg, bool interleaved) {
  const int n = 128, projections = 180, slices = 1;
  const auto settings = settings_for(n, even_angles(projections, span_deg), 0.0f);
  const auto sinograms = phantom_sinograms(slices, n, settings.geometry.angles_rad, settings.geometry.axis, 0.0);
  const auto batch = batch_fbp(settings, sinograms, slices);
  tomo::StreamingFbp streaming(settings, slices);
  for (int i = 0; i < projections / 2; ++i) {
    const int p = interleaved ? 2 * i : i;
    auto chunk = chunk_of(sinograms, slices, projections, n, p, 1);
    streaming.add(chunk, p, 1);
  }
  std::vector<float> live(batch.size()), one(static_cast<std::size_t>(n) * n);
  streaming.snapshot(live);
  streaming.snapshot_slice(0, one);
  EXPECT_EQ(one, live);  // slice 0 alone is the same view
  if (interleaved || span_deg == 360.0) {
    // The weight is that of the projections so far: the mean level is already right.
    const double total = std::accumulate(batch.begin(), batch.end(), 0.0);
    EXPECT_NEAR(std::accumulate(live.begin(), live.end(), 0.0), total, 0.02 * total);
  }
  return tomo::test::correlation(live, batch);
}

TEST(StreamingFbp, SnapshotAfterHalfTheProjectionsResemblesTheFinalSlice) {
  const double every_other = snapshot_correlation_after_half(180.0, true);
  const double half_turn = snapshot_correlation_after_half(360.0, false);
  const double quarter_turn = snapshot_correlation_after_half(180.0, false);
  EXPECT_GT(every_other, 0.98);
  EXPECT_GT(half_turn, 0.98);
  EXPECT_GT(quarter_turn, 0.7);
  std::printf("snapshot after half the projections, correlation with the final slice: %.4f (180°, every other "
              "angle), %.4f (360°, first 180°), %.4f (180°, first 90°)\n",
              every_other, half_turn, quarter_turn);
}

// --- Rivers ring correction at the end of the scan ---

// Phantom sinograms with a few columns whose gain is off: constant offsets down those columns (and
// a weak offset on every column), the stripes that make rings.
std::vector<float> striped_sinograms(int slices, int n, const std::vector<float>& angles, double axis) {
  auto sinograms = phantom_sinograms(slices, n, angles, axis);
  std::mt19937 rng(17);
  std::normal_distribution<float> weak(0.0f, 0.005f);
  std::uniform_real_distribution<float> strong(-0.2f, 0.2f);
  std::vector<float> offsets(static_cast<std::size_t>(slices) * n);
  for (auto& o : offsets) o = weak(rng);
  for (int s = 0; s < slices; ++s)
    for (int k = 0; k < 4; ++k) offsets[static_cast<std::size_t>(s) * n + (n / 5 + 7 * k + s) % n] += strong(rng);
  const std::size_t projections = angles.size();
  for (int s = 0; s < slices; ++s)
    for (std::size_t p = 0; p < projections; ++p)
      for (int c = 0; c < n; ++c)
        sinograms[(static_cast<std::size_t>(s) * projections + p) * n + c] += offsets[static_cast<std::size_t>(s) * n + c];
  return sinograms;
}

// The profile from column sums is what rivers_filter subtracts from every row, to the bit.
TEST(RiversProfile, IsWhatRiversFilterSubtracts) {
  const int n = 57, projections = 40;
  const auto angles = even_angles(projections, 180.0);
  const auto sinogram = striped_sinograms(1, n, angles, 0.5 * n);
  auto filtered = sinogram;
  tomo::rivers_filter({filtered.data(), projections, n}, 7);
  std::vector<double> sums(static_cast<std::size_t>(n), 0.0);
  for (int p = 0; p < projections; ++p)
    for (int c = 0; c < n; ++c) sums[static_cast<std::size_t>(c)] += sinogram[static_cast<std::size_t>(p) * n + c];
  const auto profile = tomo::rivers_correction(sums, projections, 7);
  for (int p = 0; p < projections; ++p)
    for (int c = 0; c < n; ++c) {
      const std::size_t i = static_cast<std::size_t>(p) * n + c;
      ASSERT_EQ(filtered[i], sinogram[i] - profile[static_cast<std::size_t>(c)]) << "projection " << p << ", column " << c;
    }
}

// Streaming with Rivers against rivers_filter on the complete sinograms, then FbpReconstructor;
// chunks of random sizes in random order.
void expect_rivers_as_batch(const tomo::FbpSettings& settings, int slices, int width) {
  const int n = settings.geometry.columns, projections = static_cast<int>(settings.geometry.angles_rad.size());
  const auto sinograms = striped_sinograms(slices, n, settings.geometry.angles_rad, settings.geometry.axis);
  const auto rivers = tomo::parse_ring_filter("rivers:" + std::to_string(width) + ";0");
  auto corrected = sinograms;
  tomo::remove_rings(corrected, slices, projections, n, rivers, 2);
  const auto batch = batch_fbp(settings, corrected, slices);
  const auto uncorrected = batch_fbp(settings, sinograms, slices);

  std::mt19937 rng(static_cast<unsigned>(width));
  tomo::StreamingFbp streaming(settings, slices, rivers);
  add_chunks(streaming, sinograms, slices, projections, n, random_chunks(projections, 25, rng));
  std::vector<float> out(batch.size());
  streaming.finish(out);
  EXPECT_LT(relative_error(out, batch), 1e-5);
  // The correction is not negligible: without it the slab is far from the batch result.
  EXPECT_GT(relative_error(uncorrected, batch), 1e-2);
  // The live view has no ring correction: it is the uncorrected reconstruction.
  std::vector<float> live(batch.size());
  streaming.snapshot(live);
  EXPECT_LT(relative_error(live, uncorrected), 1e-5);
}

struct RiversCase {
  int n, projections, slices;
  float axis_offset;
  double span_deg;
  int width;
};

class StreamingRivers : public ::testing::TestWithParam<RiversCase> {};

TEST_P(StreamingRivers, EqualsRiversFilterThenBatch) {
  const auto [n, projections, slices, offset, span, width] = GetParam();
  expect_rivers_as_batch(settings_for(n, even_angles(projections, span), offset), slices, width);
}

INSTANTIATE_TEST_SUITE_P(Geometries, StreamingRivers,
                         ::testing::Values(RiversCase{64, 90, 1, 0.0f, 180.0, 11},
                                           RiversCase{49, 75, 17, 2.75f, 180.0, 9},
                                           RiversCase{58, 100, 3, -1.5f, 360.0, 21},
                                           RiversCase{40, 300, 2, 0.0f, 180.0, 5},  // > 2 blocks of angles
                                           RiversCase{5, 20, 2, 0.0f, 180.0, 3}));  // narrow

// Angle sets of any kind: rotated, uneven, an odd number over 360°, half a step off 0.
TEST(StreamingRiversAngles, AnyAngleSetEqualsRiversFilterThenBatch) {
  const int n = 45, projections = 76, slices = 3;
  auto rotated = even_angles(projections, 180.0);
  for (auto& a : rotated) a += 0.3f;
  std::vector<float> uneven(projections);
  std::mt19937 rng(21);
  std::uniform_real_distribution<float> angle(0.0f, static_cast<float>(std::numbers::pi));
  for (auto& a : uneven) a = angle(rng);
  auto half_step = even_angles(projections, 180.0);
  for (auto& a : half_step) a += static_cast<float>(0.5 * std::numbers::pi / projections);
  const auto odd_360 = even_angles(projections + 1, 360.0);
  for (const auto& angles : {rotated, uneven, odd_360, half_step})
    expect_rivers_as_batch(settings_for(n, angles, 1.25f), slices, 7);
}

TEST(StreamingFbp, MemoryNeedCountsTheSumsPerRow) {
  const int n = 100, held = tomo::StreamingFbp::kBatchedProjections;
  const auto settings = settings_for(n, even_angles(300, 180.0), 0.0f);
  const tomo::StreamingFbp plain(settings, 4);
  const auto need = plain.memory_need(8);
  EXPECT_EQ(need.bytes_per_row, std::int64_t{n} * n * 4 + std::int64_t{held} * n * 4);
  EXPECT_GE(need.fixed_bytes, tomo::backproject_slab_workspace_bytes(held, n));  // small chunks wait for a batch
  EXPECT_GE(plain.memory_need(4 * held).fixed_bytes, tomo::backproject_slab_workspace_bytes(4 * held, n));
  const tomo::StreamingFbp with_rivers(settings, 4, tomo::parse_ring_filter("rivers:11;0"));
  EXPECT_EQ(with_rivers.memory_need(8).bytes_per_row, need.bytes_per_row + std::int64_t{n} * 12);
}

}  // namespace
