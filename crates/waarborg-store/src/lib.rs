//! Persistence of the governance domain.
//!
//! [`Store`] is the interface the services use; [`SqliteStore`] implements it on one SQLite
//! file (the embedded default), with numbered migrations. A PostgreSQL implementation can
//! follow behind the same trait.
//!
//! Aggregates (frameworks, deployments with their revisions, case authorisations) are
//! stored whole, as JSON written by the domain's own types, beside the columns queries
//! need. Every deployment and case row carries a version; a save names the version it was
//! based on and is refused if someone saved in between (optimistic concurrency: no lost
//! updates). A save can run a step before it commits — the caller appends the decision to
//! the audit ledger there, so a change is committed only after it is logged.
//!
//! ```
//! use waarborg_store::{SqliteStore, Store};
//! use waarborg_govern::framework::Framework;
//!
//! let store = SqliteStore::open_in_memory()?;
//! let f = Framework::default_template();
//! store.import_framework(&f)?;
//! assert_eq!(store.framework(&f.id())?.as_ref(), Some(&f));
//! # Ok::<(), waarborg_store::StoreError>(())
//! ```

mod reference;

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use waarborg_govern::case::CaseAuthorisation;
use waarborg_govern::framework::Framework;
use waarborg_govern::revision::Deployment;

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error ({context}): {source}")]
    Database {
        /// What was being done.
        context: String,
        /// The error.
        source: rusqlite::Error,
    },
    /// Someone else saved since this change was based on the stored state; reload and retry.
    #[error("{what} was changed by someone else (version {expected} expected, {found} stored); reload and try again")]
    Conflict {
        /// What.
        what: String,
        /// The version the change was based on.
        expected: u64,
        /// The version stored now.
        found: u64,
    },
    /// Something with this key exists already.
    #[error("{0} already exists")]
    Exists(String),
    /// Stored data does not decode (written by a newer version, or damaged).
    #[error("stored {what} does not decode: {why}")]
    Corrupt {
        /// What.
        what: String,
        /// Why.
        why: String,
    },
    /// The step before commit (e.g. the ledger append) failed; nothing was saved.
    #[error("not saved: {0}")]
    BeforeCommit(String),
    /// The database file cannot be created or made private.
    #[error("the database file {path}: {why}")]
    File {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The database file is from a newer Waarborg.
    #[error("the database has schema version {found}; this Waarborg knows up to {known}. Upgrade Waarborg")]
    TooNew {
        /// Found.
        found: u32,
        /// Known.
        known: u32,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

pub use crate::reference::{
    DuplicateFlag, ImportRow, ImportSummary, PersonDecisionKind, PersonRecord, ReferenceRecord,
    ReferenceStore, RowOutcome,
};

impl From<&waarborg_ledger::Receipt> for LedgerMark {
    fn from(r: &waarborg_ledger::Receipt) -> LedgerMark {
        LedgerMark {
            entry: r.index,
            leaf: r.leaf_hash,
        }
    }
}

/// The marks of `receipts`: a before-commit step's answer.
pub fn marks(receipts: &[waarborg_ledger::Receipt]) -> Vec<LedgerMark> {
    receipts.iter().map(LedgerMark::from).collect()
}

/// A step run inside the save's transaction, before it commits: it appends the change's
/// ledger entries and answers what it appended, which the transaction records beside the
/// change ([`LedgerMark`]).
pub type BeforeCommit<'a> = &'a mut dyn FnMut() -> std::result::Result<Vec<LedgerMark>, String>;

/// A ledger entry that a committed change claims: recorded in the change's own transaction,
/// so the store says exactly which entries it holds a change for (checked against the
/// ledger at every start: `waarborg_app::consistency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerMark {
    /// The entry's index in the ledger.
    pub entry: u64,
    /// The entry's leaf hash (RFC 9162), so a different entry at that index is noticed.
    pub leaf: [u8; 32],
}

/// The store of the governance domain.
pub trait Store: Send + Sync {
    /// Imports a framework version. Importing the same version again is a no-op; a different
    /// text under an existing `name@version` is refused (versions are immutable).
    fn import_framework(&self, framework: &Framework) -> Result<()> {
        self.import_framework_logged(framework, &mut || Ok(Vec::new()))
            .map(|_| ())
    }
    /// Imports a framework version, running `before_commit` (the ledger append) only when it
    /// is new; whether it was.
    fn import_framework_logged(
        &self,
        framework: &Framework,
        before_commit: BeforeCommit,
    ) -> Result<bool>;
    /// A framework version by `name@version`.
    fn framework(&self, id: &str) -> Result<Option<Framework>>;
    /// The highest version of `name`.
    fn latest_framework(&self, name: &str) -> Result<Option<Framework>>;
    /// Every framework version, ordered.
    fn frameworks(&self) -> Result<Vec<Framework>>;

    /// Registers a new deployment (version 1).
    fn create_deployment(&self, deployment: &Deployment) -> Result<()> {
        self.create_deployment_logged(deployment, &mut || Ok(Vec::new()))
    }
    /// Registers a new deployment (version 1), running `before_commit` (the ledger append)
    /// once the id is known to be free.
    fn create_deployment_logged(
        &self,
        deployment: &Deployment,
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// A deployment and its stored version.
    fn deployment(&self, id: &str) -> Result<Option<(Deployment, u64)>>;
    /// Every deployment, by id.
    fn deployments(&self) -> Result<Vec<Deployment>>;
    /// Saves a changed deployment if it is still at `expected`; returns the new version.
    fn save_deployment(
        &self,
        deployment: &Deployment,
        expected: u64,
        before_commit: BeforeCommit,
    ) -> Result<u64>;

    /// Records a new case authorisation request (version 1).
    fn create_case(&self, case: &CaseAuthorisation) -> Result<()> {
        self.create_case_logged(case, &mut || Ok(Vec::new()))
    }
    /// Records a new case authorisation request (version 1), running `before_commit` (the
    /// ledger append) once the case number is known to be free.
    fn create_case_logged(
        &self,
        case: &CaseAuthorisation,
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// A case and its stored version.
    fn case(&self, case_number: &str) -> Result<Option<(CaseAuthorisation, u64)>>;
    /// Every case authorisation, by case number.
    fn cases(&self) -> Result<Vec<CaseAuthorisation>>;
    /// Saves a changed case if it is still at `expected`; returns the new version.
    fn save_case(
        &self,
        case: &CaseAuthorisation,
        expected: u64,
        before_commit: BeforeCommit,
    ) -> Result<u64>;
}

/// A person who can log in: their roles and unit (never their password; see
/// [`AccountStore::password_hash`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Account {
    /// Pseudonymous user id (the login name).
    pub user: String,
    /// Name shown in the interface.
    pub display_name: String,
    /// Roles they may act in.
    pub roles: Vec<waarborg_govern::Role>,
    /// Organisational unit.
    pub unit: String,
    /// For portfolio holders.
    #[serde(default)]
    pub portfolio: Option<waarborg_govern::Portfolio>,
    /// For the competent authority: which authority the person is (public prosecutor or
    /// investigating judge); a case is decided by the kind it asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<waarborg_govern::case::AuthorityKind>,
    /// Disabled accounts cannot log in.
    #[serde(default)]
    pub disabled: bool,
    /// Failed logins in a row (throttling).
    #[serde(default)]
    pub failed_logins: u32,
    /// No login accepted before this time (seconds since 1970), after repeated failures.
    #[serde(default)]
    pub locked_until: i64,
}

impl Account {
    /// A new, enabled account named `user` (also its display name), never locked.
    pub fn new(user: &str, roles: Vec<waarborg_govern::Role>, unit: &str) -> Account {
        Account {
            user: user.to_string(),
            display_name: user.to_string(),
            roles,
            unit: unit.to_string(),
            portfolio: None,
            authority: None,
            disabled: false,
            failed_logins: 0,
            locked_until: 0,
        }
    }
}

/// A logged-in session, as stored (the token itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: String,
    /// The role they chose for this session.
    pub role: waarborg_govern::Role,
    /// The session's CSRF token.
    pub csrf: String,
    /// Expiry, seconds since 1970.
    pub expires: i64,
}

/// An account's time-based one-time-password secret (RFC 6238).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactor {
    /// The shared secret, base32.
    pub secret_base32: String,
    /// Confirmed with a first code: from then on every login needs a code.
    pub confirmed: bool,
    /// The last time step whose code was accepted (a code is accepted once).
    pub last_step: u64,
}

/// Accounts and sessions.
pub trait AccountStore: Send + Sync {
    /// The account's second factor, if one is set up.
    fn second_factor(&self, user: &str) -> Result<Option<SecondFactor>>;
    /// Sets up (or, with `None`, removes) the account's second factor.
    fn set_second_factor(&self, user: &str, factor: Option<&SecondFactor>) -> Result<()> {
        self.set_second_factor_logged(user, factor, &mut || Ok(Vec::new()))
    }
    /// Sets up or removes the second factor, running `before_commit` (the ledger append)
    /// once the account is known to exist.
    fn set_second_factor_logged(
        &self,
        user: &str,
        factor: Option<&SecondFactor>,
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// Records that the code of time step `step` was used; `false` if that step (or a later
    /// one) was already used — a replayed code.
    fn use_second_factor_step(&self, user: &str, step: u64) -> Result<bool>;
    /// Creates an account with a password hash (PHC string).
    fn create_account(&self, account: &Account, password_hash: &str) -> Result<()> {
        self.create_account_logged(account, password_hash, &mut || Ok(Vec::new()))
    }
    /// Creates an account, running `before_commit` (the ledger append) once the name is
    /// known to be free.
    fn create_account_logged(
        &self,
        account: &Account,
        password_hash: &str,
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// An account and its version.
    fn account(&self, user: &str) -> Result<Option<(Account, u64)>>;
    /// Every account.
    fn accounts(&self) -> Result<Vec<Account>>;
    /// The stored password hash.
    fn password_hash(&self, user: &str) -> Result<Option<String>>;
    /// Saves a changed account if still at `expected`.
    fn save_account(&self, account: &Account, expected: u64) -> Result<u64>;
    /// Records a session under the hash of its token.
    fn create_session(&self, token_hash: &str, session: &Session) -> Result<()>;
    /// The session for a token hash, if not expired at `now`.
    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>>;
    /// Ends a session.
    fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Deletes every session expired at `now` (their tokens are worthless, but a table of
    /// them is data kept for nothing); how many.
    fn purge_sessions(&self, now: i64) -> Result<usize>;
}

/// Versioned JSON documents of a kind (searches, ...), with the same optimistic
/// concurrency and before-commit step as the domain's aggregates.
pub trait DocumentStore: Send + Sync {
    /// Stores a new document (version 1); `owner` is indexed for listings.
    fn create_document(
        &self,
        kind: &str,
        id: &str,
        owner: &str,
        body: &serde_json::Value,
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// A document and its version.
    fn document(&self, kind: &str, id: &str) -> Result<Option<(serde_json::Value, u64)>>;
    /// Documents of a kind, newest id last; only `owner`'s when given.
    fn documents(&self, kind: &str, owner: Option<&str>) -> Result<Vec<serde_json::Value>>;
    /// Saves a changed document if still at `expected`.
    fn save_document(
        &self,
        kind: &str,
        id: &str,
        body: &serde_json::Value,
        expected: u64,
        before_commit: BeforeCommit,
    ) -> Result<u64>;
}

/// The migrations, in order; the schema version is their count.
const MIGRATIONS: &[&str] = &[
    // 1: frameworks, deployments, cases.
    "CREATE TABLE frameworks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (name, version)
    );
    CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE TABLE cases (
        case_number TEXT PRIMARY KEY,
        deployment TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX cases_by_deployment ON cases (deployment);",
    // 2: accounts and sessions.
    "CREATE TABLE accounts (
        user TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        version INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES accounts (user),
        role TEXT NOT NULL,
        csrf TEXT NOT NULL,
        expires INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user);",
    // 3: documents of other kinds (searches and their identifications, ...), versioned.
    "CREATE TABLE documents (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        owner TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    );
    CREATE INDEX documents_by_owner ON documents (kind, owner);",
    // 4: the reference database's records (images and templates live in the vault and index).
    "CREATE TABLE persons (
        person TEXT PRIMARY KEY,
        other_open_case INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE person_events (
        person TEXT NOT NULL REFERENCES persons (person),
        event TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX person_events_by_person ON person_events (person);
    CREATE TABLE reference_images (
        id INTEGER PRIMARY KEY,
        database TEXT NOT NULL,
        person TEXT NOT NULL REFERENCES persons (person),
        source_kind TEXT NOT NULL,
        legal_basis TEXT NOT NULL,
        offence TEXT NOT NULL,
        max_sentence_years INTEGER NOT NULL,
        sexual_offence INTEGER NOT NULL,
        captured_at INTEGER NOT NULL,
        capturing_unit TEXT NOT NULL,
        image_sha256 TEXT NOT NULL,
        enrolled_at INTEGER NOT NULL,
        enrolled_by TEXT NOT NULL,
        quality TEXT NOT NULL,
        duplicate_of TEXT,
        erasing TEXT
    );
    CREATE INDEX reference_images_by_person ON reference_images (person);
    CREATE INDEX reference_images_by_sha256 ON reference_images (image_sha256);
    CREATE INDEX reference_images_flagged ON reference_images (id) WHERE duplicate_of IS NOT NULL;
    CREATE INDEX reference_images_erasing ON reference_images (id) WHERE erasing IS NOT NULL;
    CREATE TABLE import_rows (
        import TEXT NOT NULL,
        row INTEGER NOT NULL,
        file TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        reference INTEGER,
        PRIMARY KEY (import, row)
    );
    CREATE INDEX import_rows_by_reference ON import_rows (reference) WHERE reference IS NOT NULL;
    CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );",
    // 5: an optional second factor (TOTP) per account, kept apart from the account's body,
    // which is shown to administrators.
    "ALTER TABLE accounts ADD COLUMN second_factor TEXT;",
    // 6: the ledger entries each committed change claims, written in the change's own
    // transaction (the store↔ledger reconciliation at start reads them).
    "CREATE TABLE ledger_marks (
        entry INTEGER PRIMARY KEY,
        leaf BLOB NOT NULL
    );",
    // 7: a data subject's rights: a restriction of processing (the person's images are left
    // out of every search) and a decision to defer informing them, each with who, when, why.
    "ALTER TABLE persons ADD COLUMN restriction TEXT;
    ALTER TABLE persons ADD COLUMN informing_deferred TEXT;",
    // 8: every search asks for the restricted persons' images; without this partial index
    // that question scanned every reference image (1.8 s at 6 million, measured in
    // bench/catch), with it SQLite starts from the few restricted persons.
    "CREATE INDEX persons_restricted ON persons (person) WHERE restriction IS NOT NULL;",
];

/// The schema version this Waarborg writes (the number of migrations).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Database {
        context: context.to_string(),
        source,
    }
}

/// The end of every change: the caller's step (the ledger append), the marks of what it
/// appended, the commit.
fn commit_marked(
    tx: rusqlite::Transaction,
    before_commit: BeforeCommit,
    context: &str,
) -> Result<()> {
    let marks = before_commit().map_err(StoreError::BeforeCommit)?;
    for m in &marks {
        tx.execute(
            "INSERT OR REPLACE INTO ledger_marks (entry, leaf) VALUES (?1, ?2)",
            params![sql_int(m.entry), m.leaf.as_slice()],
        )
        .map_err(db(context))?;
    }
    tx.commit().map_err(db(context))
}

/// A number for SQLite, whose integers are signed 64-bit: values past `i64::MAX` (only ever
/// asked for from outside: an id in a URL, a page's start) become `i64::MAX`, which no row
/// has, instead of wrapping to a negative number that every row passes.
pub(crate) fn sql_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn encode<T: Serialize>(value: &T) -> String {
    // The domain's types contain no maps with non-string keys: encoding cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        why: e.to_string(),
    })
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        private_file(path)?;
        let conn = Connection::open(path).map_err(db("opening the database"))?;
        Self::init(conn)
    }

    /// An in-memory database (tests, examples).
    pub fn open_in_memory() -> Result<SqliteStore> {
        Self::init(Connection::open_in_memory().map_err(db("opening the database"))?)
    }

    fn init(mut conn: Connection) -> Result<SqliteStore> {
        // WAL: readers do not block the writer; FULL sync: a committed decision survives a
        // power cut; a busy timeout lets concurrent processes wait for each other.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db("setting WAL mode"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db("setting synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db("enabling foreign keys"))?;
        // Erased records' bytes are overwritten with zeros in the file, not only unlinked
        // from the b-tree (retention must erase, not hide).
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(db("enabling secure delete"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db("setting the busy timeout"))?;
        let found: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db("reading the schema version"))?;
        let known = MIGRATIONS.len() as u32;
        if found > known {
            return Err(StoreError::TooNew { found, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(db("starting a migration"))?;
            tx.execute_batch(sql).map_err(db("migrating"))?;
            tx.pragma_update(None, "user_version", i as u32 + 1)
                .map_err(db("recording the schema version"))?;
            tx.commit().map_err(db("committing a migration"))?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<u32> {
        self.conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db("reading the schema version"))
    }

    /// Runs `f` in an immediate (write) transaction, then the caller's step, then commits:
    /// the one shape of every change, so a change is committed only after it is logged.
    fn write<T>(
        &self,
        context: &str,
        before_commit: BeforeCommit,
        f: impl FnOnce(&rusqlite::Transaction) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db(context))?;
        let value = f(&tx)?;
        commit_marked(tx, before_commit, context)?;
        Ok(value)
    }

    /// Commits nothing but the marks of `before_commit`'s entries: for a logged change that
    /// lives outside the database (a probe image removed from the vault), so that its entry
    /// is claimed like any other change's.
    pub fn record(&self, before_commit: BeforeCommit) -> Result<()> {
        self.write("recording a logged change", before_commit, |_| Ok(()))
    }

    /// The marks of entries `from` and later, in ledger order.
    pub fn ledger_marks(&self, from: u64) -> Result<Vec<LedgerMark>> {
        let context = "reading the ledger marks";
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT entry, leaf FROM ledger_marks WHERE entry >= ?1 ORDER BY entry")
            .map_err(db(context))?;
        let rows = stmt
            .query_map([sql_int(from)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(db(context))?;
        rows.map(|r| {
            let (entry, leaf) = r.map_err(db(context))?;
            Ok(LedgerMark {
                entry: entry as u64,
                leaf: leaf.try_into().map_err(|_| StoreError::Corrupt {
                    what: format!("the ledger mark of entry {entry}"),
                    why: "its leaf hash is not 32 bytes".into(),
                })?,
            })
        })
        .collect()
    }

    /// A named counter (absent: never set).
    pub fn counter(&self, name: &str) -> Result<Option<u64>> {
        self.conn()
            .query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map(|v| v.map(|v| v as u64))
            .map_err(db("reading a counter"))
    }

    /// Sets a named counter (operational bookkeeping, not a logged change).
    pub fn set_counter(&self, name: &str, value: u64) -> Result<()> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO counters (name, value) VALUES (?1, ?2)",
                params![name, sql_int(value)],
            )
            .map(|_| ())
            .map_err(db("setting a counter"))
    }

    /// Inserts one new row; [`StoreError::Exists`] (`what`) when its key is taken.
    /// The caller's step runs only once the row is in, so a duplicate is refused before
    /// anything is logged.
    fn insert_new(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        context: &str,
        what: impl FnOnce() -> String,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.write(context, before_commit, |tx| {
            let inserted = tx.execute(sql, params).map_err(db(context))?;
            if inserted == 0 {
                return Err(StoreError::Exists(what()));
            }
            Ok(())
        })
    }

    /// The decoded body and version of the one row `sql` selects (`body, version`).
    fn versioned<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        key: &str,
        context: &str,
    ) -> Result<Option<(T, u64)>> {
        let row: Option<(String, u64)> = self
            .conn()
            .query_row(sql, params, |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db(context))?;
        row.map(|(b, v)| Ok((decode(key, &b)?, v))).transpose()
    }

    /// Every row `sql` selects (`key, body`), decoded.
    fn bodies<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        context: &str,
    ) -> Result<Vec<T>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).map_err(db(context))?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(db(context))?;
        rows.map(|r| {
            let (key, body) = r.map_err(db(context))?;
            decode(&key, &body)
        })
        .collect()
    }

    fn save(
        &self,
        table: &str,
        key_col: &str,
        key: &str,
        body: &str,
        expected: u64,
        before_commit: BeforeCommit,
    ) -> Result<u64> {
        self.write("saving", before_commit, |tx| {
            let found: Option<u64> = tx
                .query_row(
                    &format!("SELECT version FROM {table} WHERE {key_col} = ?1"),
                    [key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db("reading the version"))?;
            let found = found.ok_or_else(|| StoreError::Conflict {
                what: key.to_string(),
                expected,
                found: 0,
            })?;
            if found != expected {
                return Err(StoreError::Conflict {
                    what: key.to_string(),
                    expected,
                    found,
                });
            }
            tx.execute(
                &format!("UPDATE {table} SET body = ?1, version = ?2 WHERE {key_col} = ?3"),
                params![body, expected + 1, key],
            )
            .map_err(db("saving"))?;
            Ok(expected + 1)
        })
    }
}

impl DocumentStore for SqliteStore {
    fn create_document(
        &self,
        kind: &str,
        id: &str,
        owner: &str,
        body: &serde_json::Value,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.write("storing a document", before_commit, |tx| {
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO documents (kind, id, owner, version, body) VALUES (?1, ?2, ?3, 1, ?4)",
                    params![kind, id, owner, body.to_string()],
                )
                .map_err(db("storing a document"))?;
            if inserted == 0 {
                return Err(StoreError::Exists(format!("{kind} {id}")));
            }
            Ok(())
        })
    }

    fn document(&self, kind: &str, id: &str) -> Result<Option<(serde_json::Value, u64)>> {
        self.versioned(
            "SELECT body, version FROM documents WHERE kind = ?1 AND id = ?2",
            params![kind, id],
            id,
            "reading a document",
        )
    }

    fn documents(&self, kind: &str, owner: Option<&str>) -> Result<Vec<serde_json::Value>> {
        self.bodies(
            "SELECT id, body FROM documents WHERE kind = ?1 AND (?2 IS NULL OR owner = ?2) ORDER BY rowid",
            params![kind, owner],
            "listing documents",
        )
    }

    fn save_document(
        &self,
        kind: &str,
        id: &str,
        body: &serde_json::Value,
        expected: u64,
        before_commit: BeforeCommit,
    ) -> Result<u64> {
        self.write("saving a document", before_commit, |tx| {
            let changed = tx
                .execute(
                    "UPDATE documents SET body = ?1, version = ?2 WHERE kind = ?3 AND id = ?4 AND version = ?5",
                    params![body.to_string(), expected + 1, kind, id, expected],
                )
                .map_err(db("saving a document"))?;
            if changed == 0 {
                let found: u64 = tx
                    .query_row(
                        "SELECT version FROM documents WHERE kind = ?1 AND id = ?2",
                        params![kind, id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db("reading a version"))?
                    .unwrap_or(0);
                return Err(StoreError::Conflict {
                    what: format!("{kind} {id}"),
                    expected,
                    found,
                });
            }
            Ok(expected + 1)
        })
    }
}

impl AccountStore for SqliteStore {
    fn create_account_logged(
        &self,
        account: &Account,
        password_hash: &str,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.insert_new(
            "INSERT OR IGNORE INTO accounts (user, body, password_hash, version) VALUES (?1, ?2, ?3, 1)",
            params![account.user, encode(account), password_hash],
            "creating an account",
            || format!("account {}", account.user),
            before_commit,
        )
    }

    fn account(&self, user: &str) -> Result<Option<(Account, u64)>> {
        self.versioned(
            "SELECT body, version FROM accounts WHERE user = ?1",
            [user],
            user,
            "reading an account",
        )
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.bodies(
            "SELECT user, body FROM accounts ORDER BY user",
            [],
            "listing accounts",
        )
    }

    fn password_hash(&self, user: &str) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT password_hash FROM accounts WHERE user = ?1",
                [user],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("reading a password hash"))
    }

    fn second_factor(&self, user: &str) -> Result<Option<SecondFactor>> {
        let text: Option<Option<String>> = self
            .conn()
            .query_row(
                "SELECT second_factor FROM accounts WHERE user = ?1",
                [user],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("reading a second factor"))?;
        text.flatten().map(|t| decode(user, &t)).transpose()
    }

    fn set_second_factor_logged(
        &self,
        user: &str,
        factor: Option<&SecondFactor>,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        let context = "setting a second factor";
        self.write(context, before_commit, |tx| {
            let changed = tx
                .execute(
                    "UPDATE accounts SET second_factor = ?2 WHERE user = ?1",
                    params![user, factor.map(encode)],
                )
                .map_err(db(context))?;
            if changed == 0 {
                return Err(StoreError::Conflict {
                    what: format!("account {user}"),
                    expected: 1,
                    found: 0,
                });
            }
            Ok(())
        })
    }

    fn use_second_factor_step(&self, user: &str, step: u64) -> Result<bool> {
        // One statement: two logins racing with the same code cannot both pass.
        let changed = self
            .conn()
            .execute(
                "UPDATE accounts SET second_factor = json_set(second_factor, '$.last_step', ?2)
                 WHERE user = ?1 AND second_factor IS NOT NULL
                   AND json_extract(second_factor, '$.last_step') < ?2",
                params![user, sql_int(step)],
            )
            .map_err(db("using a second factor"))?;
        Ok(changed == 1)
    }

    fn save_account(&self, account: &Account, expected: u64) -> Result<u64> {
        self.save(
            "accounts",
            "user",
            &account.user,
            &encode(account),
            expected,
            &mut || Ok(Vec::new()),
        )
    }

    fn create_session(&self, token_hash: &str, session: &Session) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO sessions (token_hash, user, role, csrf, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_hash, session.user, session.role.as_str(), session.csrf, session.expires],
            )
            .map_err(db("creating a session"))?;
        Ok(())
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>> {
        let row: Option<(String, String, String, i64)> = self
            .conn()
            .query_row(
                "SELECT user, role, csrf, expires FROM sessions WHERE token_hash = ?1 AND expires > ?2",
                params![token_hash, now],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(db("reading a session"))?;
        row.map(|(user, role, csrf, expires)| {
            let role = waarborg_govern::Role::parse(&role).ok_or_else(|| StoreError::Corrupt {
                what: "session".into(),
                why: format!("unknown role {role}"),
            })?;
            Ok(Session {
                user,
                role,
                csrf,
                expires,
            })
        })
        .transpose()
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map_err(db("ending a session"))?;
        Ok(())
    }

    fn purge_sessions(&self, now: i64) -> Result<usize> {
        self.conn()
            .execute("DELETE FROM sessions WHERE expires <= ?1", [now])
            .map_err(db("purging expired sessions"))
    }
}

/// Makes the database file private (0600) before SQLite opens it: created so if missing,
/// tightened if others could read it (it holds session tokens and second-factor secrets).
/// SQLite gives its `-wal` and `-shm` files the database file's mode.
fn private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e: std::io::Error| StoreError::File {
        path: path.display().to_string(),
        why: format!("cannot make it private (0600): {e}"),
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn import_framework_logged(
        &self,
        framework: &Framework,
        before_commit: BeforeCommit,
    ) -> Result<bool> {
        let id = framework.id();
        let context = "importing a framework";
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db(context))?;
        let existing: Option<String> = tx
            .query_row("SELECT body FROM frameworks WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db("reading a framework"))?;
        match existing {
            // The same text again: nothing happens, and nothing is logged.
            Some(b) if decode::<Framework>(&id, &b)? == *framework => Ok(false),
            Some(_) => Err(StoreError::Exists(format!(
                "framework {id} with a different text; import it as a new version"
            ))),
            None => {
                tx.execute(
                    "INSERT INTO frameworks (id, name, version, body) VALUES (?1, ?2, ?3, ?4)",
                    params![id, framework.name, framework.version, encode(framework)],
                )
                .map_err(db(context))?;
                commit_marked(tx, before_commit, context)?;
                Ok(true)
            }
        }
    }

    fn framework(&self, id: &str) -> Result<Option<Framework>> {
        let body: Option<String> = self
            .conn()
            .query_row("SELECT body FROM frameworks WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db("reading a framework"))?;
        body.map(|b| decode(id, &b)).transpose()
    }

    fn latest_framework(&self, name: &str) -> Result<Option<Framework>> {
        let body: Option<String> = self
            .conn()
            .query_row(
                "SELECT body FROM frameworks WHERE name = ?1 ORDER BY version DESC LIMIT 1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("reading a framework"))?;
        body.map(|b| decode(name, &b)).transpose()
    }

    fn frameworks(&self) -> Result<Vec<Framework>> {
        self.bodies(
            "SELECT id, body FROM frameworks ORDER BY name, version",
            [],
            "listing frameworks",
        )
    }

    fn create_deployment_logged(
        &self,
        deployment: &Deployment,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.insert_new(
            "INSERT OR IGNORE INTO deployments (id, name, version, body) VALUES (?1, ?2, 1, ?3)",
            params![deployment.id, deployment.name, encode(deployment)],
            "registering a deployment",
            || format!("deployment {}", deployment.id),
            before_commit,
        )
    }

    fn deployment(&self, id: &str) -> Result<Option<(Deployment, u64)>> {
        self.versioned(
            "SELECT body, version FROM deployments WHERE id = ?1",
            [id],
            id,
            "reading a deployment",
        )
    }

    fn deployments(&self) -> Result<Vec<Deployment>> {
        self.bodies(
            "SELECT id, body FROM deployments ORDER BY id",
            [],
            "listing deployments",
        )
    }

    fn save_deployment(
        &self,
        deployment: &Deployment,
        expected: u64,
        before_commit: BeforeCommit,
    ) -> Result<u64> {
        self.save(
            "deployments",
            "id",
            &deployment.id,
            &encode(deployment),
            expected,
            before_commit,
        )
    }

    fn create_case_logged(
        &self,
        case: &CaseAuthorisation,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.insert_new(
            "INSERT OR IGNORE INTO cases (case_number, deployment, version, body) VALUES (?1, ?2, 1, ?3)",
            params![case.case_number, case.deployment, encode(case)],
            "recording a case",
            || format!("case {}", case.case_number),
            before_commit,
        )
    }

    fn case(&self, case_number: &str) -> Result<Option<(CaseAuthorisation, u64)>> {
        self.versioned(
            "SELECT body, version FROM cases WHERE case_number = ?1",
            [case_number],
            case_number,
            "reading a case",
        )
    }

    fn cases(&self) -> Result<Vec<CaseAuthorisation>> {
        self.bodies(
            "SELECT case_number, body FROM cases ORDER BY case_number",
            [],
            "listing cases",
        )
    }

    fn save_case(
        &self,
        case: &CaseAuthorisation,
        expected: u64,
        before_commit: BeforeCommit,
    ) -> Result<u64> {
        self.save(
            "cases",
            "case_number",
            &case.case_number,
            &encode(case),
            expected,
            before_commit,
        )
    }
}
