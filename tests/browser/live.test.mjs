// The live page: a scan acquired into a watched folder becomes a live job; its chosen slice
// appears in the browser and sharpens (more projections) while the acquisition's progress grows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { launchBrowser, openPage, removeDir, screenshot, simulateStream, startService, waitUntil } from './helpers.mjs';

let browser;
let service;

before(async () => {
  browser = await launchBrowser();
  // Every scan written into incoming/ becomes a live job (as config/demo.json's rule does).
  service = await startService('live', (root) => (mkdirSync(path.join(root, 'incoming')), {
    watch_poll_ms: 100,
    presets: { live: { method: 'fbp', filter: 'shepp-logan', cor_offset: 2.5 } },
    watch: [{ name: 'live', pattern: path.join(root, 'incoming', '*.h5'), preset: 'live', output: path.join(root, 'recon', '{sample}'), when: 'live' }],
  }));
});

after(async () => {
  await browser?.close();
  await service?.stop();
  if (service) removeDir(service.dir);
});

test('a streamed scan\'s live slice appears and sharpens', async () => {
  const page = await openPage(browser, service.url, '#/live');
  await waitUntil('the live events', async () => (await page.textContent('[data-testid=connection]')).includes('live'));

  const acquisition = simulateStream(['--rate', '60', '--out', path.join(service.root, 'incoming', 'snail.h5'), '--projections', '720',
    '--rows', '8', '--columns', '256', '--cor-offset', '2.5', '--defective-columns', '0', '--no-truth']);
  try {
    // The job appears with the scan, and the acquisition's progress moves.
    const card = await page.waitForSelector('[data-testid=live-job]', { timeout: 20000 });
    const id = await card.getAttribute('data-job');
    await waitUntil('the acquisition progress', async () => Number(await page.getAttribute('[data-testid=acquisition-progress]', 'data-percent')) > 0);
    const live = await fetch(new URL(`/api/jobs/${id}/live`, service.url));
    assert.ok(live.ok, `GET /api/jobs/${id}/live: ${live.status} ${await live.text()} (the contract's live_slice events and this route are needed)`);

    // Its slice appears and sharpens: a later one holds more projections and another image.
    const img = await page.waitForSelector('[data-testid=live-slice]', { timeout: 20000 });
    const firstCount = Number(await img.getAttribute('data-projections'));
    const firstPng = await img.getAttribute('src');
    assert.ok(firstCount > 0 && firstCount < 720, `the first live slice came after ${firstCount} projections`);
    await waitUntil('a sharper slice', async () => Number(await page.getAttribute('[data-testid=live-slice]', 'data-projections')) >= Math.min(720, firstCount + 120));
    assert.notEqual(await page.getAttribute('[data-testid=live-slice]', 'src'), firstPng);
    const percent = Number(await page.getAttribute('[data-testid=acquisition-progress]', 'data-percent'));
    assert.ok(percent > 0, 'the acquisition progress did not move');
    await screenshot(page, 'web_live.png');
    await acquisition.done;
    await page.waitForSelector('[data-testid=live-job] [data-testid=acquisition-progress][data-percent="100"]', { timeout: 30000 });
    await page.waitForSelector('[data-testid=live-job] [data-testid=slices-progress][data-percent="100"]', { timeout: 30000 });
  } finally {
    acquisition.kill();
  }
  assert.deepEqual(page.errors, []);
});
