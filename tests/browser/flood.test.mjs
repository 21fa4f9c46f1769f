// A page that floods the event socket is closed (1008, with a reason), and only it: another
// page's socket keeps receiving events and the service still answers /api/health.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { api, launchBrowser, openPage, removeDir, simulate, startService, waitUntil } from './helpers.mjs';

let browser;
let service;

before(async () => {
  browser = await launchBrowser();
  service = await startService('flood');
  await simulate(['--out', path.join(service.root, 'scan.tdf'), '--rows', '8', '--columns', '128', '--projections', '180', '--no-truth']);
});

after(async () => {
  await browser?.close();
  await service?.stop();
  if (service) removeDir(service.dir);
});

test('a flooding socket is closed with 1008; others keep receiving', async () => {
  // The bystander: the batch page, whose socket follows the jobs.
  const bystander = await openPage(browser, service.url, '#/batch');
  await waitUntil('the bystander\'s events', async () => (await bystander.textContent('[data-testid=connection]')).includes('live'));
  await bystander.evaluate(() => {
    // Count what its own second socket receives, beside the app's.
    window.received = [];
    const ws = new WebSocket(`ws://${location.host}/api/events`);
    ws.onmessage = (e) => window.received.push(JSON.parse(e.data).type);
    window.bystanderSocket = ws;
    return new Promise((resolve) => { ws.onopen = resolve; });
  });

  const flooder = await openPage(browser, service.url, '#/interactive');
  const closed = await flooder.evaluate(() => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/api/events`);
    const timer = setTimeout(() => resolve({ code: 'not closed within 10 s' }), 10000);
    ws.onclose = (e) => { clearTimeout(timer); resolve({ code: e.code, reason: e.reason }); };
    ws.onopen = () => {
      for (let i = 0; i < 1000; i++) {
        if (ws.readyState !== WebSocket.OPEN) break;
        ws.send(JSON.stringify({ type: 'ping', n: i }));
      }
    };
  }));
  assert.equal(closed.code, 1008, `the flooding socket: ${JSON.stringify(closed)}`);
  assert.ok(closed.reason.length > 0, 'the close frame gives no reason');

  // The service is well: health answers, and the bystander hears of a new job.
  const health = await api(service.url, 'GET', '/api/health');
  assert.equal(health.status, 'ok');
  const job = await api(service.url, 'POST', '/api/jobs', { input: path.join(service.root, 'scan.tdf'), output: path.join(service.root, 'recon'), hold: true });
  await waitUntil('the job event at the bystander', () => bystander.evaluate(() => window.received.includes('job')));
  await bystander.waitForSelector(`[data-testid=job-row][data-job="${job.id}"]`);
  assert.equal(await bystander.evaluate(() => window.bystanderSocket.readyState), 1);
  assert.match(await bystander.textContent('[data-testid=connection]'), /live/);
  assert.deepEqual(bystander.errors, []);
});
