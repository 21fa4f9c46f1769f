// A sweep as a gallery: one thumbnail a value (centre offset or δ/β); click or Enter picks one,
// the arrow keys move between them (one tab stop for the whole gallery, as a listbox).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { formatNumber } from '../format.js';
import { SWEEPS } from './sweep_controls.js';

export function SweepGallery({ sweep, chosen, onChoose }) {
  const [focus, setFocus] = useState(0);
  const listRef = useRef(null);
  useEffect(() => {
    // Start at the thumbnail closest to the value in force.
    if (!sweep) return;
    let best = 0;
    sweep.images.forEach((im, i) => { if (Math.abs(im.value - chosen) < Math.abs(sweep.images[best].value - chosen)) best = i; });
    setFocus(best);
  }, [sweep]);
  if (!sweep) return null;
  const name = SWEEPS[sweep.parameter]?.gallery ?? sweep.parameter;

  const move = (i) => {
    const n = sweep.images.length;
    const next = Math.max(0, Math.min(n - 1, i));
    setFocus(next);
    listRef.current?.querySelectorAll('[role=option]')[next]?.focus();
  };
  const columns = () => {
    const items = listRef.current?.querySelectorAll('[role=option]');
    if (!items || items.length < 2) return 1;
    const top = items[0].offsetTop;
    let c = 0;
    while (c < items.length && items[c].offsetTop === top) c++;
    return Math.max(1, c);
  };
  const onKeyDown = (event) => {
    const keys = {
      ArrowRight: () => move(focus + 1), ArrowLeft: () => move(focus - 1),
      ArrowDown: () => move(focus + columns()), ArrowUp: () => move(focus - columns()),
      Home: () => move(0), End: () => move(sweep.images.length - 1),
      Enter: () => onChoose(sweep.images[focus].value), ' ': () => onChoose(sweep.images[focus].value),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  };

  return html`
    <div class="gallery" role="listbox" aria-label=${`${name} sweep: arrows move, Enter picks`}
      ref=${listRef} onKeyDown=${onKeyDown} data-testid="sweep-gallery">
      ${sweep.images.map((im, i) => html`
        <div role="option" key=${im.value} tabindex=${i === focus ? 0 : -1} aria-selected=${im.value === chosen ? 'true' : 'false'}
          class=${`thumb ${im.value === chosen ? 'chosen' : ''}`} data-value=${im.value} data-testid="sweep-thumb"
          onClick=${() => { setFocus(i); onChoose(im.value); }}>
          <img src=${im.png} alt=${`${name} ${formatNumber(im.value)}`} draggable="false" />
          <span>${formatNumber(im.value)}</span>
        </div>`)}
    </div>`;
}
