// A modal built on <dialog>: the browser gives it focus trapping and Escape for free.
import { useEffect, useRef } from 'preact/hooks';
import { html } from '../html.js';

export function Dialog({ title, onClose, children, testid }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    dialog.showModal();
    const cancel = (e) => { e.preventDefault(); onClose(); };
    dialog.addEventListener('cancel', cancel);
    return () => { dialog.removeEventListener('cancel', cancel); if (dialog.open) dialog.close(); };
  }, []);
  return html`
    <dialog ref=${ref} class="dialog" data-testid=${testid} aria-labelledby=${`${testid}-title`}>
      <h2 id=${`${testid}-title`}>${title}</h2>
      ${children}
    </dialog>`;
}
