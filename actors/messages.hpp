#pragma once
// The messages between the actors of a reconstruction job (actors/actors.hpp): plain structs
// that carry data, not pointers. Each has an inspect() so that CAF can serialize it when it
// crosses to another machine; in one process CAF passes it without copying.
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/correction.hpp"
#include "kernels/dynamic_flat_field.hpp"
#include "kernels/flat_field.hpp"
#include "pipeline/slab_reader.hpp"
#include "pipeline/slab_reconstructor.hpp"
#include "storage/scan_reader.hpp"

namespace tomo {

// The pipeline's own types, as they travel.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Range& x) {
  return f(caf::meta::type_name("Range"), x.begin, x.end);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, EigenFlats& x) {
  return f(caf::meta::type_name("EigenFlats"), x.rows, x.columns, x.components, x.mean, x.basis);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, FlatField& x) {
  return f(caf::meta::type_name("FlatField"), x.rows, x.columns, x.dark, x.inverse_gain, x.defective_pixels,
           x.inverse_gain_after, x.after_weight, x.dynamic, x.dynamic_weights);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, SlabInput& x) {
  return f(caf::meta::type_name("SlabInput"), x.rows, x.read_rows, x.sinograms, x.flat_field);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, SlabOutput& x) {
  return f(caf::meta::type_name("SlabOutput"), x.rows, x.slices);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, CorrectionCounts& x) {
  return f(caf::meta::type_name("CorrectionCounts"), x.repaired, x.zingers, x.clamped);
}

namespace actors {

// Atoms: at most 10 characters in CAF 0.17.
using start_atom = caf::atom_constant<caf::atom("start")>;
using next_atom = caf::atom_constant<caf::atom("next")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;
using counts_atom = caf::atom_constant<caf::atom("counts")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
// The scheduler's requests.
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using edit_atom = caf::atom_constant<caf::atom("edit")>;
using delete_atom = caf::atom_constant<caf::atom("delete")>;
using ended_atom = caf::atom_constant<caf::atom("ended")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;

// Projections [first, first + count) of one slab of rows, raw, with their flat field: from the
// chunk loader to the slab's reconstructor. A finished scan's slab comes as one chunk of all its
// projections.
struct projection_chunk {
  std::int32_t slab = 0;
  std::int32_t first = 0;
  std::int32_t count = 0;
  SlabInput data;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, projection_chunk& x) {
  return f(caf::meta::type_name("projection_chunk"), x.slab, x.first, x.count, x.data);
}

// What the acquisition has declared written so far: from the acquisition watcher to the loader.
struct acquired {
  std::int32_t written = 0;
  std::int32_t expected = 0;
  bool complete = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, acquired& x) {
  return f(caf::meta::type_name("acquired"), x.written, x.expected, x.complete);
}

// The live view: one chosen slice as it stands after `added` of the scan's projections,
// weighted as if they were all (width × width values).
struct live_slice {
  std::int32_t row = 0;
  std::int32_t added = 0;
  std::int32_t width = 0;
  std::vector<float> values;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, live_slice& x) {
  return f(caf::meta::type_name("live_slice"), x.row, x.added, x.width, x.values);
}

// One slab's slices: from its reconstructor to the writer.
struct slab_slices {
  std::int32_t slab = 0;
  SlabOutput data;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, slab_slices& x) {
  return f(caf::meta::type_name("slab_slices"), x.slab, x.data);
}

// Something that happened in a job, stamped where it happened: for the job's event log, its
// progress, and tests. Fields that do not apply are −1 or empty.
struct job_event {
  std::string kind;   // chunk_read, slab_reconstructed, slice_written, slab_done, ...
  double time = 0;    // seconds since the Unix epoch, wall clock
  std::int32_t slab = -1;
  Range rows{-1, -1};        // the slab's rows
  std::int32_t first = -1;   // projections [first, first + count)
  std::int32_t count = -1;
  std::int32_t row = -1;     // one slice
  std::string message;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_event& x) {
  return f(caf::meta::type_name("job_event"), x.kind, x.time, x.slab, x.rows, x.first, x.count, x.row, x.message);
}

// A part of the job could not go on: which, and why (the tomo::Error's message).
struct job_failure {
  std::string stage;
  std::string reason;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_failure& x) {
  return f(caf::meta::type_name("job_failure"), x.stage, x.reason);
}

// What a finished job reports to whoever started it; `error` is empty when it succeeded.
struct job_summary {
  std::string error;
  std::vector<std::string> outputs;
  CorrectionCounts corrections;
  std::int64_t defective_flat_pixels = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_summary& x) {
  return f(caf::meta::type_name("job_summary"), x.error, x.outputs, x.corrections, x.defective_flat_pixels);
}

// The scheduler's answer to a request about a job: `status` as HTTP says it (200 done, 404 no such
// job, 409 not in a state that allows it), a message saying why when it is not 200, and the
// job's id. Jobs themselves travel as serialized protobuf records (proto/job.proto).
struct scheduler_reply {
  std::int32_t status = 200;
  std::string message;
  std::uint64_t id = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scheduler_reply& x) {
  return f(caf::meta::type_name("scheduler_reply"), x.status, x.message, x.id);
}

// A job_event of `kind` stamped now.
job_event event_now(std::string kind);

// Announces every message type above to an actor system, for the network layer to (de)serialize.
void add_message_types(caf::actor_system_config& config);

}  // namespace actors
}  // namespace tomo
