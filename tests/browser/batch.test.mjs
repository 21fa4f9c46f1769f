// The batch page: add a job in the dialog (typed, or picked with the data browser), edit it, duplicate it, filter and sort the table,
// select all, run, cancel, delete; a job's log; the workers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { api, launchBrowser, openPage, removeDir, screenshot, simulate, startService, waitUntil } from './helpers.mjs';

let browser;
let service;

before(async () => {
  browser = await launchBrowser();
  service = await startService('batch');
  for (const name of ['tooth', 'shell']) {
    await simulate(['--out', path.join(service.root, 'raw', `${name}.tdf`), '--rows', '8', '--columns', '128', '--projections', '180', '--no-truth']);
  }
});

after(async () => {
  await browser?.close();
  await service?.stop();
  if (service) removeDir(service.dir);
});

const rowIds = (page) => page.$$eval('[data-testid=job-row]', (rows) => rows.map((r) => r.dataset.job));
const row = (id) => `[data-testid=job-row][data-job="${id}"]`;

test('the job table: add, edit, duplicate, filter, sort, run, cancel, delete', async () => {
  const page = await openPage(browser, service.url, '#/batch');
  await page.waitForSelector('[data-testid=worker]');

  // Add a held job in the dialog, with a ring filter typed as STP writes it.
  await page.click('#job-add');
  await page.fill('#job-input', path.join(service.root, 'raw', 'tooth.tdf'));
  await page.fill('#job-output', path.join(service.root, 'recon', 'tooth'));
  await page.click('[data-testid=job-form] [data-testid=panel-preprocessing] summary');
  await page.fill('#job-param-rings', 'rivers:31;0');
  await page.press('#job-param-rings', 'Enter');
  await page.click('#job-save');
  await waitUntil('the new job in the table', async () => (await rowIds(page)).length === 1);
  const [first] = await rowIds(page);
  assert.match(await page.textContent(row(first)), /rivers:31;0/);
  assert.equal(await page.getAttribute(row(first), 'data-state'), 'held');

  // A refused submission shows the server's message in the dialog.
  await page.click('#job-add');
  await page.fill('#job-input', '/nowhere/at/all.tdf');
  await page.fill('#job-output', path.join(service.root, 'recon', 'x'));
  await page.click('#job-save');
  const error = await page.waitForSelector('[data-testid=job-form-error]');
  assert.match(await error.textContent(), /nowhere/);
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=job-form]', { state: 'detached' });

  // Edit: a new centre offset and sample name.
  await page.check(`${row(first)} input[type=checkbox]`);
  await page.click('#job-edit');
  await page.fill('#job-sample', 'tooth-a');
  await page.click('[data-testid=job-form] [data-testid=panel-reconstruction] summary');
  await page.fill('#job-param-cor_offset', '1.5');
  await page.click('#job-save');
  await page.waitForSelector('[data-testid=job-form]', { state: 'detached' });
  await waitUntil('the edit in the table', async () => (await page.textContent(row(first))).includes('tooth-a'));
  assert.equal((await api(service.url, 'GET', `/api/jobs/${first}`)).params.cor_offset, 1.5);

  // Duplicate it, then add a second scan's job through the API: three rows.
  await page.click('#job-duplicate');
  await api(service.url, 'POST', '/api/jobs', { input: path.join(service.root, 'raw', 'shell.tdf'), output: path.join(service.root, 'recon', 'shell'), hold: true });
  await waitUntil('three jobs', async () => (await rowIds(page)).length === 3);

  // Filter by name, then sort by sample both ways.
  await page.fill('#job-filter', 'shell');
  await waitUntil('one row left', async () => (await rowIds(page)).length === 1);
  await page.fill('#job-filter', '');
  await page.click('[data-testid=sort-sample]');
  const samples = () => page.$$eval('[data-testid=job-row] .col-sample', (c) => c.map((x) => x.textContent));
  assert.deepEqual(await samples(), ['shell', 'tooth-a', 'tooth-a']);
  await page.click('[data-testid=sort-sample]');
  assert.deepEqual(await samples(), ['tooth-a', 'tooth-a', 'shell']);

  // Select all, run: every job ends done at 100 %.
  await page.click('#job-select-all');
  await page.click('#job-run');
  for (const id of await rowIds(page)) {
    await page.waitForSelector(`${row(id)}[data-state=done] [data-testid=job-progress][data-percent="100"]`, { timeout: 30000 }).catch(async (e) => {
      const jobs = (await api(service.url, 'GET', '/api/jobs')).jobs.map((j) => `${j.id} ${j.state} ${j.slices_written}/${j.slices_total} ${j.log.map((l) => l.message).join(' | ')}`);
      throw new Error(`${e.message}\nthe service's jobs:\n${jobs.join('\n')}\nthe page: ${await page.textContent('[data-testid=job-table]')}\n${await page.textContent('[data-testid=messages]')}`);
    });
  }

  // A job's log, kept by the service and shown on a click.
  await page.click(`${row(first)} .col-id button`);
  await waitUntil('the log', async () => (await page.textContent('[data-testid=job-log]')).includes('done'));

  await screenshot(page, 'web_batch.png');

  // Delete one (after a confirmation): two rows left.
  await page.click('#job-select-all'); // select none
  const ids = await rowIds(page);
  await page.check(`${row(ids[0])} input[type=checkbox]`);
  await page.click('#job-delete');
  await page.click('#confirm-ok');
  await waitUntil('the row gone', async () => !(await rowIds(page)).includes(ids[0]));
  assert.equal((await rowIds(page)).length, 2);
  assert.deepEqual(page.errors, []);
});

test('cancel a job that waits for its scan', async () => {
  const page = await openPage(browser, service.url, '#/batch');
  // A job that follows an acquisition not yet begun waits for it: something to cancel that
  // does not finish first.
  const job = await api(service.url, 'POST', '/api/jobs', {
    input: path.join(service.root, 'incoming', 'later.h5'), output: path.join(service.root, 'recon', 'later'), follow: true,
  });
  await page.waitForSelector(`${row(job.id)}:is([data-state=queued],[data-state=running])`);
  await page.check(`${row(job.id)} input[type=checkbox]`);
  await page.click('#job-cancel');
  await page.waitForSelector(`${row(job.id)}[data-state=cancelled]`, { timeout: 30000 });
  assert.deepEqual(page.errors, []);
});

test('a job that follows its acquisition gets the live rows typed in the dialog', async () => {
  const page = await openPage(browser, service.url, '#/batch');
  await page.click('#job-add');
  await page.fill('#job-input', path.join(service.root, 'incoming', 'chosen.h5'));
  await page.fill('#job-output', path.join(service.root, 'recon', 'chosen'));
  await page.check('#job-follow');
  await page.fill('#job-live-rows', '2, x');
  await page.click('#job-save');
  assert.match(await (await page.waitForSelector('[data-testid=job-form-error]')).textContent(), /row numbers/);
  await page.fill('#job-live-rows', '2, 5');
  await page.click('#job-save');
  await page.waitForSelector('[data-testid=job-form]', { state: 'detached' });
  const { jobs } = await api(service.url, 'GET', '/api/jobs?view=summary');
  const chosen = jobs.find((j) => j.input.endsWith('chosen.h5'));
  assert.deepEqual(chosen.live_rows, [2, 5]);
  assert.equal(chosen.state, 'held');
  assert.deepEqual(page.errors, []);
});

test('add a job by browsing for its scan and output folder', async () => {
  mkdirSync(path.join(service.root, 'results'), { recursive: true });
  const page = await openPage(browser, service.url, '#/batch');
  await page.click('#job-add');

  // The scan, by keyboard: the browser opens on the data roots with the focus in it, Enter
  // opens a folder, and Enter in the filter opens the first match (and saves nothing).
  await page.click('#job-input-browse');
  await page.waitForSelector('[data-testid=job-input-browser] [data-testid=file-browser]');
  await waitUntil('the focus on the data root', () => page.evaluate((root) => document.activeElement?.dataset.path === root, service.root));
  await page.keyboard.press('Enter');
  await page.click('[data-testid=job-input-browser] [data-testid=file-raw]');
  await page.fill('[data-testid=job-input-browser] input[type=search]', 'shell');
  await page.press('[data-testid=job-input-browser] input[type=search]', 'Enter');
  await page.waitForSelector('[data-testid=job-input-browser]', { state: 'detached' });
  const scan = path.join(service.root, 'raw', 'shell.tdf');
  assert.equal(await page.inputValue('#job-input'), scan);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'job-input');
  // An empty output is filled as the interactive page fills it.
  assert.equal(await page.inputValue('#job-output'), path.join(service.root, 'raw', 'reconstructions', 'shell'));

  // Escape closes the browser, not the dialog.
  await page.click('#job-output-browse');
  await page.waitForSelector('[data-testid=job-output-browser] [data-testid=file-browser]');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=job-output-browser]', { state: 'detached' });
  assert.ok(await page.isVisible('[data-testid=job-form]'), 'Escape in the browser closed the dialog');

  // The output folder, by mouse: a folder not made yet opens the roots (quietly).
  await page.click('#job-output-browse');
  await page.click(`[data-testid=job-output-browser] [data-testid="file-${service.root}"]`);
  // A scan cannot be an output folder: shown, not choosable.
  await page.click('[data-testid=job-output-browser] [data-testid=file-raw]');
  assert.ok(await page.isDisabled('[data-testid=job-output-browser] [data-testid="file-shell.tdf"]'));
  await page.click('[data-testid=job-output-browser] [data-testid=files-up]');
  await page.click('[data-testid=job-output-browser] [data-testid=file-results]');
  await waitUntil('the results folder shown', async () => (await page.textContent('[data-testid=job-output-browser] .path')) === path.join(service.root, 'results'));
  await page.click('[data-testid=job-output-browser] [data-testid=files-choose-folder]');
  assert.equal(await page.inputValue('#job-output'), path.join(service.root, 'results'));

  await page.click('#job-save');
  await page.waitForSelector('[data-testid=job-form]', { state: 'detached' });
  const { jobs } = await api(service.url, 'GET', '/api/jobs?view=summary');
  const added = jobs.find((j) => j.output === path.join(service.root, 'results'));
  assert.ok(added, 'no job with the browsed output folder');
  assert.equal(added.input, scan);
  assert.equal(added.state, 'held');
  assert.equal(await page.$('[data-testid=messages] [data-kind=error]'), null, 'an error was shown');
  assert.deepEqual(page.errors, []);
});
