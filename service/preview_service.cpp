#include "service/preview_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <system_error>
#include <thread>

#include "kernels/elapsed.hpp"
#include "kernels/error.hpp"
#include "kernels/image_metrics.hpp"
#include "kernels/percentile.hpp"
#include "kernels/thumbnail.hpp"
#include "service/data_roots.hpp"
#include "service/request_error.hpp"
#include "storage/png_image.hpp"

namespace fs = std::filesystem;

namespace tomo {
namespace {

// What tells a file that changed on disk from the one a session read.
struct FileStamp {
  fs::file_time_type modified;
  std::uintmax_t size = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const fs::path& file) {
  std::error_code error;
  FileStamp stamp{fs::last_write_time(file, error), 0};
  if (!error) stamp.size = fs::is_directory(file, error) ? 0 : fs::file_size(file, error);
  if (error) throw RequestError(400, fmt::format("input {} cannot be read: {}", file.string(), error.message()));
  return stamp;
}

// Each session holds its scan file open: a bound on them however little they keep.
constexpr std::size_t kMaxSessions = 64;

float disc_ratio(const ReconParams& params) { return params.circular_mask() ? params.mask_ratio() : 1.0f; }

}  // namespace

struct PreviewService::Session {
  Session(std::string input_, FileStamp stamp_, int row_, std::unique_ptr<ScanReader> scan)
      : input(std::move(input_)), stamp(stamp_), row(row_), info(scan->info()), preview(std::move(scan), row_) {}
  const std::string input;
  const FileStamp stamp;
  const int row;
  const ScanInfo info;  // a copy, read without the session's lock
  std::mutex busy;      // one change at a time: each builds on what the last one kept
  SlicePreview preview;
  std::int64_t bytes = 0;  // what preview held after the last change; under the service's mutex
  // RequestError(400) when the row is not one `params` let a preview show.
  void check_row(const ReconParams& params) const {
    const Range rows = as_request_error([&] { return preview_rows(params, info); });
    if (row < rows.begin || row >= rows.end)
      throw RequestError(400, fmt::format("row {} is outside the rows {}:{} of {} (binned, inside the crop)", row, rows.begin,
                                          rows.end, input));
  }
  // The statistics of the slice last shown, so that a new window only encodes again.
  std::shared_ptr<const std::vector<float>> stats_of;
  SliceStatistics stats;
};

// A place among the reconstructions allowed at once, held while one runs.
struct PreviewService::Slot {
  explicit Slot(std::counting_semaphore<>& slots) : slots_(slots) { slots_.acquire(); }
  ~Slot() { slots_.release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::counting_semaphore<>& slots_;
};

PreviewService::PreviewService(std::vector<fs::path> data_roots, std::int64_t cache_bytes, int concurrent)
    : data_roots_(std::move(data_roots)),
      cache_bytes_(cache_bytes),
      reconstructions_(concurrent > 0 ? concurrent : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

PreviewService::~PreviewService() = default;

std::int64_t PreviewService::cached_bytes() const {
  const std::lock_guard lock(mutex_);
  std::int64_t total = 0;
  for (const auto& [key, session] : sessions_) total += session->bytes;
  return total;
}

std::size_t PreviewService::sessions() const {
  const std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::shared_ptr<PreviewService::Session> PreviewService::session(const PreviewRequest& request) {
  const fs::path input = as_request_error([&] { return resolve_under_roots(request.input, data_roots_, "input", true); });
  const std::string name = input.string();
  const FileStamp stamp = stamp_of(input);
  std::optional<int> row = request.row;
  {
    const std::lock_guard lock(mutex_);
    // A file rewritten since its sessions read it: what they kept is of the old data.
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->first.first == name && !(it->second->stamp == stamp)) {
        spdlog::info("preview: {} changed on disk: its kept slices are dropped", name);
        recent_.remove(it->first);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
    if (!row) {
      // The middle row needs the scan's size: from any session of it, else from opening it below.
      const auto any = std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& s) { return s.first.first == name; });
      if (any != sessions_.end()) {
        const Range rows = as_request_error([&] { return preview_rows(request.params, any->second->info); });
        row = rows.begin + rows.size() / 2;
      }
    }
    if (row) {
      const auto found = sessions_.find({name, *row});
      if (found != sessions_.end()) {
        recent_.remove(found->first);
        recent_.push_front(found->first);
        return found->second;
      }
    }
  }
  const std::string& layout = request.params.layout();
  std::unique_ptr<ScanReader> scan;
  try {
    scan = open_scan(input, layout.empty() ? std::nullopt : std::optional(parse_layout(layout)));
  } catch (const Error& e) {
    throw RequestError(400, fmt::format("input {} is not a scan this service can read: {}", name, e.what()));
  }
  try {
    require_complete(*scan);
  } catch (const Error& e) {
    throw RequestError(409, e.what());
  }
  if (!row) {
    const Range rows = as_request_error([&] { return preview_rows(request.params, scan->info()); });
    row = rows.begin + rows.size() / 2;
  }
  auto made = std::make_shared<Session>(name, stamp, *row, std::move(scan));
  made->check_row(request.params);
  const std::lock_guard lock(mutex_);
  // Another request may have opened the same session meanwhile: one of them is kept.
  const auto [kept, added] = sessions_.try_emplace({name, *row}, made);
  recent_.remove(kept->first);
  recent_.push_front(kept->first);
  return kept->second;
}

void PreviewService::account(const std::shared_ptr<Session>& keep) {
  const std::int64_t held = static_cast<std::int64_t>(keep->preview.bytes());
  const std::lock_guard lock(mutex_);
  keep->bytes = held;
  std::int64_t total = 0;
  for (const auto& [key, session] : sessions_) total += session->bytes;
  // A session in use elsewhere stays alive until its request ends; only the cache lets it go.
  while ((total > cache_bytes_ || sessions_.size() > kMaxSessions) && !recent_.empty()) {
    const Key oldest = recent_.back();
    const auto found = sessions_.find(oldest);
    if (found->second == keep) break;  // the one just used is the last to go, and never by itself
    total -= found->second->bytes;
    sessions_.erase(found);
    recent_.pop_back();
  }
}

PreviewImage PreviewService::preview(const PreviewRequest& request, bool with_png) {
  const auto started = std::chrono::steady_clock::now();
  const auto session = this->session(request);
  PreviewImage image;
  {
    const std::lock_guard busy(session->busy);
    session->check_row(request.params);
    PreviewSlice slice = [&] {
      const Slot slot(reconstructions_);
      return as_request_error([&] { return session->preview.slice(request.params); });
    }();
    const auto encoding = std::chrono::steady_clock::now();
    if (session->stats_of != slice.pixels) {
      session->stats = slice_statistics(*slice.pixels, slice.width, disc_ratio(request.params));
      session->stats_of = slice.pixels;
    }
    image.input = session->input;
    image.row = slice.row;
    image.width = slice.width;
    image.timings = slice.timings;
    image.reused = slice.reused;
    image.stats = session->stats;
    image.window = request.window.value_or(std::pair{image.stats.low, image.stats.high});
    image.pixels = slice.pixels;
    if (with_png)
      image.png = encode_grey_png(grey_levels(*slice.pixels, image.window.first, image.window.second), slice.width, slice.width);
    image.encode_seconds = seconds_since(encoding);
  }
  account(session);
  image.seconds = seconds_since(started);
  return image;
}

SweepImages PreviewService::sweep(const PreviewRequest& request, const PreviewSweep& sweep) {
  const auto started = std::chrono::steady_clock::now();
  if (sweep.parameter != "cor" && sweep.parameter != "delta-beta")
    throw RequestError(400, fmt::format("parameter '{}' is not one of: cor, delta-beta", sweep.parameter));
  if (!std::isfinite(sweep.from) || !std::isfinite(sweep.to) || !(sweep.step > 0) || sweep.to < sweep.from)
    throw RequestError(400, fmt::format("a sweep from {} to {} in steps of {} is not a range: it needs from <= to and step > 0",
                                        sweep.from, sweep.to, sweep.step));
  // Values from, from + step, ... up to `to`, allowing for the rounding of a step like 0.1.
  const double count = std::floor((sweep.to - sweep.from) / sweep.step + 1e-9) + 1;
  if (count > kMaxSweepImages)
    throw RequestError(400, fmt::format("a sweep from {} to {} in steps of {} makes {} images; at most {} are made", sweep.from,
                                        sweep.to, sweep.step, count, kMaxSweepImages));
  if (sweep.parameter == "delta-beta" && request.params.phase_method() == "none")
    throw RequestError(400, "a delta-beta sweep needs phase retrieval: set params.phase_method (e.g. \"paganin\")");
  const auto session = this->session(request);
  SweepImages result;
  std::vector<std::vector<float>> thumbnails;
  std::vector<double> values;
  int size = 0;
  {
    const std::lock_guard busy(session->busy);
    session->check_row(request.params);
    for (int i = 0; i < static_cast<int>(count); ++i) {
      const double value = sweep.from + i * sweep.step;
      ReconParams params = request.params;
      if (sweep.parameter == "cor") params.set_cor_offset(value);
      else params.set_delta_over_beta(value);
      as_request_error([&] { validate(params); });
      PreviewSlice slice = [&] {
        const Slot slot(reconstructions_);
        return as_request_error([&] { return session->preview.slice(params); });
      }();
      // Big enough to judge sharpness by, small enough for a gallery of dozens.
      constexpr int kThumbnailPixels = 256;
      if (sweep.size != 0 && (sweep.size < 16 || sweep.size > slice.width))
        throw RequestError(400, fmt::format("size {} is out of range [16, {}] (the slice width)", sweep.size, slice.width));
      size = sweep.size != 0 ? sweep.size : std::min(kThumbnailPixels, slice.width);
      thumbnails.push_back(thumbnail(*slice.pixels, slice.width, size));
      values.push_back(value);
    }
    result.row = session->row;
  }
  account(session);
  // One grey window for all, so that the images compare: the percentiles of them together.
  const std::vector<bool> disc = disc_region(size, disc_ratio(request.params));
  std::vector<float> inside;
  for (const auto& image : thumbnails)
    for (std::size_t i = 0; i < image.size(); ++i)
      if (disc[i]) inside.push_back(image[i]);
  result.window = request.window.value_or(std::pair{percentile(inside, 0.005), percentile(inside, 0.995)});
  for (std::size_t k = 0; k < thumbnails.size(); ++k)
    result.images.emplace_back(values[k], encode_grey_png(grey_levels(thumbnails[k], result.window.first, result.window.second), size, size));
  result.seconds = seconds_since(started);
  return result;
}

CentreResult PreviewService::centre(const PreviewRequest& request, const std::string& method) {
  if (method != "registration" && method != "vo")
    throw RequestError(400, fmt::format("method '{}' is not one of: registration, vo", method));
  const auto session = this->session(request);
  CentreResult result;
  {
    const std::lock_guard busy(session->busy);
    session->check_row(request.params);
    const Slot slot(reconstructions_);
    result.estimate = as_request_error([&] { return session->preview.centre(request.params, method); });
    result.row = session->row;
  }
  account(session);
  return result;
}

}  // namespace tomo
