//! The court's own database (SQLite, WAL) and its schema migrations.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE court_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;",
    "CREATE TABLE accounts (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
        verification_level INTEGER NOT NULL, password_salt BLOB NOT NULL, password_hash BLOB NOT NULL) STRICT;
     CREATE TABLE auth_codes (
        code_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL, challenge TEXT NOT NULL, nonce TEXT, scope TEXT NOT NULL,
        expires_at INTEGER NOT NULL) STRICT;
     CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, account_id TEXT NOT NULL REFERENCES accounts(id),
        client_id TEXT NOT NULL, scope TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0) STRICT;
     CREATE TABLE devices (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), public_key TEXT NOT NULL,
        name TEXT NOT NULL, registered_at INTEGER NOT NULL) STRICT;
     CREATE TABLE uploads (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), length INTEGER NOT NULL,
        offset INTEGER NOT NULL, filename TEXT, media_type TEXT, declared_sha256 TEXT, sha256 TEXT,
        created_at INTEGER NOT NULL) STRICT;
     CREATE TABLE idempotency (
        account_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER, body TEXT,
        created_at INTEGER NOT NULL, PRIMARY KEY (account_id, key)) STRICT;
     CREATE TABLE filings (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), idempotency_key TEXT NOT NULL,
        body TEXT NOT NULL, manifest BLOB NOT NULL, UNIQUE (account_id, idempotency_key)) STRICT;
     CREATE TABLE cases (
        id TEXT PRIMARY KEY, case_number TEXT NOT NULL UNIQUE, case_type TEXT NOT NULL, title TEXT NOT NULL) STRICT;
     CREATE TABLE case_parties (
        case_id TEXT NOT NULL REFERENCES cases(id), account_id TEXT NOT NULL REFERENCES accounts(id),
        PRIMARY KEY (case_id, account_id)) STRICT;
     CREATE TABLE service (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), body TEXT NOT NULL,
        content BLOB NOT NULL) STRICT;
     CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL REFERENCES accounts(id),
        at INTEGER NOT NULL, event TEXT NOT NULL) STRICT;
     CREATE INDEX changes_by_account ON changes (account_id, seq);",
    "CREATE TABLE hearings (id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(id), body TEXT NOT NULL) STRICT;
     CREATE TABLE check_ins (
        hearing_id TEXT NOT NULL REFERENCES hearings(id), account_id TEXT NOT NULL REFERENCES accounts(id),
        body TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (hearing_id, account_id)) STRICT;
     CREATE TABLE join_tokens (
        token_hash TEXT PRIMARY KEY, hearing_id TEXT NOT NULL REFERENCES hearings(id),
        account_id TEXT NOT NULL REFERENCES accounts(id), expires_at INTEGER NOT NULL) STRICT;
     CREATE TABLE statements (
        id TEXT PRIMARY KEY, hearing_id TEXT NOT NULL REFERENCES hearings(id),
        account_id TEXT NOT NULL REFERENCES accounts(id), question_id TEXT NOT NULL, text TEXT NOT NULL,
        at INTEGER NOT NULL) STRICT;
     CREATE TABLE fees (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), body TEXT NOT NULL,
        pay_token_hash TEXT UNIQUE) STRICT;
     CREATE TABLE mediation (id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(id), body TEXT NOT NULL) STRICT;
     CREATE TABLE exhibits (
        id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(id), account_id TEXT NOT NULL REFERENCES accounts(id),
        body TEXT NOT NULL) STRICT;",
    "ALTER TABLE uploads ADD COLUMN received_bytes INTEGER NOT NULL DEFAULT 0;",
    "ALTER TABLE exhibits ADD COLUMN upload_id TEXT;",
    "CREATE TABLE offline_steps (
        id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(id), body TEXT NOT NULL) STRICT;",
    // A refresh token's use and what it was exchanged for, so a lost answer can be asked again.
    "ALTER TABLE tokens ADD COLUMN used_at INTEGER;
     ALTER TABLE tokens ADD COLUMN successor TEXT;",
];

/// Why the court's database is unusable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create the court's data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// SQLite refused to open or migrate the database.
    #[error("the court's database {path} cannot be opened: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database was written by a newer server.
    #[error("the court's database {path} has schema version {found}, newer than this server ({known})")]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Version found in the file.
        found: usize,
        /// Latest version this server knows.
        known: usize,
    },
}

/// Shared handle to the court's database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    pub(crate) fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.to_owned(), source })?;
        let path = dir.join("court.sqlite3");
        let db_err = |source| StoreError::Database { path: path.clone(), source };
        let mut conn = Connection::open(&path).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db_err)?;
        // Room for every statement the court runs (see [`Cached`]).
        conn.set_prepared_statement_cache_capacity(128);
        let found: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(db_err)?;
        if found > MIGRATIONS.len() {
            return Err(StoreError::TooNew { path, found, known: MIGRATIONS.len() });
        }
        let tx = conn.transaction().map_err(db_err)?;
        for sql in &MIGRATIONS[found..] {
            tx.execute_batch(sql).map_err(db_err)?;
        }
        tx.pragma_update(None, "user_version", MIGRATIONS.len()).map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` with the connection (briefly: every request shares it).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        let mut conn = self.conn.lock().map_err(|_| rusqlite::Error::InvalidQuery)?;
        f(&mut conn)
    }

    /// Runs a trivial query: the database is open and answering.
    pub(crate) fn ping(&self) -> bool {
        let Ok(conn) = self.conn.lock() else { return false };
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).is_ok()
    }
}

/// Statements run through the connection's cache of prepared statements: the court answers
/// the same few queries over and over, and preparing one costs more than running it.
pub(crate) trait Cached {
    /// `execute`, with the statement prepared once per connection.
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// `query_row`, with the statement prepared once per connection.
    fn one<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn one<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}
