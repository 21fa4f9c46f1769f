// The interactive page: choose a scan, tune one slice, and send the tuned parameters to the batch.
// Every parameter change asks for a new preview at once; while one is being computed, changes
// only mark that another is wanted, and the latest parameters are sent when it returns (never a
// queue of stale requests, never a debounce delay on the arrow keys).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { notify, notifyError } from '../notify.js';
import { DEFAULTS, changedParams } from '../params.js';
import { baseName, formatNumber, parentDir } from '../format.js';
import { FileBrowser } from '../components/file_browser.js';
import { ScanSummary } from '../components/scan_summary.js';
import { ParamPanels } from '../components/param_panels.js';
import { SliceView, sampleProfile } from '../components/slice_view.js';
import { Plot, histogramData, histogramOptions, profileOptions } from '../components/plot.js';
import { SweepGallery } from '../components/sweep_gallery.js';
import { SweepControls, deltaBetaRange } from '../components/sweep_controls.js';

const stem = (path) => baseName(path).replace(/\.[^.]+$/, '');

export function InteractivePage({ query }) {
  const [scan, setScan] = useState(query.get('scan') || '');
  const [summary, setSummary] = useState(null);
  const [presets, setPresets] = useState([]);
  const [presetName, setPresetName] = useState('');
  const [overrides, setOverrides] = useState({});
  const [row, setRow] = useState('');
  const [userWindow, setUserWindow] = useState(null);
  const [preview, setPreview] = useState(null);
  const [busy, setBusy] = useState(false);
  const [profileLine, setProfileLine] = useState(null);
  const [profile, setProfile] = useState(null);
  const [sweepParameter, setSweepParameter] = useState('cor'); // 'cor' or 'delta-beta', as the service names them
  const [sweepRanges, setSweepRanges] = useState({ cor: { from: -5, to: 5, step: 1 }, 'delta-beta': deltaBetaRange(0) });
  const [sweep, setSweep] = useState(null);
  const [sweeping, setSweeping] = useState(false);
  const [output, setOutput] = useState('');
  const [sample, setSample] = useState('');
  const [added, setAdded] = useState(null);

  const preset = presets.find((p) => p.name === presetName);
  const base = useMemo(() => ({ ...DEFAULTS, ...(preset?.params ?? {}) }), [preset]);
  const params = useMemo(() => ({ ...base, ...overrides }), [base, overrides]);

  // What the next request sends: kept in a ref so that the scheduler reads the latest state
  // without waiting for a render.
  const latest = useRef({});
  latest.current = { scan, presetName, overrides, row, userWindow };
  const flight = useRef({ busy: false, again: false, seq: 0 });

  const requestBody = (s = latest.current) => {
    const body = { input: s.scan, params: s.overrides };
    if (s.presetName) body.preset = s.presetName;
    if (s.row !== '') body.row = Number(s.row);
    return body;
  };

  const schedulePreview = () => {
    const f = flight.current;
    if (!latest.current.scan) return;
    if (f.busy) {
      f.again = true;
      return;
    }
    f.busy = true;
    f.again = false;
    setBusy(true);
    const request = requestBody();
    const body = latest.current.userWindow ? { ...request, window: latest.current.userWindow } : request;
    api.preview(body).then((answer) => {
      f.seq += 1;
      window.tomoDebug.lastPreview = { seq: f.seq, seconds: answer.seconds, reused: answer.reused, timings: answer.timings };
      setPreview({ ...answer, seq: f.seq, request });
    }, notifyError).finally(() => {
      f.busy = false;
      setBusy(false);
      if (f.again) schedulePreview();
    });
  };

  // Changing state and asking for a preview in the same handler: the request leaves now, not
  // after the next render.
  const change = (key, setter) => (value) => {
    latest.current[key] = value;
    setter(value);
    schedulePreview();
  };
  const onParams = (partial) => {
    const next = { ...latest.current.overrides, ...partial };
    latest.current.overrides = next;
    setOverrides(next);
    window.tomoDebug.changedAt = performance.now();
    schedulePreview();
  };

  useEffect(() => {
    api.presets().then((l) => setPresets(l.presets ?? []), notifyError);
  }, []);

  // A scan chosen: its summary, a first preview, sensible batch defaults.
  useEffect(() => {
    if (!scan) return;
    history.replaceState(null, '', `#/interactive?scan=${encodeURIComponent(scan)}`);
    setSummary(null);
    setSweep(null);
    setProfile(null);
    setProfileLine(null);
    setOutput(`${parentDir(scan)}/reconstructions/${stem(scan)}`);
    setSample(stem(scan));
    setAdded(null);
    api.summary(scan).then(setSummary, notifyError);
    schedulePreview();
  }, [scan]);

  // The line profile needs the slice's values, not its grey levels: fetched after the image is
  // drawn (the server still holds the slice, so this is cheap) and only while a line is drawn.
  useEffect(() => {
    if (!profileLine || !preview) return;
    let cancelled = false;
    api.previewFloat(preview.request).then((slice) => {
      if (!cancelled) setProfile(sampleProfile(slice, profileLine));
    }, notifyError);
    return () => { cancelled = true; };
  }, [profileLine, preview?.seq]);

  const windowRef = useRef(null);
  windowRef.current = userWindow ?? preview?.window;
  const histOptions = useMemo(() => histogramOptions(() => windowRef.current, change('userWindow', setUserWindow)), []);
  const histData = useMemo(() => histogramData(preview?.histogram), [preview?.seq]);

  // Switching to δ/β proposes values around the δ/β in force (it may have changed since the last
  // δ/β sweep); the centre's range is relative to the offset in force, so it is kept.
  const chooseSweep = (parameter) => {
    if (parameter === 'delta-beta') setSweepRanges({ ...sweepRanges, [parameter]: deltaBetaRange(params.delta_over_beta) });
    setSweepParameter(parameter);
  };
  const runSweep = () => {
    setSweeping(true);
    const range = sweepRanges[sweepParameter];
    const shift = sweepParameter === 'cor' ? Number(params.cor_offset) || 0 : 0;
    // A δ/β sweep with phase retrieval off is sent as is: the service's 400 says what to set.
    const body = { ...requestBody(), parameter: sweepParameter, from: shift + Number(range.from), to: shift + Number(range.to), step: Number(range.step),
      // Thumbnails no larger than the slice: the service refuses to upscale.
      size: Math.min(192, preview?.width ?? summary?.columns ?? 192) };
    const phaseMethod = params.phase_method;
    api.sweep(body).then((answer) => setSweep({ ...answer, phaseMethod }), notifyError).finally(() => setSweeping(false));
  };
  // A δ/β picked while phase retrieval is off (turned off after the sweep) turns it back on with
  // the method the thumbnails were made with, so the slice looks like the thumbnail picked.
  const phaseOff = !params.phase_method || params.phase_method === 'none';
  const chooseSwept = (value) => (sweep.parameter === 'cor' ? onParams({ cor_offset: value })
    : onParams({ delta_over_beta: value, ...(phaseOff ? { phase_method: sweep.phaseMethod } : {}) }));
  const sweptValue = sweep?.parameter === 'cor' ? params.cor_offset : phaseOff ? undefined : params.delta_over_beta;
  const findCentre = () => {
    setSweeping(true);
    api.centre({ ...requestBody(), method: 'registration' }).then((answer) => {
      notify(`Centre found: offset ${formatNumber(answer.cor_offset)} px (confidence ${formatNumber(answer.confidence, 2)})`);
      onParams({ cor_offset: answer.cor_offset });
    }, notifyError).finally(() => setSweeping(false));
  };
  const addToBatch = () => {
    const submission = { input: scan, output, sample, params: changedParams(params, base), hold: true };
    if (presetName) submission.preset = presetName;
    api.submit(submission).then((job) => {
      setAdded(job);
      notify(`Job ${job.id} (${job.sample}) is in the batch, held until you run it`);
    }, notifyError);
  };

  const shownWindow = userWindow ?? preview?.window ?? ['', ''];
  const setWindowEdge = (i, text) => {
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) return;
    const w = [...(userWindow ?? preview?.window ?? [0, 1])];
    w[i] = n;
    change('userWindow', setUserWindow)(w);
  };

  const rowField = html`
    <div class="field">
      <label for="preview-row">Slice (detector row)</label>
      <input id="preview-row" type="number" min="0" max=${summary ? summary.rows - 1 : undefined} step="1"
        placeholder=${summary ? `middle (${Math.floor(summary.rows / 2)})` : 'middle'} value=${row}
        onInput=${(e) => change('row', setRow)(e.currentTarget.value)} />
    </div>`;
  const presetField = html`
    <div class="field">
      <label for="preset">Preset</label>
      <select id="preset" value=${presetName} onChange=${(e) => change('presetName', setPresetName)(e.currentTarget.value)}>
        <option value="">defaults</option>
        ${presets.map((p) => html`<option value=${p.name}>${p.name}${p.description ? ` — ${p.description}` : ''}</option>`)}
      </select>
    </div>`;

  return html`
    <div class="interactive">
      <aside class="column browse" aria-label="Data">
        <h2>Data</h2>
        <${FileBrowser} selected=${scan} onSelect=${setScan} initialPath=${scan ? parentDir(scan) : ''} />
        <h2>Scan</h2>
        ${scan ? html`<p class="path" data-testid="scan-path" title=${scan}>${baseName(scan)}</p>` : html`<p class="hint">Choose a scan.</p>`}
        <${ScanSummary} summary=${summary} />
      </aside>

      <section class="column view" aria-label="Slice">
        <div class="view-status" data-testid="preview-status" aria-live="polite">
          ${busy ? 'Reconstructing…' : preview ? `Row ${preview.row}, ${preview.width}×${preview.height}, ${formatNumber(preview.seconds * 1000, 3)} ms (reused: ${preview.reused})` : scan ? '' : 'No scan chosen'}
        </div>
        <${SliceView} png=${preview?.png} seq=${preview?.seq ?? 0} profile=${profileLine} onProfile=${setProfileLine}
          onDrawn=${(seq, at) => { window.tomoDebug.drawnAt = at; window.tomoDebug.drawnSeq = seq; }} />
        <div class="contrast" role="group" aria-label="Contrast window">
          <label for="window-lo">Min</label>
          <input id="window-lo" type="number" step="any" value=${formatNumber(shownWindow[0], 5)} onChange=${(e) => setWindowEdge(0, e.currentTarget.value)} />
          <label for="window-hi">Max</label>
          <input id="window-hi" type="number" step="any" value=${formatNumber(shownWindow[1], 5)} onChange=${(e) => setWindowEdge(1, e.currentTarget.value)} />
          <button type="button" onClick=${() => change('userWindow', setUserWindow)(null)} disabled=${!userWindow}>Auto</button>
          ${preview?.stats && html`<span class="hint">mean ${formatNumber(preview.stats.mean)}, σ ${formatNumber(preview.stats.std)}, range ${formatNumber(preview.stats.min)} … ${formatNumber(preview.stats.max)}</span>`}
        </div>
        <div class="plots">
          <figure>
            <figcaption>Histogram (drag across it to set the window)</figcaption>
            <${Plot} options=${histOptions} data=${histData} testid="histogram" label="Histogram of the slice's values" />
          </figure>
          <figure>
            <figcaption>Line profile ${profileLine ? `(${profileLine.join(', ')})` : '(Shift+drag on the slice, or P)'}</figcaption>
            ${profile ? html`<${Plot} options=${profileOptions} data=${profile} testid="profile" label="Values along the drawn line" />` : html`<div class="plot empty"></div>`}
          </figure>
        </div>

        <section class="sweep" aria-labelledby="sweep-title">
          <h2 id="sweep-title">Centre of rotation and δ/β</h2>
          <${SweepControls} parameter=${sweepParameter} onParameter=${chooseSweep} range=${sweepRanges[sweepParameter]}
            onRange=${(range) => setSweepRanges({ ...sweepRanges, [sweepParameter]: range })} params=${params}
            busy=${sweeping} disabled=${!scan} onSweep=${runSweep} onFindCentre=${findCentre} />
          <${SweepGallery} sweep=${sweep} chosen=${sweptValue} onChoose=${chooseSwept} />
        </section>
      </section>

      <aside class="column params" aria-label="Parameters">
        <h2>Parameters</h2>
        ${presetField}
        <${ParamPanels} params=${params} base=${base} onChange=${onParams} extra=${{ input: rowField }} />
        <button type="button" class="link" onClick=${() => { latest.current.overrides = {}; setOverrides({}); schedulePreview(); }}>Reset to the preset</button>
        <section class="add-batch" aria-labelledby="batch-title">
          <h2 id="batch-title">Add to batch</h2>
          <div class="field">
            <label for="batch-output">Output folder</label>
            <input id="batch-output" type="text" value=${output} onInput=${(e) => setOutput(e.currentTarget.value)} spellcheck=${false} />
          </div>
          <div class="field">
            <label for="batch-sample">Sample</label>
            <input id="batch-sample" type="text" value=${sample} onInput=${(e) => setSample(e.currentTarget.value)} />
          </div>
          <button type="button" id="add-to-batch" class="primary" onClick=${addToBatch} disabled=${!scan}>Add to batch</button>
          ${added && html`<p class="hint" data-testid="added-job">Job ${added.id} added (${added.state}). <a href="#/batch">Open the batch</a></p>`}
        </section>
      </aside>
    </div>`;
}
