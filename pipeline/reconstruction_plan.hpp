#pragma once
// Everything a reconstruction needs to know about a scan before reading it, resolved once from
// the parameters and the file: which rows, columns and projections, the geometry and filter,
// the preprocessing steps, and what each step costs in memory. Parameters that do not fit the
// scan (a slice range beyond it, a flat mode its flats do not allow, missing physics) fail
// here, naming the file and the values, before anything is read.
#include <optional>
#include <vector>

#include "kernels/correction.hpp"
#include "kernels/dynamic_flat_field.hpp"
#include "kernels/fbp.hpp"
#include "kernels/flat_field.hpp"
#include "kernels/half_acquisition.hpp"
#include "kernels/phase_retrieval.hpp"
#include "kernels/ring_removal.hpp"
#include "kernels/slab_plan.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

// Dynamic flat fielding's components and, per projection used, their weights.
struct DynamicFlatModel {
  EigenFlatBasis basis;
  std::vector<float> weights;  // (projection, component)
};

struct Plan {
  Range rows;                  // rows to reconstruct: detector rows, or binned rows with binning
  Range columns;               // detector columns kept after cropping
  int binning = 1;
  int width = 0;               // detector width: the kept columns, binned
  int slice_width = 0;         // N of the N x N slices: the detector width, or the stitched one
  std::optional<double> half_acquisition_axis;  // detector column of the axis, to stitch around
  StitchOptions stitch;                         // and how
  Range usable_rows;                            // rows inside the crop (binned with binning)
  std::optional<PhaseRetrieval> phase;          // single-distance phase retrieval, if asked for
  int phase_margin = 0;                         // rows read around a slab for it
  RingFilter rings;
  std::optional<DynamicFlatModel> dynamic_flats;  // filled by estimate_dynamic_flats (slab_reader.hpp)
  std::vector<int> projections;  // indices of the projections used (every n-th)
  std::vector<float> angles_rad;  // their angles (rotation included); fbp.geometry keeps the first half with half acquisition
  FbpSettings fbp;
  int flats = 0, darks = 0;
  FlatMode flat_mode = FlatMode::mean;
  std::vector<float> after_flat_weight;  // per chosen projection, with two sets of flats
  CorrectionOptions correction;
};

Plan make_plan(const ReconParams& params, const ScanInfo& info);

// The angles (degrees) of all the scan's projections: the explicit list in the parameters,
// else the file's, else evenly spaced over angle_span_deg. Throws when a list has the wrong length.
std::vector<double> projection_angles_deg(const ReconParams& params, const ScanInfo& info);

// An axis offset found on the plan's (cropped, binned) columns, as --cor-offset takes it: in
// detector pixels from the centre of the cropped detector. Binned column j is centred on
// detector column b j + (b − 1)/2.
double detector_offset(const Plan& plan, double binned_offset);

// What each step of the pipeline needs for a slab (kernels/slab_plan.hpp): the reader's raw
// sinograms and reference frames, the flat fields and slices that travel with each slab, the
// preprocessing's and the reconstruction's working memory, and the writer's converted slice.
std::vector<MemoryNeed> memory_needs(const Plan& plan, const ScanInfo& info, MemoryNeed reconstruction, int threads);

}  // namespace tomo
