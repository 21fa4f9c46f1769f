// A modal built on <dialog>: the browser gives it focus trapping and Escape for free.
import { useEffect, useRef } from 'preact/hooks';
import { html } from '../html.js';

export function Dialog({ title, onClose, children, testid }) {
  const ref = useRef(null);
  // The latest onClose, not the first: what Escape means can change while the dialog is open
  // (the job dialog's inline data browser closes first).
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const dialog = ref.current;
    dialog.showModal();
    const cancel = (e) => { e.preventDefault(); close.current(); };
    dialog.addEventListener('cancel', cancel);
    return () => { dialog.removeEventListener('cancel', cancel); if (dialog.open) dialog.close(); };
  }, []);
  return html`
    <dialog ref=${ref} class="dialog" data-testid=${testid} aria-labelledby=${`${testid}-title`}>
      <h2 id=${`${testid}-title`}>${title}</h2>
      ${children}
    </dialog>`;
}
