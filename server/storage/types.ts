/**
 * The storage layer's vocabulary, shared by every backend and its callers:
 * one type per table row and per column with fixed values.
 * @module
 */

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
  outcome: string;
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

/** The portal's view of clients: listing, one client, deleting, revoking. */
export interface ClientQueries {
  /** Clients whose name contains `q` or whose hex id starts with it. */
  list(query?: PageQuery<ClientSort> & { q?: string }): Page<ClientRow>;
  /** One client, or undefined when the id is unknown. */
  get(id: Uint8Array): ClientRow | undefined;
  /** The recorded dialect of a client, or undefined when the id is unknown. */
  dialect(id: Uint8Array): ClientDialect | undefined;
  /** Removes a client's file rows and the client itself; false when there was no such client. */
  delete(id: Uint8Array): boolean;
  /**
   * Forgets a client's public and session keys, so its next reconnect is
   * rejected, and frees its name for a new registration; false when the
   * client had no key.
   */
  revokeKey(id: Uint8Array): boolean;
}

/** The portal's view of stored files. */
export interface FileQueries {
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

/** The portal's view of the upload history. */
export interface TransferQueries {
  /** Upload history, newest first, optionally of some clients and one outcome. */
  list(
    query?: Omit<PageQuery<never>, "sort" | "dir"> & {
      client?: ClientFilter;
      outcome?: string;
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

/** What the admin portal, the admin CLI and the browser API read and change. */
export interface PortalStorage {
  readonly clients: ClientQueries;
  readonly files: FileQueries;
  readonly transfers: TransferQueries;
  readonly admins: AdminAccounts;
  readonly portalSessions: PortalSessions;
  readonly status: StorageStatus;
  /**
   * Runs `fn` as one transaction, rolling back when it throws; nested calls
   * nest. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T;
}
