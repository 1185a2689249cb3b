/**
 * The storage layer's vocabulary, shared by every backend and its callers:
 * one type per table row and per column with fixed values.
 * @module
 */
import type { OpsStorage } from "./ops_types.ts";

/** Every value of the `Outcome` column of `transfers`, in display order. */
export const TRANSFER_OUTCOMES = [
  "in_progress",
  "verified",
  "failed",
  "aborted",
  "interrupted",
] as const;

/** The `Outcome` column of `transfers`. */
export type TransferOutcome = typeof TRANSFER_OUTCOMES[number];

/** One page of rows plus the count of all matching rows. */
export interface Page<T> {
  rows: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Which page to read and in which order. */
export interface PageQuery<S extends string> {
  sort?: S;
  dir?: "asc" | "desc";
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

/**
 * Which client(s) a list shows: one id, or every client whose name contains
 * a text (case-insensitive for ASCII, as LIKE).
 */
export type ClientFilter = Uint8Array | { nameContains: string };

/** The orders the Clients page offers, the default first. */
export const CLIENT_SORT_KEYS = ["name", "lastSeen", "created"] as const;
export type ClientSort = typeof CLIENT_SORT_KEYS[number];

/** The orders the Files page offers, the default first. */
export const FILE_SORT_KEYS = ["stored", "name", "size"] as const;
export type FileSort = typeof FILE_SORT_KEYS[number];

/** A client as the Clients page lists it. */
export interface ClientRow {
  id: string;
  name: string;
  lastSeen: string | null;
  createdAt: string | null;
  hasKey: boolean;
  files: number;
  verified: number;
  bytes: number;
}

/**
 * How a client speaks the protocol (docs/protocol.md, "Dialects"), as its
 * key exchange and last complete upload showed; nulls until they happen.
 */
export interface ClientDialect {
  /** "160", "162-junk" or "162". */
  keyField: string | null;
  ivPrefix: boolean | null;
  /** "total", "per-packet" or "either" (only single-packet uploads seen). */
  sizeMeaning: string | null;
}

/** A stored file as the Files page lists it. */
export interface FileRow {
  clientId: string;
  clientName: string | null;
  fileName: string;
  pathName: string;
  size: number | null;
  checksum: number | null;
  verified: boolean;
  storedAt: string | null;
}

/** One upload attempt as the Transfers page lists it. */
export interface TransferRow {
  id: number;
  clientId: string;
  clientName: string | null;
  fileName: string;
  transport: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: TransferOutcome;
  bytes: number;
  size: number | null;
  attempts: number;
  error: string | null;
}

/** A row of `portal_sessions`: a signed-in administrator, by the hash of the cookie value. */
export interface PortalSessionRow {
  user: string;
  createdAt: number;
  lastSeen: number;
}

/** A row of `clients`. */
export interface ClientRecord {
  id: Uint8Array;
  name: string;
  publicKey: Uint8Array | null;
  lastSeen: string | null;
  aesKey: Uint8Array | null;
  createdAt: string | null;
  /** Until when a re-keyed client may register again under its id; null when never re-keyed or keyed since. */
  rekeyUntil: string | null;
}

/** A row of `files`. */
export interface FileRecord {
  clientId: Uint8Array;
  fileName: string;
  pathName: string;
  verified: boolean;
  size: number | null;
  checksum: number | null;
  storedAt: string | null;
}

/** A verified upload, as `files.recordVerified` stores it. */
export interface VerifiedFile {
  clientId: Uint8Array;
  fileName: string;
  /** Where the file store put it. */
  pathName: string;
  size: number;
  /** POSIX cksum of the plaintext. */
  checksum: number;
}

/** The start of an upload, as `transfers.start` records it. */
export interface NewTransfer {
  clientId: Uint8Array;
  fileName: string;
  transport: "tcp" | "http";
  /** Size of the whole ciphertext. */
  size: number;
  attempt: number;
}

/** How an upload ended, as `transfers.finish` records it. */
export interface TransferResult {
  outcome: Exclude<TransferOutcome, "in_progress">;
  bytes: number;
  checksum?: number;
  error?: string;
}

/**
 * Registered clients: the protocol core's registration, keys and
 * bookkeeping, and the portal's listing, deleting and revoking.
 */
export interface ClientStorage {
  /**
   * Inserts a client. Returns false, rather than throwing, when the name is
   * already registered: that is an expected answer (1601), not a failure.
   * A name whose client never completed a key exchange and stored nothing
   * is taken over once ABANDONED_NAME_GRACE_MS have passed since its
   * registration (its connection died before 1026).
   */
  create(id: Uint8Array, name: string, now: string): boolean;
  /** The client with this id, if any. */
  byId(id: Uint8Array): ClientRecord | undefined;
  /** The client with this name, if any. */
  byName(name: string): ClientRecord | undefined;
  /**
   * Stores the session AES key and, on a first key exchange, the public key
   * and the form of the key field it came in (a reconnect keeps the stored
   * ones). Throws when the client is gone.
   */
  setKeys(
    id: Uint8Array,
    keys: { publicKey?: Uint8Array; aesKey: Uint8Array; keyField?: string },
    now: string,
  ): void;
  /** Clears the client's stored AES key when it is still `aesKey`. */
  forgetSessionKey(id: Uint8Array, aesKey: Uint8Array): void;
  /** Clears every stored AES key (at start: no session survives a restart); returns how many. */
  forgetSessionKeys(): number;
  /**
   * Records how a client sent its last complete upload (docs/protocol.md,
   * "Dialects"), on the client and on the upload's transfer.
   */
  recordUploadDialect(
    clientId: Uint8Array,
    dialect: { ivPrefix: boolean; sizes?: string; label: string },
    transferId?: number,
  ): void;
  /** Updates LastSeen, waiting only briefly for the write lock; a deleted client is skipped. */
  touch(id: Uint8Array, now: string): void;
  /** Remembers that an upload of this client did not decrypt under its session key. */
  recordKeyFailure(clientId: Uint8Array, now: string): void;
  /** How many uploads of this client failed to decrypt after `since` (ISO-8601). */
  keyFailuresSince(clientId: Uint8Array, since: string): number;

  /** Clients whose name contains `q` or whose hex id starts with it. */
  list(query?: PageQuery<ClientSort> & { q?: string }): Page<ClientRow>;
  /** One client, or undefined when the id is unknown. */
  get(id: Uint8Array): ClientRow | undefined;
  /** The recorded dialect of a client, or undefined when the id is unknown. */
  dialect(id: Uint8Array): ClientDialect | undefined;
  /**
   * Removes a client, its file rows, its versions (their content is left to
   * garbage collection), its policy and health rows; false when there was
   * no such client.
   */
  delete(id: Uint8Array): boolean;
  /**
   * Forgets a client's public and session keys, so its next reconnect is
   * rejected, and frees its name for a new registration; false when the
   * client had no key.
   */
  revokeKey(id: Uint8Array): boolean;
  /**
   * Forgets a client's public and session keys but keeps its id, name and
   * history, so that it can register again under its own id (1025 with
   * that id in the header) and send a new key: the way back for a user
   * who lost `me.info`, for REKEY_WINDOW_MS from `now` (then the name is
   * locked until the next re-key). False when the client had no key.
   */
  rekey(id: Uint8Array, now: string): boolean;
}

/** Stored files: the verified uploads and the portal's view of them. */
export interface FileStorage {
  /** Inserts or replaces the files row as verified, keeping other tools' columns. */
  recordVerified(file: VerifiedFile, now: string): void;
  /** The files row of this client and name, if any. */
  of(clientId: Uint8Array, fileName: string): FileRecord | undefined;
  /** Stored files, optionally of some clients, by verified state and name substring. */
  list(
    query?: PageQuery<FileSort> & {
      client?: ClientFilter;
      verified?: boolean;
      q?: string;
    },
  ): Page<FileRow>;
  /** One file row, or undefined. */
  get(client: Uint8Array, fileName: string): FileRow | undefined;
  /** Removes one file row; false when there was none. */
  delete(client: Uint8Array, fileName: string): boolean;
}

/** The upload history: each upload attempt from start to outcome. */
export interface TransferStorage {
  /** Opens a transfer 'in_progress'; returns its id. */
  start(t: NewTransfer, now: string): number;
  /** Records how many bytes of a running transfer have arrived. */
  progress(id: number, bytes: number): void;
  /** Counts one more attempt of a running transfer (a resend after 1030). */
  retry(id: number): void;
  /** Closes a running transfer; one already closed keeps its first outcome. */
  finish(id: number, result: TransferResult, now: string): void;
  /**
   * Notes, before a verified upload is renamed into place, where it goes,
   * so that the next start can undo the rename if the process dies first.
   */
  noteCommit(
    transferId: number,
    paths: { tempPath: string; finalPath: string },
  ): void;
  /**
   * At start-up, undoes the renames of uploads that died before being
   * recorded, then marks every transfer still 'in_progress' 'interrupted';
   * returns how many. Throws, marking nothing, when a rename cannot be undone.
   */
  interruptUnfinished(now: string): number;
  /** Upload history, newest first, optionally of some clients and one outcome. */
  list(
    query?: Omit<PageQuery<never>, "sort" | "dir"> & {
      client?: ClientFilter;
      outcome?: TransferOutcome;
    },
  ): Page<TransferRow>;
}

/** Administrator accounts (`admins`). */
export interface AdminAccounts {
  /** The stored password hash of an administrator, or undefined. */
  hash(name: string): string | undefined;
  /** Creates or replaces an administrator's password hash. */
  setHash(name: string, hash: string): void;
  /** Number of administrator accounts. */
  count(): number;
}

/** Signed-in portal sessions (`portal_sessions`), by the hash of the cookie value. */
export interface PortalSessions {
  /** Removes sessions idle since `idleBefore` or created before `createdBefore`. */
  sweep(idleBefore: number, createdBefore: number): void;
  insert(idHash: string, user: string, now: number): void;
  find(idHash: string): PortalSessionRow | undefined;
  touch(idHash: string, now: number): void;
  delete(idHash: string): void;
  /** Ends every session of `user` but the one hashed `keepHash`; returns how many. */
  deleteUser(user: string, keepHash: string): number;
}

/** Whole-database figures for the dashboard and health checks. */
export interface StorageStatus {
  /** Counts of registered clients and verified files, to seed live statistics. */
  counts(): { registeredClients: number; verifiedFiles: number };
  /** Total size of the stored files' plaintext. */
  storedBytes(): number;
  /** Size and state of the database, for the dashboard. */
  info(): { bytes: number; journalMode: string; schemaVersion: number };
  /** Throws when the database cannot answer a trivial query. */
  ping(): void;
}

/** One kept version of a (client, name): a verified upload (`versions`). */
export interface FileVersion {
  id: number;
  clientId: Uint8Array;
  fileName: string;
  /** 1 for the oldest version of this name; never reused or renumbered. */
  number: number;
  /** Size of the plaintext. */
  size: number;
  /** POSIX cksum of the plaintext. */
  checksum: number;
  /** BLAKE3 of the plaintext in hex: the address of its content. */
  blake3: string;
  storedAt: string;
  transport: "tcp" | "http";
  /** The upload's dialect label, when known. */
  dialect: string | null;
  pinned: boolean;
  /** When an administrator moved it to the trash; null while kept. */
  trashedAt: string | null;
}

/** A verified upload to record as the newest version of its name. */
export interface NewVersion {
  clientId: Uint8Array;
  fileName: string;
  size: number;
  checksum: number;
  blake3: string;
  transport: "tcp" | "http";
  dialect?: string;
  transferId?: number;
  /**
   * The files row's PathName (where the file store put the latest copy);
   * when absent an existing row keeps its own.
   */
  pathName?: string;
}

/** What a client's kept versions weigh (trashed ones excluded). */
export interface ClientUsage {
  versions: number;
  /** Sum of the versions' plaintext sizes, before deduplication: what quotas count. */
  bytes: number;
}

/**
 * Retention and quota of one scope; null inherits the default (for the
 * default: no such rule). Retention rules as restic `forget`.
 */
export interface ClientPolicy {
  keepLast: number | null;
  keepHourly: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  keepYearly: number | null;
  keepWithinSeconds: number | null;
  quotaBytes: number | null;
  quotaVersions: number | null;
}

/** A name of a client with its history, as restore and the portal list it. */
export interface VersionedName {
  fileName: string;
  /** Kept (untrashed) versions. */
  versions: number;
  /** The newest kept version. */
  latest: FileVersion;
}

/**
 * Backup history (`versions`, `contents`): append-only for clients. Only
 * retention and administrators remove versions; content whose last version
 * is gone is garbage collected (see docs/history.md).
 */
export interface VersionStorage {
  /**
   * Records a verified upload as the newest version of its name (number =
   * last + 1), adding its `contents` row when the content is new, and makes
   * the `files` row describe it. Runs inside the upload's transaction.
   */
  add(version: NewVersion, now: string): FileVersion;
  /** True when content with this BLAKE3 has a `contents` row. */
  hasContent(blake3: string): boolean;
  /** One version by id. */
  get(id: number): FileVersion | undefined;
  /** Versions of one name, oldest first; trashed ones only when asked. */
  list(
    clientId: Uint8Array,
    fileName: string,
    options?: { trashed?: boolean },
  ): FileVersion[];
  /** Version `number` of a name (1 = oldest), kept or trashed. */
  byNumber(
    clientId: Uint8Array,
    fileName: string,
    number: number,
  ): FileVersion | undefined;
  /** The newest kept version of a name stored at or before `at` (ISO-8601). */
  at(
    clientId: Uint8Array,
    fileName: string,
    at: string,
  ): FileVersion | undefined;
  /** A client's names that have kept versions, by name. */
  names(
    clientId: Uint8Array,
    query?: Omit<PageQuery<never>, "sort" | "dir">,
  ): Page<VersionedName>;
  /**
   * Versions of one name, kept and trashed, newest first, one page at a
   * time (the portal's version list): reads only the page's rows.
   */
  page(
    clientId: Uint8Array,
    fileName: string,
    query?: Omit<PageQuery<never>, "sort" | "dir">,
  ): Page<FileVersion>;
  /** The newest kept version of a name, if any. */
  latest(clientId: Uint8Array, fileName: string): FileVersion | undefined;
  /** How many versions a name has, kept and trashed (from the index alone). */
  count(clientId: Uint8Array, fileName: string): number;
  /**
   * Plaintext bytes of the distinct contents a client's kept versions
   * hold: what they weigh after deduplication within the client.
   */
  distinctBytes(clientId: Uint8Array): number;
  /** Pins or unpins a version (a pinned version is never pruned); false when there is none. */
  setPinned(id: number, pinned: boolean): boolean;
  /** What a client's kept versions weigh. */
  usage(clientId: Uint8Array): ClientUsage;
  /** Whole-store figures: logical bytes of kept versions against stored content bytes. */
  totals(): { versions: number; logicalBytes: number; storedBytes: number };
}

/** Retention and quota settings: the default (`"*"`) and per-client overrides. */
export interface PolicyStorage {
  /** The stored rules of a scope (null columns inherit), or undefined. */
  get(scope: "*" | Uint8Array): ClientPolicy | undefined;
  /** Replaces the rules of a scope. */
  set(scope: "*" | Uint8Array, policy: ClientPolicy, now: string): void;
  /** Removes a client's overrides, so it follows the default again. */
  clear(clientId: Uint8Array): void;
  /** A client's rules with the default filled in where it has none. */
  effective(clientId: Uint8Array): ClientPolicy;
}

/** One administrator's act (`audit_log`). */
export interface AuditEntry {
  id: number;
  /** ISO-8601 UTC. */
  at: string;
  /** The administrator's name, or "system" for scheduled work. */
  actor: string;
  /** The address the request came from, when there was one. */
  address: string | null;
  /** A dotted verb, e.g. "client.delete", "version.trash", "retention.run". */
  action: string;
  /** What it was done to, e.g. a client id in hex or "<client hex>/<name>". */
  target: string | null;
  /** Free text or JSON with the particulars. */
  detail: string | null;
}

/** The audit log of administrators' acts: append and read, never edit. */
export interface AuditLog {
  /** Appends one entry; returns its id. */
  record(entry: Omit<AuditEntry, "id">): number;
  /** Entries newest first, optionally by actor, action prefix and time range. */
  list(
    query?: Omit<PageQuery<never>, "sort" | "dir"> & {
      actor?: string;
      /** "client" matches "client.delete" and "client.revoke". */
      action?: string;
      /** ISO-8601, inclusive. */
      since?: string;
      /** ISO-8601, exclusive. */
      until?: string;
    },
  ): Page<AuditEntry>;
}

/**
 * Everything the server keeps in its database, one part per concern: what
 * sessions, routes, the API and the admin CLI see (never SQL).
 */
export interface BackupStorage {
  readonly clients: ClientStorage;
  readonly files: FileStorage;
  readonly transfers: TransferStorage;
  readonly admins: AdminAccounts;
  readonly portalSessions: PortalSessions;
  readonly status: StorageStatus;
  readonly audit: AuditLog;
  readonly versions: VersionStorage;
  readonly policies: PolicyStorage;
  /** Client health, notifications and chart series (server/ops/). */
  readonly ops: OpsStorage;
  /**
   * Runs `fn` as one transaction, rolling back when it throws; nested calls
   * nest. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T;
  /** Closes the connection; later calls do nothing. */
  close(): void;
}
