#pragma once
// One slice of one scan reconstructed again and again while a person tunes its parameters (the
// interactive preview). Each stage keeps what it made, keyed by the parameters it depends on, so
// that a change re-runs only the stages it affects:
//
//   stage          keeps                                   depends on (ReconParams fields)
//   read           raw counts of the row and the band of   layout, projection_from/to/step,
//                  rows phase retrieval needs around it,   crop_*, binning, flat_field,
//                  with their flat field                   flat_average, flat_mode, half_half_line,
//                                                          dynamic_flat_components, and the band
//                                                          itself (its height follows δ/β, energy,
//                                                          distance, pixel size, unsharp mask)
//   preprocess     the row's sinogram of line integrals    + minus_log, min_transmission,
//                  (corrected, phase-retrieved, rings      saturation, air_left/right,
//                  removed)                                zinger_threshold, rings, phase_method,
//                                                          energy_kev, distance_mm,
//                                                          delta_over_beta, phase_pad_factor,
//                                                          unsharp_sigma/amount, pixel_size_um
//   reconstruct    the N × N float slice                   + method, filter, filter_cutoff,
//                                                          cor_offset, rotation_deg, angles_deg,
//                                                          angle_span/first_deg,
//                                                          ignore_file_angles, half_acquisition*,
//                                                          circular_mask, mask_ratio,
//                                                          output_units, device
//   (none)         —                                       format, prefix, output_type, out_min/max,
//                                                          auto_range_percent, slice_crop_*,
//                                                          threads, memory_bytes, slice_from/to
//
// The grouping is written as the fields each key leaves out (slice_preview.cpp), so a field added
// to ReconParams later lands in the read key until someone places it: it can cost a re-read,
// never a stale image. The fields of the last row change only how slices are written or how fast
// they are made, not their values. pixel_size_um scales per-cm output too, and sits with the
// preprocessing it also changes. The phase-retrieved row depends on the height of the band around
// it (its 2-D transform spans the band), so the band is part of the read key rather than read
// once at its widest: a δ/β change that widens it reads again.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/center_of_rotation.hpp"
#include "pipeline/reconstruction_plan.hpp"
#include "pipeline/slab_reader.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

// The stage a slice was taken up from: all of it kept, the preprocessed sinogram kept, the raw
// sinogram kept, or nothing.
enum class PreviewReuse { slice, preprocessed, sinogram, nothing };
const char* reuse_name(PreviewReuse reuse);  // "slice", "preprocessed", "sinogram", "nothing"

struct PreviewTimings {
  double read = 0;         // seconds
  double preprocess = 0;
  double reconstruct = 0;
};

struct PreviewSlice {
  int row = 0;
  int width = 0;  // N: the slice is N × N
  std::shared_ptr<const std::vector<float>> pixels;  // (N, N); shared with the cache, never changed
  PreviewReuse reused = PreviewReuse::nothing;
  PreviewTimings timings;
};

// The parameters each stage depends on, as bytes to compare (see the table above).
std::string read_stage_key(const ReconParams& params);
std::string preprocess_stage_key(const ReconParams& params);
std::string reconstruct_stage_key(const ReconParams& params);

// The rows a preview of `info`'s scan may show with `params` (binned, inside the crop); tomo::Error
// when the parameters do not fit the scan.
Range preview_rows(const ReconParams& params, const ScanInfo& info);

// The centre of rotation found from the data around a row, in --cor-offset's detector pixels
// (as `tomoedge cor` prints it), with the metric over the offsets tried.
struct CentreEstimate {
  double cor_offset = 0;
  double confidence = 0;
  std::vector<std::pair<double, double>> metric;  // (offset in detector pixels, value)
};

class SlicePreview {
 public:
  // Previews of row `row` of `scan` (opened with open_scan; the caller refuses a scan still being
  // acquired, with require_complete).
  SlicePreview(std::unique_ptr<ScanReader> scan, int row);
  ~SlicePreview();
  SlicePreview(const SlicePreview&) = delete;
  SlicePreview& operator=(const SlicePreview&) = delete;

  // Row `row` (binned with binning) reconstructed with `params` (complete and validated; their
  // slice range is ignored). Throws tomo::Error when the parameters do not fit the scan. Call
  // from one thread at a time.
  PreviewSlice slice(const ReconParams& params);

  // The centre of rotation from the preprocessed sinograms around the row, as `tomoedge cor`
  // finds it: "registration" (0° against the mirrored 180°, over 5 rows) or "vo" (the row only).
  CentreEstimate centre(const ReconParams& params, const std::string& method);

  const ScanInfo& info() const;
  int row() const { return row_; }
  // Bytes held by the kept stages, for the cache's bound.
  std::size_t bytes() const;

 private:
  template <class Value>
  struct Kept {
    std::string key;
    Value value;
  };

  ReconParams with_axis(const ReconParams& params);

  std::unique_ptr<ScanReader> scan_;
  int row_;
  std::optional<Kept<std::optional<DynamicFlatModel>>> dynamic_flats_;
  std::map<std::string, double> half_acquisition_axes_;  // cor_offset found per preprocess key
  std::optional<Kept<SlabInput>> raw_;
  std::optional<Kept<SlabInput>> preprocessed_;
  std::optional<Kept<PreviewSlice>> slice_;
};

}  // namespace tomo
