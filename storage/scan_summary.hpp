#pragma once
// A scan's summary as `tomoedge info --json` prints it and the web app's scan panel shows it
// (GET /api/scans/summary): layout, shape, flats and darks, storage, angles, geometry and how far
// its acquisition is — from the file's metadata only.
#include <nlohmann/json.hpp>

#include "storage/scan_reader.hpp"

namespace tomo {

nlohmann::json scan_summary_json(const ScanInfo& info, const AcquisitionState& acquisition);

}  // namespace tomo
