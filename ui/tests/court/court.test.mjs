// The reference court in a real browser: sign-in through the court's login page with PKCE
// (RFC 8252 loopback redirect), and two headless Chromium pages with fake cameras and
// microphones meeting in the court's WebRTC hearing room.
//
// Needs the `courtside` binary (COURTSIDE_CLI); `cargo xtask test` builds it and sets it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const CLIENT_ID = 'courtside-desktop';
let court;
let base;
let dataDir;
let clerkToken;
let browser;

before(async () => {
  const cli = process.env.COURTSIDE_CLI;
  assert.ok(cli, 'COURTSIDE_CLI must name the courtside binary (cargo xtask test sets it)');
  dataDir = mkdtempSync(join(tmpdir(), 'courtside-court-'));
  court = spawn(cli, ['court', 'serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    court.once('exit', (code) => reject(new Error(`court exited with ${code}`)));
    createInterface({ input: court.stdout }).once('line', resolve);
  });
  base = line.match(/http:\/\/[^\s/]+/)[0];
  clerkToken = readFileSync(join(dataDir, 'clerk-token'), 'utf8').trim();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Fake camera and microphone, granted without a prompt.
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      // Plain host candidates (no mDNS names) so two pages on one machine find each other.
      '--disable-features=WebRtcHideLocalIpsWithMdns'
    ]
  });
});

after(async () => {
  await browser?.close();
  court?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const b64url = (buf) => buf.toString('base64url');

/** Signs in through the court's login page in Chromium; the code comes back to a loopback listener. */
async function signIn(username, password) {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(16));
  let resolveCode;
  const codeArrived = new Promise((r) => (resolveCode = r));
  const listener = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Courtside</title><p>已登录，可返回应用。Signed in; return to the app.</p>');
    resolveCode(url.searchParams);
  });
  await new Promise((r) => listener.listen(0, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${listener.address().port}/callback`;
  const authorize = new URL('/oauth/authorize', base);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri, scope: 'openid profile court', state, code_challenge: challenge, code_challenge_method: 'S256' })) {
    authorize.searchParams.set(k, v);
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(authorize.href);
  await page.fill('#username', username);
  await page.fill('#password', 'wrong');
  await page.click('#submit');
  await page.waitForSelector('#error');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#submit');
  const params = await codeArrived;
  await page.waitForLoadState();
  assert.match(await page.textContent('body'), /Signed in/);
  await context.close();
  listener.close();
  assert.equal(params.get('state'), state);
  assert.equal(params.get('iss'), base);
  const tokens = await tokenRequest({ grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: verifier });
  assert.equal(tokens.token_type, 'Bearer');
  return tokens;
}

async function tokenRequest(form) {
  const response = await fetch(new URL('/oauth/token', base), { method: 'POST', body: new URLSearchParams(form) });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

async function api(method, path, token, body) {
  const response = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * A Courtside of its own (the `courtside` CLI on a fresh data directory and vault), talking
 * to this court: `run` resolves with stdout or rejects with stderr; `login` signs in through
 * the court's login page in Chromium, the way a user's browser would.
 */
function participant() {
  const dir = mkdtempSync(join(dataDir, 'participant-'));
  const env = { ...process.env, COURTSIDE_PASSPHRASE: 'correct horse battery staple', COURTSIDE_COURT_URL: base };
  const start = (args) => spawn(process.env.COURTSIDE_CLI, ['--data-dir', dir, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const finish = (child) =>
    new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err.trim()}`))));
    });
  return {
    run: (args) => finish(start(args)),
    async login(username, password) {
      const child = start(['court', 'login', '--court', base]);
      const done = finish(child);
      const authorize = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(authorize);
      await page.fill('#username', username);
      await page.fill('#password', password);
      await page.click('#submit');
      await page.waitForLoadState();
      await context.close();
      assert.match(await done, new RegExp(`signed in as ${username.replace('.', '\\.')}`));
    }
  };
}

test('sign-in through the court login page with PKCE, then refresh', async () => {
  const tokens = await signIn('wang.lawyer', 'demo-lawyer-2026');
  const me = await api('GET', '/v1/me', tokens.access_token);
  assert.equal(me.username, 'wang.lawyer');
  const renewed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: CLIENT_ID });
  assert.notEqual(renewed.access_token, tokens.access_token);
  assert.equal((await api('GET', '/v1/me', renewed.access_token)).username, 'wang.lawyer');
});

test('two participants sign in with the app, check in, and meet in the hearing room through the tickets it got', async () => {
  const parties = [['zhang.san', 'demo-litigant-1'], ['li.si', 'demo-litigant-2']];
  const theCase = await api('POST', '/clerk/v1/cases', clerkToken, { caseType: 'civil-contract', title: '张三诉李四买卖合同纠纷', parties: parties.map((p) => p[0]) });
  const hearing = await api('POST', '/clerk/v1/hearings', clerkToken, {
    caseId: theCase.id, title: '开庭审理', startsAt: new Date(Date.now() + 600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    durationMinutes: 60, platform: 'court-room', questions: []
  });
  // Each participant is a Courtside with its own vault: sign in through the court's login
  // page, pull the notice, check in, and take the room address the join ticket names.
  const rooms = [];
  for (const [user, pass] of parties) {
    const app = participant();
    await app.run(['vault', 'init']);
    await app.login(user, pass);
    assert.match(await app.run(['sync', 'run', '--court', base]), /news\thearing/);
    const listed = await app.run(['hearing', 'list']);
    assert.ok(listed.includes(hearing.id), listed);
    await assert.rejects(app.run(['hearing', 'join', hearing.id]), /check/i, 'no ticket before the check-in');
    assert.match(
      await app.run(['hearing', 'check-in', hearing.id, '--camera', '--microphone', '--speaker', '--quiet', '--lit', '--alone', '--confirm-identity', '--acknowledge-rules']),
      /^checked in at \d{4}-/
    );
    const room = (await app.run(['hearing', 'join', hearing.id])).trim();
    assert.ok(room.startsWith(`${base}/rooms/${hearing.id}?`), room);
    rooms.push(room);
  }
  const checkIns = await api('GET', `/clerk/v1/hearings/${hearing.id}/check-ins`, clerkToken);
  assert.deepEqual(checkIns.map((c) => c.username), ['li.si', 'zhang.san']);
  for (const c of checkIns) {
    assert.equal(c.check.identityConfirmed, true);
    assert.ok(c.check.deviceCheck.throughputKbps > 0, 'the app measured the network to the court');
  }
  const pages = [];
  for (const room of rooms) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(room);
    pages.push({ page, context, errors });
  }
  for (const { page, errors } of pages) {
    await page.waitForFunction(() => document.body.dataset.connection === 'connected', null, { timeout: 30_000 }).catch(async (e) => {
      throw new Error(`${e.message}; state: ${await page.textContent('#state')}; errors: ${errors.join(' | ')}`);
    });
    // The other side's video is playing.
    await page.waitForFunction(() => [...document.querySelectorAll('#remote video')].some((v) => v.readyState >= 2), null, { timeout: 15_000 });
    assert.deepEqual(errors, []);
  }
  for (const { context } of pages) await context.close();
});
