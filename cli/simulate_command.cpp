// tomoedge simulate: writes a simulated scan of the 3-D Shepp–Logan phantom, with its exact
// attenuation as ground truth beside it (docs/simulator.md).
#include <CLI/CLI.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "kernels/error.hpp"
#include "kernels/phase_retrieval.hpp"
#include "kernels/parallel.hpp"
#include "kernels/scan_simulator.hpp"
#include "storage/scan_stream_writer.hpp"
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
  bool has_layout = false;
  // Write the scan as it would be acquired: darks, flats, then projections at `rate` per second.
  bool stream = false;
  double rate = 0.0;     // projections per second; 0 = as fast as they are simulated
  int stream_block = 1;  // projections per append
  bool has_rate = false;
  bool has_stream_block = false;
};

// Bounds for the geometry flags: only there to catch typos (a pixel size in metres, an
// energy in eV) before they end up in a file.
void check_positive(const char* flag, double value, double max, const char* unit) {
  if (!(value > 0.0 && value <= max)) fail("{} {} is out of range: allowed above 0 up to {} {}", flag, value, max, unit);
}

void check_stream_flags(const SimulateOptions& options) {
  if (!options.stream) {
    if (options.has_rate) fail("--rate {} needs --stream", options.rate);
    if (options.has_stream_block) fail("--stream-block {} needs --stream", options.stream_block);
    return;
  }
  if (options.has_layout && options.layout != "dx")
    fail("--stream writes Data Exchange (dx), the layout whose projections can grow while acquired; --layout {} "
         "cannot be streamed",
         options.layout);
  if (options.simulation.flats_after > 0)
    fail("--flats-after {} cannot be streamed: Data Exchange has no place for flats taken after the scan",
         options.simulation.flats_after);
  // Above ~1 MHz a rate is a typo: no detector delivers that, and the schedule would be noise.
  if (!(options.rate >= 0.0 && options.rate <= 1e6))
    fail("--rate {} is out of range: projections per second, above 0 up to 1e6 (0 = as fast as possible)", options.rate);
  if (options.stream_block < 1 || options.stream_block > 100000)
    fail("--stream-block {} is out of range: allowed 1 to 100000 projections per write", options.stream_block);
}

// Darks and flats first, then the projections in order, each block appended when it is due
// (block ending at projection e: e / rate seconds after the acquisition starts), as a detector
// delivers them. The truth goes beside the scan before the scan's file even exists.
void stream_simulated_scan(const ScanSimulator& simulator, const SimulateOptions& options, ScanWriteOptions write) {
  using Clock = std::chrono::steady_clock;
  const SimulationParams& p = simulator.params();
  write.layout = Layout::dx;
  if (write.write_truth) {
    write_simulation_truth(simulator, options.out, write);
  } else {
    std::error_code ignored;  // a truth left from an earlier scan of this name would mislead
    std::filesystem::remove(truth_path(options.out), ignored);
  }
  StreamingScanWriter writer(options.out, {.projections = p.projections,
                                           .rows = p.rows,
                                           .columns = p.columns,
                                           .flats = p.flats,
                                           .darks = p.darks,
                                           .angles_deg = simulator.angles_deg(),
                                           .metadata = write.metadata,
                                           .gzip_level = write.gzip_level});
  const std::size_t image = static_cast<std::size_t>(p.rows) * static_cast<std::size_t>(p.columns);
  std::vector<std::uint16_t> counts;
  // Darks and flats within the same memory bound as a batch simulation.
  const int references_per_block =
      static_cast<int>(std::max<std::size_t>(1, write.block_bytes / (sizeof(std::uint16_t) * image)));
  for (const ImageKind kind : {ImageKind::dark, ImageKind::flat}) {
    for (int first = 0; first < simulator.frames(kind); first += references_per_block) {
      const int count = std::min(references_per_block, simulator.frames(kind) - first);
      counts.resize(static_cast<std::size_t>(count) * image);
      simulator.simulate_frames(kind, first, count, counts, write.threads);
      if (kind == ImageKind::dark) writer.write_darks(first, counts);
      else writer.write_flats(first, counts);
    }
  }
  writer.start();
  spdlog::info("simulate --stream: {} can be followed now; {} projections {} in blocks of {}", options.out,
               p.projections, options.rate > 0 ? fmt::format("at {:g} per second", options.rate) : "as fast as possible",
               options.stream_block);

  const auto started = Clock::now();
  auto last_log = started;
  double worst_lag = 0;  // seconds a block was appended after it was due
  for (int first = 0; first < p.projections; first += options.stream_block) {
    const int count = std::min(options.stream_block, p.projections - first);
    counts.resize(static_cast<std::size_t>(count) * image);
    simulator.simulate_frames(ImageKind::projection, first, count, counts, write.threads);
    if (options.rate > 0) {
      const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>((first + count) / options.rate));
      std::this_thread::sleep_until(due);
      worst_lag = std::max(worst_lag, std::chrono::duration<double>(Clock::now() - due).count());
    }
    writer.append(counts);
    const auto now = Clock::now();
    if (now - last_log >= std::chrono::seconds(1) || writer.written() == p.projections) {
      spdlog::info("simulate --stream: {} of {} projections written", writer.written(), p.projections);
      last_log = now;
    }
  }
  writer.finish();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  spdlog::info("simulate --stream: {} complete: {} projections in {:.2f} s ({:.1f} per second{})", options.out,
               p.projections, seconds, p.projections / std::max(seconds, 1e-9),
               options.rate > 0 ? fmt::format("; asked for {:g}, at most {:.3f} s behind schedule", options.rate,
                                              worst_lag)
                                : std::string());
}

void run_simulate(const SimulateOptions& options) {
  if (options.threads < 0) fail("--threads {} is out of range: 0 (all cores) or more", options.threads);
  check_stream_flags(options);
  check_positive("--pixel-size", options.pixel_size_um, 1e4, "um");
  if (options.has_distance) check_positive("--distance", options.distance_mm, 1e5, "mm");
  if (options.has_energy) check_positive("--energy", options.energy_kev, 1e3, "keV");

  ScanWriteOptions write;
  write.layout = options.stream ? Layout::dx : parse_simulated_layout(options.layout);
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
               options.stream ? "dx, streamed" : options.layout);
  if (!simulator.defective_columns().empty())
    spdlog::info("simulate: defective columns {}", fmt::join(simulator.defective_columns(), ", "));

  if (options.stream) {
    stream_simulated_scan(simulator, options, write);
    return;
  }
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
  CLI::Option* layout =
      command->add_option("--layout", options->layout, "File layout: tdf, dx or nxtomo (--stream: dx)")->capture_default_str();
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
  command->add_flag("--stream", options->stream,
                    "Write the scan as it is acquired (Data Exchange, HDF5 SWMR): truth, darks and flats first, then "
                    "the projections in order, for another process to follow (docs/simulator.md)");
  CLI::Option* rate = command->add_option("--rate", options->rate,
                                          "With --stream: projections per second, on a steady schedule (0 = as fast "
                                          "as they are simulated)");
  CLI::Option* stream_block =
      command->add_option("--stream-block", options->stream_block, "With --stream: projections per write")
          ->capture_default_str();

  command->callback([options, distance, energy, layout, rate, stream_block] {
    options->has_distance = distance->count() > 0;
    options->has_energy = energy->count() > 0;
    options->has_layout = layout->count() > 0;
    options->has_rate = rate->count() > 0;
    options->has_stream_block = stream_block->count() > 0;
    run_simulate(*options);
  });
}

}  // namespace tomo::cli
