// Elettra TDF, as SYRMEP's STP writes it: HDF5 with projections, flats and darks stored
// sinogram-major (rows, images, columns), one detector row per chunk, so one sinogram is one
// contiguous read. Dataset names by generation of the format:
//   newer:  /exchange/data, /exchange/data_white, /exchange/data_dark
//           (or at the root: /data, /data_white, /data_dark)
//   older:  /tomo, /flat, /dark, and the flats/darks taken after the scan in
//           /flat_after | /flat_post, /dark_after | /dark_post
// Newer files keep all flats in one stack; /provenance/detector_output (a table of detector
// file names and timestamps) tells which were taken after the last projection. No real STP file
// was available to check that table's exact form, so reading it is best-effort (see docs/formats.md).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "storage/scan_readers.hpp"

namespace tomo::scan {
namespace {

namespace fs = std::filesystem;

struct TdfNames {
  const char* projections;
  const char* flats;
  const char* darks;
};

// In the order they are looked for: the first whose projections exist is the file's generation.
constexpr std::array<TdfNames, 3> tdf_generations{{
    {"/exchange/data", "/exchange/data_white", "/exchange/data_dark"},
    {"/data", "/data_white", "/data_dark"},
    {"/tomo", "/flat", "/dark"},
}};
constexpr std::array<const char*, 2> flats_after_names{"/flat_after", "/flat_post"};
constexpr std::array<const char*, 2> darks_after_names{"/dark_after", "/dark_post"};
constexpr const char* detector_output_path = "/provenance/detector_output";

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// ---- /provenance/detector_output ------------------------------------------------------------

struct DetectorRecord {
  std::string file_name;  // as the detector wrote it, e.g. "tomo_0001.tif"
  double seconds = 0;     // acquisition time; only the order matters
};

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), so that timestamps that
// cross midnight or a month end still compare correctly.
long long days_from_civil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const long long era = (year >= 0 ? year : year - 399) / 400;
  const long long year_of_era = year - era * 400;
  const long long day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const long long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// A timestamp as text: a plain number of seconds, or "YYYY-MM-DD HH:MM:SS[.fff]" (also with a
// 'T' between date and time). Throws when it is neither.
double parse_timestamp(const std::string& text) {
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0') return number;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0;
  double second = 0;
  char separator = ' ';
  if (std::sscanf(text.c_str(), "%d-%d-%d%c%d:%d:%lf", &year, &month, &day, &separator, &hour, &minute, &second) == 7 &&
      (separator == ' ' || separator == 'T'))
    return static_cast<double>(days_from_civil(year, month, day)) * 86400.0 + hour * 3600.0 + minute * 60.0 + second;
  fail("timestamp '{}' is neither a number nor 'YYYY-MM-DD HH:MM:SS'", text);
}

std::vector<double> parse_timestamps(const std::vector<std::string>& texts) {
  std::vector<double> seconds;
  seconds.reserve(texts.size());
  for (const std::string& text : texts) seconds.push_back(parse_timestamp(text));
  return seconds;
}

// The table either is compound (a text column whose name says "name" or "file", and a column
// whose name says "time" or "stamp", text or number) or a 2-D text array (name, timestamp).
std::vector<DetectorRecord> read_detector_output(const h5::NamedDataset& table) {
  std::vector<std::string> names;
  std::vector<double> seconds;
  const std::vector<std::string> members = table.member_names();
  if (!members.empty()) {
    std::string name_member, time_member;
    for (const std::string& member : members) {
      const std::string key = lowercase(member);
      if (name_member.empty() && (contains(key, "name") || contains(key, "file")) &&
          table.member_class(member) == H5T_STRING)
        name_member = member;
      else if (time_member.empty() && (contains(key, "time") || contains(key, "stamp")))
        time_member = member;
    }
    if (name_member.empty() || time_member.empty())
      table.fail("has columns {} but no file-name and timestamp columns", fmt::join(members, ", "));
    names = table.read_member_strings(name_member);
    seconds = table.member_class(time_member) == H5T_STRING ? parse_timestamps(table.read_member_strings(time_member))
                                                             : table.read_member_doubles(time_member);
  } else {
    const std::vector<hsize_t> shape = table.shape();
    if (shape.size() != 2 || shape[1] < 2 || table.type_class() != H5T_STRING)
      table.fail("is {} of shape {}, neither a table nor (file name, timestamp) text pairs", table.dtype_name(),
                 h5::shape_string(shape));
    const std::vector<std::string> cells = table.read_strings();
    std::vector<std::string> stamps;
    for (std::size_t row = 0; row < shape[0]; ++row) {
      names.push_back(cells[row * shape[1]]);
      stamps.push_back(cells[row * shape[1] + 1]);
    }
    seconds = parse_timestamps(stamps);
  }
  std::vector<DetectorRecord> records;
  for (std::size_t i = 0; i < names.size(); ++i) records.push_back({names[i], seconds[i]});
  return records;
}

enum class RecordKind { projection, flat, dark, other };

// Which prefix a detector file name starts with; the longest wins ("tomo" vs "tomo_flat").
RecordKind classify(const std::string& file_name, const std::array<std::string, 3>& prefixes) {
  const std::string base = file_name.substr(file_name.find_last_of("/\\") + 1);
  RecordKind kind = RecordKind::other;
  std::size_t longest = 0;
  for (std::size_t i = 0; i < prefixes.size(); ++i)
    if (!prefixes[i].empty() && prefixes[i].size() > longest && base.starts_with(prefixes[i])) {
      longest = prefixes[i].size();
      kind = static_cast<RecordKind>(i);
    }
  return kind;
}

struct BeforeAfter {
  std::vector<int> before, after;
};

struct ReferenceSplit {
  BeforeAfter flats, darks;
};

// Flats and darks whose timestamps come after the last projection are "after". The i-th flat
// record is taken to be image i of the flat stack (the table lists files in writing order).
ReferenceSplit split_by_detector_output(hid_t file, const fs::path& file_name, int flat_count, int dark_count) {
  const h5::NamedDataset table(file, file_name, detector_output_path);
  std::array<std::string, 3> prefixes;
  const std::array<const char*, 3> attributes{"tomo_prefix", "flat_prefix", "dark_prefix"};
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    auto prefix = table.string_attribute(attributes[i]);
    if (!prefix) table.fail("has no text attribute {}", attributes[i]);
    prefixes[i] = *prefix;
  }
  std::vector<double> projection_times, flat_times, dark_times;
  for (const DetectorRecord& record : read_detector_output(table)) {
    switch (classify(record.file_name, prefixes)) {
      case RecordKind::projection: projection_times.push_back(record.seconds); break;
      case RecordKind::flat: flat_times.push_back(record.seconds); break;
      case RecordKind::dark: dark_times.push_back(record.seconds); break;
      case RecordKind::other: break;
    }
  }
  if (projection_times.empty()) table.fail("lists no projection files (prefix '{}')", prefixes[0]);
  if (static_cast<int>(flat_times.size()) != flat_count || static_cast<int>(dark_times.size()) != dark_count)
    table.fail("lists {} flat and {} dark files, but the file holds {} flats and {} darks", flat_times.size(),
               dark_times.size(), flat_count, dark_count);
  const double last_projection = *std::max_element(projection_times.begin(), projection_times.end());
  const auto split = [&](const std::vector<double>& times) {
    BeforeAfter result;
    for (std::size_t i = 0; i < times.size(); ++i)
      (times[i] > last_projection ? result.after : result.before).push_back(static_cast<int>(i));
    return result;
  };
  return {split(flat_times), split(dark_times)};
}

// Splits the one flat stack and the one dark stack of a newer file into before / after, when
// the provenance table says so. A table that cannot be read leaves everything "before".
void split_references(Hdf5Scan& scan) {
  const hid_t file = scan.file.get();
  if (!h5::link_exists(file, detector_output_path)) return;
  const auto images = [&](Frames frames) {
    const auto found = scan.stacks.find(frames);
    return found == scan.stacks.end() ? 0 : static_cast<int>(found->second.images.size());
  };
  ReferenceSplit split;
  try {
    split = split_by_detector_output(file, scan.info.path, images(Frames::flats_before), images(Frames::darks_before));
  } catch (const Error& error) {
    spdlog::warn("{}; all flats and darks are taken as recorded before the scan", error.what());
    return;
  }
  const auto apply = [&](Frames before, Frames after, const BeforeAfter& indices) {
    const auto found = scan.stacks.find(before);
    if (found == scan.stacks.end() || indices.after.empty()) return;
    FrameStack later = found->second;
    later.images = indices.after;
    found->second.images = indices.before;
    scan.stacks[after] = std::move(later);
  };
  apply(Frames::flats_before, Frames::flats_after, split.flats);
  apply(Frames::darks_before, Frames::darks_after, split.darks);
  spdlog::debug("{}: {} flats and {} darks taken after the scan (from {})", scan.info.path.string(),
                split.flats.after.size(), split.darks.after.size(), detector_output_path);
}

template <std::size_t N>
const char* first_dataset(hid_t file, const std::array<const char*, N>& names) {
  for (const char* name : names)
    if (h5::is_dataset(file, name)) return name;
  return nullptr;
}

}  // namespace

std::unique_ptr<ScanReader> open_tdf(const fs::path& path) {
  Hdf5Scan scan{.file = h5::open_read_only(path), .info = {}, .stacks = {}, .acquisition = {}};
  h5::QuietErrors quiet;
  scan.info.path = path;
  scan.info.layout = Layout::tdf;
  const hid_t file = scan.file.get();
  const auto generation = std::find_if(tdf_generations.begin(), tdf_generations.end(),
                                       [&](const TdfNames& names) { return h5::link_exists(file, names.projections); });
  if (generation == tdf_generations.end())
    fail("{}: no TDF projections: none of /exchange/data, /data or /tomo", path.string());
  const auto add = [&](Frames frames, const char* name) {
    scan.stacks[frames] = whole_stack(file, path, name, AxisOrder::sinogram_major);
  };
  add(Frames::projections, generation->projections);
  if (h5::is_dataset(file, generation->flats)) add(Frames::flats_before, generation->flats);
  if (h5::is_dataset(file, generation->darks)) add(Frames::darks_before, generation->darks);
  const char* flats_after = first_dataset(file, flats_after_names);
  const char* darks_after = first_dataset(file, darks_after_names);
  if (flats_after != nullptr) add(Frames::flats_after, flats_after);
  if (darks_after != nullptr) add(Frames::darks_after, darks_after);
  // Separate "after" datasets already say which is which; otherwise ask the provenance table.
  if (flats_after == nullptr && darks_after == nullptr) split_references(scan);
  read_metadata(file, path, measurement_metadata_paths(), scan.info);
  return make_hdf5_reader(std::move(scan));
}

}  // namespace tomo::scan
