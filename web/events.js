// The one WebSocket to /api/events, shared by every page. It reconnects with a growing back-off
// (the service restarts, a laptop sleeps) and tells its listeners when it is back, so that pages
// re-fetch what they may have missed (the contract: re-fetch /api/jobs on reconnect).

const listeners = new Map(); // event type -> Set of functions; '*' gets every event
const statusListeners = new Set();
let socket = null;
let delay = 500;
let status = 'connecting';
let pingTimer = null;
let everOpen = false;

function setStatus(next) {
  status = next;
  for (const fn of statusListeners) fn(status);
}

function emit(type, message) {
  for (const fn of listeners.get(type) ?? []) fn(message);
  for (const fn of listeners.get('*') ?? []) fn(message);
}

function eventsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/events`;
}

export function connect() {
  if (socket) return;
  setStatus('connecting');
  socket = new WebSocket(eventsUrl());
  socket.onopen = () => {
    delay = 500;
    setStatus('open');
    // A reconnect means events were missed: pages re-fetch. The first open is not one.
    if (everOpen) emit('reconnected', { type: 'reconnected' });
    everOpen = true;
    // Keeps idle proxies from closing the socket; far below the server's rate limit.
    pingTimer = setInterval(() => send({ type: 'ping' }), 25000);
  };
  socket.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message && typeof message.type === 'string') emit(message.type, message);
  };
  socket.onclose = () => {
    clearInterval(pingTimer);
    socket = null;
    setStatus('closed');
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 8000);
  };
}

export function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

// Returns the function that unsubscribes (what a Preact effect's cleanup wants).
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}

export function onStatus(fn) {
  statusListeners.add(fn);
  fn(status);
  return () => statusListeners.delete(fn);
}
