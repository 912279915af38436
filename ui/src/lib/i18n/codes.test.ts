import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
// The file's text, as Rust generated it (Vite's raw import): the codes Rust can send, not
// the ones this UI believes in.
import bindings from '../backend/bindings.ts?raw';

/**
 * Every closed set of codes Rust sends to the window, and the prefix of the messages that
 * word its members (`null`: never shown to people). A new union in the bindings that is not
 * listed here fails, so a code cannot reach the window without a message in both languages.
 */
const WORDED: Record<string, string | null> = {
  VaultState: null,
  CaseStage: 'stage.',
  AgendaKind: 'today.kind.',
  CalendarKind: 'calendar.kind.',
  AmountProblem: 'amount.',
  OutboxState: 'outbox.',
  CourtStatus: 'court.',
  SyncState: 'sync.',
  ProblemCode: 'problem.',
  ExportFormat: 'exportFormat.',
  ActionStatus: 'action.',
  OfflineStepKind: 'offline.step.',
  Stance: 'exchange.stance.',
  NewsKind: 'news.',
  PartyRole: 'party.',
  PartyKind: 'party.',
  ErrorCode: 'error.',
  Damage: 'damage.kind.',
  DamagedThing: 'damage.thing.'
};

/** Tagged unions: the tag's values are worded the same way. */
const TAGGED: Record<string, { tag: string; prefix: string }> = {
  ExhibitSource: { tag: 'kind', prefix: 'source.' }
};

/** `export type X = "a" | "b";` in the bindings, by name. */
function stringUnions(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of bindings.matchAll(/export type (\w+) = ("[^"]*"(?: \| "[^"]*")*);/g)) {
    out.set(m[1]!, [...m[2]!.matchAll(/"([^"]*)"/g)].map((v) => v[1]!));
  }
  return out;
}

/** The tag values of a tagged union in the bindings. */
function tagValues(name: string, tag: string): string[] {
  const decl = new RegExp(`export type ${name} = ([^;]+);`).exec(bindings)?.[1] ?? '';
  return [...decl.matchAll(new RegExp(`"${tag}": "([^"]+)"`, 'g'))].map((m) => m[1]!);
}

const keys = (d: Record<string, string>) => new Set(Object.keys(d));
const EN = keys(en);
const ZH = keys(zhCN);

describe('codes Rust sends', () => {
  const unions = stringUnions();

  it('the bindings hold the unions this test knows, and no other', () => {
    expect([...unions.keys()].sort()).toEqual(Object.keys(WORDED).sort());
  });

  for (const [name, values] of unions) {
    const prefix = WORDED[name];
    if (!prefix) continue;
    it.each(values)(`${name} %s has a message in English and Chinese`, (value) => {
      const key = `${prefix}${value}`;
      expect(EN.has(key), `${key} in en`).toBe(true);
      expect(ZH.has(key), `${key} in zh-CN`).toBe(true);
      expect(zhCN[key as keyof typeof zhCN]).not.toMatch(/^\s*$/);
    });
  }

  for (const [name, { tag, prefix }] of Object.entries(TAGGED)) {
    const values = tagValues(name, tag);
    it(`${name} is in the bindings with its ${tag}s`, () => {
      expect(values.length).toBeGreaterThan(3);
    });
    it.each(values)(`${name} %s has a message in English and Chinese`, (value) => {
      expect(EN.has(`${prefix}${value}`), `${prefix}${value} in en`).toBe(true);
      expect(ZH.has(`${prefix}${value}`), `${prefix}${value} in zh-CN`).toBe(true);
    });
  }
});
