// The jobs as the pages see them: fetched once, then kept current by the WebSocket's job,
// job_removed and progress events, and fetched again after a reconnect (events were missed).
// One store for the batch and live pages, so switching pages costs no request.
import { api } from './api.js';
import { on } from './events.js';
import { notifyError } from './notify.js';

const jobs = new Map(); // id -> Job (summary view: no log, no slabs)
const listeners = new Set();
const eventTick = new Map(); // id -> the tick of the last event about it
let tick = 0;
let started = false;
let pending = null;

function publish() {
  for (const fn of listeners) fn(jobs);
}

export function refresh() {
  if (pending) return pending;
  pending = api.jobs().then((list) => {
    jobs.clear();
    for (const job of list.jobs ?? []) jobs.set(job.id, job);
    publish();
  }, notifyError).finally(() => { pending = null; });
  return pending;
}

function start() {
  started = true;
  on('job', (m) => {
    // Events may carry a job without log and slabs; keep what we had of neither.
    eventTick.set(m.job.id, ++tick);
    jobs.set(m.job.id, { ...jobs.get(m.job.id), ...m.job });
    publish();
  });
  on('job_removed', (m) => {
    jobs.delete(String(m.id));
    publish();
  });
  on('progress', (m) => {
    const job = jobs.get(String(m.id));
    if (!job) return;
    eventTick.set(job.id, ++tick);
    jobs.set(job.id, { ...job, slices_written: m.written, slices_total: m.total });
    publish();
  });
  on('reconnected', refresh);
  refresh();
}

// Subscribes (and starts the store on first use); returns the unsubscribe function.
export function subscribeJobs(fn) {
  if (!started) start();
  listeners.add(fn);
  fn(jobs);
  return () => listeners.delete(fn);
}

// The moment a request leaves, for updateJob below.
export function now() {
  return tick;
}

// A request's answer about a job. A quick job can run and finish, and its events arrive, before
// the answer to "run" does: an answer older than the job's last event is stale and is dropped.
export function updateJob(job, sentAt = Infinity) {
  if ((eventTick.get(job.id) ?? 0) > sentAt) return;
  jobs.set(job.id, { ...jobs.get(job.id), ...job });
  publish();
}

export function forgetJob(id) {
  jobs.delete(id);
  publish();
}
