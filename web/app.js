// The app's frame: the three pages behind hash routes (#/interactive, #/live, #/batch), the
// navigation, the WebSocket's state and the message banner. Hash routes need nothing from the
// server (every page is index.html) and survive a reload.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { connect, onStatus } from './events.js';
import { dismiss, onMessages } from './notify.js';
import { InteractivePage } from './pages/interactive.js';
import { LivePage } from './pages/live.js';
import { BatchPage } from './pages/batch.js';

const PAGES = [
  { path: 'interactive', title: 'Interactive', page: InteractivePage },
  { path: 'live', title: 'Live', page: LivePage },
  { path: 'batch', title: 'Batch', page: BatchPage },
];

// "#/interactive?scan=/data/x.tdf" -> {path: 'interactive', query: URLSearchParams}
function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { path: PAGES.some((p) => p.path === path) ? path : 'interactive', query: new URLSearchParams(query) };
}

// Test and benchmark hooks: when a slice was drawn, when a parameter changed.
window.tomoDebug = { changedAt: 0, drawnAt: 0, drawnSeq: 0 };

function Banner() {
  const [messages, setMessages] = useState([]);
  useEffect(() => onMessages(setMessages), []);
  return html`
    <div class="banner" role="status" aria-live="polite" data-testid="messages">
      ${messages.map((m) => html`
        <div class=${`message message-${m.kind}`} key=${m.id} data-kind=${m.kind}>
          <span>${m.text}</span>
          <button type="button" onClick=${() => dismiss(m.id)} aria-label="Dismiss">×</button>
        </div>`)}
    </div>`;
}

function App() {
  const [route, setRoute] = useState(parseHash);
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    // Only the page changes re-render: the interactive page rewrites its own query (the scan).
    const onHash = () => setRoute((r) => { const next = parseHash(); return next.path === r.path ? r : next; });
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => onStatus(setStatus), []);
  useEffect(() => {
    const page = PAGES.find((p) => p.path === route.path);
    document.title = `${page.title} — tomoedge`;
  }, [route.path]);
  const Page = PAGES.find((p) => p.path === route.path).page;
  return html`
    <header class="top">
      <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to the page</a>
      <span class="brand">tomoedge</span>
      <nav aria-label="Pages">
        ${PAGES.map((p) => html`
          <a href=${`#/${p.path}`} aria-current=${p.path === route.path ? 'page' : undefined} data-testid=${`nav-${p.path}`}>${p.title}</a>`)}
      </nav>
      <span class=${`connection connection-${status}`} data-testid="connection" title="Live events (WebSocket)">
        ${status === 'open' ? 'live' : status === 'connecting' ? 'connecting…' : 'reconnecting…'}
      </span>
    </header>
    <${Banner} />
    <main id="main" tabindex="-1" data-page=${route.path}>
      <${Page} key=${route.path} query=${route.query} />
    </main>`;
}

connect();
render(html`<${App} />`, document.getElementById('app'));
