#include "storage/job_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include "kernels/error.hpp"

namespace tomo {
namespace fs = std::filesystem;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void copy_submitted(const Job& from, Job& to) {
  to.set_input(from.input());
  to.set_output(from.output());
  *to.mutable_params() = from.params();
  to.set_preset(from.preset());
  to.set_sample(from.sample());
  to.set_priority(from.priority());
  to.set_follow(from.follow());
  *to.mutable_live_rows() = from.live_rows();
  to.set_owner(from.owner());
}

std::string to_string(Job::State state) { return Job::State_Name(state); }

namespace {

// Big-endian, so that RocksDB's byte order is id order.
std::string id_key(std::uint64_t id) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i, id >>= 8) key[static_cast<std::size_t>(i)] = static_cast<char>(id & 0xff);
  return key;
}

// The store's own counters are decimal text: readable with RocksDB's ldb tool.
std::uint64_t to_count(const std::string& text, const std::string& where, const char* key) {
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    fail("job database {}: '{}' is not a number ({}): corrupt?", where, text, key);
  }
}

const char* kSchemaKey = "schema";
const char* kNextIdKey = "next_id";

}  // namespace

// The database and its column families: jobs by id, presets by name, scans (a watch rule's
// inputs) by path, and the store's own facts (schema, next id) in the default family.
struct JobStore::Db {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // default, jobs, presets, scans
  rocksdb::ColumnFamilyHandle* meta() const { return families[0]; }
  rocksdb::ColumnFamilyHandle* jobs() const { return families[1]; }
  rocksdb::ColumnFamilyHandle* presets() const { return families[2]; }
  rocksdb::ColumnFamilyHandle* scans() const { return families[3]; }
  mutable std::mutex changing;  // one read-modify-write at a time
  std::string where;            // the folder, for messages

  ~Db() {
    if (!db) return;  // it never opened
    for (auto* family : families) {
      const rocksdb::Status status = db->DestroyColumnFamilyHandle(family);
      if (!status.ok()) spdlog::warn("job database {}: {}", where, status.ToString());
    }
    const rocksdb::Status status = db->Close();
    if (!status.ok()) spdlog::warn("job database {}: closing: {}", where, status.ToString());
  }

  // Every write is synced: it is on disk when this returns.
  void write(rocksdb::WriteBatch& batch) const {
    rocksdb::WriteOptions options;
    options.sync = true;
    const rocksdb::Status status = db->Write(options, &batch);
    if (!status.ok()) fail("job database {}: write failed: {}", where, status.ToString());
  }

  std::optional<std::string> read(rocksdb::ColumnFamilyHandle* family, const std::string& key) const {
    std::string value;
    const rocksdb::Status status = db->Get(rocksdb::ReadOptions(), family, key, &value);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) fail("job database {}: read failed: {}", where, status.ToString());
    return value;
  }

  template <class Record>
  Record parse(const std::string& bytes, const std::string& what) const {
    Record record;
    if (!record.ParseFromString(bytes)) fail("job database {}: {} is not a readable record (corrupt?)", where, what);
    if (record.schema() > kJobSchema)
      fail("job database {}: {} was written by a newer tomoedge (record schema {}, this one reads up to {})", where, what,
           record.schema(), kJobSchema);
    return record;
  }

  template <class Record>
  std::vector<Record> all(rocksdb::ColumnFamilyHandle* family, const char* kind) const {
    std::vector<Record> records;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      records.push_back(parse<Record>(it->value().ToString(), fmt::format("{} {}", kind, it->key().ToString(true))));
    if (!it->status().ok()) fail("job database {}: reading the {}s failed: {}", where, kind, it->status().ToString());
    return records;
  }
};

JobStore::JobStore(const fs::path& folder) : folder_(folder), db_(std::make_unique<Db>()) {
  db_->where = folder.string();
  std::error_code error;
  // RocksDB would happily make a database among someone else's files.
  if (fs::is_directory(folder, error) && !fs::is_empty(folder, error) && !fs::exists(folder / "CURRENT", error))
    fail("job database {}: the folder holds other files, not a tomoedge job database; give an empty or new folder",
         folder.string());
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;  // a corrupt file is an error at open, not a wrong answer later
  const std::vector<rocksdb::ColumnFamilyDescriptor> families{{rocksdb::kDefaultColumnFamilyName, {}},
                                                              {"jobs", {}},
                                                              {"presets", {}},
                                                              {"scans", {}}};
  rocksdb::DB* opened = nullptr;
  const rocksdb::Status status = rocksdb::DB::Open(options, folder.string(), families, &db_->families, &opened);
  if (!status.ok()) {
    const std::string hint = status.IsIOError() && status.ToString().find("lock") != std::string::npos
                                 ? " (is another tomoedge serve using it?)"
                                 : "";
    fail("job database {}: cannot open it: {}{}", folder.string(), status.ToString(), hint);
  }
  db_->db.reset(opened);

  const auto schema = db_->read(db_->meta(), kSchemaKey);
  if (schema && to_count(*schema, db_->where, kSchemaKey) > kJobSchema)
    fail("job database {} was written by a newer tomoedge (schema {}; this one reads up to {})", folder.string(), *schema,
         kJobSchema);
  if (!schema) {
    rocksdb::WriteBatch batch;
    batch.Put(db_->meta(), kSchemaKey, std::to_string(kJobSchema));
    db_->write(batch);
  }
}

JobStore::~JobStore() = default;

Job JobStore::add(Job job) {
  std::lock_guard lock(db_->changing);
  const auto next = db_->read(db_->meta(), kNextIdKey);
  const std::uint64_t id = next ? to_count(*next, db_->where, kNextIdKey) : 1;
  job.set_id(id);
  job.set_schema(kJobSchema);
  if (job.created() == 0) job.set_created(unix_now());
  rocksdb::WriteBatch batch;
  batch.Put(db_->meta(), kNextIdKey, std::to_string(id + 1));
  batch.Put(db_->jobs(), id_key(id), job.SerializeAsString());
  if (!job.rule().empty()) batch.Put(db_->scans(), job.input(), std::to_string(id));
  db_->write(batch);
  if (observer_) observer_(nullptr, &job);
  return job;
}

std::optional<Job> JobStore::get(std::uint64_t id) const {
  const auto bytes = db_->read(db_->jobs(), id_key(id));
  if (!bytes) return std::nullopt;
  return db_->parse<Job>(*bytes, fmt::format("job {}", id));
}

std::vector<Job> JobStore::list() const { return db_->all<Job>(db_->jobs(), "job"); }

Job JobStore::update(std::uint64_t id, const std::function<void(Job&)>& change) {
  std::lock_guard lock(db_->changing);
  const auto before = get(id);
  if (!before) fail("there is no job {}", id);
  Job job = *before;
  change(job);
  job.set_schema(kJobSchema);
  rocksdb::WriteBatch batch;
  batch.Put(db_->jobs(), id_key(id), job.SerializeAsString());
  db_->write(batch);
  if (observer_) observer_(&*before, &job);
  return job;
}

bool JobStore::commit_slab(std::uint64_t id, int first_row, const std::string& worker, double seconds) {
  bool committed = false;
  update(id, [&](Job& job) {
    for (SlabRecord& slab : *job.mutable_slabs()) {
      if (slab.first_row() != first_row) continue;
      if (slab.written()) return;
      slab.set_written(true);
      slab.set_worker(worker);
      slab.set_written_at(unix_now());
      slab.set_seconds(seconds);
      job.set_slices_written(job.slices_written() + slab.rows());
      committed = true;
      return;
    }
    fail("job {} has no slab starting at row {}", id, first_row);
  });
  return committed;
}

void JobStore::remove(std::uint64_t id) {
  std::lock_guard lock(db_->changing);
  const auto job = get(id);
  if (!job) fail("there is no job {}", id);
  rocksdb::WriteBatch batch;
  batch.Delete(db_->jobs(), id_key(id));
  // The scan stays known: a deleted automatic job is not made again by its rule.
  db_->write(batch);
  if (observer_) observer_(&*job, nullptr);
}

std::optional<std::uint64_t> JobStore::job_for_scan(const std::string& input) const {
  const auto id = db_->read(db_->scans(), input);
  if (!id) return std::nullopt;
  return to_count(*id, db_->where, "scan");
}

void JobStore::put_preset(Preset preset) {
  if (preset.name().empty()) fail("a preset needs a name");
  preset.set_schema(kJobSchema);
  preset.set_updated(unix_now());
  std::lock_guard lock(db_->changing);
  rocksdb::WriteBatch batch;
  batch.Put(db_->presets(), preset.name(), preset.SerializeAsString());
  db_->write(batch);
}

std::optional<Preset> JobStore::preset(const std::string& name) const {
  const auto bytes = db_->read(db_->presets(), name);
  if (!bytes) return std::nullopt;
  return db_->parse<Preset>(*bytes, fmt::format("preset '{}'", name));
}

std::vector<Preset> JobStore::presets() const { return db_->all<Preset>(db_->presets(), "preset"); }

bool JobStore::remove_preset(const std::string& name) {
  std::lock_guard lock(db_->changing);
  if (!db_->read(db_->presets(), name)) return false;
  rocksdb::WriteBatch batch;
  batch.Delete(db_->presets(), name);
  db_->write(batch);
  return true;
}

}  // namespace tomo
