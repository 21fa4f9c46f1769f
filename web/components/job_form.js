// Add or edit a batch job: where it reads and writes, its name, priority, and all its parameters
// in the same panels as the interactive page. An edit sends only what changed (PATCH semantics:
// parameters field by field), so the job keeps everything the user did not touch. The input scan
// and the output folder can be typed or picked with the interactive page's data browser, shown
// inline under the field (a dialog inside the dialog would hide the form it fills).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { DEFAULTS, changedParams } from '../params.js';
import { ParamPanels } from './param_panels.js';
import { now } from '../jobs_store.js';
import { Dialog } from './dialog.js';
import { FileBrowser } from './file_browser.js';
import { baseName, parentDir } from '../format.js';

const stem = (path) => baseName(path).replace(/\.[^.]+$/, '');

export function JobForm({ job, presets, onDone, onCancel }) {
  const editing = Boolean(job);
  const [fields, setFields] = useState({
    input: job?.input ?? '', output: job?.output ?? '', sample: job?.sample ?? '', preset: job?.preset ?? '',
    priority: job?.priority ?? 0, follow: job?.follow ?? false, hold: true,
    liveRows: (job?.live_rows ?? []).join(', '),
  });
  const [overrides, setOverrides] = useState({});
  const [error, setError] = useState('');
  const [browsing, setBrowsing] = useState(null); // null, 'input' or 'output'
  const preset = presets.find((p) => p.name === fields.preset);
  // What the panels start from: the job's own parameters when editing, else defaults and preset.
  const base = useMemo(() => (editing && fields.preset === (job.preset ?? '')
    ? { ...DEFAULTS, ...job.params } : { ...DEFAULTS, ...(preset?.params ?? {}) }), [fields.preset, preset]);
  const params = { ...base, ...overrides };
  useEffect(() => setOverrides({}), [fields.preset]);

  const set = (key) => (e) => setFields({ ...fields, [key]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });

  // A pick fills its field and closes the browser; focus goes back to the field, which now says
  // what was chosen. A scan picked into an empty output suggests the interactive page's folder.
  const fieldRefs = { input: useRef(null), output: useRef(null) };
  // Also what Escape (the dialog's cancel) does while a browser is open: closing the whole
  // dialog instead would lose what was typed.
  const closeBrowser = (key) => {
    setBrowsing(null);
    fieldRefs[key].current?.focus();
  };
  const picked = (key) => (path) => {
    const next = { ...fields, [key]: path };
    if (key === 'input' && !fields.output) next.output = `${parentDir(path)}/reconstructions/${stem(path)}`;
    setFields(next);
    closeBrowser(key);
  };
  // Where a browser opens: beside what the field holds, else beside the input scan, else the roots.
  const startFolder = (key) => {
    const own = fields[key];
    if (own) return key === 'output' ? own : parentDir(own);
    return fields.input ? parentDir(fields.input) : '';
  };
  const pathField = (key, label, pick) => html`
    <label for=${`job-${key}`}>${label}</label>
    <div class="with-browse">
      <input id=${`job-${key}`} ref=${fieldRefs[key]} type="text" required value=${fields[key]} onInput=${set(key)} spellcheck=${false} />
      <button type="button" id=${`job-${key}-browse`} aria-expanded=${browsing === key ? 'true' : 'false'} aria-controls=${`job-${key}-browser`}
        onClick=${() => setBrowsing(browsing === key ? null : key)}>Browse…</button>
    </div>
    ${browsing === key && html`
      <div class="inline-browser" id=${`job-${key}-browser`} role="group" aria-label=${`Choose the ${label.toLowerCase()}`}
        data-testid=${`job-${key}-browser`}>
        <${FileBrowser} pick=${pick} autoFocus selected=${fields[key]} onSelect=${picked(key)}
          initialPath=${startFolder(key)} />
      </div>`}`;

  const save = async (event) => {
    event.preventDefault();
    const priority = Number(fields.priority);
    // "4, 8, 12" -> [4, 8, 12]; the service checks the rows themselves.
    const liveRows = fields.liveRows.split(/[\s,;]+/).filter((t) => t !== '');
    if (liveRows.some((t) => !/^\d+$/.test(t))) {
      setError(`Live rows must be row numbers separated by commas, not "${fields.liveRows}"`);
      return;
    }
    const live_rows = liveRows.map(Number);
    try {
      const sentAt = now();
      let saved;
      if (editing) {
        const changes = {};
        for (const k of ['input', 'output', 'sample', 'follow']) if (fields[k] !== job[k]) changes[k] = fields[k];
        if (priority !== job.priority) changes.priority = priority;
        if (fields.preset !== (job.preset ?? '')) changes.preset = fields.preset;
        if (live_rows.join(',') !== (job.live_rows ?? []).join(',')) changes.live_rows = live_rows;
        const p = changedParams(params, { ...DEFAULTS, ...job.params });
        if (Object.keys(p).length) changes.params = p;
        saved = Object.keys(changes).length ? await api.edit(job.id, changes) : job;
      } else {
        const submission = { input: fields.input, output: fields.output, priority, follow: fields.follow,
          params: changedParams(params, base), hold: fields.hold };
        if (live_rows.length) submission.live_rows = live_rows;
        if (fields.sample) submission.sample = fields.sample;
        if (fields.preset) submission.preset = fields.preset;
        saved = await api.submit(submission);
      }
      onDone(saved, sentAt);
    } catch (e) {
      setError(e.message); // shown in the dialog, next to what the user can fix
    }
  };

  return html`
    <${Dialog} title=${editing ? `Edit job ${job.id}` : 'Add a job'} testid="job-form"
      onClose=${browsing ? () => closeBrowser(browsing) : onCancel}>
      <form onSubmit=${save} class="job-form">
        <div class="form-grid">
          ${pathField('input', 'Input scan', 'scan')}
          ${pathField('output', 'Output folder', 'folder')}
          <label for="job-sample">Sample</label>
          <input id="job-sample" type="text" value=${fields.sample} onInput=${set('sample')} placeholder="the file's name" />
          <label for="job-preset">Preset</label>
          <select id="job-preset" value=${fields.preset} onChange=${set('preset')}>
            <option value="">defaults</option>
            ${presets.map((p) => html`<option value=${p.name}>${p.name}</option>`)}
          </select>
          <label for="job-priority">Priority</label>
          <input id="job-priority" type="number" min="-1000" max="1000" step="1" value=${fields.priority} onInput=${set('priority')} />
          <label for="job-follow">Follow the acquisition (live)</label>
          <input id="job-follow" type="checkbox" checked=${fields.follow} onChange=${set('follow')} />
          ${fields.follow && html`
            <label for="job-live-rows">Live rows (shown as they sharpen)</label>
            <input id="job-live-rows" type="text" value=${fields.liveRows} onInput=${set('liveRows')} placeholder="the middle row"
              inputmode="numeric" spellcheck=${false} />`}
          ${!editing && html`
            <label for="job-hold">Hold (run it later)</label>
            <input id="job-hold" type="checkbox" checked=${fields.hold} onChange=${set('hold')} />`}
        </div>
        <${ParamPanels} params=${params} base=${base} idPrefix="job-param" open=${[]}
          onChange=${(partial) => setOverrides({ ...overrides, ...partial })} />
        ${error && html`<p class="error" role="alert" data-testid="job-form-error">${error}</p>`}
        <div class="dialog-buttons">
          <button type="button" onClick=${onCancel}>Cancel</button>
          <button type="submit" class="primary" id="job-save">${editing ? 'Save' : 'Add'}</button>
        </div>
      </form>
    <//>`;
}
