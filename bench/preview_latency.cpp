// preview_latency SCAN [--step N] [--repeats R] [--row ROW] [--delta-beta D]: the interactive preview's
// server-side time for a parameter change (cor_offset) with a warm cache (PreviewService, as
// POST /api/preview runs it: reconstruction, statistics, PNG), against the same slice
// reconstructed uncached (SliceSweep, a fresh one each time) in the same run. Medians over the
// repeats; no assertions (bench/RESULTS.md, "Interactive preview (issue 8)").
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/slice_sweep.hpp"
#include "service/preview_service.hpp"

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: preview_latency SCAN [--step N] [--repeats R] [--row ROW] [--delta-beta D]\n");
    return 2;
  }
  const std::filesystem::path scan = std::filesystem::canonical(argv[1]);
  int step = 1, repeats = 9, row = -1;
  double delta_beta = 0;  // > 0: Paganin phase retrieval at 20 keV, 100 mm (the band of rows it needs is kept too)
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--step") step = value;
    else if (flag == "--repeats") repeats = value;
    else if (flag == "--row") row = value;
    else if (flag == "--delta-beta") delta_beta = std::atof(argv[i + 1]);
  }
  tomo::ReconParams params = tomo::default_params();
  params.set_projection_step(step);
  if (delta_beta > 0) {
    params.set_phase_method("paganin");
    params.set_delta_over_beta(delta_beta);
    params.set_energy_kev(20);
    params.set_distance_mm(100);
  }
  tomo::PreviewService previews({scan.parent_path()}, std::int64_t{2} << 30);
  tomo::PreviewRequest request{scan, row >= 0 ? std::optional(row) : std::nullopt, params, std::nullopt};

  using clock = std::chrono::steady_clock;
  const auto first = clock::now();
  const tomo::PreviewImage cold = previews.preview(request, true);
  const double cold_seconds = std::chrono::duration<double>(clock::now() - first).count();
  std::vector<double> warm, reconstruct, encode, uncached;
  for (int k = 0; k < repeats; ++k) {
    // A new centre each time: the kept slice never answers, the preprocessed sinogram always does.
    request.params.set_cor_offset(0.25 * (k + 1));
    const tomo::PreviewImage image = previews.preview(request, true);
    if (image.reused != tomo::PreviewReuse::preprocessed) fmt::print(stderr, "change {} reused {}\n", k, tomo::reuse_name(image.reused));
    warm.push_back(image.seconds);
    reconstruct.push_back(image.timings.reconstruct);
    encode.push_back(image.encode_seconds);
  }
  for (int k = 0; k < repeats; ++k) {
    request.params.set_cor_offset(0.25 * (k + 1));
    const auto started = clock::now();
    tomo::ReconParams one = request.params;
    const std::vector<float> slice = tomo::SliceSweep(scan, one).slice(one, cold.row);
    uncached.push_back(std::chrono::duration<double>(clock::now() - started).count());
  }
  fmt::print("{}: row {}, slice {} x {}, projection_step {}, delta/beta {}, {} repeats\n", scan.filename().string(), cold.row,
             cold.width, cold.width, step, delta_beta, repeats);
  fmt::print("  first preview (cold: read {:.3f} s, preprocess {:.3f} s, reconstruct {:.3f} s): {:.3f} s\n", cold.timings.read,
             cold.timings.preprocess, cold.timings.reconstruct, cold_seconds);
  fmt::print("  cor_offset change, warm: median {:.3f} s (reconstruct {:.3f} s, statistics + PNG {:.3f} s), PNG {} bytes\n",
             median(warm), median(reconstruct), median(encode), cold.png.size());
  fmt::print("  baseline, uncached SliceSweep of the same slice: median {:.3f} s\n", median(uncached));
  return 0;
}
