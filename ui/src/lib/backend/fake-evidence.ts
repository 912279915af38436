import { BackendError, type Backend } from './index';
import type { CustodyEntry, Exhibit, ExhibitSource } from './bindings';

type EvidenceMethods = Pick<
  Backend,
  | 'listExhibits'
  | 'addExhibit'
  | 'captureUrl'
  | 'timestampEvidence'
  | 'exhibitDetail'
  | 'describeExhibit'
  | 'verifyEvidence'
  | 'exportEvidenceBag'
  | 'inboxDir'
  | 'chooseInboxDir'
  | 'clearInboxDir'
  | 'onEvidenceDropped'
  | 'captureDropped'
  | 'discardDropped'
  | 'nativeChooser'
  | 'exhibitContent'
  | 'chooseEvidence'
>;

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * The evidence locker for the web build: real SHA-256 (Web Crypto), an in-memory custody log.
 * `globalThis.__courtsideFakeDrop(files)` plays a drop on the desktop window (files: name
 * and text content; a `null` content is a file that vanished before it was kept).
 */
/** The fake locker's methods, and `exhibitsOf` for the fake cases (a case's own exhibits, by id). */
export function createFakeEvidence(unlocked: () => void): { methods: EvidenceMethods; exhibitsOf: (ids: string[]) => Exhibit[] } {
  const exhibits: Exhibit[] = [];
  const contents = new Map<string, Uint8Array>();
  let inbox: string | null = null;
  const log: CustodyEntry[] = [];
  const entry = (exhibit: string, event: CustodyEntry['event']) =>
    log.push({ seq: log.length + 1, exhibit, event, at: new Date().toISOString(), device: 'dev-web', prev: '0'.repeat(64) });
  const find = (id: string) => {
    unlocked();
    const e = exhibits.find((x) => x.id === id);
    if (!e) throw new BackendError({ code: 'notFound', message: `no exhibit ${id}` });
    return e;
  };
  let held: { token: string; files: { name: string; content: string | null }[] } | null = null;
  let dropHandlers: Parameters<EvidenceMethods['onEvidenceDropped']>[0] | null = null;
  (globalThis as Record<string, unknown>).__courtsideFakeDrop = (files: { name: string; content: string | null }[]) => {
    const kept = files.filter((f) => !f.name.startsWith('.'));
    if (!kept.length) return dropHandlers?.refused('nothing to capture among the dropped items');
    held = { token: `drop${Date.now()}`, files: kept };
    dropHandlers?.offer({
      token: held.token,
      files: kept.length,
      bytes: kept.reduce((n, f) => n + new TextEncoder().encode(f.content ?? '').length, 0),
      names: kept.slice(0, 5).map((f) => f.name),
      skipped: files.length - kept.length
    });
  };
  const keep = async (fileName: string, title: string, proves: string, source: ExhibitSource, bytes: Uint8Array) => {
    unlocked();
    const sha256 = hex(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
    const mediaType =
      new TextDecoder().decode(bytes.slice(0, 5)) === '%PDF-'
        ? 'application/pdf'
        : bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff
          ? 'image/jpeg'
          : bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47
            ? 'image/png'
            : 'text/plain';
    const e: Exhibit = {
      id: `ex${exhibits.length + 1}`,
      number: exhibits.length + 1,
      title: title || fileName,
      proves,
      source,
      originalName: fileName,
      size: bytes.length,
      sha256,
      mediaType,
      pages: mediaType === 'application/pdf' ? 1 : null,
      capturedAt: new Date().toISOString(),
      device: 'dev-web',
      blobId: `exhibit-${exhibits.length + 1}`,
      photo: null
    };
    exhibits.push(e);
    contents.set(e.id, new Uint8Array(bytes));
    entry(e.id, { event: 'captured', sha256, size: e.size, mediaType, originalName: fileName, source });
    return e;
  };
  const methods: EvidenceMethods = {
    onEvidenceDropped: async (handlers) => {
      dropHandlers = handlers;
      return () => (dropHandlers = null);
    },
    nativeChooser: false,
    exhibitContent: async (id) => {
      const e = find(id);
      if (!/^(image\/|audio\/|video\/|text\/plain)/.test(e.mediaType)) throw new BackendError({ code: 'invalidInput', message: `${e.mediaType} cannot be shown here` });
      return contents.get(id) ?? new Uint8Array();
    },
    chooseEvidence: async () => {
      throw new BackendError({ code: 'invalidInput', message: 'the web build has no file chooser of its own' });
    },
    discardDropped: async (token) => {
      if (held?.token === token) held = null;
    },
    captureDropped: async (token, proves, onProgress) => {
      unlocked();
      if (!held || held.token !== token) throw new BackendError({ code: 'invalidInput', message: 'those dropped files are no longer held: drop them again' });
      const batch = held;
      held = null;
      const total = batch.files.reduce((n, f) => n + new TextEncoder().encode(f.content ?? '').length, 0);
      let done = 0;
      const outcome: Awaited<ReturnType<EvidenceMethods['captureDropped']>> = { exhibits: [], failed: [] };
      for (const [i, f] of batch.files.entries()) {
        onProgress({ file: i + 1, files: batch.files.length, name: f.name, done, total });
        if (f.content === null) {
          outcome.failed.push({ name: f.name, reason: `${f.name}: No such file or directory` });
          continue;
        }
        const bytes = new TextEncoder().encode(f.content);
        outcome.exhibits.push(await keep(f.name, '', proves, { kind: 'dragAndDrop' }, bytes));
        done += bytes.length;
        await new Promise((r) => setTimeout(r, 50));
      }
      return outcome;
    },
    listExhibits: async () => (unlocked(), [...exhibits]),
    addExhibit: async (fileName, title, proves, how, bytes) =>
      keep(fileName, title, proves, { kind: how === 'drop' ? 'dragAndDrop' : how }, bytes),
    exhibitDetail: async (id) => {
      const exhibit = find(id);
      entry(id, { event: 'viewed' });
      return {
        exhibit,
        custody: log.filter((l) => l.exhibit === id),
        verification: { exhibitsChecked: 1, entriesChecked: log.length, problems: [] }
      };
    },
    describeExhibit: async (id, title, proves) => {
      const e = find(id);
      e.title = title;
      e.proves = proves;
      entry(id, { event: 'described', title, proves });
      return e;
    },
    verifyEvidence: async () => (unlocked(), { exhibitsChecked: exhibits.length, entriesChecked: log.length, problems: [] }),
    captureUrl: async (url, proves) => {
      if (!/^https?:\/\/[^/]/.test(url)) throw new BackendError({ code: 'invalidInput', message: `only http and https pages can be captured, not "${url}"` });
      const host = new URL(url).host;
      return keep(`${host}.warc.gz`, `网页截取 · Web capture: ${url}`, proves, { kind: 'web', hops: [url] }, new TextEncoder().encode(`WARC/1.1 ${url}`));
    },
    timestampEvidence: async () => {
      unlocked();
      for (const e of exhibits) entry(e.id, { event: 'timestamped', sha256: e.sha256, genTime: '20261123000000Z', tsa: 'http://127.0.0.1:0/v1/timestamps' });
      return exhibits.length + 1;
    },
    inboxDir: async () => (unlocked(), inbox),
    // The fake "chooser" always picks the same folder.
    chooseInboxDir: async () => (unlocked(), (inbox = '/home/user/Courtside inbox')),
    clearInboxDir: async () => (unlocked(), (inbox = null)),
    exportEvidenceBag: async (ids) => {
      unlocked();
      for (const e of exhibits) if (!ids.length || ids.includes(e.id)) entry(e.id, { event: 'exported', format: 'bagit' });
      return '~/Downloads/courtside-evidence-web';
    }
  };
  const exhibitsOf = (ids: string[]) => ids.map((id) => exhibits.find((e) => e.id === id)).filter((e): e is Exhibit => !!e);
  return { methods, exhibitsOf };
}
