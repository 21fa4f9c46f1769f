#include "cli/slab_reader.hpp"

#include <algorithm>
#include <initializer_list>

#include "kernels/binning.hpp"
#include "kernels/error.hpp"

namespace tomo {
namespace {

// Reads every reference frame of the kinds `which` (flats or darks, before and/or after the
// scan) for `rows` and averages them.
std::vector<float> averaged_reference(ScanReader& scan, std::initializer_list<Frames> which, Range rows, FrameAverage how) {
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
  std::vector<float> average(static_cast<std::size_t>(rows.size()) * n);
  average_frames(frames, rows.size(), images, info.columns, how, average);
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

// Raw projections of `rows`, laid out (row, projection, column), the chosen projections only.
std::vector<float> read_projections(ScanReader& scan, const std::vector<int>& chosen, Range rows) {
  const ScanInfo& info = scan.info();
  const std::size_t n = static_cast<std::size_t>(info.columns);
  const std::size_t count = chosen.size();
  std::vector<float> slab(static_cast<std::size_t>(rows.size()) * count * n);
  if (static_cast<int>(count) == info.projections) {
    scan.read(Frames::projections, {0, info.projections}, rows, slab);
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

}  // namespace

SlabInput read_slab(ScanReader& scan, const Plan& plan, const ReconParams& p, Range slab_rows) {
  const ScanInfo& info = scan.info();
  const int width = plan.width;
  const Range rows{std::max(plan.usable_rows.begin, slab_rows.begin - plan.phase_margin),
                   std::min(plan.usable_rows.end, slab_rows.end + plan.phase_margin)};
  const Range detector_rows{rows.begin * plan.binning, rows.end * plan.binning};
  SlabInput slab{slab_rows, rows,
                 crop_and_bin(read_projections(scan, plan.projections, detector_rows), plan, info.columns, detector_rows,
                              static_cast<int>(plan.projections.size())),
                 identity_flat_field(rows.size(), width)};
  if (!p.flat_field()) return slab;
  const auto how = parse_frame_average(p.flat_average());
  const auto flats = [&](std::initializer_list<Frames> which) {
    return crop_and_bin(averaged_reference(scan, which, detector_rows, how), plan, info.columns, detector_rows, 1);
  };
  const auto dark = plan.darks > 0 ? flats({Frames::darks_before, Frames::darks_after})
                                   : std::vector<float>(static_cast<std::size_t>(rows.size()) * width, 0.0f);
  try {
    switch (plan.flat_mode) {
      case FlatMode::mean:
        slab.flat_field = make_flat_field(dark, flats({Frames::flats_before, Frames::flats_after}), rows.size(), width);
        break;
      case FlatMode::before: slab.flat_field = make_flat_field(dark, flats({Frames::flats_before}), rows.size(), width); break;
      case FlatMode::after: slab.flat_field = make_flat_field(dark, flats({Frames::flats_after}), rows.size(), width); break;
      case FlatMode::interpolate:
      case FlatMode::half_half:
        slab.flat_field = with_flats_after(make_flat_field(dark, flats({Frames::flats_before}), rows.size(), width),
                                           make_flat_field(dark, flats({Frames::flats_after}), rows.size(), width),
                                           plan.after_flat_weight);
        break;
    }
  } catch (const Error& e) {
    fail("{} (rows {}:{}): {}", info.path.string(), rows.begin, rows.end, e.what());
  }
  return slab;
}

}  // namespace tomo
