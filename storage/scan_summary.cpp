#include "storage/scan_summary.hpp"

#include <optional>

namespace tomo {
namespace {

template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json scan_summary_json(const ScanInfo& info, const AcquisitionState& acquisition) {
  nlohmann::json angles = nullptr;
  if (!info.angles_deg.empty())
    angles = {{"count", info.angles_deg.size()}, {"first_deg", info.angles_deg.front()},
              {"last_deg", info.angles_deg.back()}};
  return {
      {"file", info.path.string()},
      {"layout", to_string(info.layout)},
      {"projections", info.projections},
      {"rows", info.rows},
      {"columns", info.columns},
      {"darks", info.darks()},
      {"darks_before", info.darks_before},
      {"darks_after", info.darks_after},
      {"flats", info.flats()},
      {"flats_before", info.flats_before},
      {"flats_after", info.flats_after},
      {"dtype", info.dtype},
      {"chunking", info.chunking},
      {"compression", info.compression},
      {"angles", angles},
      {"pixel_size_um", or_null(info.pixel_size_um)},
      {"distance_mm", or_null(info.distance_mm)},
      {"energy_kev", or_null(info.energy_kev)},
      {"sample", info.sample},
      {"acquisition",
       {{"written", acquisition.written}, {"expected", acquisition.expected}, {"complete", acquisition.complete}}},
  };
}


}  // namespace tomo
