// One job's log: the lines the service kept (GET /api/jobs/{id}), then each new "log" event.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { on } from '../events.js';
import { formatClock } from '../format.js';

export function JobLog({ id }) {
  const [job, setJob] = useState(null);
  const [lines, setLines] = useState([]);
  const [error, setError] = useState('');
  const listRef = useRef(null);
  useEffect(() => {
    if (!id) return undefined;
    setLines([]);
    setError('');
    api.job(id).then((j) => { setJob(j); setLines(j.log ?? []); }, (e) => setError(e.message));
    return on('log', (m) => { if (String(m.id) === String(id)) setLines((l) => [...l, m.line].slice(-500)); });
  }, [id]);
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  if (!id) return html`<section class="job-log"><h2>Log</h2><p class="hint">Choose a job to see its log.</p></section>`;
  return html`
    <section class="job-log" aria-labelledby="log-title" data-testid="job-log">
      <h2 id="log-title">Log of job ${id}${job ? ` (${job.sample})` : ''}</h2>
      ${error && html`<p class="error">${error}</p>`}
      ${job?.error && html`<p class="error">${job.error}</p>`}
      <ol ref=${listRef} aria-live="polite">
        ${lines.map((l) => html`<li class=${`log-${l.level}`}><time>${formatClock(l.time)}</time> <span class="level">${l.level}</span> ${l.message}</li>`)}
      </ol>
    </section>`;
}
