// The parameter panels, one <details> a group, STP3's order. Each field shows the value in force
// (defaults and preset underneath, the user's own choices over them) and reports the ReconParams
// fields it sets. Number fields report on every valid keystroke, so the preview follows the
// keyboard's up/down arrows; text fields (ring and output strings, crop) report on Enter or when
// left, since half-typed strings are not valid; Enter in a field commits it and does not submit
// a surrounding form (the job dialog).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { GROUPS, RING_EXAMPLES, fieldText, fieldValue } from '../params.js';

function Field({ field, params, base, idPrefix, onChange }) {
  const ref = useRef(null);
  const [error, setError] = useState('');
  const text = fieldText(field, params);
  const id = `${idPrefix}-${field.key}`;
  const changed = field.type === 'crop' || field.type === 'conversion'
    ? text !== fieldText(field, base) : params[field.key] !== base[field.key];

  // Outside changes (a gallery pick, a preset) reach the box, unless the user is typing in it.
  useEffect(() => {
    const el = ref.current;
    if (!el || document.activeElement === el) return;
    if (field.type === 'bool') el.checked = Boolean(params[field.key]);
    else el.value = text;
  }, [text]);

  const commit = (raw) => {
    try {
      const value = fieldValue(field, raw);
      setError('');
      onChange(value);
    } catch (e) {
      setError(e.message);
    }
  };

  let control;
  const common = { id, ref, 'aria-invalid': error ? 'true' : 'false', 'aria-describedby': error ? `${id}-error` : undefined };
  if (field.type === 'bool') {
    control = html`<input type="checkbox" ...${common} checked=${Boolean(params[field.key])}
      onChange=${(e) => commit(e.currentTarget.checked)} />`;
  } else if (field.type === 'select') {
    control = html`<select ...${common} value=${text} onChange=${(e) => commit(e.currentTarget.value)}>
      ${field.options.map((o) => html`<option value=${String(o)}>${String(o)}</option>`)}
    </select>`;
  } else if (field.type === 'int' || field.type === 'number') {
    control = html`<input type="number" ...${common} defaultValue=${text} step=${field.type === 'int' ? 1 : field.step ?? 'any'}
      min=${field.min} onInput=${(e) => { if (e.currentTarget.value !== '') commit(e.currentTarget.value); }}
      onChange=${(e) => { if (e.currentTarget.value === '') commit(fieldText(field, base)); }} />`;
  } else {
    control = html`<input type="text" ...${common} defaultValue=${text} list=${field.list} spellcheck=${false}
      onChange=${(e) => commit(e.currentTarget.value)}
      onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); commit(e.currentTarget.value); } if (e.key === 'Escape') { e.currentTarget.value = text; setError(''); } }} />`;
  }
  return html`
    <div class=${`field ${field.type === 'bool' ? 'field-bool' : ''} ${changed ? 'field-changed' : ''}`}>
      <label for=${id} title=${field.stp ? `STP: ${field.stp}` : undefined}>${field.label}</label>
      ${control}
      ${error && html`<div class="field-error" id=${`${id}-error`} role="alert">${error}</div>`}
    </div>`;
}

// params: the values in force; base: defaults and preset (to mark what the user changed);
// onChange(partial ReconParams); extra: {groupId: vnode} shown first in that group;
// only: the group ids to show (all by default); skip: field keys to leave out.
export function ParamPanels({ params, base, onChange, idPrefix = 'param', extra = {}, open = ['input', 'reconstruction'], skip = [] }) {
  return html`
    <div class="param-panels">
      <datalist id="ring-examples">${RING_EXAMPLES.map((r) => html`<option value=${r}></option>`)}</datalist>
      ${GROUPS.map((group) => html`
        <details class="panel" open=${open.includes(group.id)} data-testid=${`panel-${group.id}`}>
          <summary>${group.title}</summary>
          <div class="panel-body">
            ${extra[group.id]}
            ${group.fields.filter((f) => !skip.includes(f.key)).map((field) => html`
              <${Field} key=${field.key} field=${field} params=${params} base=${base} idPrefix=${idPrefix} onChange=${onChange} />`)}
          </div>
        </details>`)}
    </div>`;
}
