// The real desktop app (release build) under Xvfb, driven over WebDriver.
// Needs COURTSIDE_APP_BINARY (set by `cargo xtask test`) and DISPLAY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, startDriver } from '../support/webdriver.mjs';

const APP = process.env.COURTSIDE_APP_BINARY;
const SCREENSHOTS = process.env.COURTSIDE_SCREENSHOT_DIR;

/** Runs `body` with a fresh app on a fresh data directory in the given OS locale. */
async function withApp(locale, body, dataDir = mkdtempSync(join(tmpdir(), 'courtside-app-'))) {
  assert.ok(APP, 'COURTSIDE_APP_BINARY must name the built app');
  const lang = locale === 'zh-CN' ? 'zh_CN.UTF-8' : 'en_US.UTF-8';
  // The webview keeps its own storage (UI preferences) under the XDG directories: point
  // them into the test's directory too, so every test starts as a first run.
  const driver = await startDriver({
    COURTSIDE_DATA_DIR: dataDir,
    XDG_DATA_HOME: join(dataDir, 'xdg-data'),
    XDG_CONFIG_HOME: join(dataDir, 'xdg-config'),
    XDG_CACHE_HOME: join(dataDir, 'xdg-cache'),
    // WebKit's GPU shader cache keeps being written while the processes wind down.
    MESA_SHADER_CACHE_DISABLE: 'true',
    LANG: lang,
    LC_ALL: lang,
    LANGUAGE: locale.replace('-', '_')
  });
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
    await s.waitFor('[data-testid="unlock-title"]', { text: (t) => t === 'Create your encrypted vault' });
    await s.type(await s.find('[data-testid="passphrase"]'), 'correct horse battery');
    await s.type(await s.find('[data-testid="passphrase-confirm"]'), 'correct horse battery');
    await s.click(await s.find('[data-testid="unlock-submit"]'));
    await s.waitFor('[data-testid="recovery-key"]', { timeout: 30_000 });
    await s.click(await s.find('[data-testid="recovery-saved"]'));
    await s.click(await s.find('[data-testid="recovery-continue"]'));
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
