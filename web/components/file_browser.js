// The data browser: the service's data roots, then folders and scans under them (GET /api/files).
// Folders open on click or Enter; a scan is chosen the same way.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatBytes, formatTime } from '../format.js';
import { notifyError } from '../notify.js';

export function FileBrowser({ selected, onSelect, initialPath = '' }) {
  const [listing, setListing] = useState(null);
  const [path, setPath] = useState(initialPath);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    let cancelled = false;
    api.files(path).then((l) => { if (!cancelled) setListing(l); }, (e) => {
      notifyError(e);
      // A folder that went away: back to the roots rather than an empty browser.
      if (path) setPath('');
    });
    return () => { cancelled = true; };
  }, [path]);

  if (!listing) return html`<div class="file-browser" aria-busy="true">Loading…</div>`;
  const entries = path
    ? listing.entries
    : (listing.roots ?? []).map((r) => ({ name: r, path: r, type: 'dir' }));
  const shown = entries.filter((e) => !filter || e.name.toLowerCase().includes(filter.toLowerCase()));
  const open = (entry) => (entry.type === 'dir' ? setPath(entry.path) : entry.type === 'scan' && onSelect(entry.path));

  return html`
    <div class="file-browser" data-testid="file-browser">
      <div class="file-browser-path">
        <button type="button" disabled=${!path} onClick=${() => setPath(listing.parent ?? '')} aria-label="Up one folder" data-testid="files-up">↑</button>
        <span class="path" title=${path}>${path || 'Data roots'}</span>
      </div>
      <input type="search" placeholder="Filter names" aria-label="Filter file names" value=${filter}
        onInput=${(e) => setFilter(e.currentTarget.value)} />
      <ul class="file-list" role="list">
        ${shown.map((entry) => html`
          <li key=${entry.path}>
            <button type="button" class=${`file file-${entry.type} ${entry.path === selected ? 'selected' : ''}`}
              disabled=${entry.type === 'file'} data-path=${entry.path} data-testid=${`file-${entry.name}`}
              onClick=${() => open(entry)} title=${entry.path}>
              <span class="file-icon" aria-hidden="true">${entry.type === 'dir' ? '📁' : entry.type === 'scan' ? '◉' : '·'}</span>
              <span class="file-name">${entry.name}</span>
              ${entry.type !== 'dir' && entry.size !== undefined && html`<span class="file-meta">${formatBytes(entry.size)}</span>`}
              ${entry.modified && html`<span class="file-meta">${formatTime(entry.modified)}</span>`}
            </button>
          </li>`)}
        ${shown.length === 0 && html`<li class="empty">Nothing here</li>`}
      </ul>
      ${listing.truncated && html`<p class="hint">Only the first entries are shown.</p>`}
    </div>`;
}
