// The live page: scans being acquired, their chosen slices sharpening as projections arrive
// (live_slice events carry a PNG each), and the acquisition's progress beside them.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { on } from '../events.js';
import { subscribeJobs } from '../jobs_store.js';
import { ProgressBar } from '../components/progress_bar.js';
import { baseName, formatNumber, formatTime } from '../format.js';

// Live jobs worth showing: those following a scan that run or wait, then the latest others.
function liveJobs(jobs) {
  const followed = [...jobs.values()].filter((j) => j.follow).sort((a, b) => Number(b.id) - Number(a.id));
  const active = followed.filter((j) => j.state === 'running' || j.state === 'queued');
  const recent = followed.filter((j) => j.state !== 'running' && j.state !== 'queued').slice(0, Math.max(0, 3 - active.length));
  return [...active, ...recent];
}

function LiveCard({ job, acquisition, slices }) {
  const rows = Object.values(slices ?? {}).sort((a, b) => a.row - b.row);
  const acq = acquisition ?? {};
  return html`
    <article class="live-card" data-testid="live-job" data-job=${job.id} aria-labelledby=${`live-${job.id}-title`}>
      <header>
        <h2 id=${`live-${job.id}-title`}>${job.sample || baseName(job.input)} <span class="job-id">#${job.id}</span></h2>
        <span class=${`state state-${job.state}`}>${job.state}</span>
        <span class="hint">${formatTime(job.started || job.created)} · ${baseName(job.input)}</span>
      </header>
      <div class="live-progress">
        <label>Acquisition</label>
        <${ProgressBar} value=${acq.projections ?? 0} max=${acq.expected ?? 0} label=${`Acquisition of ${job.sample}`}
          testid="acquisition-progress"
          text=${acq.projections !== undefined ? `${acq.projections} / ${acq.expected || '?'} projections${acq.complete ? ', complete' : ''}` : 'waiting for projections'} />
        <label>Reconstruction</label>
        <${ProgressBar} value=${job.slices_written ?? 0} max=${job.slices_total ?? 0} label=${`Slices of ${job.sample} written`}
          testid="slices-progress" text=${`${job.slices_written ?? 0} / ${job.slices_total || '?'} slices`} />
      </div>
      <div class="live-slices">
        ${rows.length === 0 && html`<p class="hint">The chosen slices appear here with the first projections.</p>`}
        ${rows.map((s) => html`
          <figure class="live-slice" key=${s.row}>
            <img src=${s.png} alt=${`Row ${s.row} after ${s.projections} projections`} data-testid="live-slice" data-row=${s.row} data-projections=${s.projections} />
            <figcaption>row ${s.row} · ${s.projections} projections · window ${formatNumber(s.window?.[0])} … ${formatNumber(s.window?.[1])}</figcaption>
          </figure>`)}
      </div>
    </article>`;
}

export function LivePage() {
  const [jobs, setJobs] = useState(new Map());
  const [acquisitions, setAcquisitions] = useState({}); // id -> acquisition event
  const [slices, setSlices] = useState({}); // id -> {row: live_slice event}

  useEffect(() => subscribeJobs((map) => setJobs(new Map(map))), []);
  useEffect(() => {
    const offs = [
      on('acquisition', (m) => setAcquisitions((a) => ({ ...a, [m.id]: m }))),
      on('live_slice', (m) => setSlices((s) => ({ ...s, [m.id]: { ...s[m.id], [m.row]: m } }))),
    ];
    return () => offs.forEach((off) => off());
  }, []);

  const shown = liveJobs(jobs);
  const ids = shown.map((j) => j.id).join(',');
  // Slices published before this page opened (or before a reconnect): GET /api/jobs/{id}/live.
  useEffect(() => {
    for (const job of shown) {
      if (slices[job.id]) continue;
      api.jobLive(job.id).then((live) => {
        if (!live.slices?.length) return;
        setSlices((s) => (s[job.id] ? s : { ...s, [job.id]: Object.fromEntries(live.slices.map((x) => [x.row, x])) }));
      }, () => {});
    }
  }, [ids]);

  return html`
    <div class="live" data-testid="live-page">
      ${shown.length === 0 && html`<p class="hint empty-page">No scan is being acquired. Jobs that follow an acquisition (watch rules with "when": "live") appear here as soon as their scan starts.</p>`}
      ${shown.map((job) => html`<${LiveCard} key=${job.id} job=${job} acquisition=${acquisitions[job.id]} slices=${slices[job.id]} />`)}
    </div>`;
}
