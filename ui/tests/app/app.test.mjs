// The real desktop app (release build) under Xvfb, driven over WebDriver.
// Needs COURTSIDE_APP_BINARY (set by `cargo xtask test`) and DISPLAY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Session, freePort, startDriver } from '../support/webdriver.mjs';

const APP = process.env.COURTSIDE_APP_BINARY;
const SCREENSHOTS = process.env.COURTSIDE_SCREENSHOT_DIR;

/** The environment of an app on `dataDir` in the OS locale `locale`. */
function appEnv(locale, dataDir) {
  const lang = locale === 'zh-CN' ? 'zh_CN.UTF-8' : 'en_US.UTF-8';
  // The webview keeps its own storage (UI preferences) under the XDG directories: point
  // them into the test's directory too, so every test starts as a first run.
  return {
    COURTSIDE_DATA_DIR: dataDir,
    XDG_DATA_HOME: join(dataDir, 'xdg-data'),
    XDG_CONFIG_HOME: join(dataDir, 'xdg-config'),
    XDG_CACHE_HOME: join(dataDir, 'xdg-cache'),
    // WebKit's GPU shader cache keeps being written while the processes wind down.
    MESA_SHADER_CACHE_DISABLE: 'true',
    LANG: lang,
    LC_ALL: lang,
    LANGUAGE: locale.replace('-', '_')
  };
}

/** Runs `body` with a fresh app on a fresh data directory in the given OS locale. */
async function withApp(locale, body, dataDir = mkdtempSync(join(tmpdir(), 'courtside-app-')), env = {}) {
  assert.ok(APP, 'COURTSIDE_APP_BINARY must name the built app');
  const driver = await startDriver({ ...appEnv(locale, dataDir), ...env });
  const session = await Session.start(driver.url, APP);
  try {
    await body(session, dataDir);
  } finally {
    await session.end();
    await driver.stop();
  }
  return dataDir;
}

/** Removes a test's directory; WebKit helpers that are still exiting may hold it a moment. */
function cleanup(dir) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  } catch (e) {
    console.error(`left ${dir} behind: ${e.message}`);
  }
}

/**
 * Answers the platform's file chooser (GTK under Xvfb) titled `title` with `path`: focus it,
 * open the location field (Ctrl+L), type the path, Enter.
 */
async function answerFileChooser(title, path) {
  // xdotool's name search misses GTK's UTF-8 titles; xwininfo lists them (mapped or not:
  // GTK keeps a closed dialog's window around, so only a viewable one counts).
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  const viewable = (id) => {
    try {
      return execFileSync('xwininfo', ['-id', id]).toString().includes('IsViewable');
    } catch {
      return false;
    }
  };
  let id = null;
  for (let i = 0; i < 100 && !id; i++) {
    const lines = execFileSync('xwininfo', ['-root', '-tree']).toString().split('\n').filter((l) => l.includes(`"${title}"`));
    id = lines.map((l) => l.trim().split(/\s+/)[0]).find(viewable) ?? null;
    if (!id) await pause(200);
  }
  assert.ok(id, `no window titled ${title}`);
  // The window is mapped before its widgets take keys: give it a moment, open the location
  // field (Ctrl+L), type the path, let its completion settle, press Enter.
  await pause(1000);
  execFileSync('xdotool', ['windowfocus', '--sync', id]);
  execFileSync('xdotool', ['key', '--clearmodifiers', 'ctrl+l']);
  execFileSync('xdotool', ['type', '--delay', '30', path]);
  await pause(1000);
  execFileSync('xdotool', ['key', '--clearmodifiers', 'Return']);
  for (let i = 0; i < 40 && viewable(id); i++) await pause(250);
  assert.ok(!viewable(id), 'the file chooser did not close');
}

/** First start: creates the vault with the test passphrase and passes the recovery key. */
async function createVault(s, title) {
  await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === title });
  await s.type(await s.find('[data-testid="passphrase"]'), 'correct horse battery');
  await s.type(await s.find('[data-testid="passphrase-confirm"]'), 'correct horse battery');
  await s.click(await s.find('[data-testid="unlock-submit"]'));
  await s.waitFor('[data-testid="recovery-key"]', { timeout: 30_000 });
  await s.click(await s.find('[data-testid="recovery-saved"]'));
  await s.click(await s.find('[data-testid="recovery-continue"]'));
}

async function shoot(session, name) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, name), await session.screenshot());
}

test('first start follows the OS locale (English), talks to the demo court, and switches language', async () => {
  const dir = await withApp('en-US', async (s) => {
    const title = await s.waitFor('[data-testid="unlock-title"]');
    assert.equal(await s.text(title), 'Create your encrypted vault');
    // IPC round trip: the version shown comes from Rust (app_info), the court state from a
    // real HTTP call to the embedded demo court (check_connectivity).
    const version = await s.waitFor('[data-testid="app-version"]');
    assert.match(await s.text(version), /^Version \d+\.\d+\.\d+$/);
    await s.waitFor('[data-testid="connectivity"] [role="status"]', { text: (t) => t.startsWith('Online') });
    await shoot(s, 'unlock-en.png');

    // Switch to Chinese from the unlock screen.
    await s.execute(
      `const el = document.querySelector('[data-testid="language-select"]');
       el.value = 'zh-CN'; el.dispatchEvent(new Event('change', { bubbles: true }));`
    );
    await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === '创建加密保险库' });
    await s.waitFor('[data-testid="connectivity"] [role="status"]', { text: (t) => t.startsWith('在线') });
    assert.equal(await s.execute('return document.documentElement.lang'), 'zh-CN');
    await shoot(s, 'unlock-zh-CN.png');
  });
  cleanup(dir);
});

/** Viewable top-level windows titled `title`. */
function windowsTitled(title) {
  const lines = execFileSync('xwininfo', ['-root', '-tree']).toString().split('\n').filter((l) => l.includes(`"${title}"`));
  return lines.map((l) => l.trim().split(/\s+/)[0]).filter((id) => {
    try {
      return execFileSync('xwininfo', ['-id', id]).toString().includes('IsViewable');
    } catch {
      return false;
    }
  });
}

test('a second launch on the same data directory ends at once and leaves one process and one window', async () => {
  const dir = await withApp('en-US', async (s, dataDir) => {
    await s.waitFor('[data-testid="unlock-title"]');
    assert.equal(windowsTitled('Courtside').length, 1);
    const second = spawn(APP, [], { env: { ...process.env, ...appEnv('en-US', dataDir) }, stdio: 'ignore' });
    const code = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the second launch is still running after 30 s')), 30_000);
      second.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, 'the second launch ends without an error');
    assert.equal(windowsTitled('Courtside').length, 1, 'one window');
    const running = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0];
        } catch {
          return '';
        }
      })
      .filter((argv0) => argv0 === APP);
    assert.equal(running.length, 1, `one app process: ${running.join(' | ')}`);
    // The first one still answers.
    await s.waitFor('[data-testid="unlock-title"]');
  });
  cleanup(dir);
});

test('Chinese OS locale: create a vault, lock it, a wrong passphrase is refused, the right one opens it', async () => {
  const dir = await withApp('zh-CN', async (s) => {
    await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === '创建加密保险库' });
    await s.type(await s.find('[data-testid="passphrase"]'), 'correct horse battery');
    await s.type(await s.find('[data-testid="passphrase-confirm"]'), 'correct horse battery');
    await s.click(await s.find('[data-testid="unlock-submit"]'));
    const key = await s.waitFor('[data-testid="recovery-key"]', { timeout: 30_000 });
    assert.match(await s.text(key), /^CSRK(-[A-Z2-7]{1,4}){13}$/);
    await s.click(await s.find('[data-testid="recovery-saved"]'));
    await s.click(await s.find('[data-testid="recovery-continue"]'));
    await s.waitFor('[data-testid="nav-cases"]', { text: (t) => t === '案件' });
    await s.click(await s.find('[data-testid="lock"]'));
    await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === '解锁 Courtside' });
  });
  // A restart: the vault is found locked.
  await withApp('zh-CN', async (s) => {
    await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === '解锁 Courtside' });
    const input = await s.find('[data-testid="passphrase"]');
    await s.type(input, 'not the passphrase');
    await s.click(await s.find('[data-testid="unlock-submit"]'));
    await s.waitFor('[data-testid="unlock-error"]', { timeout: 30_000, text: (t) => t === '该口令无法打开此保险库。' });
    await s.execute(`const el = arguments[0]; el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true }));`, [{ 'element-6066-11e4-a52e-4f735466cecf': input }]);
    await s.type(input, 'correct horse battery');
    await s.click(await s.find('[data-testid="unlock-submit"]'));
    await s.waitFor('[data-testid="nav-settings"]', { timeout: 30_000 });
    await s.click(await s.find('[data-testid="nav-settings"]'));
    const url = await s.waitFor('[data-testid="court-url"]');
    assert.match(await s.text(url), /^http:\/\/127\.0\.0\.1:\d+\/$/);
  }, dir);
  cleanup(dir);
});

test('a draft written in the app survives a restart, with its history', async () => {
  const typeInto = async (s, css, text) => {
    const el = await s.find(css);
    await s.execute(`const el = arguments[0]; el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true }));`, [
      { 'element-6066-11e4-a52e-4f735466cecf': el }
    ]);
    await s.type(el, text);
  };
  const dir = await withApp('en-US', async (s) => {
    await createVault(s, 'Create your encrypted vault');
    await s.click(await s.waitFor('[data-testid="nav-drafts"]'));
    await s.click(await s.waitFor('[data-testid="draft-new"]'));
    await s.waitFor('[data-testid="draft-status"]', { text: (t) => t === 'Saved · version 1' });
    await typeInto(s, '[data-testid="draft-title"]', 'Statement of claim');
    await s.waitFor('[data-testid="draft-status"]', { text: (t) => t === 'Saved · version 2' });
    await typeInto(s, '[data-testid="draft-body"]', '原告张三诉被告李四买卖合同纠纷。');
    await s.waitFor('[data-testid="draft-status"]', { text: (t) => t === 'Saved · version 3' });
  });
  await withApp('en-US', async (s) => {
    await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === 'Unlock Courtside' });
    await s.type(await s.find('[data-testid="passphrase"]'), 'correct horse battery');
    await s.click(await s.find('[data-testid="unlock-submit"]'));
    await s.click(await s.waitFor('[data-testid="nav-drafts"]', { timeout: 30_000 }));
    await s.click(await s.waitFor('[data-testid="draft-item"]', { text: (t) => t.includes('Statement of claim') }));
    await s.waitFor('[data-testid="draft-status"]', { text: (t) => t === 'Saved · version 3' });
    assert.equal(await s.execute('return document.querySelector(\'[data-testid="draft-body"]\').value'), '原告张三诉被告李四买卖合同纠纷。');
    await s.click(await s.find('[data-testid="draft-history-toggle"]'));
    const history = await s.waitFor('[data-testid="draft-history"]');
    assert.match(await s.text(history), /Version 3[\s\S]*Version 2[\s\S]*Version 1/);
    await shoot(s, 'drafts-en.png');
  }, dir);
  cleanup(dir);
});

test('a vault backed up in Settings is restored on a new computer from the first-run screen (Chinese)', async () => {
  const backups = mkdtempSync(join(tmpdir(), 'courtside-backups-'));
  const env = { COURTSIDE_BACKUP_DIR: backups };
  const old = await withApp(
    'zh-CN',
    async (s) => {
      await createVault(s, '创建加密保险库');
      await s.click(await s.waitFor('[data-testid="nav-drafts"]'));
      await s.click(await s.waitFor('[data-testid="draft-new"]'));
      await s.waitFor('[data-testid="draft-status"]', { text: (t) => t.includes('1') });
      // One change at a time, each saved (as a version) before the next.
      await fill(s, '[data-testid="draft-title"]', '答辩状');
      await s.waitFor('[data-testid="draft-status"]', { text: (t) => t.includes('2') });
      await fill(s, '[data-testid="draft-body"]', '被告否认收到货物。');
      await s.waitFor('[data-testid="draft-status"]', { text: (t) => t.includes('3') });
      await s.click(await s.find('[data-testid="nav-settings"]'));
      const folder = await s.waitFor('[data-testid="backup-folder"]');
      assert.ok((await s.text(folder)).includes(backups), await s.text(folder));
      await s.click(await s.find('[data-testid="backup-now"]'));
      await s.waitFor('[data-testid="backup-last"]', { text: (t) => t.startsWith('上次成功备份'), timeout: 60_000 });
      await shoot(s, 'backup-zh.png');
    },
    undefined,
    env
  );
  const fresh = await withApp(
    'zh-CN',
    async (s) => {
      await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === '创建加密保险库' });
      await s.click(await s.find('[data-testid="restore-link"]'));
      const folder = await s.waitFor('[data-testid="restore-folder"]');
      assert.ok((await s.text(folder)).includes(backups), await s.text(folder));
      await s.type(await s.find('[data-testid="restore-secret"]'), 'not the passphrase');
      await s.click(await s.find('[data-testid="restore-submit"]'));
      await s.waitFor('[data-testid="restore-wrong"]', { timeout: 30_000 });
      await shoot(s, 'restore-wrong-zh.png');
      await fill(s, '[data-testid="restore-secret"]', 'correct horse battery');
      await s.click(await s.find('[data-testid="restore-submit"]'));
      await s.waitFor('[data-testid="restore-done"]', { timeout: 60_000 });
      await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === '解锁 Courtside' });
      await shoot(s, 'restored-zh.png');
      await s.type(await s.find('[data-testid="passphrase"]'), 'correct horse battery');
      await s.click(await s.find('[data-testid="unlock-submit"]'));
      await s.click(await s.waitFor('[data-testid="nav-drafts"]', { timeout: 30_000 }));
      await s.click(await s.waitFor('[data-testid="draft-item"]', { text: (t) => t.includes('答辩状') }));
      await s.waitFor('[data-testid="draft-body"]');
      assert.equal(await s.execute('return document.querySelector(\'[data-testid="draft-body"]\').value'), '被告否认收到货物。');
    },
    undefined,
    env
  );
  cleanup(old);
  cleanup(fresh);
  cleanup(backups);
});

/** The reference court as a separate process (`courtside court serve`), so a test can stop it. */
async function startCourt(port, dataDir) {
  const cli = process.env.COURTSIDE_CLI;
  assert.ok(cli, 'COURTSIDE_CLI must name the courtside binary (cargo xtask test sets it)');
  const proc = spawn(cli, ['court', 'serve', '--port', String(port), '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`court exited with ${code}`)));
    createInterface({ input: proc.stdout }).once('line', resolve);
  });
  const url = line.match(/http:\/\/[^\s]+\//)[0];
  const clerkToken = () => readFileSync(join(dataDir, 'clerk-token'), 'utf8').trim();
  return {
    url,
    /** GET of the clerk API, as JSON. */
    clerkGet: async (path) => {
      const response = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${clerkToken()}` } });
      assert.equal(response.status, 200, path);
      return response.json();
    },
    clerk: (...args) =>
      execFileSync(cli, ['court', 'clerk', '--court', url, '--token', clerkToken(), ...args], { encoding: 'utf8' }),
    stop: () => new Promise((resolve) => (proc.exitCode !== null ? resolve() : (proc.once('exit', resolve), proc.kill('SIGTERM'))))
  };
}

/** Types into an input or textarea (replacing what is there). */
async function fill(s, css, text, nth = 0) {
  const id = await s.execute(
    `const el = document.querySelectorAll(arguments[0])[arguments[1]]; el.value = ''; el.dispatchEvent(new Event('input', { bubbles: true })); return el;`,
    [css, nth]
  );
  await s.type(id['element-6066-11e4-a52e-4f735466cecf'], text);
}

test('offline: a case prepared with the wizard is queued; the court comes back, receives it exactly once, dockets it, and the case shows the number', async () => {
  const courtDir = mkdtempSync(join(tmpdir(), 'courtside-court-'));
  const port = await freePort();
  let court = await startCourt(port, courtDir);
  const browserLog = join(courtDir, 'browser.log');
  const env = {
    COURTSIDE_COURT_URL: court.url,
    BROWSER: fileURLToPath(new URL('../support/system-browser.mjs', import.meta.url)),
    COURTSIDE_TEST_BROWSER_LOG: browserLog,
    COURTSIDE_TEST_USER: 'zhang.san',
    COURTSIDE_TEST_PASSWORD: 'demo-litigant-1'
  };
  const dir = await withApp(
    'en-US',
    async (s) => {
      await createVault(s, 'Create your encrypted vault');

      // Sign in through "the system browser"; the court's policy is fetched and kept.
      await s.click(await s.waitFor('[data-testid="nav-settings"]'));
      await s.click(await s.waitFor('[data-testid="court-sign-in"]'));
      await s.waitFor('[data-testid="court-account"]', { timeout: 60_000, text: (t) => t.includes('zhang.san') });
      assert.match(readFileSync(browserLog, 'utf8'), new RegExp(`^${court.url}oauth/authorize\\?response_type=code&client_id=courtside-desktop&redirect_uri=http%3A%2F%2F127\\.0\\.0\\.1%3A\\d+%2Fcallback&`));

      // The court goes away; everything below is prepared offline.
      await court.stop();
      await s.click(await s.find('[data-testid="nav-cases"]'));
      await s.click(await s.waitFor('[data-testid="case-new"]'));
      await s.waitFor('[data-testid="wizard-cause"]');
      await fill(s, '[data-testid="wizard-cause"]', '买卖合同纠纷');
      await fill(s, '[data-testid="wizard-title"]', '张三诉李四买卖合同纠纷');
      await fill(s, '[data-testid="wizard-amount"]', '100000');
      await s.click(await s.find('[data-testid="wizard-next"]'));
      await s.waitFor('[data-testid="party-name"]');
      await fill(s, '[data-testid="party-name"]', '张三', 0);
      await fill(s, '[data-testid="party-name"]', '李四', 1);
      await s.click(await s.find('[data-testid="wizard-next"]'));
      await s.waitFor('[data-testid="wizard-claims"]');
      await fill(s, '[data-testid="wizard-claims"]', '判令被告支付货款100000元');
      await fill(s, '[data-testid="wizard-facts"]', '原告依约交货，被告至今未付款。');
      await s.click(await s.find('[data-testid="wizard-next"]'));

      await s.waitFor('[data-testid="checklist-status"]', { timeout: 30_000, text: (t) => t === '1 to fix before filing' });
      await s.waitFor('[data-testid="checklist-problem"]', { text: (t) => t.includes('identity') });
      await s.waitFor('[data-testid="case-fee"]', { text: (t) => t === '2300 yuan' });
      // The user picks the identity document (a file chooser, as the page sees it).
      await s.execute(`const input = document.querySelector('[data-testid="attach-identity"]');
        const dt = new DataTransfer();
        dt.items.add(new File([new TextEncoder().encode('%PDF-1.4\\n% identity card scan\\n%%EOF\\n')], 'identity-card.pdf', { type: 'application/pdf' }));
        input.files = dt.files;
        input.dispatchEvent(new Event('change', { bubbles: true }));`);
      await s.waitFor('[data-testid="checklist-status"]', { text: (t) => t === 'Ready to file' });
      await shoot(s, 'case-ready-en.png');
      await s.click(await s.find('[data-testid="queue-filing"]'));
      await s.click(await s.waitFor('[data-testid="review-send"]'));
      await s.waitFor('[data-testid="case-stage"]', { text: (t) => t === 'Queued' });

      await s.click(await s.find('[data-testid="nav-filings"]'));
      await s.waitFor('[data-testid="outbox-state"]', { text: (t) => t === 'Queued' });
      await s.waitFor('[data-testid="sync-state"]', { timeout: 30_000, text: (t) => t === 'Offline' });
      await shoot(s, 'sync-offline-en.png');

      // The court is back (same address, same data): "sync now", and the filing goes through.
      court = await startCourt(port, courtDir);
      await s.click(await s.find('[data-testid="sync-now"]'));
      await s.waitFor('[data-testid="outbox-state"]', { timeout: 60_000, text: (t) => t === 'Received by the court' });
      await s.waitFor('[data-testid="sync-state"]', { text: (t) => t === 'Online' });
      const filings = court.clerk('filings').trim().split('\n');
      assert.equal(filings.length, 1, `exactly one filing at the court: ${filings}`);
      const filingId = filings[0].split('\t')[0];
      court.clerk('review', filingId, '--docket');

      // The change feed brings the docketing; the case shows the court's case number.
      await s.click(await s.find('[data-testid="sync-now"]'));
      await s.waitFor('[data-testid="outbox-state"]', { timeout: 60_000, text: (t) => t.startsWith('Docketed as ') });
      await s.click(await s.find('[data-testid="outbox-item"] a'));
      const number = await s.waitFor('[data-testid="case-number"]', { timeout: 30_000 });
      assert.match(await s.text(number), /^Case number \(\d{4}\).+民初\d+号$/);
      assert.equal(await s.text(await s.find('[data-testid="case-stage"]')), 'Docketed');
      await shoot(s, 'case-docketed-en.png');
    },
    undefined,
    env
  );
  await court.stop();
  cleanup(dir);
  cleanup(courtDir);
});

test('evidence added in the window is hashed and sealed, shows its custody, and exports as a bag', async () => {
  const exportDir = mkdtempSync(join(tmpdir(), 'courtside-export-'));
  const content = '2025年1月10日 李四：货款下月付。';
  const dir = await withApp(
    'zh-CN',
    async (s) => {
      await createVault(s, '创建加密保险库');
      await s.click(await s.waitFor('[data-testid="nav-evidence"]'));
      await s.waitFor('[data-testid="evidence-choose-files"]');
      await fill(s, '[data-testid="evidence-proves"]', '被告承认欠款');
      // The platform's own file chooser, answered as a person would: type the path, Enter.
      const picked = mkdtempSync(join(tmpdir(), 'courtside-picked-'));
      writeFileSync(join(picked, '微信聊天记录.txt'), content);
      await s.click(await s.find('[data-testid="evidence-choose-files"]'));
      await answerFileChooser('Courtside：选择证据文件', join(picked, '微信聊天记录.txt'));
      await s.waitFor('[data-testid="drop-offer"]', { timeout: 30_000, text: (t) => t.includes('1 个文件，共') });
      await s.click(await s.find('[data-testid="drop-keep"]'));
      const expected = createHash('sha256').update(content).digest('hex');
      await s.waitFor('[data-testid="exhibit-sha256"]', { timeout: 30_000, text: (t) => t === expected });
      await s.waitFor('[data-testid="exhibit-verification"]', { text: (t) => t.startsWith('完好') });
      await s.waitFor('[data-testid="custody-entry"]', { text: (t) => t.includes('采集（选择的文件），已计算哈希并封存') });
      await shoot(s, 'evidence-zh-CN.png');
      await s.click(await s.find('[data-testid="evidence-export"]'));
      const message = await s.waitFor('[data-testid="evidence-message"]', { text: (t) => t.startsWith('已导出到 ') });
      const bag = (await s.text(message)).slice('已导出到 '.length);
      assert.ok(bag.startsWith(exportDir), bag);
      const manifest = readFileSync(join(bag, 'manifest-sha256.txt'), 'utf8');
      assert.match(manifest, new RegExp(`^${expected}  data/exhibits/001-微信聊天记录\\.txt$`, 'm'));
      await s.waitFor('[data-testid="custody-timeline"]', { text: (t) => t.includes('已导出（证据包）') });
    },
    undefined,
    { COURTSIDE_EXPORT_DIR: exportDir }
  );
  cleanup(dir);
  cleanup(exportDir);
});

test('a photo, a recording and a screen still captured in the window are sealed as exhibits (mock devices)', async () => {
  const dir = await withApp(
    'en-US',
    async (s) => {
      await createVault(s, 'Create your encrypted vault');
      await s.click(await s.waitFor('[data-testid="nav-evidence"]'));
      await s.waitFor('[data-testid="evidence-proves"]');
      await fill(s, '[data-testid="evidence-proves"]', 'State of the goods on delivery');

      await s.click(await s.waitFor('[data-testid="recorder-camera"]'));
      await s.waitFor('[data-testid="recorder-preview"]');
      // "Take it" is enabled once the camera's first frame has arrived.
      await s.click(await s.waitFor('[data-testid="recorder-shoot"]:not([disabled])', { timeout: 30_000 }));
      await s.waitFor('[data-testid="exhibit-detail"]', { timeout: 30_000, text: (t) => t.includes('image/jpeg') && /photo-\d{8}-\d{6}\.jpg/.test(t) });
      await s.waitFor('[data-testid="custody-entry"]', { text: (t) => t.includes('camera') });
      // The photo is shown from the vault (raw IPC response, a blob: image the CSP allows).
      for (let i = 0; i < 50 && !(await s.execute('return document.querySelector(\'[data-testid="exhibit-preview"] img\')?.naturalWidth ?? 0')); i++) await new Promise((r) => setTimeout(r, 200));
      assert.ok((await s.execute('return document.querySelector(\'[data-testid="exhibit-preview"] img\')?.naturalWidth ?? 0')) > 0, 'the photo is shown');
      assert.match(await s.text(await s.find('[data-testid="exhibit-sha256"]')), /^[0-9a-f]{64}$/);
      await shoot(s, 'evidence-camera.png');

      await s.click(await s.waitFor('[data-testid="recorder-microphone"]'));
      await s.waitFor('[data-testid="recorder-recording"]', { timeout: 10_000, text: (t) => t.includes('0:02') });
      await s.click(await s.find('[data-testid="recorder-stop"]'));
      await s.waitFor('[data-testid="exhibit-detail"]', { timeout: 30_000, text: (t) => /recording-\d{8}-\d{6}\.(webm|ogg|m4a|wav)/.test(t) });
      await s.waitFor('[data-testid="custody-entry"]', { text: (t) => t.includes('microphone') });

      // WebKit's mock devices include a screen; on a desktop the platform shows its picker.
      await s.click(await s.find('[data-testid="recorder-screen"]'));
      await s.waitFor('[data-testid="exhibit-detail"]', { timeout: 30_000, text: (t) => t.includes('image/png') && /screen-\d{8}-\d{6}\.png/.test(t) });
      await s.waitFor('[data-testid="custody-entry"]', { text: (t) => t.includes('screen') });
      assert.equal(await s.execute('return document.querySelectorAll(\'[data-testid="exhibit-item"]\').length'), 3);
    },
    undefined,
    { COURTSIDE_MOCK_CAPTURE_DEVICES: '1' }
  );
  cleanup(dir);
});

test('a hearing notice arrives and reminds; the check reaches the court; the room opens in the system browser; the connectivity log is exported', async () => {
  const courtDir = mkdtempSync(join(tmpdir(), 'courtside-court-'));
  const exportDir = mkdtempSync(join(tmpdir(), 'courtside-export-'));
  const port = await freePort();
  const court = await startCourt(port, courtDir);
  const browserLog = join(courtDir, 'browser.log');
  let dir;
  try {
  dir = await withApp(
    'en-US',
    async (s) => {
      await createVault(s, 'Create your encrypted vault');
      await s.click(await s.waitFor('[data-testid="nav-settings"]'));
      await s.click(await s.waitFor('[data-testid="court-sign-in"]'));
      await s.waitFor('[data-testid="court-account"]', { timeout: 60_000, text: (t) => t.includes('li.si') });

      // The court schedules a hearing in eight minutes on a case of li.si's.
      const caseId = court.clerk('open-case', '--title', '张三诉李四', '--party', 'zhang.san', '--party', 'li.si').split('\t')[0];
      const at = new Date(Date.now() + 8 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const hearingId = court.clerk('schedule', '--case', caseId, '--at', at, '--minutes', '30', '--title', '第一次开庭').split('\t')[0];
      await s.click(await s.find('[data-testid="nav-filings"]'));
      await s.click(await s.waitFor('[data-testid="sync-now"]'));
      // The notice arrives (news), and within a minute the ten-minute reminder.
      await s.waitFor('[data-testid="court-news"]', { timeout: 30_000, text: (t) => t.includes('News from the court: a hearing') });
      await s.waitFor('[data-testid="court-news"]', { timeout: 90_000, text: (t) => t.includes('a hearing is about to start') });
      await s.click(await s.find('[data-testid="nav-hearings"]'));
      await s.waitFor('[data-testid="hearing-item"]', { text: (t) => t.includes('第一次开庭') });
      await s.click(await s.find('[data-testid="hearing-prepare"]'));
      await s.waitFor('[data-testid="check-network"]', { timeout: 30_000, text: (t) => /\d+ ms round trip/.test(t) });
      // WebKit's mock devices stand in for a camera and a microphone (Xvfb has none): frames
      // reach the preview and the level meter hears the mock tone.
      await s.waitFor('[data-testid="check-camera"]', { timeout: 15_000, text: (t) => t === 'Camera: works' });
      await s.waitFor('[data-testid="check-microphone"]', { timeout: 15_000, text: (t) => t === 'Microphone: works' });
      for (const box of ['check-quiet', 'check-lit', 'check-alone', 'check-identity', 'check-rules']) {
        await s.click(await s.find(`[data-testid="${box}"]`));
      }
      await s.click(await s.find('[data-testid="check-submit"]'));
      await s.waitFor('[data-testid="checked-in"]', { timeout: 30_000 });
      const [checkIn] = await court.clerkGet(`clerk/v1/hearings/${hearingId}/check-ins`);
      assert.equal(checkIn.username, 'li.si');
      assert.deepEqual(checkIn.check.environment, { quiet: true, lit: true, alone: true });
      assert.equal(checkIn.check.deviceCheck.camera, true);
      assert.equal(checkIn.check.deviceCheck.microphone, true);
      assert.ok(checkIn.check.deviceCheck.throughputKbps > 0);
      await shoot(s, 'hearing-check-en.png');
      await s.click(await s.find('[data-testid="hearing-join"]'));
      await s.waitFor('[data-testid="hearing-joined"]', { timeout: 30_000 });
      // On Linux the room opens with the system handler, at the court's room with a token
      // (the opener runs on its own: wait for its line).
      const room = new RegExp(`^http://127\\.0\\.0\\.1:${port}/rooms/${hearingId}\\?token=[A-Za-z0-9_-]+$`);
      let opened = '';
      for (let i = 0; i < 100 && !room.test(opened); i++) {
        opened = readFileSync(browserLog, 'utf8').trim().split('\n').pop();
        if (!room.test(opened)) await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(opened, room);
      await new Promise((r) => setTimeout(r, 6_000));
      await s.click(await s.find('[data-testid="hearing-log-export"]'));
      const message = await s.waitFor('[data-testid="check-message"]', { text: (t) => t.startsWith('Connectivity log saved as ') });
      const path = (await s.text(message)).slice('Connectivity log saved as '.length);
      assert.ok(path.startsWith(exportDir), path);
      const csv = readFileSync(path, 'utf8');
      assert.match(csv, /^time_utc,round_trip_ms,error\n\d{4}-\d\d-\d\dT[^,]+,\d+,""\n/);
    },
    undefined,
    {
      COURTSIDE_COURT_URL: court.url,
      BROWSER: fileURLToPath(new URL('../support/system-browser.mjs', import.meta.url)),
      COURTSIDE_TEST_BROWSER_LOG: browserLog,
      COURTSIDE_TEST_USER: 'li.si',
      COURTSIDE_TEST_PASSWORD: 'demo-litigant-2',
      COURTSIDE_EXPORT_DIR: exportDir,
      COURTSIDE_MOCK_CAPTURE_DEVICES: '1'
    }
  );
  } finally {
    await court.stop();
  }
  cleanup(dir);
  cleanup(courtDir);
  cleanup(exportDir);
});
