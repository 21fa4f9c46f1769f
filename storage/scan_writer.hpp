#pragma once
// Writes a simulated scan (kernels/scan_simulator.hpp) as an HDF5 file in one of the layouts
// the scan readers take, and its ground truth beside it.
//
//  tdf     /exchange/data (R, P, N), /exchange/data_white (R, F, N), /exchange/data_dark (R, D, N),
//          uint16, sinogram-major as Elettra's STP writes them; no angles (TDF stores none).
//  dx      /exchange/data (P, R, N), /exchange/data_white (F, R, N), /exchange/data_dark (D, R, N),
//          uint16, plus /exchange/theta (P) float64 degrees.
//  nxtomo  /entry/instrument/detector/data (D + F + P, R, N) uint16: darks, flats, projections;
//          /entry/instrument/detector/image_key (int32: 2 dark, 1 flat, 0 projection),
//          /entry/sample/rotation_angle (float64 degrees, one per frame; darks and flats get the
//          first angle) and /entry/data holding soft links to the three.
//  Metadata: TDF and DX under /measurement (sample/name, instrument/detector/pixel_size [um],
//  instrument/detector/distance [mm], instrument/monochromator/energy [keV]); NXtomo under
//  /entry (sample/name, instrument/detector/x_pixel_size [um], instrument/detector/distance
//  [mm], instrument/source/energy [keV]). Only the values given are written.
//  Truth (FILE.truth.h5): /phantom (R, N, N) float32, attenuation per pixel, and /simulation
//  with what a test needs to know about the scan (axis, angles, defective columns, ...).
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "kernels/scan_simulator.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

// Sample and geometry written beside the images.
struct ScanMetadata {
  std::string sample_name = "simulated phantom";
  std::optional<double> pixel_size_um = 1.0;
  std::optional<double> distance_mm;
  std::optional<double> energy_kev;
};

struct ScanWriteOptions {
  Layout layout = Layout::tdf;
  int gzip_level = 0;  // 0–9; applies to the image stacks of the scan and to the truth
  int threads = 0;     // simulation threads; 0 = all cores
  ScanMetadata metadata;
  // Memory for one block of simulated projections (as much again goes to reordering it for
  // dx and nxtomo): bounds the peak memory whatever the scan's size.
  std::size_t block_bytes = std::size_t{64} << 20;
  // Write FILE.truth.h5 beside the scan. A full-size benchmark scan (1800 × 2048 × 2048) would
  // need a 30 GB truth volume that no one compares against.
  bool write_truth = true;
};

// The layouts a simulated scan can be written in: "tdf", "dx", "nxtomo". Throws tomo::Error
// naming --layout and the choices for anything else.
Layout parse_simulated_layout(const std::string& name);

// Where the truth of a scan goes: FILE → FILE.truth.h5.
std::filesystem::path truth_path(const std::filesystem::path& scan_path);

// Detector rows simulated and written at a time: the largest power of two whose projections
// fit in `block_bytes` of uint16 (at least 1, at most all rows). In dx and nxtomo it is also
// the chunk's extent along rows, so that every block write fills whole chunks.
int rows_per_block(const SimulationParams& params, std::size_t block_bytes);

// Simulates the scan and writes it to `path` in the chosen layout, and the truth to
// truth_path(path). Each file is written as FILE.part and renamed once complete, the truth
// first, so a scan under its final name always has its truth beside it; on failure the
// temporaries are removed. Throws tomo::Error naming --out for a path that cannot be written
// and the file and dataset for HDF5 failures.
void write_simulated_scan(const ScanSimulator& simulator, const std::filesystem::path& path,
                          const ScanWriteOptions& options);

// Writes only the truth of a scan, to truth_path(scan_path) (as FILE.part, renamed once
// complete), recording options.layout: for a scan written some other way, such as
// `simulate --stream` (storage/scan_stream_writer.hpp), which writes it before any projection.
void write_simulation_truth(const ScanSimulator& simulator, const std::filesystem::path& scan_path,
                            const ScanWriteOptions& options);

}  // namespace tomo
