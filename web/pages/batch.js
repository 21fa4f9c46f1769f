// The batch page: STP3's job table with sort and filter, selection and the actions on it, live
// progress bars (the jobs store follows the WebSocket), the chosen job's log and the workers.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { notify, notifyError } from '../notify.js';
import { forgetJob, now, subscribeJobs, updateJob } from '../jobs_store.js';
import { baseName, formatNumber, formatTime } from '../format.js';
import { ProgressBar } from '../components/progress_bar.js';
import { JobForm } from '../components/job_form.js';
import { JobLog } from '../components/job_log.js';
import { WorkersPanel } from '../components/workers_panel.js';
import { Dialog } from '../components/dialog.js';

const sliceRange = (p) => (p ? `${p.slice_from ?? 0}–${p.slice_to === -1 || p.slice_to === undefined ? 'end' : p.slice_to}` : '');
const phase = (p) => (!p || p.phase_method === 'none' || !p.phase_method ? 'none' : `${p.phase_method} δ/β ${formatNumber(p.delta_over_beta)}`);

// The table's columns: what each shows, and what it sorts by.
const COLUMNS = [
  { key: 'id', title: 'Id', value: (j) => Number(j.id) },
  { key: 'sample', title: 'Sample', value: (j) => j.sample },
  { key: 'time', title: 'Time', value: (j) => j.created, show: (j) => formatTime(j.created) },
  { key: 'slices', title: 'Slices', value: (j) => j.params?.slice_from ?? 0, show: (j) => sliceRange(j.params) },
  { key: 'cor', title: 'Centre offset', value: (j) => j.params?.cor_offset ?? 0, show: (j) => formatNumber(j.params?.cor_offset) },
  { key: 'input', title: 'Input', value: (j) => j.input, show: (j) => html`<span title=${j.input}>${baseName(j.input)}</span>` },
  { key: 'output', title: 'Output', value: (j) => j.output, show: (j) => html`<span title=${j.output}>${baseName(j.output)}</span>` },
  { key: 'rings', title: 'Ring removal', value: (j) => j.params?.rings ?? '', show: (j) => j.params?.rings ?? '' },
  { key: 'phase', title: 'Phase retrieval', value: (j) => phase(j.params), show: (j) => phase(j.params) },
  { key: 'state', title: 'State', value: (j) => j.state, show: (j) => html`<span class=${`state state-${j.state}`} title=${j.error || undefined}>${j.state}</span>` },
  {
    key: 'progress', title: 'Progress', value: (j) => (j.slices_total ? j.slices_written / j.slices_total : 0),
    show: (j) => html`<${ProgressBar} value=${j.slices_written ?? 0} max=${j.slices_total ?? 0} label=${`Progress of job ${j.id}`} testid="job-progress" />`,
  },
];

export function BatchPage() {
  const [jobs, setJobs] = useState(new Map());
  const [selected, setSelected] = useState(new Set());
  const [current, setCurrent] = useState(null); // the job whose log is shown
  const [sort, setSort] = useState({ key: 'id', dir: -1 });
  const [filter, setFilter] = useState('');
  const [stateFilter, setStateFilter] = useState('');
  const [presets, setPresets] = useState([]);
  const [form, setForm] = useState(null); // null, {job: null} (add) or {job} (edit)
  const [confirm, setConfirm] = useState(null);

  useEffect(() => subscribeJobs((map) => setJobs(new Map(map))), []);
  useEffect(() => { api.presets().then((l) => setPresets(l.presets ?? []), notifyError); }, []);

  const rows = useMemo(() => {
    const column = COLUMNS.find((c) => c.key === sort.key);
    const text = filter.trim().toLowerCase();
    return [...jobs.values()]
      .filter((j) => !stateFilter || j.state === stateFilter)
      .filter((j) => !text || [j.id, j.sample, j.input, j.output, j.state, j.owner, j.params?.rings].some((v) => String(v ?? '').toLowerCase().includes(text)))
      .sort((a, b) => {
        const va = column.value(a);
        const vb = column.value(b);
        return (va < vb ? -1 : va > vb ? 1 : 0) * sort.dir || (Number(a.id) - Number(b.id));
      });
  }, [jobs, sort, filter, stateFilter]);

  // Selection only counts jobs still there (a deleted or filtered-out job is not acted on).
  const chosen = rows.filter((j) => selected.has(j.id));
  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id); else next.add(id);
    setSelected(next);
  };
  const allSelected = rows.length > 0 && chosen.length === rows.length;
  const selectAll = () => setSelected(allSelected ? new Set() : new Set(rows.map((j) => j.id)));

  // Runs an action on each chosen job; reports the first failures with the server's words.
  const each = async (verb, fn, jobsToDo = chosen) => {
    let ok = 0;
    for (const job of jobsToDo) {
      try {
        const sentAt = now();
        const answer = await fn(job);
        if (answer && answer.id) updateJob(answer, sentAt);
        ok++;
      } catch (e) {
        notifyError(new Error(`Job ${job.id}: ${e.message}`));
      }
    }
    if (ok) notify(`${verb} ${ok} job${ok === 1 ? '' : 's'}`);
  };
  const runnable = (j) => ['held', 'done', 'failed', 'cancelled'].includes(j.state);
  const actions = {
    run: () => each('Queued', (j) => api.run(j.id), chosen.filter(runnable)),
    cancel: () => each('Cancelled', (j) => api.cancel(j.id), chosen.filter((j) => j.state === 'queued' || j.state === 'running')),
    duplicate: () => each('Duplicated', (j) => api.duplicate(j.id)),
    remove: () => setConfirm({
      text: `Delete ${chosen.length} job${chosen.length === 1 ? '' : 's'} from the table? Their output stays on disk.`,
      go: () => each('Deleted', async (j) => { await api.remove(j.id); forgetJob(j.id); }).then(() => setSelected(new Set())),
    }),
    edit: async () => {
      try {
        setForm({ job: await api.job(chosen[0].id) }); // the whole job: the summary view has no log
      } catch (e) {
        notifyError(e);
      }
    },
  };

  const header = (c) => {
    const active = sort.key === c.key;
    return html`
      <th scope="col" aria-sort=${active ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none'}>
        <button type="button" class="sort" data-testid=${`sort-${c.key}`}
          onClick=${() => setSort({ key: c.key, dir: active ? -sort.dir : 1 })}>${c.title}${active ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}</button>
      </th>`;
  };

  return html`
    <div class="batch" data-testid="batch-page">
      <section class="jobs" aria-label="Jobs">
        <div class="toolbar" role="toolbar" aria-label="Job actions">
          <button type="button" id="job-add" onClick=${() => setForm({ job: null })}>Add</button>
          <button type="button" id="job-edit" disabled=${chosen.length !== 1 || chosen[0].state === 'running'} onClick=${actions.edit}>Edit</button>
          <button type="button" id="job-duplicate" disabled=${!chosen.length} onClick=${actions.duplicate}>Duplicate</button>
          <button type="button" id="job-delete" disabled=${!chosen.length || chosen.some((j) => j.state === 'running')} onClick=${actions.remove}>Delete</button>
          <button type="button" id="job-select-all" onClick=${selectAll} aria-pressed=${allSelected ? 'true' : 'false'}>${allSelected ? 'Select none' : 'Select all'}</button>
          <button type="button" id="job-run" class="primary" disabled=${!chosen.some(runnable)} onClick=${actions.run}>Run selected</button>
          <button type="button" id="job-cancel" disabled=${!chosen.some((j) => j.state === 'queued' || j.state === 'running')} onClick=${actions.cancel}>Cancel</button>
          <span class="spacer"></span>
          <label for="job-filter" class="visually-hidden">Filter jobs</label>
          <input id="job-filter" type="search" placeholder="Filter: sample, path, state…" value=${filter} onInput=${(e) => setFilter(e.currentTarget.value)} />
          <label for="job-state-filter" class="visually-hidden">State</label>
          <select id="job-state-filter" value=${stateFilter} onChange=${(e) => setStateFilter(e.currentTarget.value)}>
            <option value="">all states</option>
            ${['held', 'queued', 'running', 'done', 'failed', 'cancelled'].map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        </div>
        <div class="table-wrap">
          <table class="job-table" data-testid="job-table">
            <thead>
              <tr>
                <th scope="col"><input type="checkbox" aria-label="Select all shown jobs" checked=${allSelected} onChange=${selectAll} /></th>
                ${COLUMNS.map(header)}
              </tr>
            </thead>
            <tbody>
              ${rows.map((j) => html`
                <tr key=${j.id} data-job=${j.id} data-state=${j.state} data-testid="job-row"
                  class=${`${selected.has(j.id) ? 'selected' : ''} ${current === j.id ? 'current' : ''}`}
                  onClick=${(e) => { if (e.target.type !== 'checkbox') setCurrent(j.id); }}>
                  <td><input type="checkbox" aria-label=${`Select job ${j.id} (${j.sample})`} checked=${selected.has(j.id)} onChange=${() => toggle(j.id)} /></td>
                  ${COLUMNS.map((c) => html`<td class=${`col-${c.key}`}>${c.key === 'id'
                    ? html`<button type="button" class="link" onClick=${() => setCurrent(j.id)} aria-label=${`Show the log of job ${j.id}`}>${j.id}</button>`
                    : c.show ? c.show(j) : c.value(j)}</td>`)}
                </tr>`)}
              ${rows.length === 0 && html`<tr><td colspan=${COLUMNS.length + 1} class="hint">No jobs${filter || stateFilter ? ' match the filter' : ' yet: add one, or tune a scan on the interactive page and add it from there'}.</td></tr>`}
            </tbody>
          </table>
        </div>
        <p class="hint">${rows.length} of ${jobs.size} jobs shown, ${chosen.length} selected.</p>
      </section>
      <div class="side">
        <${JobLog} id=${current} />
        <${WorkersPanel} />
      </div>
      ${form && html`<${JobForm} job=${form.job} presets=${presets}
        onCancel=${() => setForm(null)}
        onDone=${(job, sentAt) => { updateJob(job, sentAt); setForm(null); notify(`Job ${job.id} saved (${job.state})`); }} />`}
      ${confirm && html`
        <${Dialog} title="Delete jobs" onClose=${() => setConfirm(null)} testid="confirm">
          <p>${confirm.text}</p>
          <div class="dialog-buttons">
            <button type="button" onClick=${() => setConfirm(null)}>Keep them</button>
            <button type="button" class="danger" id="confirm-ok" onClick=${() => { const go = confirm.go; setConfirm(null); go(); }}>Delete</button>
          </div>
        <//>`}
    </div>`;
}
