import { BackendError, type Backend } from './index';
import type { CustodyEntry, Exhibit } from './bindings';

type EvidenceMethods = Pick<
  Backend,
  'listExhibits' | 'addExhibit' | 'captureUrl' | 'timestampEvidence' | 'exhibitDetail' | 'describeExhibit' | 'verifyEvidence' | 'exportEvidenceBag' | 'inboxDir' | 'setInboxDir'
>;

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The evidence locker for the web build: real SHA-256 (Web Crypto), an in-memory custody log. */
export function createFakeEvidence(unlocked: () => void): EvidenceMethods {
  const exhibits: Exhibit[] = [];
  let inbox: string | null = null;
  const log: CustodyEntry[] = [];
  const entry = (exhibit: string, event: CustodyEntry['event']) =>
    log.push({ seq: log.length + 1, exhibit, event, at: new Date().toISOString(), device: 'dev-web', prev: '0'.repeat(64) });
  const find = (id: string) => {
    unlocked();
    const e = exhibits.find((x) => x.id === id);
    if (!e) throw new BackendError({ code: 'invalidInput', message: `no exhibit ${id}` });
    return e;
  };
  const methods: EvidenceMethods = {
    listExhibits: async () => (unlocked(), [...exhibits]),
    addExhibit: async (fileName, title, proves, source, bytes) => {
      unlocked();
      const sha256 = hex(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
      const mediaType = new TextDecoder().decode(bytes.slice(0, 5)) === '%PDF-' ? 'application/pdf' : 'text/plain';
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
      entry(e.id, { event: 'captured', sha256, size: e.size, mediaType, originalName: fileName, source });
      return e;
    },
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
      return methods.addExhibit(`${host}.warc.gz`, `网页截取 · Web capture: ${url}`, proves, `url:${url}`, new TextEncoder().encode(`WARC/1.1 ${url}`));
    },
    timestampEvidence: async () => {
      unlocked();
      for (const e of exhibits) entry(e.id, { event: 'timestamped', sha256: e.sha256, genTime: '20261123000000Z', tsa: 'http://127.0.0.1:0/v1/timestamps' });
      return exhibits.length + 1;
    },
    inboxDir: async () => (unlocked(), inbox),
    setInboxDir: async (dir) => {
      unlocked();
      if (dir.trim() && !dir.trim().startsWith('/')) throw new BackendError({ code: 'invalidInput', message: `${dir}: give the folder's full path` });
      inbox = dir.trim() || null;
      return inbox;
    },
    exportEvidenceBag: async (ids) => {
      unlocked();
      for (const e of exhibits) if (!ids.length || ids.includes(e.id)) entry(e.id, { event: 'exported', format: 'bagit' });
      return '~/Downloads/courtside-evidence-web';
    }
  };
  return methods;
}
