// Small formatting helpers shared by the pages.

export function formatTime(unixSeconds) {
  if (!unixSeconds) return '';
  const d = new Date(unixSeconds * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// Seconds shown: log lines come several a second.
export function formatClock(unixSeconds) {
  if (!unixSeconds) return '';
  return new Date(unixSeconds * 1000).toTimeString().slice(0, 8);
}

export function formatBytes(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function formatNumber(value, digits = 4) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return '';
  return Number(Number(value).toPrecision(digits)).toString();
}

export function baseName(path) {
  return String(path ?? '').split('/').filter(Boolean).pop() ?? '';
}

export function parentDir(path) {
  const parts = String(path ?? '').split('/');
  parts.pop();
  return parts.join('/') || '/';
}
