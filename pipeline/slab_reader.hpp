#pragma once
// Reading one slab of rows of a scan: the raw projections of those rows (and the margin rows
// phase retrieval needs around them), cropped and binned as the plan says, and their flat field
// from the flats and darks the plan's flat mode chooses.
#include <vector>

#include "pipeline/reconstruction_plan.hpp"
#include "kernels/flat_field.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

// One slab as read: raw counts and the flat field to correct them with.
struct SlabInput {
  Range rows;
  Range read_rows;  // rows read: `rows` and the margin phase retrieval needs around them
  std::vector<float> sinograms;  // raw counts (row, projection, column), cropped
  FlatField flat_field;
};
// make_plan() and what must be read before any slab (dynamic flat fielding's components and
// weights): the plan every reader of slabs uses. `known`: a dynamic flat field already estimated
// for the same projections, pixels and flats (parameters that differ only in the geometry or
// in later steps), used instead of estimating it again.
Plan plan_scan(ScanReader& scan, const ReconParams& params, const std::optional<DynamicFlatModel>& known = std::nullopt);

// Dynamic flat fielding's preparation, before any slab: the eigen flats' components from all the
// flats, and each projection's weights from a few rows spread over the detector
// (kernels/dynamic_flat_field.hpp). Store it in plan.dynamic_flats.
DynamicFlatModel estimate_dynamic_flats(ScanReader& scan, const Plan& plan, const ReconParams& params, int components);

// Reads slab `rows` (rows of the plan: binned with binning): every projection the plan uses, and
// the flat field. Throws tomo::Error naming the file and rows when the data or the flats are
// unusable.
SlabInput read_slab(ScanReader& scan, const Plan& plan, const ReconParams& params, Range rows);

// Reads projections [projections.begin, projections.end) of those the plan uses (indices into
// plan.projections) of slab `rows`, laid out (row, k, column): a chunk of a scan being acquired.
// The flat field only `with_flat_field` (a live slab reads it with its first chunk).
SlabInput read_chunk(ScanReader& scan, const Plan& plan, const ReconParams& params, Range rows, Range projections,
                     bool with_flat_field);

// The flat field of plan rows `rows` (with their margin rows) as the plan's flat mode says.
FlatField read_flat_field(ScanReader& scan, const Plan& plan, const ReconParams& params, Range rows);

}  // namespace tomo
