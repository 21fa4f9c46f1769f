#pragma once
// The interactive preview behind POST /api/preview, /api/preview/sweep and /api/preview/centre
// (docs/api.md): one slice of a scan reconstructed again for each change of its parameters,
// from what the previous change left (pipeline/slice_preview.hpp).
//
// Many HTTP threads call it at once. Each (scan, row) is a session with its own mutex: one scan's
// tuning is serialised (its stages build on each other), different scans run in parallel, and at
// most `concurrent` reconstructions run at any time, so that 50 clients queue rather than hold 50
// slabs of memory. Sessions are dropped least recently used first once their kept stages hold
// more than the cache's bytes, and when their file changes on disk (modification time or size).
// A scan still being acquired is refused with 409: a preview of its first projections would show
// a partial scan as if whole; the live view (GET /api/jobs/{id}/live) is what shows it growing.
#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <utility>
#include <vector>

#include "kernels/slice_statistics.hpp"
#include "pipeline/slice_preview.hpp"
#include "storage/recon_params.hpp"

namespace tomo {

struct PreviewRequest {
  std::filesystem::path input;  // absolute, under the data roots
  std::optional<int> row;       // binned row; default the middle one
  ReconParams params;           // complete (with_defaults) and validated
  std::optional<std::pair<float, float>> window;  // grey range of the PNG; default the percentiles
};

struct PreviewImage {
  std::string input;  // canonical
  int row = 0;
  int width = 0;  // N × N
  double seconds = 0;
  PreviewTimings timings;
  double encode_seconds = 0;
  PreviewReuse reused = PreviewReuse::nothing;
  SliceStatistics stats;
  std::pair<float, float> window;
  std::shared_ptr<const std::vector<float>> pixels;
  std::string png;  // the file's bytes; empty when not asked for
};

// A row reconstructed for each value of one parameter, shrunk to thumbnails.
struct PreviewSweep {
  std::string parameter;  // "cor" (cor_offset, detector pixels) or "delta-beta" (delta_over_beta)
  double from = 0, to = 0, step = 0;
  int size = 0;  // thumbnail pixels, at most the slice width; 0: 256, or the slice width when smaller
};

struct SweepImages {
  int row = 0;
  double seconds = 0;
  std::pair<float, float> window;  // common to all images
  std::vector<std::pair<double, std::string>> images;  // (value, PNG bytes)
};

struct CentreResult {
  int row = 0;
  CentreEstimate estimate;
};

class PreviewService {
 public:
  // Sweeps beyond this many images are refused: each is a full reconstruction holding the
  // scan's session, and a gallery of more is not read by anyone.
  static constexpr int kMaxSweepImages = 64;

  // `cache_bytes`: what the sessions' kept stages may hold together; `concurrent`: reconstructions
  // at once (0 = the core count).
  PreviewService(std::vector<std::filesystem::path> data_roots, std::int64_t cache_bytes, int concurrent = 0);
  ~PreviewService();
  PreviewService(const PreviewService&) = delete;
  PreviewService& operator=(const PreviewService&) = delete;

  // RequestError(400) naming what is wrong in the request (a path outside the data roots, not a
  // scan, a row out of range, parameters that do not fit the scan), 409 for a scan still being
  // acquired.
  PreviewImage preview(const PreviewRequest& request, bool with_png);
  SweepImages sweep(const PreviewRequest& request, const PreviewSweep& sweep);
  CentreResult centre(const PreviewRequest& request, const std::string& method);

  // What the sessions hold now, and how many there are (for tests and metrics).
  std::int64_t cached_bytes() const;
  std::size_t sessions() const;

 private:
  struct Session;
  struct Slot;
  using Key = std::pair<std::string, int>;  // canonical input, row

  // The session of the request's scan and row, made (the scan opened) when there is none.
  std::shared_ptr<Session> session(const PreviewRequest& request);
  // Forgets what `session` does not hold any more and sessions beyond the cache's bytes, least
  // recently used first (never `keep`).
  void account(const std::shared_ptr<Session>& keep);

  std::vector<std::filesystem::path> data_roots_;
  std::int64_t cache_bytes_;
  std::counting_semaphore<> reconstructions_;
  mutable std::mutex mutex_;  // guards what follows
  std::map<Key, std::shared_ptr<Session>> sessions_;
  std::list<Key> recent_;  // most recently used first
};

}  // namespace tomo
