// What a sweep varies and over which values: the centre offset (relative to the offset in force,
// as STP's multi-offset gallery) or phase retrieval's δ/β (absolute values: δ/β spans orders of
// magnitude between samples, so a range relative to 0 would mean nothing).
import { html } from '../html.js';
import { formatNumber } from '../format.js';

export const SWEEPS = {
  cor: { label: 'centre offset', gallery: 'Centre offset' },
  'delta-beta': { label: 'δ/β', gallery: 'δ/β' },
};

// 1, 2 or 5 times a power of ten: steps a person can read off the thumbnails.
function niceStep(x) {
  const power = 10 ** Math.floor(Math.log10(x));
  const m = x / power;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * power;
}
const tidy = (x) => Number(x.toPrecision(10)); // 0.2 * 9 is 1.8, not 1.7999999999999998

// Ten values from about half the δ/β in force upwards (50 … 500 in steps of 50 around 100); with
// no δ/β yet, that same range, where the δ/β of many samples at SYRMEP lies.
export function deltaBetaRange(current) {
  const v = Number(current);
  if (!(v > 0)) return { from: 50, to: 500, step: 50 };
  const step = niceStep(v / 2);
  const from = tidy(Math.max(step, Math.round((v - 4 * step) / step) * step));
  return { from, to: tidy(from + 9 * step), step: tidy(step) };
}

export function SweepControls({ parameter, onParameter, range, onRange, params, busy, disabled, onSweep, onFindCentre }) {
  const cor = parameter === 'cor';
  const phaseOff = !params.phase_method || params.phase_method === 'none';
  const box = (key, label, min) => html`
    <label for=${`sweep-${key}`}>${label}</label>
    <input id=${`sweep-${key}`} type="number" step=${cor ? (key === 'step' ? 0.1 : 0.5) : 'any'} min=${min} value=${range[key]}
      onInput=${(e) => onRange({ ...range, [key]: e.currentTarget.value })} />`;
  return html`
    <div class="sweep-controls">
      <label for="sweep-parameter">Sweep</label>
      <select id="sweep-parameter" value=${parameter} onChange=${(e) => onParameter(e.currentTarget.value)}>
        ${Object.entries(SWEEPS).map(([key, s]) => html`<option value=${key}>${s.label}</option>`)}
      </select>
      ${box('from', 'from')}
      ${box('to', 'to')}
      ${box('step', 'step', cor ? 0.1 : 0)}
      <span class="hint" data-testid="sweep-hint">${cor ? 'px around the offset in force'
        : phaseOff ? 'δ/β values; needs a phase retrieval method (Phase retrieval panel)'
        : `δ/β values (${formatNumber(params.delta_over_beta)} in force)`}</span>
      <button type="button" id="sweep-run" onClick=${onSweep} disabled=${disabled || busy}>${cor ? 'Sweep the centre' : 'Sweep δ/β'}</button>
      <button type="button" id="centre-auto" onClick=${onFindCentre} disabled=${disabled || busy}>Find the centre automatically</button>
    </div>`;
}
