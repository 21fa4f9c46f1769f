// NeXus NXtomo: one stack of frames (images, rows, columns) with an image_key per frame
// (0 projection, 1 flat, 2 dark, 3 invalid) and a rotation angle per frame.
//
// The standard puts them at /entry/instrument/detector/{data,image_key} and
// /entry/sample/rotation_angle (linked again under /entry/data), but real files differ: Diamond's
// K11 writes /entry/instrument/imaging/image_key, the frames behind an external link
// (/entry/imaging/data) and the angles as an encoder readback (gts_theta_value), and links to
// files that were never kept. So the datasets are found by walking the links:
//   1. an image_key: a 1-D integer dataset named "image_key" (standard paths first);
//   2. the frames: a 3-D dataset whose first axis has one frame per key -- the "data" beside
//      the key first, then the standard paths, then any link named "data", then any dataset;
//   3. the angles: a 1-D float dataset of the same length named "rotation_angle" or with
//      "theta" in its name (setpoints, "..._set", last).
// Links that dangle are skipped, never opened.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

#include "storage/scan_readers.hpp"

namespace tomo::scan {
namespace {

namespace fs = std::filesystem;

enum ImageKey { projection_key = 0, flat_key = 1, dark_key = 2 };

struct NxtomoDatasets {
  std::string image_key, frames, angles;  // angles empty when none was found
  std::vector<int> keys;
};

// Appends `extra` to `list`, skipping paths already there, keeping the order.
void append_unique(std::vector<std::string>& list, const std::vector<std::string>& extra) {
  for (const std::string& path : extra)
    if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(path);
}

std::vector<std::string> named(const std::vector<std::string>& links, std::string_view name) {
  std::vector<std::string> matches;
  for (const std::string& link : links)
    if (h5::link_name(link) == name) matches.push_back(link);
  return matches;
}

// The length of a 1-D dataset of the given class at `path`, or -1 when it is not one.
long long one_d_length(hid_t file, const fs::path& file_name, const std::string& path, bool integers) {
  if (!h5::is_dataset(file, path)) return -1;
  const h5::NamedDataset dataset(file, file_name, path);
  const std::vector<hsize_t> shape = dataset.shape();
  const H5T_class_t kind = dataset.type_class();
  if (shape.size() != 1 || kind != (integers ? H5T_INTEGER : H5T_FLOAT)) return -1;
  return static_cast<long long>(shape[0]);
}

bool is_frame_stack(hid_t file, const fs::path& file_name, const std::string& path, hsize_t frames) {
  if (!h5::is_dataset(file, path)) return false;
  const h5::NamedDataset dataset(file, file_name, path);
  const std::vector<hsize_t> shape = dataset.shape();
  return shape.size() == 3 && shape[0] == frames && dataset.is_numeric();
}

// `nearby_only`: look only beside the key (the first pass, so that a key whose own frames exist
// wins over one that merely has the same length as some other stack).
std::string find_frames(hid_t file, const fs::path& file_name, const std::vector<std::string>& links,
                        const std::string& image_key, hsize_t frames, bool nearby_only) {
  std::vector<std::string> candidates{h5::parent_path(image_key) + "/data"};
  if (!nearby_only) {
    append_unique(candidates, {"/entry/instrument/detector/data", "/entry/data/data"});
    append_unique(candidates, named(links, "data"));
    append_unique(candidates, links);
  }
  for (const std::string& path : candidates)
    if (is_frame_stack(file, file_name, path, frames)) return path;
  return {};
}

std::string find_angles(hid_t file, const fs::path& file_name, const std::vector<std::string>& links,
                        const std::string& image_key, const std::string& frames, long long count) {
  std::vector<std::string> candidates{h5::parent_path(image_key) + "/rotation_angle",
                                      h5::parent_path(frames) + "/rotation_angle", "/entry/sample/rotation_angle",
                                      "/entry/data/rotation_angle"};
  append_unique(candidates, named(links, "rotation_angle"));
  std::vector<std::string> readbacks, setpoints;
  for (const std::string& link : links) {
    const std::string name = h5::link_name(link);
    if (name.find("theta") == std::string::npos) continue;
    (name.find("set") == std::string::npos ? readbacks : setpoints).push_back(link);
  }
  append_unique(candidates, readbacks);  // measured angles before the angles asked for
  append_unique(candidates, setpoints);
  for (const std::string& path : candidates)
    if (one_d_length(file, file_name, path, false) == count) return path;
  return {};
}

std::vector<int> read_keys(const h5::NamedDataset& dataset) {
  std::vector<int> keys;
  for (double key : dataset.read_doubles()) keys.push_back(static_cast<int>(key));
  return keys;
}

NxtomoDatasets find_datasets(hid_t file, const fs::path& file_name) {
  const std::vector<std::string> links = h5::link_paths(file);
  std::vector<std::string> keys{"/entry/instrument/detector/image_key", "/entry/data/image_key"};
  append_unique(keys, named(links, "image_key"));
  std::string first_key_found;
  for (bool nearby_only : {true, false}) {
    for (const std::string& key_path : keys) {
      const long long count = one_d_length(file, file_name, key_path, true);
      if (count <= 0) continue;
      if (first_key_found.empty()) first_key_found = key_path;
      const std::string frames =
          find_frames(file, file_name, links, key_path, static_cast<hsize_t>(count), nearby_only);
      if (frames.empty()) continue;  // e.g. a key beside a detector whose frames were not kept
      NxtomoDatasets found{key_path, frames, find_angles(file, file_name, links, key_path, frames, count), {}};
      found.keys = read_keys(h5::NamedDataset(file, file_name, key_path));
      return found;
    }
  }
  if (first_key_found.empty())
    fail("{}: no NXtomo image_key: no 1-D integer dataset named image_key (looked at {} links)", file_name.string(),
         links.size());
  fail("{}: the image_key {} has no frames: no 3-D dataset (or none that can be opened) has one frame per key",
       file_name.string(), first_key_found);
}

}  // namespace

bool has_image_key(hid_t file) {
  h5::QuietErrors quiet;
  for (const std::string& link : h5::link_paths(file))
    if (h5::link_name(link) == "image_key" && h5::is_dataset(file, link)) return true;
  return false;
}

std::unique_ptr<ScanReader> open_nxtomo(const fs::path& path) {
  Hdf5Scan scan{.file = h5::open_read_only(path), .info = {}, .stacks = {}, .acquisition = {}};
  h5::QuietErrors quiet;
  scan.info.path = path;
  scan.info.layout = Layout::nxtomo;
  const hid_t file = scan.file.get();
  const NxtomoDatasets found = find_datasets(file, path);
  spdlog::debug("{}: NXtomo frames {}, image_key {}, angles {}", path.string(), found.frames, found.image_key,
                found.angles.empty() ? "none" : found.angles);

  const auto first_projection = std::find(found.keys.begin(), found.keys.end(), projection_key);
  if (first_projection == found.keys.end())
    fail("{}: the image_key {} marks no frame as a projection (key 0)", path.string(), found.image_key);
  const auto last_projection = static_cast<int>(
      found.keys.rend() - std::find(found.keys.rbegin(), found.keys.rend(), projection_key) - 1);

  // Flats and darks after the last projection are "after"; all others, including any taken in
  // the middle of the scan, are "before".
  std::map<Frames, std::vector<int>> images;
  int skipped = 0;
  for (int frame = 0; frame < static_cast<int>(found.keys.size()); ++frame) {
    const bool after = frame > last_projection;
    switch (found.keys[static_cast<std::size_t>(frame)]) {
      case projection_key: images[Frames::projections].push_back(frame); break;
      case flat_key: images[after ? Frames::flats_after : Frames::flats_before].push_back(frame); break;
      case dark_key: images[after ? Frames::darks_after : Frames::darks_before].push_back(frame); break;
      default: ++skipped;  // 3 marks an invalid frame in NXtomo
    }
  }
  if (skipped > 0) spdlog::info("{}: {} frames with image_key other than 0, 1, 2 skipped", path.string(), skipped);

  const auto frames = open_stack(file, path, found.frames);
  for (auto& [kind, list] : images) scan.stacks[kind] = FrameStack{frames, AxisOrder::projection_major, std::move(list)};

  if (!found.angles.empty()) {
    const std::vector<double> per_frame = read_angles_deg(h5::NamedDataset(file, path, found.angles));
    for (int frame : scan.stacks.at(Frames::projections).images)
      scan.info.angles_deg.push_back(per_frame[static_cast<std::size_t>(frame)]);
  }
  const MetadataPaths metadata{
      .sample = {"/entry/sample/name"},
      .pixel_size = {"/entry/instrument/detector/x_pixel_size"},
      .distance = {"/entry/instrument/detector/distance"},
      // NXsource's energy is often the storage ring's (e.g. 3 GeV at Diamond, which is then
      // ignored as no X-ray energy): the monochromator and beam come first.
      .energy = {"/entry/instrument/monochromator/energy", "/entry/instrument/beam/incident_energy",
                 "/entry/beam/incident_energy", "/entry/instrument/source/energy"},
  };
  read_metadata(file, path, metadata, scan.info);
  return make_hdf5_reader(std::move(scan));
}

}  // namespace tomo::scan
