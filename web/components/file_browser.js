// The data browser: the service's data roots, then folders and scans under them (GET /api/files).
// Folders open on click or Enter; a scan is chosen the same way. With pick="folder" (an output
// folder) scans are shown but not choosable, and "Use this folder" chooses the folder shown.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatBytes, formatTime } from '../format.js';
import { notifyError } from '../notify.js';

export function FileBrowser({ selected, onSelect, initialPath = '', pick = 'scan', autoFocus = false }) {
  const [listing, setListing] = useState(null);
  const [path, setPath] = useState(initialPath);
  const [filter, setFilter] = useState('');
  const rootRef = useRef(null);
  // Opening a folder replaces the button that had the focus: without this, a keyboard user
  // would be thrown back to the top of the page after every Enter.
  const focusFirst = useRef(autoFocus);

  useEffect(() => {
    let cancelled = false;
    api.files(path).then((l) => { if (!cancelled) setListing(l); }, (e) => {
      // A folder that went away: back to the roots rather than an empty browser. A starting
      // folder is the caller's guess (an output folder not made yet): no message for that.
      if (path !== initialPath) notifyError(e);
      if (path) setPath('');
    });
    return () => { cancelled = true; };
  }, [path]);

  useEffect(() => {
    if (!listing || !focusFirst.current) return;
    focusFirst.current = false;
    const target = rootRef.current?.querySelector('.file-list button:not(:disabled)') ?? rootRef.current?.querySelector('input[type=search]');
    target?.focus();
  }, [listing]);

  if (!listing) return html`<div class="file-browser" aria-busy="true">Loading…</div>`;
  // The folder the listing is of (not the one asked for, which may still be loading), so that
  // its name, its entries and "Use this folder" always agree.
  const here = listing.path ?? '';
  const entries = here
    ? listing.entries
    : (listing.roots ?? []).map((r) => ({ name: r, path: r, type: 'dir' }));
  const shown = entries.filter((e) => !filter || e.name.toLowerCase().includes(filter.toLowerCase()));
  const choosable = (entry) => entry.type === 'dir' || (pick === 'scan' && entry.type === 'scan');
  const go = (next) => {
    focusFirst.current = true;
    setFilter('');
    setPath(next);
  };
  const open = (entry) => (entry.type === 'dir' ? go(entry.path) : choosable(entry) && onSelect(entry.path));
  // Enter in the filter opens the first match, and must not submit a surrounding form (the job dialog).
  const onFilterKey = (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const first = shown.find(choosable);
    if (first) open(first);
  };

  return html`
    <div class="file-browser" data-testid="file-browser" ref=${rootRef}>
      <div class="file-browser-path">
        <button type="button" disabled=${!here} onClick=${() => go(listing.parent ?? '')} aria-label="Up one folder" data-testid="files-up">↑</button>
        <span class="path" title=${here}>${here || 'Data roots'}</span>
      </div>
      <input type="search" placeholder="Filter names" aria-label="Filter file names" value=${filter}
        onInput=${(e) => setFilter(e.currentTarget.value)} onKeyDown=${onFilterKey} />
      <ul class="file-list" role="list">
        ${shown.map((entry) => html`
          <li key=${entry.path}>
            <button type="button" class=${`file file-${entry.type} ${entry.path === selected ? 'selected' : ''}`}
              disabled=${!choosable(entry)} data-path=${entry.path} data-testid=${`file-${entry.name}`}
              onClick=${() => open(entry)} title=${entry.path}>
              <span class="file-icon" aria-hidden="true">${entry.type === 'dir' ? '📁' : entry.type === 'scan' ? '◉' : '·'}</span>
              <span class="file-name">${entry.name}</span>
              ${entry.type !== 'dir' && entry.size !== undefined && html`<span class="file-meta">${formatBytes(entry.size)}</span>`}
              ${entry.modified ? html`<span class="file-meta">${formatTime(entry.modified)}</span>` : null}
            </button>
          </li>`)}
        ${shown.length === 0 && html`<li class="empty">Nothing here</li>`}
      </ul>
      ${listing.truncated && html`<p class="hint">Only the first entries are shown.</p>`}
      ${pick === 'folder' && html`
        <button type="button" class="primary" data-testid="files-choose-folder" disabled=${!here}
          onClick=${() => onSelect(here)} title=${here || 'Open a data root first'}>Use this folder</button>`}
    </div>`;
}
