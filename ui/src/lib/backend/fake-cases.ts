import { BackendError, type Backend } from './index';
import type { ActionView, AgendaItem, Exhibit, CalendarItem, CaseFields, CaseView, CheckProblem, CourtAccountView, ExchangedView, OutboxView, PolicyView, RequiredDocument } from './bindings';

type CaseMethods = Pick<
  Backend,
  | 'signIn'
  | 'signOut'
  | 'courtAccounts'
  | 'syncOverview'
  | 'syncNow'
  | 'watchSync'
  | 'setFilingPaused'
  | 'cancelFiling'
  | 'courtPolicy'
  | 'listCases'
  | 'getCase'
  | 'createCase'
  | 'updateCase'
  | 'copyCase'
  | 'checkAmount'
  | 'deleteCase'
  | 'queueCaseFiling'
  | 'attachCaseDocument'
  | 'detachCaseDocument'
  | 'setCaseExhibits'
  | 'markStepOffline'
  | 'evidenceExchange'
  | 'crossExamine'
  | 'submitToExchange'
  | 'addCaseDeadline'
  | 'removeCaseDeadline'
  | 'agenda'
  | 'calendar'
  | 'exportCalendar'
  | 'servedDocuments'
  | 'servedContent'
  | 'saveServedCopy'
  | 'hearings'
  | 'feeNotices'
  | 'payFee'
  | 'networkCheck'
  | 'checkIn'
  | 'joinHearing'
  | 'exportHearingLog'
  | 'answerQuestion'
  | 'mediation'
  | 'sendMediationMessage'
  | 'onCourtNews'
>;

const required = (kind: string, nameZh: string, nameEn: string): RequiredDocument => ({
  kind,
  nameZh,
  nameEn,
  present: false,
  generated: kind === 'complaint' || kind === 'evidence-list'
});

/** `?correction`: the court asks to correct every filing (the web build has no clerk). */
const CORRECTION = new URLSearchParams(globalThis.location?.search ?? '').has('correction')
  ? { due: '2026-12-09', points: [{ item: 'identity', reason: '身份证复印件不清晰' }] }
  : null;

/** The text of the web build's served notice. */
const SERVED_TEXT = '举证通知书\n请于收到本通知之日起十五日内提交证据。';

const POLICY: PolicyView = {
  courtId: 'demo-basic-court',
  courtName: "示范基层人民法院 (Demo Basic People's Court)",
  version: 'web',
  confirmedAt: 0,
  caseTypes: [
    {
      code: 'civil-contract',
      nameZh: '合同纠纷（民事一审）',
      nameEn: 'Contract dispute (civil, first instance)',
      amountRequired: true,
      requiredDocuments: [
        required('complaint', '起诉状', 'Statement of claim'),
        required('identity', '当事人身份证明', 'Identity documents of the parties'),
        required('evidence-list', '证据目录', 'Evidence catalogue')
      ]
    }
  ],
  periods: [
    { code: 'answer', nameZh: '答辩期', nameEn: 'Time to answer', basis: 'Civil Procedure Law (2023) Art. 128' },
    { code: 'appeal-judgment', nameZh: '判决上诉期', nameEn: 'Appeal against a judgment', basis: 'Civil Procedure Law (2023) Art. 171' }
  ]
};

/**
 * Cases, accounts and the outbox for the web build: the same shapes as the app, with the
 * checks the UI relies on (missing parties, claims, facts and required documents). Papers
 * count as rendered; fees are computed only by the real backend.
 */
/** `exhibitsOf` finds the locker's exhibits by id, in the order given (as the real backend reads a case's own). */
export function createFakeCases(unlocked: () => void, offline: boolean, exhibitsOf: (ids: string[]) => Exhibit[]): CaseMethods {
  const cases = new Map<string, CaseView>();
  const accounts: CourtAccountView[] = [];
  let next = 1;
  const now = () => Date.now();
  const paused = new Set<string>();
  const answers: ActionView[] = [];
  const outgoing: ActionView[] = [];

  const check = (view: CaseView): CaseView => {
    const f = view.case.fields;
    const problems: CheckProblem[] = [];
    if (accounts.length === 0) problems.push({ code: 'notSignedIn', role: null, subject: null, detail: 'sign in to the court' });
    for (const role of ['plaintiff', 'defendant'] as const) {
      if (!f.parties.some((p) => p.role === role)) problems.push({ code: 'partyMissing', role, subject: null, detail: `add a ${role}` });
    }
    if (!f.claims.some((c) => c.trim())) problems.push({ code: 'claimsMissing', role: null, subject: null, detail: 'state a claim' });
    if (!f.facts.trim()) problems.push({ code: 'factsMissing', role: null, subject: null, detail: 'state the facts' });
    const type = POLICY.caseTypes.find((t) => t.code === f.caseType);
    const req = (type?.requiredDocuments ?? []).map((r) => ({ ...r, present: r.generated || view.case.documents.some((d) => d.kind === r.kind) }));
    for (const r of req) if (!r.present) problems.push({ code: 'documentMissing', role: null, subject: r.kind, detail: `add the ${r.nameEn}` });
    const queued = view.case.filingItem !== null;
    return { ...view, exhibits: exhibitsOf(view.case.exhibits), check: { ready: !queued && problems.length === 0, required: queued ? [] : req, problems: queued ? [] : problems, policyVersion: 'web' } };
  };
  const get = (id: string) => {
    unlocked();
    const v = cases.get(id);
    if (!v) throw new BackendError({ code: 'notFound', message: `no case ${id}` });
    return v;
  };
  const put = (v: CaseView) => {
    const checked = check(v);
    cases.set(v.case.id, checked);
    return checked;
  };
  const editable = (v: CaseView) => {
    if (v.case.filingItem) throw new BackendError({ code: 'invalidInput', message: 'the case was sent to the court' });
  };
  const filing = (v: CaseView): OutboxView => ({
    id: v.case.filingItem ?? '',
    title: v.case.fields.title,
    caseId: v.case.id,
    state: offline ? 'queued' : 'receipted',
    reason: null,
    details: [],
    correction: CORRECTION && !offline ? CORRECTION : null,
    courtStatus: offline ? null : 'submitted',
    caseNumber: null,
    files: v.case.documents.length,
    filesUploaded: offline ? 0 : v.case.documents.length,
    progress: null,
    paused: paused.has(v.case.filingItem ?? ''),
    cancellable: offline,
    lastError: offline ? 'the court cannot be reached' : null,
    createdAt: Math.floor(v.case.updatedAt / 1000)
  });

  // `?courtcase`: one case the court has docketed (case-1), whose evidence exchange holds
  // one exhibit of the other side's, sealed here.
  const exchanges = new Map<string, ExchangedView[]>();
  if (new URLSearchParams(globalThis.location?.search ?? '').has('courtcase')) {
    exchanges.set('case-1', [
      { id: 'exh_1', submittedBy: 'li.si', mine: false, title: '送货单', proves: '货物已于 2025 年 1 月交付', sha256: 'ab'.repeat(32), bytes: 2048, sealed: true, opinions: [], outgoing: [] }
    ]);
  }
  const methods: CaseMethods = {
    signIn: async () => {
      unlocked();
      const a = { court: 'http://127.0.0.1:0/', username: 'zhang.san', name: '张三', deviceId: 'web' };
      if (!accounts.length) accounts.push(a);
      return a;
    },
    signOut: async (_court, username) => {
      unlocked();
      const i = accounts.findIndex((a) => a.username === username);
      if (i >= 0) accounts.splice(i, 1);
    },
    courtAccounts: async () => (unlocked(), [...accounts]),
    syncOverview: async () => {
      unlocked();
      const items = [...cases.values()].filter((v) => v.case.filingItem).map(filing);
      return {
        accounts: accounts.map((account) => ({
          account,
          state: offline ? 'offline' : 'online',
          reason: offline ? 'the court cannot be reached' : null,
          lastSync: offline ? null : Math.floor(now() / 1000),
          pending: offline ? items.length : 0,
          needsAttention: 0
        })),
        items
      };
    },
    syncNow: async () => unlocked(),
    watchSync: async (handler) => {
      let live = true;
      const tick = async () => live && handler(await methods.syncOverview());
      await tick();
      const timer = setInterval(() => void tick(), 500);
      return () => {
        live = false;
        clearInterval(timer);
      };
    },
    setFilingPaused: async (id, on) => {
      unlocked();
      if (on) paused.add(id);
      else paused.delete(id);
    },
    cancelFiling: async (id) => {
      unlocked();
      const v = [...cases.values()].find((c) => c.case.filingItem === id);
      if (!v || !offline) throw new BackendError({ code: 'invalidInput', message: 'it may already be at the court' });
      put({ ...v, case: { ...v.case, filingItem: null }, stage: 'preparing', filing: null });
    },
    courtPolicy: async () => (unlocked(), POLICY),
    listCases: async () => {
      unlocked();
      return [...cases.values()]
        .sort((a, b) => b.case.updatedAt - a.case.updatedAt)
        .map((v) => ({
          id: v.case.id,
          title: v.case.fields.title,
          causeOfAction: v.case.fields.causeOfAction,
          caseType: v.case.fields.caseType,
          stage: v.stage,
          caseNumber: v.caseNumber,
          nextDeadline: v.case.deadlines.map((d) => d.lastDay).filter((d) => d >= new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10)).sort()[0] ?? null,
          nextHearing: null,
          updatedAt: v.case.updatedAt
        }));
    },
    getCase: async (id) => check(get(id)),
    createCase: async (fields: CaseFields) => {
      unlocked();
      const id = `case${next++}`;
      const doc = (kind: string, title: string) => ({
        blobId: `${id}-${kind}`,
        kind,
        title,
        fileName: `${title}.pdf`,
        mediaType: 'application/pdf',
        bytes: 1000,
        sha256: '0'.repeat(64),
        generated: true
      });
      return put({
        case: { id, fields, documents: [doc('complaint', '民事起诉状'), doc('evidence-list', '证据目录')], filingItem: null, deadlines: [], courtCase: null, exhibits: [], correcting: null, createdAt: now(), updatedAt: now() },
        stage: 'preparing',
        caseNumber: null,
        filing: null,
        check: { ready: false, required: [], problems: [], policyVersion: 'web' },
        fee: null,
        offlineSteps: [],
        exhibits: []
      });
    },
    updateCase: async (id, fields) => {
      const v = get(id);
      editable(v);
      return put({ ...v, case: { ...v.case, fields, updatedAt: now() } });
    },
    // The web build's stand-in for Rust's money parser (casework::money): the same rules.
    checkAmount: async (text) => {
      const half = text.trim().replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/，/g, ',').replace(/．/g, '.').replace(/￥/g, '¥');
      const body = half.replace(/^¥\s*/, '').replace(/\s*元$/, '');
      if (!body) return { result: 'invalid', problem: 'empty', character: null };
      const bad = [...body].find((c) => !/[0-9.,]/.test(c));
      if (bad) return { result: 'invalid', problem: 'notADigit', character: bad };
      const [whole = '', fraction = '', ...more] = body.split('.');
      if (more.length || fraction.includes(',')) return { result: 'invalid', problem: 'notADigit', character: more.length ? '.' : ',' };
      if (fraction.length > 2) return { result: 'invalid', problem: 'tooManyDecimals', character: null };
      if (!whole) return { result: 'invalid', problem: 'notADigit', character: '.' };
      if (whole.includes(',') && !/^\d{1,3}(,\d{3})+$/.test(whole)) return { result: 'invalid', problem: 'grouping', character: null };
      const fen = Number(whole.replace(/,/g, '')) * 100 + Number(fraction.padEnd(2, '0'));
      if (!Number.isSafeInteger(fen)) return { result: 'invalid', problem: 'tooLarge', character: null };
      return { result: 'valid', fen, yuan: fen % 100 ? (fen / 100).toFixed(2) : String(fen / 100) };
    },
    deleteCase: async (id) => {
      const v = get(id);
      if (v.case.filingItem || v.case.courtCase) throw new BackendError({ code: 'invalidInput', message: `case ${id} is known to the court: it is kept` });
      cases.delete(id);
    },
    copyCase: async (id) => {
      const v = get(id);
      const copy = `case${next++}`;
      const correcting = v.filing?.correction ? { original: id, due: v.filing.correction.due, points: v.filing.correction.points } : null;
      return put({ ...v, case: { ...v.case, id: copy, filingItem: null, correcting }, stage: 'preparing', filing: null });
    },
    queueCaseFiling: async (id) => {
      const v = get(id);
      if (!v.check.ready) throw new BackendError({ code: 'invalidInput', message: 'the filing is not complete' });
      const stage = offline ? ('queued' as const) : CORRECTION ? ('correctionRequested' as const) : ('sent' as const);
      const queued = { ...v, case: { ...v.case, filingItem: `item-${id}` }, stage };
      return put({ ...queued, filing: filing(queued) });
    },
    attachCaseDocument: async (id, kind, fileName, bytes) => {
      const v = get(id);
      editable(v);
      const doc = { blobId: `${id}-${next++}`, kind, title: fileName.replace(/\.[^.]*$/, ''), fileName, mediaType: new TextDecoder().decode(bytes.slice(0, 5)) === '%PDF-' ? 'application/pdf' : bytes[0] === 0xff && bytes[1] === 0xd8 ? 'image/jpeg' : 'application/octet-stream', bytes: bytes.length, sha256: '0'.repeat(64), generated: false };
      return put({ ...v, case: { ...v.case, documents: [...v.case.documents, doc], updatedAt: now() } });
    },
    detachCaseDocument: async (id, blobId) => {
      const v = get(id);
      editable(v);
      return put({ ...v, case: { ...v.case, documents: v.case.documents.filter((d) => d.blobId !== blobId) } });
    },
    // The web build has no court feed: an exchange only for the case `?courtcase` seeds.
    evidenceExchange: async (id) => exchanges.get(get(id).case.courtCase ?? '') ?? [],
    crossExamine: async (id, exhibit, opinion) => {
      const theirs = (exchanges.get(get(id).case.courtCase ?? '') ?? []).find((e) => e.id === exhibit && !e.mine);
      if (!theirs) throw new BackendError({ code: 'invalidInput', message: 'opinions are given on the other side\'s exhibits in this case' });
      for (const stance of [opinion.authenticity, opinion.legality, opinion.relevance]) {
        if (!['admit', 'partly', 'dispute'].includes(stance)) throw new BackendError({ code: 'invalidInput', message: `unknown stance ${stance}` });
      }
      const action: ActionView = { id: `a${next++}`, text: opinion.remarks, state: 'queued', sentAt: null, reason: null };
      theirs.outgoing = [...theirs.outgoing, action];
      return action;
    },
    submitToExchange: async (id, ids) => {
      const court = get(id).case.courtCase;
      if (!court) throw new BackendError({ code: 'invalidInput', message: 'the court has not opened this case yet' });
      const list = exchanges.get(court) ?? [];
      const actions = ids.map((exhibit) => {
        const action: ActionView = { id: `a${next++}`, text: exhibit, state: 'queued', sentAt: null, reason: null };
        list.push({ id: action.id, submittedBy: 'zhang.san', mine: true, title: exhibit, proves: '', sha256: '0'.repeat(64), bytes: 0, sealed: false, opinions: [], outgoing: [action] });
        return action;
      });
      exchanges.set(court, list);
      return actions;
    },
    markStepOffline: async (id, step, reason) => {
      const v = get(id);
      if (!v.case.courtCase) throw new BackendError({ code: 'invalidInput', message: 'the court has not opened this case yet' });
      if (!reason.trim()) throw new BackendError({ code: 'invalidInput', message: 'the text must be 1 to 20000 characters' });
      const action: ActionView = { id: `a${next++}`, text: reason, state: 'queued', sentAt: null, reason: null };
      return put({ ...v, offlineSteps: [...v.offlineSteps, { step, action }] });
    },
    setCaseExhibits: async (id, exhibits) => {
      const v = get(id);
      editable(v);
      if (new Set(exhibits).size !== exhibits.length) throw new BackendError({ code: 'invalidInput', message: 'an exhibit is chosen twice' });
      return put({ ...v, case: { ...v.case, exhibits } });
    },
    addCaseDeadline: async (id, period, from, note) => {
      const v = get(id);
      const p = POLICY.periods.find((x) => x.code === period);
      if (!p || !/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new BackendError({ code: 'invalidInput', message: 'bad period or date' });
      const d = { id: `d${next++}`, period, nameZh: p.nameZh, nameEn: p.nameEn, from, lastDay: addDays(from, 15), moved: false, calendarKnown: true, note, source: null };
      return put({ ...v, case: { ...v.case, deadlines: [...v.case.deadlines, d] } });
    },
    removeCaseDeadline: async (id, deadlineId) => {
      const v = get(id);
      return put({ ...v, case: { ...v.case, deadlines: v.case.deadlines.filter((d) => d.id !== deadlineId) } });
    },
    calendar: async () => {
      unlocked();
      const items: CalendarItem[] = [...cases.values()].flatMap((v) =>
        v.case.deadlines.map((d) => ({ caseId: v.case.id, caseTitle: v.case.fields.title, kind: 'deadline' as const, day: d.lastDay, at: null, nameZh: d.nameZh, nameEn: d.nameEn, note: d.note, clashesWith: [] as string[] }))
      );
      for (const h of await methods.hearings()) {
        items.push({ caseId: h.localCase, caseTitle: h.caseTitle, kind: 'hearing', day: new Date(h.startsAtMs + 8 * 3_600_000).toISOString().slice(0, 10), at: h.startsAt, nameZh: h.title, nameEn: h.title, note: '', clashesWith: [] });
      }
      for (const a of items) for (const b of items) if (a !== b && a.day === b.day && a.caseId !== b.caseId) a.clashesWith.push(b.caseTitle ?? b.nameZh);
      return { items: items.sort((a, b) => a.day.localeCompare(b.day)) };
    },
    exportCalendar: async () => (unlocked(), '~/Downloads/courtside-deadlines.ics'),
    // The home view from what the web build holds (the same rules as Rust's, in short).
    agenda: async () => {
      unlocked();
      const china = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
      const today = china(Date.now());
      const daysLeft = (day: string) => Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
      const items: AgendaItem[] = [];
      for (const v of cases.values()) {
        for (const d of v.case.deadlines) {
          if (d.period === 'fee-payment') continue;
          items.push({ kind: 'deadline', day: d.lastDay, at: null, daysLeft: daysLeft(d.lastDay), caseId: v.case.id, caseTitle: v.case.fields.title, title: d.nameZh, titleEn: d.nameEn, target: d.id });
        }
      }
      for (const h of await methods.hearings()) {
        const day = china(h.startsAtMs);
        items.push({ kind: 'hearing', day, at: h.startsAt, daysLeft: daysLeft(day), caseId: h.localCase, caseTitle: h.caseTitle, title: h.title, titleEn: null, target: h.id });
      }
      for (const f of await methods.feeNotices()) {
        if (!f.paidAt) items.push({ kind: 'feeDue', day: f.due, at: null, daysLeft: daysLeft(f.due), caseId: f.localCase, caseTitle: f.caseTitle, title: f.reason, titleEn: null, target: f.id });
      }
      const kept = items.filter((i) => i.daysLeft >= -14 && i.daysLeft <= 60).sort((a, b) => a.day.localeCompare(b.day));
      return { today, items: kept, needsYou: kept.filter((i) => i.daysLeft <= 3).length };
    },
    // The web build has no court feed: `?hearing` shows one hearing two days ahead.
    hearings: async () => {
      unlocked();
      if (!new URLSearchParams(globalThis.location?.search ?? '').has('hearing')) return [];
      const start = Date.now() + 2 * 86_400_000 + 3_600_000;
      return [
        {
          id: 'h1', title: '第一次开庭', courtCase: 'case-1', localCase: null, caseTitle: null, startsAt: new Date(start).toISOString(), startsAtMs: start, durationMinutes: 60, platform: 'court-room', clashesWith: [],
          questions: [{ id: 'q1', text: '被告是否收到货物？', opensAt: new Date(Date.now() - 60_000).toISOString(), closesAt: new Date(start).toISOString(), answers: [...answers] }]
        }
      ];
    },
    // The web build has no court feed: `?fee` shows one unpaid fee notice, two days overdue.
    feeNotices: async () => {
      unlocked();
      if (!new URLSearchParams(globalThis.location?.search ?? '').has('fee')) return [];
      return [
        { id: 'fee1', courtCase: 'case-1', localCase: null, caseTitle: null, amountFen: 230_000, reason: '案件受理费', due: new Date(Date.now() + 8 * 3_600_000 - 2 * 86_400_000).toISOString().slice(0, 10), paidAt: null, receiptNumber: null }
      ];
    },
    payFee: async (fee) => (unlocked(), `http://127.0.0.1:0/pay/${fee}`),
    networkCheck: async () => (unlocked(), { roundTripMs: 12, throughputKbps: 48_000 }),
    checkIn: async (_hearing, check) => {
      unlocked();
      if (!check.rulesAcknowledged || !check.identityConfirmed) throw new BackendError({ code: 'court', message: 'confirm your identity and the hearing rules' });
      return { checkedInAt: new Date().toISOString(), roomUrl: null };
    },
    joinHearing: async (hearing) => (unlocked(), { checkedInAt: null, roomUrl: `http://127.0.0.1:0/rooms/${hearing}?token=web` }),
    exportHearingLog: async (hearing) => (unlocked(), `~/Downloads/connectivity-${hearing}.csv`),
    answerQuestion: async (_hearing, _question, text) => {
      unlocked();
      if (!text.trim()) throw new BackendError({ code: 'invalidInput', message: 'the text must be 1 to 20000 characters' });
      const action: ActionView = { id: `a${next++}`, text, state: 'queued', sentAt: null, reason: null };
      answers.push(action);
      return action;
    },
    mediation: async () => (unlocked(), { messages: [{ id: 'm1', from: 'mediator', mine: false, text: '双方是否愿意调解？', sentAt: '2026-11-23T02:00:00Z' }], outgoing: [...outgoing] }),
    sendMediationMessage: async (_courtCase, text) => {
      unlocked();
      if (!text.trim()) throw new BackendError({ code: 'invalidInput', message: 'the text must be 1 to 20000 characters' });
      const action: ActionView = { id: `a${next++}`, text, state: 'queued', sentAt: null, reason: null };
      outgoing.push(action);
      return action;
    },
    onCourtNews: async () => () => {},
    // The web build has no court feed: `?served` shows one served document.
    servedDocuments: async () => {
      unlocked();
      if (!new URLSearchParams(globalThis.location?.search ?? '').has('served')) return [];
      return [
        {
          id: 'svc1',
          courtCase: 'case-1',
          localCase: null,
          caseTitle: null,
          deadline: { nameZh: '答辩期', nameEn: 'Time to answer', lastDay: '2026-12-08' },
          title: '起诉状副本及应诉通知书',
          documentKind: 'complaint',
          period: 'answer',
          mediaType: 'application/pdf',
          bytes: 52_000,
          sha256: 'ab'.repeat(32),
          sentAt: '2026-11-23T02:00:00Z',
          receivedAt: '2026-11-23T02:00:05Z'
        },
        {
          id: 'svc2',
          courtCase: 'case-1',
          localCase: null,
          caseTitle: null,
          deadline: null,
          title: '举证通知书',
          documentKind: 'notice',
          period: null,
          mediaType: 'text/plain',
          bytes: SERVED_TEXT.length,
          sha256: 'cd'.repeat(32),
          sentAt: '2026-11-23T02:01:00Z',
          receivedAt: '2026-11-23T02:01:05Z'
        }
      ];
    },
    servedContent: async (id) => {
      unlocked();
      if (id !== 'svc2') throw new BackendError({ code: 'invalidInput', message: 'application/pdf cannot be shown here' });
      return new TextEncoder().encode(SERVED_TEXT);
    },
    saveServedCopy: async (id) => (unlocked(), id === 'svc2' ? '~/Downloads/举证通知书.txt' : '~/Downloads/起诉状副本及应诉通知书.pdf')
  };
  if (exchanges.size) {
    const fields: CaseFields = {
      courtId: 'demo-basic-court',
      caseType: 'civil-contract',
      causeOfAction: '买卖合同纠纷',
      title: '张三诉李四买卖合同纠纷',
      amountFen: 5_000_000,
      simpleProcedure: true,
      parties: [],
      claims: ['判令被告支付货款五万元'],
      facts: '被告收货后未付款。',
      notes: ''
    };
    put({
      case: { id: 'case-court', fields, documents: [], filingItem: 'item-court', deadlines: [], courtCase: 'case-1', exhibits: [], correcting: null, createdAt: now(), updatedAt: now() },
      stage: 'docketed',
      caseNumber: '(2026)示0101民初1号',
      filing: null,
      check: { ready: false, required: [], problems: [], policyVersion: 'web' },
      fee: null,
      offlineSteps: [],
      exhibits: []
    });
  }
  return methods;
}

/** Calendar days added to a YYYY-MM-DD date (weekends and holidays are the real backend's business). */
function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
