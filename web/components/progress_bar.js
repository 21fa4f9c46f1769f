// A progress bar with its numbers beside it (a <progress> alone says nothing to a screen reader
// about which job it belongs to, hence the label).
import { html } from '../html.js';

export function ProgressBar({ value, max, label, testid, text }) {
  const fraction = max > 0 ? Math.min(1, value / max) : 0;
  const percent = Math.round(fraction * 100);
  return html`
    <div class="progress" data-testid=${testid} data-percent=${percent}>
      <progress value=${value} max=${max > 0 ? max : 1} aria-label=${label}></progress>
      <span class="progress-text">${text ?? `${percent}%`}</span>
    </div>`;
}
