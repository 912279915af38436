/**
 * The only door from the UI to Rust. Components call these typed functions; nothing else
 * in the UI imports `@tauri-apps/*` (CI checks). In the desktop app the calls go over Tauri
 * IPC; in a plain browser (the web build the Playwright suite drives) a fake backend with
 * the same behaviour stands in.
 */
import type {
  AppInfo,
  BackupStatus,
  RestoreSource,
  RestoredView,
  HearingCheck,
  HearingEntry,
  NetworkCheck,
  HearingView,
  FeeNoticeView,
  ActionView,
  MediationView,
  ExchangedView,
  OpinionInput,
  OfflineStepKind,
  NewsKind,
  ServedView,
  Exhibit,
  ExhibitDetail,
  DropOffer,
  DropOutcome,
  DropProgress,
  Verification,
  CalendarView,
  AmountCheck,
  AgendaView,
  CaseFields,
  CaseSummary,
  CaseView,
  CourtAccountView,
  PolicyView,
  SyncOverview,
  Connectivity,
  CreatedVault,
  DamagedItem,
  Draft,
  DraftSummary,
  ErrorCode,
  IpcError,
  SearchHit,
  VaultState,
  VersionSummary
} from './bindings';

export type * from './bindings';

/** How the window got the bytes of an exhibit it hands over (Rust records the source). */
export type CaptureHow = 'file' | 'drop' | 'camera' | 'microphone' | 'screen';

/** Everything the UI can ask of the backend. */
export interface Backend {
  /** Version, OS locale and the court in use. */
  appInfo(): Promise<AppInfo>;
  /** Asks the court whether it answers now. */
  checkConnectivity(): Promise<Connectivity>;
  /** Whether a vault exists and whether it is open. */
  vaultState(): Promise<VaultState>;
  /** Damaged items met since the vault was opened (what lists left out, what failed to open). */
  vaultDamage(): Promise<DamagedItem[]>;
  /** Opens everything in the vault and lists what is damaged (empty: intact). */
  checkVault(): Promise<DamagedItem[]>;
  /** Creates the vault; the recovery key is shown to the user once. */
  createVault(passphrase: string): Promise<CreatedVault>;
  /** Opens the vault with the passphrase. */
  unlockVault(passphrase: string): Promise<void>;
  /** Opens the vault with the recovery key (as printed; case, spaces and dashes ignored). */
  unlockWithRecoveryKey(recoveryKey: string): Promise<void>;
  /** Replaces the passphrase of the open vault. */
  changePassphrase(newPassphrase: string): Promise<void>;
  /** Whether the vault can be opened with this device's keychain. */
  deviceUnlockEnabled(): Promise<boolean>;
  /** Turns "unlock with this device" on or off (fails where there is no keychain). */
  setDeviceUnlock(on: boolean): Promise<void>;
  /** Opens the vault with the key in this device's keychain. */
  unlockWithThisDevice(): Promise<void>;
  /** Closes the vault and forgets its keys. */
  lockVault(): Promise<void>;
  /** The backups: folder, schedule, last good backup, last error. */
  backupStatus(): Promise<BackupStatus>;
  /** Backs up now (then prunes old snapshots); the outcome is in the status. */
  backUpNow(): Promise<BackupStatus>;
  /** How often to back up, and after how many days without one to warn. */
  setBackupSchedule(everyHours: number, warnAfterDays: number): Promise<BackupStatus>;
  /** Stops backing up (backups made stay). */
  stopBackups(): Promise<BackupStatus>;
  /** Asks for the backup folder in the OS's own chooser (the window never names a path). */
  chooseBackupFolder(title: string): Promise<BackupStatus>;
  /** The backup folder the app was configured with, when it holds a backup (first run). */
  configuredRestoreSource(): Promise<RestoreSource | null>;
  /** Asks for a backup folder to restore from in the OS's chooser; null when cancelled. */
  chooseRestoreFolder(title: string): Promise<RestoreSource | null>;
  /** Restores the chosen folder's snapshot (the newest whole one when null) as this
   * computer's vault; it is then locked, to be opened with the same secret. */
  restoreFromBackup(snapshot: string | null, secret: string, recoveryKey: boolean): Promise<RestoredView>;
  /** Exports everything (cases, drafts, evidence, served documents, calendar) as a BagIt
   * bag in the Downloads folder; returns its path. */
  exportEverything(): Promise<string>;
  /** Erases this computer's Courtside data; `confirm` must be `ERASE`. */
  eraseEverything(confirm: string): Promise<void>;
  /** All drafts, most recently saved first. */
  listDrafts(): Promise<DraftSummary[]>;
  /** Creates a draft (version 1). */
  createDraft(title: string, body: string, caseId: string | null): Promise<Draft>;
  /** Saves new content as the next version; unchanged content writes nothing. */
  saveDraft(id: string, title: string, body: string): Promise<Draft>;
  /** A draft's current content, or one version of it. */
  getDraft(id: string, version: number | null): Promise<Draft>;
  /** Every version of a draft, oldest first. */
  draftHistory(id: string): Promise<VersionSummary[]>;
  /** Makes an old version current again, as a new version. */
  restoreDraft(id: string, version: number): Promise<Draft>;
  /** Drafts containing the text. */
  searchDrafts(query: string): Promise<SearchHit[]>;
  /** Signs in to the court in the system browser; resolves once the court's redirect arrives. */
  signIn(): Promise<CourtAccountView>;
  /** Forgets an account's tokens and device key. */
  signOut(court: string, username: string): Promise<void>;
  /** Signed-in court accounts. */
  courtAccounts(): Promise<CourtAccountView[]>;
  /** Accounts' sync state and every outbox item. */
  syncOverview(): Promise<SyncOverview>;
  /** Tries to reach the court now. */
  syncNow(): Promise<void>;
  /** Calls `handler` with the sync overview whenever it changes; resolves to a function that stops. */
  watchSync(handler: (overview: SyncOverview) => void): Promise<() => void>;
  /** Holds an outbox item back, or lets it go again. */
  setFilingPaused(id: string, paused: boolean): Promise<void>;
  /** Withdraws an outbox item that was not sent yet. */
  cancelFiling(id: string): Promise<void>;
  /** The court's rules (cached; fetched once when nothing is cached). */
  courtPolicy(): Promise<PolicyView>;
  /** Every case, most recently changed first. */
  listCases(): Promise<CaseSummary[]>;
  /** A case with its checklist, fee and filing. */
  getCase(id: string): Promise<CaseView>;
  /** Creates a case and renders its court papers. */
  createCase(fields: CaseFields): Promise<CaseView>;
  /** Changes a case (before it is queued) and renders its papers again. */
  updateCase(id: string, fields: CaseFields): Promise<CaseView>;
  /** A not-yet-queued copy of a case (to fix and file again). */
  copyCase(id: string): Promise<CaseView>;
  /** Reads an amount typed in yuan with Rust's one money parser. */
  checkAmount(text: string): Promise<AmountCheck>;
  /** Deletes a case the court does not know (never filed, never served in), with its documents. */
  deleteCase(id: string): Promise<void>;
  /** Queues the case's filing in the outbox. */
  queueCaseFiling(id: string): Promise<CaseView>;
  /** Seals a file the user picked as a document of the case. */
  attachCaseDocument(id: string, kind: string, fileName: string, bytes: Uint8Array): Promise<CaseView>;
  /** Chooses the locker exhibits the case's filing submits (ids, in catalogue order). */
  setCaseExhibits(id: string, exhibits: string[]): Promise<CaseView>;
  /** Marks a step of the case as continuing offline (Art. 33); the court is told when online. */
  markStepOffline(id: string, step: OfflineStepKind, reason: string): Promise<CaseView>;
  /** The case's evidence exchange: the other side's exhibits (sealed here) and ours, with opinions. */
  evidenceExchange(id: string): Promise<ExchangedView[]>;
  /** Queues a cross-examination opinion on an exhibit of the other side (sent when online). */
  crossExamine(id: string, exhibit: string, opinion: OpinionInput): Promise<ActionView>;
  /** Offers exhibits of the locker into the case's evidence exchange (queued; sent when the court can be reached). */
  submitToExchange(id: string, exhibits: string[]): Promise<ActionView[]>;
  /** Removes a document from a case. */
  detachCaseDocument(id: string, blobId: string): Promise<CaseView>;
  /** Computes a deadline (period counted from `from`, YYYY-MM-DD) and puts it on the case. */
  addCaseDeadline(id: string, period: string, from: string, note: string): Promise<CaseView>;
  /** Removes a deadline from a case. */
  removeCaseDeadline(id: string, deadlineId: string): Promise<CaseView>;
  /** Deadlines of every case, soonest first, with clashes. */
  /** What is due and coming across every case (the home view), soonest first. */
  agenda(): Promise<AgendaView>;
  calendar(): Promise<CalendarView>;
  /** Fee notices from the court, soonest due first; paid ones carry the court's receipt. */
  feeNotices(): Promise<FeeNoticeView[]>;
  /** Opens the court's payment page for a fee in the system browser; resolves to its address. */
  payFee(fee: string): Promise<string>;
  /** Hearings the court announced, soonest first. */
  hearings(): Promise<HearingView[]>;
  /** Round trip and throughput to the court. */
  networkCheck(): Promise<NetworkCheck>;
  /** Sends the pre-hearing check to the court. */
  checkIn(hearing: string, check: HearingCheck): Promise<HearingEntry>;
  /** Joins: the court's room opens with the system handler; a connectivity log starts. */
  joinHearing(hearing: string, minutes: number): Promise<HearingEntry>;
  /** Queues a written answer to a question of an asynchronous hearing (sent when online). */
  answerQuestion(hearing: string, question: string, text: string): Promise<ActionView>;
  /** The mediation thread of a court case, with what is still on its way. */
  mediation(courtCase: string): Promise<MediationView>;
  /** Queues a message to the mediator (sent when online). */
  sendMediationMessage(courtCase: string, text: string): Promise<ActionView>;
  /** Exports the hearing's connectivity log; resolves to the file's path. */
  exportHearingLog(hearing: string): Promise<string>;
  /** Calls `handler` with the kind of each piece of court news (also shown as a desktop notification). */
  onCourtNews(handler: (kind: NewsKind) => void): Promise<() => void>;
  /** Documents the court served, newest first, with their cases. */
  servedDocuments(): Promise<ServedView[]>;
  /** A served document's bytes, to show it in the window (up to 64 MiB). */
  servedContent(id: string): Promise<Uint8Array>;
  /** Saves a copy of a served document in the Downloads folder; returns its path. */
  saveServedCopy(id: string): Promise<string>;
  /** Writes the calendar as an iCalendar file; resolves to its path. */
  exportCalendar(): Promise<string>;
  /** Every exhibit, by number. */
  listExhibits(): Promise<Exhibit[]>;
  /** Captures a file's bytes as an exhibit: hashed, sealed, logged. */
  addExhibit(fileName: string, title: string, proves: string, how: CaptureHow, bytes: Uint8Array): Promise<Exhibit>;
  /** An exhibit with its custody timeline and a fresh verification (the view is logged). */
  exhibitDetail(id: string): Promise<ExhibitDetail>;
  /** The original bytes of an exhibit the window can show (images, audio, video, text; at most 64 MiB). */
  exhibitContent(id: string): Promise<Uint8Array>;
  /** Changes an exhibit's title and what it proves. */
  describeExhibit(id: string, title: string, proves: string): Promise<Exhibit>;
  /** Checks every exhibit and the whole custody log. */
  verifyEvidence(): Promise<Verification>;
  /** Exports exhibits (all when empty) as a BagIt bag; resolves to its path. */
  exportEvidenceBag(ids: string[]): Promise<string>;
  /** Time-stamps new exhibits and the custody log at the court's authority; resolves to the count of tokens. */
  timestampEvidence(): Promise<number>;
  /** Captures a web page as a `.warc.gz` exhibit. */
  captureUrl(url: string, proves: string): Promise<Exhibit>;
  /**
   * Files and folders dropped on the desktop window: the app holds them (their paths never
   * reach the UI) and `offer` gets names and sizes; `refused` gets the reason when nothing
   * could be taken; `hover` tells when something is dragged over the window. Resolves to a
   * function that stops listening.
   */
  onEvidenceDropped(handlers: { offer: (offer: DropOffer) => void; refused: (reason: string) => void; hover: (over: boolean) => void }): Promise<() => void>;
  /**
   * Whether the platform's own file chooser is there (the desktop app). Files it gives are
   * read from disk by the app; the web build has only the browser's file input.
   */
  readonly nativeChooser: boolean;
  /** Opens the platform's chooser for files (or folders), titled `title`; resolves to what it holds, or null when cancelled. */
  chooseEvidence(folders: boolean, title: string): Promise<DropOffer | null>;
  /** Captures a held drop, file by file, reporting progress. */
  captureDropped(token: string, proves: string, onProgress: (progress: DropProgress) => void): Promise<DropOutcome>;
  /** Forgets a held drop. */
  discardDropped(token: string): Promise<void>;
  /** The watched inbox folder, if set. */
  inboxDir(): Promise<string | null>;
  /** Asks for the watched inbox folder in the OS's own chooser; the folder watched after. */
  chooseInboxDir(title: string): Promise<string | null>;
  /** Stops watching the inbox folder. */
  clearInboxDir(): Promise<string | null>;
  /**
   * Calls `handler` when the app wants the window to save and lock now (the machine is going
   * to sleep, or woke from it). Resolves to a function that stops listening.
   */
  onLockRequested(handler: () => void): Promise<() => void>;
  /** Tells the backend the first screen is interactive (start-up time is measured by it). */
  uiReady(): Promise<void>;
}

/** A failed backend call, in the one error shape `{ code, message, details? }`. */
export class BackendError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(e: IpcError) {
    super(e.message);
    this.name = 'BackendError';
    this.code = e.code;
    this.details = e.details;
  }
}

/** Turns whatever a call threw into a `BackendError`. */
export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    return new BackendError(e as IpcError);
  }
  return new BackendError({ code: 'internal', message: e instanceof Error ? e.message : String(e) });
}

let chosen: Promise<Backend> | undefined;

/** The backend for this environment (Tauri IPC in the app, the fake in a browser). */
export function backend(): Promise<Backend> {
  chosen ??= inTauri()
    ? import('./tauri').then((m) => m.tauriBackend)
    : import('./fake').then((m) => m.createFakeBackend());
  return chosen;
}

function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
