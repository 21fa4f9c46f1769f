// The scan summary (GET /api/scans/summary): what STP3 shows before a user tunes anything.
import { html } from '../html.js';
import { formatNumber } from '../format.js';

export function ScanSummary({ summary }) {
  if (!summary) return null;
  const a = summary.acquisition;
  const rows = [
    ['Sample', summary.sample],
    ['Layout', summary.layout],
    ['Projections × rows × columns', `${summary.projections} × ${summary.rows} × ${summary.columns}`],
    ['Flats (before / after)', `${summary.flats} (${summary.flats_before} / ${summary.flats_after})`],
    ['Darks (before / after)', `${summary.darks} (${summary.darks_before} / ${summary.darks_after})`],
    ['Angles', summary.angles ? `${summary.angles.count}: ${formatNumber(summary.angles.first_deg)}° … ${formatNumber(summary.angles.last_deg)}°` : 'not in the file'],
    ['Pixel size', summary.pixel_size_um ? `${formatNumber(summary.pixel_size_um)} µm` : '—'],
    ['Distance', summary.distance_mm ? `${formatNumber(summary.distance_mm)} mm` : '—'],
    ['Energy', summary.energy_kev ? `${formatNumber(summary.energy_kev)} keV` : '—'],
    ['Data type, chunks', `${summary.dtype ?? ''} ${Array.isArray(summary.chunking) ? `(${summary.chunking.join('×')})` : summary.chunking ?? ''} ${summary.compression ?? ''}`],
    ['Acquisition', a ? `${a.written} of ${a.expected || '?'} projections${a.complete ? ', complete' : ', being acquired'}` : ''],
  ];
  return html`
    <dl class="summary" data-testid="scan-summary">
      ${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}
    </dl>`;
}
