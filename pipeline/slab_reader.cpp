#include "pipeline/slab_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <span>

#include "kernels/binning.hpp"
#include "kernels/dynamic_flat_field.hpp"
#include "kernels/elapsed.hpp"
#include "kernels/error.hpp"
#include "kernels/parallel.hpp"

namespace tomo {
namespace {

// Every reference frame of the kinds `which` (flats or darks, before and/or after the scan) for
// detector `rows`, laid out (row, frame, column) in the order of `which`.
std::vector<float> reference_frames(ScanReader& scan, std::initializer_list<Frames> which, Range rows) {
  const ScanInfo& info = scan.info();
  const std::size_t n = static_cast<std::size_t>(info.columns);
  int images = 0;
  for (const Frames kind : which) images += info.count(kind);
  std::vector<float> frames(static_cast<std::size_t>(rows.size()) * images * n), part;
  int offset = 0;
  for (const Frames kind : which) {
    const int count = info.count(kind);
    if (count == 0) continue;
    part.resize(static_cast<std::size_t>(rows.size()) * count * n);
    scan.read(kind, {0, count}, rows, part);
    for (int r = 0; r < rows.size(); ++r)
      std::copy_n(part.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * count * n), count * n,
                  frames.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(r) * images + offset) * n));
    offset += count;
  }
  return frames;
}

int frame_count(const ScanInfo& info, std::initializer_list<Frames> which) {
  int images = 0;
  for (const Frames kind : which) images += info.count(kind);
  return images;
}

// The reference frames of the kinds `which` for `rows`, averaged.
std::vector<float> averaged_reference(ScanReader& scan, std::initializer_list<Frames> which, Range rows, FrameAverage how) {
  const auto frames = reference_frames(scan, which, rows);
  std::vector<float> average(static_cast<std::size_t>(rows.size()) * static_cast<std::size_t>(scan.info().columns));
  average_frames(frames, rows.size(), frame_count(scan.info(), which), scan.info().columns, how, average);
  return average;
}

// Keeps columns [columns.begin, columns.end) of every line of `width` values, in place.
void crop_columns(std::vector<float>& lines, int width, Range columns) {
  if (columns.begin == 0 && columns.end == width) return;
  const std::size_t count = lines.size() / static_cast<std::size_t>(width);
  for (std::size_t line = 0; line < count; ++line)
    std::copy_n(lines.begin() + static_cast<std::ptrdiff_t>(line * width + columns.begin), columns.size(),
                lines.begin() + static_cast<std::ptrdiff_t>(line * columns.size()));
  lines.resize(count * static_cast<std::size_t>(columns.size()));
}

// Raw projections of `rows`, laid out (row, projection, column), the chosen projections only: a
// run of consecutive ones in one read, others one by one.
std::vector<float> read_projections(ScanReader& scan, std::span<const int> chosen, Range rows) {
  const std::size_t n = static_cast<std::size_t>(scan.info().columns);
  const std::size_t count = chosen.size();
  std::vector<float> slab(static_cast<std::size_t>(rows.size()) * count * n);
  if (count == 0) return slab;
  if (chosen.back() - chosen.front() + 1 == static_cast<int>(count)) {
    scan.read(Frames::projections, {chosen.front(), chosen.back() + 1}, rows, slab);
    return slab;
  }
  std::vector<float> one(static_cast<std::size_t>(rows.size()) * n);
  for (std::size_t k = 0; k < count; ++k) {
    scan.read(Frames::projections, {chosen[k], chosen[k] + 1}, rows, one);
    for (int r = 0; r < rows.size(); ++r)
      std::copy_n(one.begin() + static_cast<std::ptrdiff_t>(r * n), n,
                  slab.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(r) * count + k) * n));
  }
  return slab;
}

// Keeps the plan's columns of (row, frame, column) detector data and bins them as it says.
std::vector<float> crop_and_bin(std::vector<float> lines, const Plan& plan, int detector_columns, Range detector_rows,
                                int frames) {
  crop_columns(lines, detector_columns, plan.columns);
  if (plan.binning == 1) return lines;
  return bin_pixels(lines, detector_rows.size(), frames, plan.columns.size(), plan.binning);
}

// The averaged dark of plan rows `rows`, cropped and binned (0 when the scan has no darks).
std::vector<float> read_dark(ScanReader& scan, const Plan& plan, const ReconParams& p, Range rows) {
  if (plan.darks == 0) return std::vector<float>(static_cast<std::size_t>(rows.size()) * static_cast<std::size_t>(plan.width), 0.0f);
  const Range detector_rows{rows.begin * plan.binning, rows.end * plan.binning};
  return crop_and_bin(averaged_reference(scan, {Frames::darks_before, Frames::darks_after}, detector_rows,
                                         parse_frame_average(p.flat_average())),
                      plan, scan.info().columns, detector_rows, 1);
}

// Every flat, before and after the scan, of plan rows `rows`: (row, flat, column), cropped and binned.
std::vector<float> read_flat_frames(ScanReader& scan, const Plan& plan, Range rows) {
  const Range detector_rows{rows.begin * plan.binning, rows.end * plan.binning};
  const std::initializer_list<Frames> all_flats{Frames::flats_before, Frames::flats_after};
  return crop_and_bin(reference_frames(scan, all_flats, detector_rows), plan, scan.info().columns, detector_rows,
                      frame_count(scan.info(), all_flats));
}

}  // namespace

Plan plan_scan(ScanReader& scan, const ReconParams& params, const std::optional<DynamicFlatModel>& known) {
  Plan plan = make_plan(params, scan.info());
  if (plan.flat_mode == FlatMode::dynamic && known) {
    plan.dynamic_flats = known;
  } else if (plan.flat_mode == FlatMode::dynamic) {
    const auto started = std::chrono::steady_clock::now();
    plan.dynamic_flats = estimate_dynamic_flats(scan, plan, params, params.dynamic_flat_components());
    const auto& shares = plan.dynamic_flats->basis.variance_share;
    double kept = 0;
    for (double share : shares) kept += share;
    spdlog::info("dynamic flat field: {} eigen flats ({:.1f}% of the flats' variation), weights for {} projections in {:.1f} s",
                 shares.size(), 100 * kept, plan.projections.size(),
                 seconds_since(started));
  }
  return plan;
}

DynamicFlatModel estimate_dynamic_flats(ScanReader& scan, const Plan& plan, const ReconParams& p, int components) {
  const ScanInfo& info = scan.info();
  const int flats = info.count(Frames::flats_before) + info.count(Frames::flats_after);
  const int width = plan.width, projections = static_cast<int>(plan.projections.size());
  // The components from every row of the detector, so that every slab gets the same ones.
  FlatGramMatrix gram(flats);
  constexpr int kBlock = 64;  // rows of flats read at a time
  for (int first = plan.usable_rows.begin; first < plan.usable_rows.end; first += kBlock) {
    const Range rows{first, std::min(first + kBlock, plan.usable_rows.end)};
    gram.add(read_flat_frames(scan, plan, rows), read_dark(scan, plan, p, rows), rows.size(), width);
  }
  DynamicFlatModel model{gram.basis(components), {}};
  // The weights from a few rows spread over the detector (total variation along them).
  constexpr int kSampleRows = 8;
  const int samples = std::min(kSampleRows, plan.usable_rows.size());
  std::vector<float> raw, dark, frames;
  for (int s = 0; s < samples; ++s) {
    const int row = plan.usable_rows.begin + (2 * s + 1) * plan.usable_rows.size() / (2 * samples);
    const Range detector_rows{row * plan.binning, (row + 1) * plan.binning};
    const auto counts = crop_and_bin(read_projections(scan, plan.projections, detector_rows), plan, info.columns,
                                     detector_rows, projections);
    const auto row_dark = read_dark(scan, plan, p, {row, row + 1});
    const auto row_flats = read_flat_frames(scan, plan, {row, row + 1});
    raw.insert(raw.end(), counts.begin(), counts.end());
    dark.insert(dark.end(), row_dark.begin(), row_dark.end());
    frames.insert(frames.end(), row_flats.begin(), row_flats.end());
  }
  const EigenFlats sample = eigen_flats(model.basis, frames, dark, samples, width);
  model.weights = dynamic_flat_weights(raw, dark, sample, projections, resolve_threads(p.threads()));
  return model;
}

SlabInput read_slab(ScanReader& scan, const Plan& plan, const ReconParams& p, Range slab_rows) {
  return read_chunk(scan, plan, p, slab_rows, {0, static_cast<int>(plan.projections.size())}, true);
}

SlabInput read_chunk(ScanReader& scan, const Plan& plan, const ReconParams& p, Range slab_rows, Range projections,
                     bool with_flat_field) {
  if (projections.begin < 0 || projections.end > static_cast<int>(plan.projections.size()) || projections.size() < 0)
    fail("read_chunk: projections {}:{} of {}", projections.begin, projections.end, plan.projections.size());
  const Range rows{std::max(plan.usable_rows.begin, slab_rows.begin - plan.phase_margin),
                   std::min(plan.usable_rows.end, slab_rows.end + plan.phase_margin)};
  const Range detector_rows{rows.begin * plan.binning, rows.end * plan.binning};
  const auto chosen = std::span(plan.projections).subspan(static_cast<std::size_t>(projections.begin),
                                                          static_cast<std::size_t>(projections.size()));
  return {slab_rows, rows,
          crop_and_bin(read_projections(scan, chosen, detector_rows), plan, scan.info().columns, detector_rows,
                       projections.size()),
          with_flat_field ? read_flat_field(scan, plan, p, rows) : FlatField{}};
}

FlatField read_flat_field(ScanReader& scan, const Plan& plan, const ReconParams& p, Range rows) {
  const ScanInfo& info = scan.info();
  const int width = plan.width;
  if (!p.flat_field()) return identity_flat_field(rows.size(), width);
  const Range detector_rows{rows.begin * plan.binning, rows.end * plan.binning};
  const auto how = parse_frame_average(p.flat_average());
  const auto flats = [&](std::initializer_list<Frames> which) {
    return crop_and_bin(averaged_reference(scan, which, detector_rows, how), plan, info.columns, detector_rows, 1);
  };
  const auto dark = read_dark(scan, plan, p, rows);
  try {
    switch (plan.flat_mode) {
      case FlatMode::mean: return make_flat_field(dark, flats({Frames::flats_before, Frames::flats_after}), rows.size(), width);
      case FlatMode::before: return make_flat_field(dark, flats({Frames::flats_before}), rows.size(), width);
      case FlatMode::after: return make_flat_field(dark, flats({Frames::flats_after}), rows.size(), width);
      case FlatMode::interpolate:
      case FlatMode::half_half:
        return with_flats_after(make_flat_field(dark, flats({Frames::flats_before}), rows.size(), width),
                                make_flat_field(dark, flats({Frames::flats_after}), rows.size(), width),
                                plan.after_flat_weight);
      case FlatMode::dynamic: {
        if (!plan.dynamic_flats) fail("dynamic flat fielding was not prepared (estimate_dynamic_flats)");
        // The flats are read once: their mean (for the checks of make_flat_field) comes with the eigen flats.
        EigenFlats dynamic = eigen_flats(plan.dynamic_flats->basis, read_flat_frames(scan, plan, rows), dark, rows.size(), width);
        std::vector<float> mean_flat(dark.size());
        for (std::size_t i = 0; i < mean_flat.size(); ++i) mean_flat[i] = dynamic.mean[i] + dark[i];
        FlatField field = make_flat_field(dark, mean_flat, rows.size(), width);
        field.dynamic = std::move(dynamic);
        field.dynamic_weights = plan.dynamic_flats->weights;
        return field;
      }
    }
  } catch (const Error& e) {
    fail("{} (rows {}:{}): {}", info.path.string(), rows.begin, rows.end, e.what());
  }
  fail("unknown flat mode {}", static_cast<int>(plan.flat_mode));
}

}  // namespace tomo
