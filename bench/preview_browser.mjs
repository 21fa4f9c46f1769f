#!/usr/bin/env node
// Interactive preview in the browser (issue 8): the time from changing the centre-offset input
// to the new slice drawn on the page's canvas, with the service's caches warm (the same scan,
// row and parameters but the offset, so the preview reuses the preprocessed sinogram).
// Two cases: a 2048-column x 1800-projection scan, and a 1024-column one using every 2nd
// projection. Headless Debian chromium (playwright-core) against a real `tomoedge serve`.
//
//   node bench/preview_browser.mjs [--changes N] [--only 2048|1024]
//   TOMOEDGE_BINARY=build/cli/tomoedge (default) CHROMIUM=/usr/bin/chromium (default)
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { launchBrowser, openPage, removeDir, simulate, startService, waitUntil } from '../tests/browser/helpers.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const changes = Number(option('--changes', 25));
const only = option('--only', '');

const cases = [
  { name: '2048 columns x 1800 projections', columns: 2048, projections: 1800, params: {} },
  { name: '1024 columns x 1800 projections, every 2nd', columns: 1024, projections: 1800, params: { projection_step: 2 } },
].filter((c) => !only || String(c.columns) === only);

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};

function machine() {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.arch();
  return `${cpu.trim()}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

// One parameter change in the page: set the input and fire its input event (what typing or the
// arrow keys do), then wait for the canvas to draw the answer. Times are the page's own clock.
async function change(page, value) {
  const seq = await page.evaluate(() => window.tomoDebug.drawnSeq);
  const started = await page.evaluate((v) => {
    const input = document.getElementById('param-cor_offset');
    const t0 = performance.now();
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return t0;
  }, value);
  await waitUntil('the new slice', () => page.evaluate((s) => window.tomoDebug.drawnSeq > s, seq), 60000, 2);
  // The request's own span (server and transfer) from the Resource Timing API; the rest is the
  // browser's: parsing the JSON, decoding the PNG, drawing.
  return page.evaluate((t0) => {
    const requests = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/preview') && e.startTime >= t0);
    performance.clearResourceTimings();
    const request = requests.length ? requests.at(-1).responseEnd - requests[0].startTime : NaN;
    return { ms: window.tomoDebug.drawnAt - t0, request, server: window.tomoDebug.lastPreview };
  }, started);
}

const browser = await launchBrowser();
const service = await startService('bench-preview');
const results = [];
try {
  for (const c of cases) {
    const scan = path.join(service.root, `bench_${c.columns}.tdf`);
    process.stderr.write(`simulating ${c.name}...\n`);
    await simulate(['--out', scan, '--rows', '4', '--columns', String(c.columns), '--projections', String(c.projections), '--no-truth', '--cor-offset', '3']);
    const page = await openPage(browser, service.url, `#/interactive?scan=${encodeURIComponent(scan)}`);
    await waitUntil('the first slice', () => page.evaluate(() => window.tomoDebug.drawnSeq >= 1), 120000, 20);
    if (c.params.projection_step) {
      await page.fill('#param-projection_step', String(c.params.projection_step));
      await waitUntil('the decimated slice', () => page.evaluate(() => window.tomoDebug.drawnSeq >= 2), 120000, 20);
    }
    // Warm-up: two changes fill the service's caches for this row and parameters.
    await change(page, 0.25);
    await change(page, 0.75);
    const times = [];
    const server = [];
    const requests = [];
    for (let i = 0; i < changes; i++) {
      const r = await change(page, 1 + i * 0.5);
      times.push(r.ms);
      requests.push(r.request);
      if (r.server) server.push(r.server.seconds * 1000);
    }
    const reused = (await page.evaluate(() => window.tomoDebug.lastPreview?.reused)) ?? '?';
    results.push({ ...c, median: quantile(times, 0.5), p90: quantile(times, 0.9), serverMedian: server.length ? quantile(server, 0.5) : NaN, requestMedian: quantile(requests, 0.5), reused, n: times.length });
    process.stderr.write(`${c.name}: median ${quantile(times, 0.5).toFixed(0)} ms, p90 ${quantile(times, 0.9).toFixed(0)} ms\n`);
    await page.close();
  }
} finally {
  await browser.close();
  await service.stop();
  removeDir(service.dir);
}

console.log(`Machine: ${machine()}; headless Chromium (${process.env.CHROMIUM || '/usr/bin/chromium'}), playwright-core`);
console.log(`Command: \`node bench/preview_browser.mjs --changes ${changes}\``);
console.log('');
console.log('| scan slice | changes | input → drawn, median (ms) | p90 (ms) | of which the request (median, ms) | server `seconds` (median, ms) | reused |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.name} | ${r.n} | ${r.median.toFixed(0)} | ${r.p90.toFixed(0)} | ${r.requestMedian.toFixed(0)} | ${Number.isFinite(r.serverMedian) ? r.serverMedian.toFixed(0) : '—'} | ${r.reused} |`);
}
