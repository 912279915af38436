// Courtside's tus client (through `courtside sync upload-test`) against an independent tus
// 1.0 server: tus-node-server (@tus/server with @tus/file-store), started here on 127.0.0.1.
// It offers no checksum extension, so the client must fall back to the core protocol.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const run = promisify(execFile);
let dir;
let http;
let base;
let patches = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'courtside-tus-'));
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: join(dir, 'store') }) });
  // A second endpoint that refuses every new upload, as a server under maintenance would.
  const closed = new Server({
    path: '/closed',
    datastore: new FileStore({ directory: join(dir, 'closed') }),
    onUploadCreate: () => {
      throw { status_code: 403, body: 'uploads are closed for maintenance\n' };
    }
  });
  http = createServer((req, res) => {
    if (req.method === 'PATCH') patches += 1;
    (req.url.startsWith('/closed') ? closed : tus).handle(req, res);
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${http.address().port}`;
});

after(() => {
  http?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a file uploads intact to tus-node-server in several chunks', async () => {
  const cli = process.env.COURTSIDE_CLI;
  assert.ok(cli, 'COURTSIDE_CLI must name the courtside binary (cargo xtask test sets it)');
  const data = randomBytes(1024 * 1024 + 4321);
  const file = join(dir, '证据-录音.bin');
  writeFileSync(file, data);
  const { stdout, stderr } = await run(cli, ['sync', 'upload-test', '--endpoint', `${base}/files`, '--chunk-kib', '256', file]);
  assert.match(stderr, /per-chunk checksum none/);
  const url = stdout.trim().split('\n').pop();
  assert.ok(url.startsWith(`${base}/files/`), url);
  assert.equal(patches, 5, 'five chunks of 256 KiB');
  const id = url.split('/').pop();
  const stored = readFileSync(join(dir, 'store', id));
  assert.equal(createHash('sha256').update(stored).digest('hex'), createHash('sha256').update(data).digest('hex'));
  assert.match(stderr, new RegExp(createHash('sha256').update(data).digest('hex')));
});

test('a refusal from the independent server is reported with exit code 1', async () => {
  const cli = process.env.COURTSIDE_CLI;
  const file = join(dir, 'small.txt');
  writeFileSync(file, 'x');
  await assert.rejects(run(cli, ['sync', 'upload-test', '--endpoint', `${base}/closed`, file]), (e) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /refused the upload \(403\): uploads are closed for maintenance/);
    return true;
  });
});
