/**
 * Schema migrations of `defensive.db`. The `clients` and `files` tables keep
 * the exact names and columns of the specification (`docs/protocol.md`,
 * "Server state") so existing tools keep reading them; everything else is
 * added alongside.
 * Each entry runs once, in order, inside a transaction; `PRAGMA user_version`
 * records how many have run. Append only: never edit a shipped migration.
 * @module
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE clients (ID BLOB(16) PRIMARY KEY, Name VARCHAR(255) UNIQUE NOT NULL,
     PublicKey BLOB(160), LastSeen TEXT, AESKey BLOB(32));
   CREATE TABLE files (ID BLOB(16) NOT NULL REFERENCES clients(ID), FileName VARCHAR(255) NOT NULL,
     PathName VARCHAR(255) NOT NULL, Verified BOOLEAN NOT NULL DEFAULT 0,
     PRIMARY KEY (ID, FileName));`,
  `ALTER TABLE clients ADD COLUMN CreatedAt TEXT;
   ALTER TABLE files ADD COLUMN Size INTEGER;
   ALTER TABLE files ADD COLUMN Checksum INTEGER;
   ALTER TABLE files ADD COLUMN StoredAt TEXT;
   CREATE TABLE transfers (
     TransferID INTEGER PRIMARY KEY AUTOINCREMENT,
     ClientID BLOB(16) NOT NULL,
     FileName VARCHAR(255) NOT NULL,
     Transport TEXT NOT NULL DEFAULT 'tcp',
     StartedAt TEXT NOT NULL,
     FinishedAt TEXT,
     Outcome TEXT NOT NULL DEFAULT 'in_progress',
     Bytes INTEGER NOT NULL DEFAULT 0,
     Size INTEGER,
     Checksum INTEGER,
     Attempts INTEGER NOT NULL DEFAULT 1,
     Error TEXT);
   CREATE INDEX transfers_client ON transfers (ClientID, StartedAt);
   CREATE INDEX transfers_started ON transfers (StartedAt);
   CREATE INDEX transfers_outcome ON transfers (Outcome);
   CREATE INDEX files_stored ON files (StoredAt);
   CREATE INDEX files_name ON files (FileName);
   CREATE INDEX clients_lastseen ON clients (LastSeen);
   CREATE TABLE settings (Key TEXT PRIMARY KEY, Value TEXT NOT NULL);
   CREATE TABLE admins (Name TEXT PRIMARY KEY, PasswordHash TEXT NOT NULL, UpdatedAt TEXT NOT NULL);`,
  // Indexes behind the admin portal's sorted and filtered pages.
  `CREATE INDEX clients_created ON clients (CreatedAt);
   CREATE INDEX files_verified_stored ON files (Verified, StoredAt);
   CREATE INDEX files_size ON files (Size);
   CREATE INDEX transfers_outcome_started ON transfers (Outcome, StartedAt);`,
  // key_failures: uploads that did not decrypt under their session's key,
  // the mark of a session that does not hold the key (SECURITY.md).
  // CommitTemp / CommitFinal: where a verified upload is being put in place,
  // so that a start after a crash can undo a rename whose record was lost.
  `CREATE TABLE key_failures (ClientID BLOB(16) NOT NULL, At TEXT NOT NULL);
   CREATE INDEX key_failures_client ON key_failures (ClientID, At);
   ALTER TABLE transfers ADD COLUMN CommitTemp TEXT;
   ALTER TABLE transfers ADD COLUMN CommitFinal TEXT;`,
  // portal_sessions: admin portal sign-ins, kept across restarts. IdHash is
  // a SHA-256 of the cookie value, never the value itself (times in ms).
  `CREATE TABLE portal_sessions (IdHash TEXT PRIMARY KEY, User TEXT NOT NULL,
     CreatedAt INTEGER NOT NULL, LastSeen INTEGER NOT NULL);
   CREATE INDEX portal_sessions_user ON portal_sessions (User);`,
  // How each client speaks (docs/protocol.md, "Dialects"): the form of its
  // 1026 key field and, from its last complete upload, whether it sends the
  // zero IV prefix and what its ContentSize means; and each upload's dialect.
  `ALTER TABLE clients ADD COLUMN KeyField TEXT;
   ALTER TABLE clients ADD COLUMN IvPrefix INTEGER;
   ALTER TABLE clients ADD COLUMN SizeMeaning TEXT;
   ALTER TABLE transfers ADD COLUMN Dialect TEXT;`,
  // files_name_search: a trigram index of file names, so that the portal's
  // "name contains" search (LIKE '%q%') reads the index instead of every
  // row. It keeps no copy of the names (content='files', keyed by rowid;
  // VACUUM keeps the rowids of files, copying its b-tree as is); the
  // triggers keep it in step with every write, whoever makes it.
  `CREATE VIRTUAL TABLE files_name_search USING fts5(FileName, content='files',
     content_rowid='rowid', tokenize='trigram');
   INSERT INTO files_name_search (files_name_search) VALUES ('rebuild');
   CREATE TRIGGER files_name_search_insert AFTER INSERT ON files BEGIN
     INSERT INTO files_name_search (rowid, FileName) VALUES (new.rowid, new.FileName);
   END;
   CREATE TRIGGER files_name_search_delete AFTER DELETE ON files BEGIN
     INSERT INTO files_name_search (files_name_search, rowid, FileName)
       VALUES ('delete', old.rowid, old.FileName);
   END;
   CREATE TRIGGER files_name_search_update AFTER UPDATE OF FileName ON files BEGIN
     INSERT INTO files_name_search (files_name_search, rowid, FileName)
       VALUES ('delete', old.rowid, old.FileName);
     INSERT INTO files_name_search (rowid, FileName) VALUES (new.rowid, new.FileName);
   END;`,
  // Backup history (issue 13). contents: each distinct plaintext once, by
  // its SHA-256 (hex; BLAKE3 since migration 12), stored at received_files/.objects/<2 hex>/<hex>.
  // versions: every verified upload of a (client, name), numbered from 1 per
  // name and never renumbered; the files row stays the newest kept one.
  // client_policies: retention and quota, Scope '*' the default, else a
  // client id in hex; a null column inherits the default. audit_log: who
  // did what to whom, from where (administrators' acts).
  `CREATE TABLE contents (Sha256 TEXT PRIMARY KEY, Size INTEGER NOT NULL,
     StoredSize INTEGER NOT NULL, Compression TEXT, CreatedAt TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE versions (
     VersionID INTEGER PRIMARY KEY AUTOINCREMENT,
     ClientID BLOB(16) NOT NULL,
     FileName VARCHAR(255) NOT NULL,
     Number INTEGER NOT NULL,
     Sha256 TEXT NOT NULL REFERENCES contents(Sha256),
     Size INTEGER NOT NULL,
     Checksum INTEGER NOT NULL,
     StoredAt TEXT NOT NULL,
     Transport TEXT NOT NULL DEFAULT 'tcp',
     Dialect TEXT,
     TransferID INTEGER,
     Pinned INTEGER NOT NULL DEFAULT 0,
     TrashedAt TEXT,
     TrashedBy TEXT,
     UNIQUE (ClientID, FileName, Number));
   CREATE INDEX versions_content ON versions (Sha256);
   CREATE INDEX versions_client_stored ON versions (ClientID, StoredAt);
   CREATE INDEX versions_trashed ON versions (TrashedAt) WHERE TrashedAt IS NOT NULL;
   CREATE TABLE client_policies (Scope TEXT PRIMARY KEY,
     KeepLast INTEGER, KeepHourly INTEGER, KeepDaily INTEGER, KeepWeekly INTEGER,
     KeepMonthly INTEGER, KeepYearly INTEGER, KeepWithinSeconds INTEGER,
     QuotaBytes INTEGER, QuotaVersions INTEGER, UpdatedAt TEXT NOT NULL);
   CREATE TABLE audit_log (
     AuditID INTEGER PRIMARY KEY AUTOINCREMENT,
     At TEXT NOT NULL,
     Actor TEXT NOT NULL,
     Address TEXT,
     Action TEXT NOT NULL,
     Target TEXT,
     Detail TEXT);
   CREATE INDEX audit_at ON audit_log (At);
   CREATE INDEX audit_action_at ON audit_log (Action, At);`,
  // maintenance_runs: each retention, trash purge and garbage collection
  // run, with its figures as it goes. Cursor is where a run killed midway
  // resumes; UpdatedAt is its heartbeat and Owner the process running it,
  // so a second run waits while the first is alive (issue 13).
  `CREATE TABLE maintenance_runs (
     RunID INTEGER PRIMARY KEY AUTOINCREMENT,
     Kind TEXT NOT NULL,
     Scope TEXT NOT NULL,
     Actor TEXT NOT NULL,
     Owner TEXT NOT NULL,
     StartedAt TEXT NOT NULL,
     UpdatedAt TEXT NOT NULL,
     FinishedAt TEXT,
     State TEXT NOT NULL DEFAULT 'running',
     Cursor TEXT,
     Examined INTEGER NOT NULL DEFAULT 0,
     Removed INTEGER NOT NULL DEFAULT 0,
     Files INTEGER NOT NULL DEFAULT 0,
     Bytes INTEGER NOT NULL DEFAULT 0,
     Error TEXT);
   CREATE INDEX maintenance_runs_kind ON maintenance_runs (Kind, State);`,
  // Operations (server/ops/): each client's own expected backup interval,
  // the state the watcher last recorded and notified, the notification
  // delivery log, and each client's stored bytes per day for the charts.
  `CREATE TABLE ops_expectations (ClientID BLOB(16) PRIMARY KEY,
     IntervalSeconds INTEGER NOT NULL);
   CREATE TABLE ops_client_states (ClientID BLOB(16) PRIMARY KEY,
     State TEXT NOT NULL, Reason TEXT NOT NULL, Since TEXT NOT NULL,
     NotifiedAt TEXT);
   CREATE TABLE ops_deliveries (ID INTEGER PRIMARY KEY AUTOINCREMENT,
     At TEXT NOT NULL, Channel TEXT NOT NULL, Event TEXT NOT NULL,
     Target TEXT NOT NULL, Status TEXT NOT NULL, Attempts INTEGER NOT NULL,
     Detail TEXT NOT NULL);
   CREATE TABLE ops_daily_bytes (Day TEXT NOT NULL, ClientID BLOB(16) NOT NULL,
     Bytes INTEGER NOT NULL, PRIMARY KEY (Day, ClientID));
   CREATE INDEX transfers_finished ON transfers (FinishedAt);`,
  // RekeyUntil: until when a client an administrator re-keyed may register
  // again under its own id; after that, only the administrator reopens it.
  // versions_usage covers a client's usage (count and bytes of kept
  // versions), which a quota check reads at every upload.
  `ALTER TABLE clients ADD COLUMN RekeyUntil TEXT;
   CREATE INDEX versions_usage ON versions (ClientID, TrashedAt, Size);`,
  // Content addresses become BLAKE3 (docs/history.md: a fifth of SHA-256's
  // cost on the upload path). The columns are renamed (indexes and the
  // foreign key follow); the addresses already stored are still SHA-256
  // and wait in contents_sha256 until the start-up re-addressing
  // (readdress.ts) has hashed their object again and renamed it.
  `ALTER TABLE contents RENAME COLUMN Sha256 TO Blake3;
   ALTER TABLE versions RENAME COLUMN Sha256 TO Blake3;
   CREATE TABLE contents_sha256 (Sha256 TEXT PRIMARY KEY) WITHOUT ROWID;
   INSERT INTO contents_sha256 (Sha256) SELECT Blake3 FROM contents;`,
  // version_numbers: the highest number each (client, name) was ever
  // given, so that a new version never takes the number of one the trash
  // purge deleted (docs/history.md: never reused). It starts from the rows
  // there are: the number of a row deleted before now is not known.
  `CREATE TABLE version_numbers (ClientID BLOB(16) NOT NULL,
     FileName VARCHAR(255) NOT NULL, LastNumber INTEGER NOT NULL,
     PRIMARY KEY (ClientID, FileName)) WITHOUT ROWID;
   INSERT INTO version_numbers (ClientID, FileName, LastNumber)
     SELECT ClientID, FileName, max(Number) FROM versions
     GROUP BY ClientID, FileName;`,
];
