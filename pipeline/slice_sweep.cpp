#include "pipeline/slice_sweep.hpp"

#include "pipeline/reconstruction_job.hpp"
#include "pipeline/slab_reader.hpp"
#include "pipeline/slab_reconstructor.hpp"

namespace tomo {

SliceSweep::SliceSweep(const std::filesystem::path& input, const ReconParams& params)
    : scan_(open_scan(input, params.layout().empty() ? std::nullopt : std::optional(parse_layout(params.layout())))) {
  require_complete(*scan_);
}

SliceSweep::~SliceSweep() = default;

std::vector<float> SliceSweep::slice(const ReconParams& params, int row) {
  ReconParams one = params;
  one.set_slice_from(row);
  one.set_slice_to(row + 1);
  one = with_half_acquisition_axis(one, *scan_, dynamic_);
  const Plan plan = plan_scan(*scan_, one, dynamic_);
  dynamic_ = plan.dynamic_flats;
  SlabReconstructor reconstructor(plan, one);
  SlabInput slab = read_slab(*scan_, plan, one, plan.rows);
  return reconstructor.reconstruct(slab).slices;
}

}  // namespace tomo
