#pragma once
// One reconstruction job, in the parts the actors that run it share out (actors/): what is
// prepared before any slab is read (prepare_job: the scan opened, what the parameters leave to
// the data found, the plan, the slabs), the reading (slab_reader.hpp), the reconstruction
// (slab_reconstructor.hpp) and the writing of slices (SliceOutput). Each part is used by one
// thread at a time; the plan they share is read-only.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernels/correction.hpp"
#include "pipeline/reconstruction_plan.hpp"
#include "pipeline/slab_reconstructor.hpp"
#include "storage/recon_params.hpp"
#include "storage/scan_reader.hpp"
#include "storage/slice_writer.hpp"

namespace tomo {

struct JobRequest {
  std::filesystem::path input;
  std::filesystem::path output_folder;
  ReconParams params;  // complete (with_defaults) and validated
  // Also write the middle slice as an 8-bit PNG here, for people to look at.
  std::optional<std::filesystem::path> preview_png;
  // Resuming an interrupted job: the slab height it had (0: from the memory budget), so that its
  // slabs are the same, and the first rows of the slabs whose slices are all written already:
  // those are not reconstructed again where the output resumes by slab (resumes_by_slab).
  int slab_rows = 0;
  std::vector<int> written_slabs;
};

struct JobResult {
  int first_row = 0;
  int slices = 0;
  int slice_width = 0;
  int slab_rows = 0;
  std::vector<std::filesystem::path> outputs;  // one per slice (TIFF) or the volume (HDF5)
  CorrectionCounts corrections;                // pixels clamped, repaired, zingers removed
  std::int64_t defective_flat_pixels = 0;
  double seconds = 0;
};

// What every part of a job reads, fixed before the first slab.
struct JobPlan {
  std::string input;   // the scan's path, for messages and provenance
  std::string dtype;   // of its stored samples ("uint16", ...)
  ReconParams params;  // as requested, with the half-acquisition axis and the output range found
  Plan plan;
  std::int64_t budget = 0;  // bytes
  int slab_rows = 0;
  std::vector<Range> slabs;  // plan.rows in slabs of slab_rows, in order, less those written already
  int preview_row = 0;       // the middle row: the preview PNG's, and the automatic range's
};

struct PreparedJob {
  std::unique_ptr<ScanReader> scan;  // for the part that reads
  std::shared_ptr<const JobPlan> job;
  std::shared_ptr<SlabReconstructor> reconstructor;  // for the part that reconstructs (of job->plan)
};

// Whether an interrupted job can go on from its written slabs: TIFF slices stay on disk, each
// whole under its name; an HDF5 volume is one file the interrupted run never finished, written
// again whole.
bool resumes_by_slab(const ReconParams& params);

// A half-acquisition scan given no axis (cor_offset 0, which would put it at the centre) gets the
// one its data show: the overlap of the middle rows matched with the projections 180° later
// (logged). A dynamic flat field estimated on the way is kept in `dynamic` for the plan.
ReconParams with_half_acquisition_axis(const ReconParams& params, ScanReader& scan,
                                       std::optional<DynamicFlatModel>& dynamic);

// Opens the scan and prepares the job: a half-acquisition axis left to the data is found (from
// the middle rows), the plan made, the slabs sized to the memory budget and, for integer output
// with an automatic range, the range taken from the middle slice. Throws tomo::Error naming what
// is wrong (file, parameters, a budget too small for one row).
PreparedJob prepare_job(const JobRequest& request);

// Writes a job's slices: STP's slice crop, the output format and range, the preview PNG.
// Nothing is visible under its final name before it is complete (storage/slice_writer.hpp).
class SliceOutput {
 public:
  SliceOutput(const JobRequest& request, const JobPlan& job);
  // Writes slice `row` of `slab` (its N × N values; the crop is applied here).
  void write(const SlabOutput& slab, int row);
  // Makes the output visible under its final names; the files written, in row order.
  std::vector<std::filesystem::path> finish();
  // Removes whatever the job wrote (a cancelled job leaves nothing behind).
  void discard();

 private:
  const JobPlan& job_;
  std::optional<std::filesystem::path> preview_png_;
  Range kept_rows_, kept_columns_;  // of each slice, after STP's crop
  std::unique_ptr<SliceWriter> writer_;
};

// Tells the user what the corrections found: pixels clamped, repaired, zingers, dead flats.
void log_corrections(const JobPlan& job, const CorrectionCounts& counts, std::int64_t defective_flat_pixels);

// Half of the memory the machine has available now: the default budget of one reconstruction.
std::int64_t default_memory_budget();

}  // namespace tomo
