//! The court's own database (SQLite, WAL) and its schema migrations.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &["CREATE TABLE court_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"];

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

    /// Runs a trivial query: the database is open and answering.
    pub(crate) fn ping(&self) -> bool {
        let Ok(conn) = self.conn.lock() else { return false };
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).is_ok()
    }
}
