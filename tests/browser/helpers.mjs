// What every browser test shares: a tomoedge service of its own (temporary data root, job
// database and configuration), simulated scans, headless Chromium (Debian's, driven by
// playwright-core; never a browser downloaded by `npx playwright install`), screenshots, and
// waiting for conditions without fixed sleeps.
//
// Missing tools skip a test (exit code 77, CTest's SKIP_RETURN_CODE) on a developer's machine,
// but under CI=true they fail it: CI must really run the browser tests.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const binary = process.env.TOMOEDGE_BINARY || path.join(repoRoot, 'build/cli/tomoedge');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// Exits 77 (skipped) or throws (CI) when the tools are missing; returns playwright's chromium.
export async function requireBrowser() {
  const missing = [];
  let playwright = null;
  try {
    playwright = createRequire(path.join(repoRoot, 'package.json'))('playwright-core');
  } catch {
    missing.push('node_modules/playwright-core (run scripts/setup)');
  }
  if (!existsSync(chromiumPath)) missing.push(`${chromiumPath} (Debian package chromium; or set CHROMIUM)`);
  if (!existsSync(path.join(repoRoot, 'web/vendor/preact.js'))) missing.push('web/vendor/ (run scripts/setup)');
  if (!existsSync(binary)) missing.push(`${binary} (set TOMOEDGE_BINARY)`);
  if (missing.length) {
    const message = `browser test needs: ${missing.join('; ')}`;
    if (process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') throw new Error(message);
    console.log(`SKIP: ${message}`);
    process.exit(77);
  }
  return playwright.chromium;
}

export async function launchBrowser() {
  const chromium = await requireBrowser();
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A fresh temporary folder under the build's test folder (CTest sets TOMO_TEST_TMP) or /tmp.
export function tempDir(name) {
  const base = process.env.TOMO_TEST_TMP || tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `browser-${name}-`));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts `tomoedge serve` on a data root of its own. `config` (an object, or a function of the
// data root giving one, for watch rules) becomes its configuration file; data_roots and database
// default to the temporary folder. Resolves to {url, root, dir, stop(), log()}.
export async function startService(name, config = {}) {
  const dir = tempDir(name);
  const root = path.join(dir, 'data');
  mkdirSync(root, { recursive: true });
  if (typeof config === 'function') config = config(root);
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ data_roots: [root], database: path.join(dir, 'db'), ...config }, null, 2));
  // Port 0 lets the service choose; a build that refuses it gets a port found free here.
  for (const listen of ['127.0.0.1:0', null]) {
    const address = listen ?? `127.0.0.1:${await freePort()}`;
    const service = await spawnService(configFile, root, dir, address);
    if (service) return { ...service, root, dir };
  }
  throw new Error('tomoedge serve did not start');
}

function spawnService(configFile, root, dir, listen) {
  const child = spawn(binary, ['serve', '--listen', listen, '--data-root', root, '--db', path.join(dir, 'db'), '--config', configFile],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => { stderr += d; if (process.env.TOMO_BROWSER_VERBOSE) process.stderr.write(d); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`tomoedge serve printed no URL in 20 s:\n${stderr}`)); }, 20000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n')[0];
      if (!stdout.includes('\n')) return;
      clearTimeout(timer);
      const stop = () => new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10000).unref();
      });
      resolve({ url: line.trim(), stop, log: () => stderr, process: child });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Refused the address (an older build refuses port 0): the caller tries another.
      if (!stdout.includes('\n') && /port 0|listen address/.test(stderr)) resolve(null);
      else if (!stdout.includes('\n')) reject(new Error(`tomoedge serve exited with ${code}:\n${stderr}`));
    });
  });
}

// `tomoedge simulate` with the given arguments; resolves when the scan is written.
export async function simulate(args) {
  const out = args[args.indexOf('--out') + 1];
  mkdirSync(path.dirname(out), { recursive: true });
  await promisify(execFile)(binary, ['simulate', ...args], { maxBuffer: 1 << 24 });
}

// Starts a streamed acquisition (`simulate --stream`); returns the child process.
export function simulateStream(args) {
  const child = spawn(binary, ['simulate', '--stream', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.done = new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`simulate --stream exited with ${code}:\n${stderr}`)))));
  return child;
}

// A REST call from the test itself (node's fetch), throwing the server's error message.
export async function api(url, method, route, body) {
  const response = await fetch(new URL(route, url), {
    method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Polls until fn() returns something truthy; throws with `what` after the timeout.
export async function waitUntil(what, fn, timeoutMs = 20000, intervalMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// A page that collects the app's uncaught errors and console errors (tests expect none). Failed
// requests are left out: the app shows them to the user, and tests provoke some on purpose.
export async function openPage(browser, url, hash, viewport = { width: 1440, height: 900 }) {
  const page = await browser.newPage({ viewport });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  if (process.env.TOMO_BROWSER_CONSOLE) page.on('console', (m) => console.error(m.text()));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.errors.push(`console: ${m.text()}`); });
  await page.goto(new URL(hash, url).href);
  await page.waitForSelector('main[data-page]');
  return page;
}

// Screenshots always go to the build folder (TOMO_BROWSER_OUT, else the temporary folder), and
// into docs/ only with TOMO_SCREENSHOTS=1, so that CI never modifies tracked files.
export async function screenshot(page, name) {
  const out = process.env.TOMO_BROWSER_OUT || path.join(process.env.TOMO_TEST_TMP || tmpdir(), 'browser-screenshots');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, name);
  await page.screenshot({ path: file });
  if (process.env.TOMO_SCREENSHOTS === '1') copyFileSync(file, path.join(repoRoot, 'docs', name));
  return file;
}

export function removeDir(dir) {
  if (!process.env.TOMO_BROWSER_KEEP) rmSync(dir, { recursive: true, force: true });
}
