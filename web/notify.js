// Messages for the user: every failed request ends here with the server's own words, shown in
// one banner at the top of the page until dismissed (errors) or for a few seconds (notes).
const listeners = new Set();
let messages = [];
let next = 1;

function publish() {
  for (const fn of listeners) fn(messages);
}

export function notify(text, kind = 'info') {
  const id = next++;
  messages = [...messages, { id, text, kind }].slice(-5);
  publish();
  if (kind !== 'error') setTimeout(() => dismiss(id), 5000);
}

export function notifyError(error) {
  if (error?.name === 'AbortError') return;
  notify(error?.message ?? String(error), 'error');
}

export function dismiss(id) {
  messages = messages.filter((m) => m.id !== id);
  publish();
}

export function onMessages(fn) {
  listeners.add(fn);
  fn(messages);
  return () => listeners.delete(fn);
}
