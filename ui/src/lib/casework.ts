import type { CaseStage, CheckProblem, ExhibitSource, OutboxView } from './backend';
import { i18n } from './i18n/index.svelte';

/** A case's stage in words (every stage Rust knows has a message, or this does not compile). */
export function stageLabel(stage: CaseStage): string {
  return i18n.t(`stage.${stage}`);
}

/** What to fix, in words, for a checklist problem (every code Rust sends has a message). */
export function problemText(p: CheckProblem): string {
  const subject = p.role ? i18n.t(`party.${p.role}`) : (p.subject ?? '');
  return i18n.t(`problem.${p.code}`, { subject });
}

/** Where an exhibit came from, in words (a web page by the address kept). */
export function sourceLabel(s: ExhibitSource): string {
  switch (s.kind) {
    case 'web':
      return i18n.t('source.web', { url: s.hops[s.hops.length - 1] ?? '' });
    case 'other':
      return i18n.t('source.other', { text: s.text });
    default:
      return i18n.t(`source.${s.kind}`);
  }
}

/** An outbox item's state in words. */
export function outboxLabel(item: OutboxView): string {
  if (item.caseNumber) return i18n.t('outbox.caseNumber', { number: item.caseNumber });
  if (item.courtStatus && item.courtStatus !== 'submitted') return i18n.t(`court.${item.courtStatus}`);
  return i18n.t(`outbox.${item.state}`);
}

/** Bytes in KiB/MiB/GiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Seconds as m:ss or h:mm:ss. */
export function duration(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A court's time (RFC 3339) as the court keeps it: China time, labelled as such. */
export function courtTime(t: string): string {
  return i18n.t('time.china', { time: new Date(t).toLocaleString(i18n.locale, { timeZone: 'Asia/Shanghai' }) });
}
