// tomoedge simulate: writes a simulated scan of the 3-D Shepp–Logan phantom, with its exact
// attenuation as ground truth beside it (docs/simulator.md).
#include <CLI/CLI.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "kernels/error.hpp"
#include "kernels/phase_retrieval.hpp"
#include "kernels/parallel.hpp"
#include "kernels/scan_simulator.hpp"
#include "storage/scan_writer.hpp"

namespace tomo::cli {
namespace {

struct SimulateOptions {
  std::string out;
  std::string layout = "tdf";
  SimulationParams simulation;
  int threads = 0;
  int gzip_level = 0;
  bool no_truth = false;
  double pixel_size_um = 1.0;
  double distance_mm = 0.0;
  double energy_kev = 0.0;
  double delta_over_beta = 0.0;  // > 0: propagation phase contrast (needs --energy and --distance)
  // Set when the flag was given (only given values are written to the file).
  bool has_distance = false;
  bool has_energy = false;
};

// Bounds for the geometry flags: only there to catch typos (a pixel size in metres, an
// energy in eV) before they end up in a file.
void check_positive(const char* flag, double value, double max, const char* unit) {
  if (!(value > 0.0 && value <= max)) fail("{} {} is out of range: allowed above 0 up to {} {}", flag, value, max, unit);
}

void run_simulate(const SimulateOptions& options) {
  if (options.threads < 0) fail("--threads {} is out of range: 0 (all cores) or more", options.threads);
  check_positive("--pixel-size", options.pixel_size_um, 1e4, "um");
  if (options.has_distance) check_positive("--distance", options.distance_mm, 1e5, "mm");
  if (options.has_energy) check_positive("--energy", options.energy_kev, 1e3, "keV");

  ScanWriteOptions write;
  write.layout = parse_simulated_layout(options.layout);
  write.gzip_level = options.gzip_level;
  write.write_truth = !options.no_truth;
  write.threads = resolve_threads(options.threads);
  write.metadata.pixel_size_um = options.pixel_size_um;
  if (options.has_distance) write.metadata.distance_mm = options.distance_mm;
  if (options.has_energy) write.metadata.energy_kev = options.energy_kev;

  SimulationParams simulation = options.simulation;
  if (options.delta_over_beta > 0.0) {
    if (!options.has_distance || !options.has_energy)
      fail("--delta-beta {} (phase contrast) needs --energy KEV and --distance MM", options.delta_over_beta);
    // The same α the phase retrieval inverts, from the same physics (phase_retrieval.hpp).
    PhaseRetrieval physics;
    physics.method = PhaseRetrieval::Method::generalised_paganin;
    physics.energy_kev = options.energy_kev;
    physics.distance_mm = options.distance_mm;
    physics.pixel_size_um = options.pixel_size_um;
    physics.delta_over_beta = options.delta_over_beta;
    validate(physics);
    simulation.phase_alpha = phase_filter_alpha(physics);
  } else if (options.delta_over_beta < 0.0) {
    fail("--delta-beta {} is out of range: allowed above 0 (0 = no phase contrast)", options.delta_over_beta);
  }
  const ScanSimulator simulator(simulation);  // validates every simulation flag
  const SimulationParams& p = simulator.params();
  spdlog::info("simulate: {} projections over {}°, {} rows × {} columns, axis at column {:.2f}, I0 = {} → {} ({})",
               p.projections, p.span_deg, p.rows, p.columns, simulator.axis(), p.photons, options.out,
               options.layout);
  if (!simulator.defective_columns().empty())
    spdlog::info("simulate: defective columns {}", fmt::join(simulator.defective_columns(), ", "));

  const auto start = std::chrono::steady_clock::now();
  write_simulated_scan(simulator, options.out, write);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  spdlog::info("simulate: wrote {}{} in {:.1f} s on {} threads", options.out,
               write.write_truth ? " and " + truth_path(options.out).string() : std::string(), elapsed.count(),
               write.threads);
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto options = std::make_shared<SimulateOptions>();
  SimulationParams& sim = options->simulation;

  CLI::App* command = app.add_subcommand(
      "simulate", "Write a simulated scan of a 3-D Shepp-Logan phantom (analytic line integrals, Poisson noise, "
                  "flats, darks) and its ground truth FILE.truth.h5");
  command->add_option("--out", options->out, "Scan file to write (its truth goes to FILE.truth.h5)")->required();
  // The size has no default: a forgotten flag should not quietly write gigabytes.
  command->add_option("--projections", sim.projections, "Number of projections")->required();
  command->add_option("--rows", sim.rows, "Detector rows (= slices)")->required();
  command->add_option("--columns", sim.columns, "Detector columns (slices are columns x columns)")->required();
  command->add_option("--layout", options->layout, "File layout: tdf, dx or nxtomo")->capture_default_str();
  command->add_option("--cor-offset", sim.cor_offset, "Rotation axis offset from columns/2, pixels")
      ->capture_default_str();
  command->add_option("--photons", sim.photons, "I0: photons per unattenuated pixel in the brightest part of the beam")
      ->capture_default_str();
  command->add_option("--seed", sim.seed, "Random seed (same seed, same file, whatever the thread count)")
      ->capture_default_str();
  command->add_option("--defective-columns", sim.defective_columns,
                      "Columns whose gain in the projections differs by 2-5 % from the flats (rings)")
      ->capture_default_str();
  command->add_option("--flats", sim.flats, "Number of flat (open beam) images")->capture_default_str();
  command->add_option("--flats-after", sim.flats_after, "Flats taken after the projections (nxtomo layout only)")
      ->capture_default_str();
  command->add_option("--beam-drift", sim.beam_drift,
                      "Relative change of the beam intensity from the first projection to the last (flats after see the end)")
      ->capture_default_str();
  command->add_option("--beam-flicker", sim.beam_flicker, "Relative rms of a random per-projection beam intensity")
      ->capture_default_str();
  command->add_option("--zingers", sim.zinger_fraction, "Fraction of projection pixels hit by a zinger")
      ->capture_default_str();
  command->add_option("--delta-beta", options->delta_over_beta,
                      "Propagation phase contrast of a homogeneous sample with this delta/beta (needs --energy, --distance)")
      ->capture_default_str();
  command->add_option("--beam-structure", sim.beam_structure,
                      "Amplitude of the beam's fine structure that moves from frame to frame (dynamic flats)")
      ->capture_default_str();
  command->add_option("--half-acquisition", sim.half_acquisition_overlap,
                      "Extended field of view: the axis OVERLAP/2 pixels from the left edge, a sample up to "
                      "2 x columns - OVERLAP wide, with --span 360 (0 = off)")
      ->capture_default_str();
  command->add_option("--darks", sim.darks, "Number of dark images")->capture_default_str();
  command->add_option("--span", sim.span_deg, "Angular range of the projections, degrees: 180 or 360")
      ->capture_default_str();
  command->add_option("--pixel-size", options->pixel_size_um, "Detector pixel size written to the file, um")
      ->capture_default_str();
  CLI::Option* distance =
      command->add_option("--distance", options->distance_mm, "Sample-detector distance written to the file, mm");
  CLI::Option* energy = command->add_option("--energy", options->energy_kev, "Beam energy written to the file, keV");
  command->add_option("--gzip", options->gzip_level, "gzip level of the image stacks and the truth, 0 (none) to 9")
      ->capture_default_str();
  command->add_option("--threads", options->threads, "Worker threads, 0 = all cores")->capture_default_str();
  command->add_flag("--no-truth", options->no_truth, "Do not write FILE.truth.h5 (for large benchmark scans)");

  command->callback([options, distance, energy] {
    options->has_distance = distance->count() > 0;
    options->has_energy = energy->count() > 0;
    run_simulate(*options);
  });
}

}  // namespace tomo::cli
