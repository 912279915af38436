// A small W3C WebDriver client for the desktop-app suite. It speaks to WebKitWebDriver
// (Debian's webkit2gtk-driver) directly with the same capabilities tauri-driver would send
// (`webkitgtk:browserOptions`), so the suite needs nothing built from source.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts WebKitWebDriver with `env` for the app it will launch; resolves when it answers. */
export async function startDriver(env) {
  const port = await freePort();
  const binary = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';
  // Tauri lets WebKit be automated only when the app is started with this variable.
  // The driver gets a process group of its own so that stopping it also stops the app it
  // launched (ending a session does not always end a Tauri app), and no output pipe of
  // ours, so a straggler cannot keep the test runner waiting.
  const proc = spawn(binary, [`--port=${port}`], {
    env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: 'true', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/status`);
      if (r.ok && (await r.json()).value?.ready) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('WebKitWebDriver did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        const group = () => {
          try {
            process.kill(-proc.pid, 'SIGKILL');
          } catch {
            // the group is gone already
          }
        };
        if (proc.exitCode !== null) {
          group();
          return resolve();
        }
        proc.once('exit', () => {
          group();
          resolve();
        });
        proc.kill('SIGTERM');
      })
  };
}

async function request(method, url, body) {
  const r = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${url}: ${json.value?.error}: ${json.value?.message}`);
  return json.value;
}

/** One app session: launches the app binary, drives its webview. */
export class Session {
  static async start(driverUrl, application, args = []) {
    const value = await request('POST', `${driverUrl}/session`, {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary: application, args } } }
    });
    return new Session(`${driverUrl}/session/${value.sessionId}`);
  }

  constructor(base) {
    this.base = base;
  }

  async end() {
    await request('DELETE', this.base).catch(() => {});
  }

  async find(css) {
    const v = await request('POST', `${this.base}/element`, { using: 'css selector', value: css });
    return v[ELEMENT];
  }

  /** Waits until `css` matches an element (and `predicate(text)` holds, when given). */
  async waitFor(css, { timeout = 20_000, text } = {}) {
    const deadline = Date.now() + timeout;
    let last = '';
    for (;;) {
      try {
        const id = await this.find(css);
        last = await this.text(id);
        if (!text || text(last)) return id;
      } catch {
        // not there yet
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${css} (last text: ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async text(id) {
    return request('GET', `${this.base}/element/${id}/text`);
  }

  async click(id) {
    await request('POST', `${this.base}/element/${id}/click`, {});
  }

  async type(id, text) {
    await request('POST', `${this.base}/element/${id}/value`, { text });
  }

  /** Runs a script in the page; `args` are passed as `arguments`. */
  async execute(script, args = []) {
    return request('POST', `${this.base}/execute/sync`, { script, args });
  }

  /** PNG screenshot of the window, as a Buffer. */
  async screenshot() {
    return Buffer.from(await request('GET', `${this.base}/screenshot`), 'base64');
  }
}
