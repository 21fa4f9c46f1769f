// The workers: each node's CPUs, GPUs, memory and jobs (GET /api/workers, then the "workers"
// event every few seconds).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { on } from '../events.js';
import { formatBytes, formatNumber } from '../format.js';

export function WorkersPanel() {
  const [workers, setWorkers] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api.workers().then((w) => setWorkers(w.workers ?? []), (e) => setError(e.message));
    return on('workers', (m) => { setWorkers(m.workers ?? []); setError(''); });
  }, []);
  return html`
    <section class="workers" aria-labelledby="workers-title" data-testid="workers">
      <h2 id="workers-title">Workers</h2>
      ${error && html`<p class="error">${error}</p>`}
      ${workers === null && !error && html`<p class="hint">Loading…</p>`}
      <ul>
        ${(workers ?? []).map((w) => html`
          <li class=${`worker worker-${w.state}`} key=${w.name} data-testid="worker">
            <strong>${w.name}</strong> <span class=${`state state-${w.state}`}>${w.state}</span>
            <div>${w.cpus} CPUs · load ${formatNumber(w.load, 2)} · ${formatBytes(w.memory_available)} free of ${formatBytes(w.memory_total)}</div>
            <div>${w.gpus?.length ? w.gpus.map((g) => `${g.name} (${formatBytes(g.memory_total)})`).join(', ') : 'no GPU'}</div>
            <div>jobs ${w.jobs_running} / ${w.jobs_limit}</div>
          </li>`)}
      </ul>
    </section>`;
}
