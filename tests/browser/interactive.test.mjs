// The interactive page, as a beamline user goes through it: browse to a simulated scan, see its
// summary, change the centre offset and see the slice change, sweep the centre and pick from the
// gallery (keyboard and mouse), sweep δ/β and pick from that gallery, draw a profile, set the contrast, read a server error, add the
// tuned parameters to the batch, run the job there and watch it reach 100 % over the WebSocket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { api, launchBrowser, openPage, removeDir, screenshot, simulate, startService, waitUntil } from './helpers.mjs';

let browser;
let service;
let scan;

before(async () => {
  browser = await launchBrowser();
  service = await startService('interactive');
  scan = path.join(service.root, 'raw', 'bone.tdf');
  // Energy, distance and pixel size in the file: phase retrieval (the δ/β sweep) needs them.
  await simulate(['--out', scan, '--rows', '8', '--columns', '128', '--projections', '180', '--cor-offset', '2.5',
    '--energy', '20', '--distance', '100', '--pixel-size', '2', '--delta-beta', '100', '--no-truth']);
});

after(async () => {
  await browser?.close();
  await service?.stop();
  if (service) removeDir(service.dir);
});

const drawn = (page) => page.$eval('[data-testid=slice-view]', (c) => Number(c.dataset.drawn ?? 0));
const pixels = (page) => page.$eval('[data-testid=slice-view]', (c) => c.toDataURL());
async function nextDrawing(page, after) {
  await waitUntil('a new slice drawn', async () => (await drawn(page)) > after);
  return drawn(page);
}

test('tune a slice, sweep the centre and δ/β, add to the batch and run it', async () => {
  const page = await openPage(browser, service.url, '#/interactive');

  // The data browser: the root, its folder, the scan.
  await page.click(`[data-testid="file-${service.root}"]`);
  await page.click('[data-testid="file-raw"]');
  await page.click('[data-testid="file-bone.tdf"]');
  await page.waitForSelector('[data-testid=scan-summary]');
  assert.match(await page.textContent('[data-testid=scan-summary]'), /180 × 8 × 128/);

  // The first preview, then a centre offset change redraws a different slice.
  let seq = await nextDrawing(page, 0);
  const before = await pixels(page);
  await page.fill('#param-cor_offset', '8');
  seq = await nextDrawing(page, seq);
  assert.notEqual(await pixels(page), before, 'the slice did not change with the centre offset');
  assert.match(await page.textContent('[data-testid=preview-status]'), /128×128/);

  // The sweep around the offset in force (8): 2.5 ... 6.5, picked with the keyboard then the mouse.
  await page.fill('#sweep-from', '-5.5');
  await page.fill('#sweep-to', '-1.5');
  await page.fill('#sweep-step', '1');
  await page.click('#sweep-run');
  await waitUntil('5 thumbnails', async () => (await page.$$('[data-testid=sweep-thumb]')).length === 5);
  const values = await page.$$eval('[data-testid=sweep-thumb]', (t) => t.map((x) => Number(x.dataset.value)));
  assert.deepEqual(values, [2.5, 3.5, 4.5, 5.5, 6.5]);
  await page.focus('[data-testid=sweep-thumb][tabindex="0"]');
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  seq = await nextDrawing(page, seq);
  assert.equal(await page.inputValue('#param-cor_offset'), '3.5');
  await page.click('[data-testid=sweep-thumb][data-value="2.5"]');
  seq = await nextDrawing(page, seq);
  assert.equal(await page.inputValue('#param-cor_offset'), '2.5');
  assert.equal(await page.getAttribute('[data-testid=sweep-thumb][data-value="2.5"]', 'aria-selected'), 'true');

  // δ/β: proposed values while none is in force (50 … 500); with phase retrieval off the
  // service's refusal reaches the user.
  await page.selectOption('#sweep-parameter', 'delta-beta');
  const range = async () => [await page.inputValue('#sweep-from'), await page.inputValue('#sweep-to'), await page.inputValue('#sweep-step')];
  assert.deepEqual(await range(), ['50', '500', '50']);
  await page.click('#sweep-run');
  const refused = await page.waitForSelector('[data-testid=messages] [data-kind=error]');
  assert.match(await refused.textContent(), /phase_method/);
  await page.click('[data-testid=messages] [data-kind=error] button');

  // Phase retrieval on, a shorter sweep; then off again: picking a thumbnail (keyboard) sets
  // δ/β and turns phase retrieval back on with the sweep's method.
  // (Paganin refuses δ/β 0, so a δ/β first.)
  await page.click('[data-testid=panel-phase] summary');
  await page.fill('#param-delta_over_beta', '10');
  seq = await nextDrawing(page, seq);
  await page.selectOption('#param-phase_method', 'paganin');
  seq = await nextDrawing(page, seq);
  await page.fill('#sweep-to', '200');
  await page.click('#sweep-run');
  await waitUntil('4 δ/β thumbnails', async () => (await page.$$('[data-testid=sweep-thumb][data-value="200"]')).length === 1);
  assert.deepEqual(await page.$$eval('[data-testid=sweep-thumb]', (t) => t.map((x) => Number(x.dataset.value))), [50, 100, 150, 200]);
  assert.match(await page.getAttribute('[data-testid=sweep-gallery]', 'aria-label'), /δ\/β/);
  await page.selectOption('#param-phase_method', 'none');
  seq = await nextDrawing(page, seq);
  const phaseOff = await pixels(page);
  await page.focus('[data-testid=sweep-thumb][tabindex="0"]');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  seq = await nextDrawing(page, seq);
  assert.equal(await page.inputValue('#param-delta_over_beta'), '200');
  assert.equal(await page.inputValue('#param-phase_method'), 'paganin');
  assert.notEqual(await pixels(page), phaseOff, 'the slice did not change with phase retrieval');
  const at200 = await pixels(page);
  await page.click('[data-testid=sweep-thumb][data-value="100"]');
  seq = await nextDrawing(page, seq);
  assert.equal(await page.inputValue('#param-delta_over_beta'), '100');
  assert.notEqual(await pixels(page), at200, 'the slice did not change with δ/β');
  assert.equal(await page.getAttribute('[data-testid=sweep-thumb][data-value="100"]', 'aria-selected'), 'true');
  // Back to the centre: its range was kept; δ/β's is proposed around the value now in force.
  await page.selectOption('#sweep-parameter', 'cor');
  assert.deepEqual(await range(), ['-5.5', '-1.5', '1']);
  await page.selectOption('#sweep-parameter', 'delta-beta');
  assert.deepEqual(await range(), ['50', '500', '50']);

  // A line profile (the P key: the middle row) and the histogram.
  await page.focus('[data-testid=slice-view]');
  await page.keyboard.press('p');
  await page.waitForSelector('[data-testid=profile] canvas');
  await page.waitForSelector('[data-testid=histogram] canvas');

  // A contrast window typed in: the server draws the slice in it.
  await page.fill('#window-lo', '0');
  await page.press('#window-lo', 'Enter');
  seq = await nextDrawing(page, seq);

  // A parameter the service refuses: its message reaches the user.
  await page.fill('#param-filter_cutoff', '7');
  const error = await page.waitForSelector('[data-testid=messages] [data-kind=error]');
  assert.ok((await error.textContent()).trim().length > 10, 'the error banner is empty');
  await page.fill('#param-filter_cutoff', '1');
  seq = await nextDrawing(page, seq);
  await page.click('[data-testid=messages] [data-kind=error] button');

  await screenshot(page, 'web_interactive.png');

  // Add to the batch: a held job with the tuned centre offset.
  await page.fill('#batch-output', path.join(service.root, 'recon', 'bone'));
  await page.click('#add-to-batch');
  const added = await page.waitForSelector('[data-testid=added-job]');
  const id = (await added.textContent()).match(/Job (\d+)/)[1];
  const job = await api(service.url, 'GET', `/api/jobs/${id}`);
  assert.equal(job.state, 'held');
  assert.equal(job.params.cor_offset, 2.5);
  assert.equal(job.params.phase_method, 'paganin');
  assert.equal(job.params.delta_over_beta, 100);

  // Run it from the batch page; its progress arrives over the WebSocket, not by re-fetching.
  await page.click('[data-testid=nav-batch]');
  const row = `[data-testid=job-row][data-job="${id}"]`;
  await page.waitForSelector(`${row}[data-state=held]`);
  await waitUntil('the live events', async () => (await page.textContent('[data-testid=connection]')).includes('live'));
  let listFetches = 0;
  page.on('request', (r) => { if (r.url().includes('/api/jobs?')) listFetches++; });
  await page.check(`${row} input[type=checkbox]`);
  await page.click('#job-run');
  await page.waitForSelector(`${row}[data-state=done] [data-testid=job-progress][data-percent="100"]`, { timeout: 30000 });
  assert.equal(listFetches, 0, 'the table re-fetched the job list instead of following the events');
  assert.deepEqual(page.errors, []);
});
