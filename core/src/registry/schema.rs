//! The registry's schema. In SQLite: made on first open, recognised by its
//! `application_id` afterwards, and versioned by `user_version`. In
//! PostgreSQL: the same tables, made by versioned migrations recorded in
//! `hallmark_migrations` ([`prepare_postgres`]).
//!
//! Hashes and digests are stored as lowercase hex (the forms the CLI prints),
//! so the file reads plainly in the `sqlite3` shell. Manifest stores live in
//! their own table, so loading the PDQ index at open never reads them.

use rusqlite::{Connection, ErrorCode};

use super::RegistryError;

/// `PRAGMA application_id` of a Hallmark registry: "HLMR".
pub(super) const APPLICATION_ID: i64 = 0x484C_4D52;
/// `PRAGMA user_version` this code writes and reads. Version 2 added
/// `video_hashes`, version 3 each entry's manifest id and the `bindings`
/// of the Soft Binding Resolution API; an older file is brought up to date
/// when opened.
pub(super) const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE manifests (
    id                   INTEGER PRIMARY KEY,
    asset_blake3         TEXT NOT NULL UNIQUE,   -- BLAKE3 of the signed file's bytes
    format               TEXT NOT NULL,          -- media type
    pdq                  TEXT NOT NULL,          -- 64 hex digits, the reference's form
    pdq_quality          INTEGER NOT NULL,
    pixel_digest         TEXT NOT NULL,          -- Hallmark pixel digest v1, hex
    width                INTEGER NOT NULL,
    height               INTEGER NOT NULL,
    signer_name          TEXT,
    signer_organization  TEXT,
    signer_issuer        TEXT,
    certificate_sha256   TEXT NOT NULL,
    verdict              TEXT NOT NULL,          -- at registration: trusted or valid
    title                TEXT,
    signed_at            TEXT,
    digital_source_type  TEXT,
    ai_generated         INTEGER NOT NULL,
    registered_at        TEXT NOT NULL           -- RFC 3339, UTC
);
CREATE INDEX manifests_pixel_digest ON manifests (pixel_digest);
CREATE TABLE manifest_stores (
    entry_id        INTEGER PRIMARY KEY REFERENCES manifests (id),
    manifest_store  BLOB NOT NULL              -- the C2PA JUMBF manifest store, as embedded
);
";

/// Videos (schema version 2): the vPDQ hash of each registered video. Its
/// `manifests` row holds the best frame's PDQ hash (matched as a video only,
/// never as a picture) and, as pixel digest, a BLAKE3 of this text in its
/// own key domain, which no picture's digest can equal.
const VIDEO_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS video_hashes (
    entry_id  INTEGER PRIMARY KEY REFERENCES manifests (id),
    vpdq      TEXT NOT NULL                    -- frame,quality,pdq,timestamp lines (Meta's format)
);
";

/// Version 3: each entry's manifest id (its active manifest's label, as the
/// Soft Binding Resolution API names stores), filled in for older entries
/// when the file is brought up to date; and soft bindings given through the
/// API (`POST /bindings`), each pointing at an entry.
const V3_SCHEMA: &str = "
ALTER TABLE manifests ADD COLUMN manifest_id TEXT;
CREATE INDEX manifests_manifest_id ON manifests (manifest_id);
CREATE TABLE bindings (
    alg       TEXT NOT NULL,                   -- soft-binding algorithm
    value     BLOB NOT NULL,                   -- the binding value, decoded
    entry_id  INTEGER NOT NULL REFERENCES manifests (id),
    PRIMARY KEY (alg, value)
);
CREATE INDEX bindings_entry ON bindings (entry_id);
";

/// Version 4: a row for each change other than an addition (a deletion, a
/// binding pointed elsewhere), so that processes sharing the database know
/// to load their indexes again rather than only the rows added since.
const V4_SCHEMA: &str = "
CREATE TABLE registry_log (
    seq     INTEGER PRIMARY KEY,
    change  TEXT NOT NULL,                     -- what changed: delete, rebind
    at      TEXT NOT NULL                      -- RFC 3339, UTC
);
";

/// Turn an SQLite failure into the registry's error: damage and non-databases
/// are `Corrupt`, failures to open are `Open`, the rest `Database`.
pub(super) fn classify(path: &str, e: rusqlite::Error) -> RegistryError {
    let path = path.to_string();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => RegistryError::Corrupt {
            path,
            detail: e.to_string(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => RegistryError::Open {
            path,
            detail: e.to_string(),
        },
        _ => RegistryError::Database {
            path,
            detail: e.to_string(),
        },
    }
}

/// Check that `conn` is a Hallmark registry, or make it one if it is a new,
/// empty database. SQLite reads lazily: the first statement here is what
/// finds a file that is not a database.
pub(super) fn prepare(conn: &Connection, path: &str) -> Result<(), RegistryError> {
    let err = |e| classify(path, e);
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(err)?;
    // The file's own schema is not trusted: no function with side effects
    // runs from a view, trigger or index of it.
    conn.pragma_update(None, "trusted_schema", false)
        .map_err(err)?;
    let application_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(err)?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(err)?;
    if application_id == 0 && objects == 0 {
        let tx = conn.unchecked_transaction().map_err(err)?;
        tx.execute_batch(SCHEMA).map_err(err)?;
        tx.execute_batch(VIDEO_SCHEMA).map_err(err)?;
        tx.execute_batch(V3_SCHEMA).map_err(err)?;
        tx.execute_batch(V4_SCHEMA).map_err(err)?;
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
        ))
        .map_err(err)?;
        tx.commit().map_err(err)?;
        return Ok(());
    }
    // A registry holds tables and their indexes only. A view could stand in
    // for a table and a trigger could rewrite what is added: a file holding
    // either is not one Hallmark made, and is refused before any write.
    let hidden: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type NOT IN ('table', 'index')",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    if application_id != APPLICATION_ID || hidden > 0 {
        return Err(RegistryError::Foreign {
            path: path.to_string(),
        });
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if !(1..=SCHEMA_VERSION).contains(&version) {
        return Err(RegistryError::Version {
            path: path.to_string(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < SCHEMA_VERSION {
        // Each step in one transaction: version 1 had no videos, version 2
        // no manifest ids or bindings, version 3 no log.
        let tx = conn.unchecked_transaction().map_err(err)?;
        if version < 2 {
            tx.execute_batch(VIDEO_SCHEMA).map_err(err)?;
        }
        if version < 3 {
            tx.execute_batch(V3_SCHEMA).map_err(err)?;
            fill_manifest_ids(&tx, path)?;
        }
        tx.execute_batch(V4_SCHEMA).map_err(err)?;
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    Ok(())
}

/// Give every entry without one its manifest id, read from its stored store.
fn fill_manifest_ids(conn: &Connection, path: &str) -> Result<(), RegistryError> {
    let err = |e| classify(path, e);
    let rows: Vec<(i64, String, Vec<u8>)> = {
        let mut stmt = conn
            .prepare(
                "SELECT m.id, m.format, s.manifest_store FROM manifests m \
                 JOIN manifest_stores s ON s.entry_id = m.id WHERE m.manifest_id IS NULL",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        rows
    };
    for (id, format, store) in rows {
        if let Some(label) = crate::verify::active_label(&store, &format) {
            conn.execute(
                "UPDATE manifests SET manifest_id = ?1 WHERE id = ?2",
                rusqlite::params![label, id],
            )
            .map_err(err)?;
        }
    }
    Ok(())
}

/// PostgreSQL's migrations, in order: each runs once, in a transaction, and
/// is recorded in `hallmark_migrations`. The first makes what SQLite's
/// schema version 4 holds, in PostgreSQL's types.
#[cfg(feature = "postgres")]
const PG_MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "
CREATE TABLE manifests (
    id                   BIGSERIAL PRIMARY KEY,
    asset_blake3         TEXT NOT NULL UNIQUE,
    format               TEXT NOT NULL,
    pdq                  TEXT NOT NULL,
    pdq_quality          BIGINT NOT NULL,
    pixel_digest         TEXT NOT NULL,
    width                BIGINT NOT NULL,
    height               BIGINT NOT NULL,
    signer_name          TEXT,
    signer_organization  TEXT,
    signer_issuer        TEXT,
    certificate_sha256   TEXT NOT NULL,
    verdict              TEXT NOT NULL,
    title                TEXT,
    signed_at            TEXT,
    digital_source_type  TEXT,
    ai_generated         BOOLEAN NOT NULL,
    registered_at        TEXT NOT NULL,
    manifest_id          TEXT
);
CREATE INDEX manifests_pixel_digest ON manifests (pixel_digest);
CREATE INDEX manifests_manifest_id ON manifests (manifest_id);
CREATE TABLE manifest_stores (
    entry_id        BIGINT PRIMARY KEY REFERENCES manifests (id),
    manifest_store  BYTEA NOT NULL
);
CREATE TABLE video_hashes (
    entry_id  BIGINT PRIMARY KEY REFERENCES manifests (id),
    vpdq      TEXT NOT NULL
);
CREATE TABLE bindings (
    id        BIGSERIAL UNIQUE,
    alg       TEXT NOT NULL,
    value     BYTEA NOT NULL,
    entry_id  BIGINT NOT NULL REFERENCES manifests (id),
    PRIMARY KEY (alg, value)
);
CREATE INDEX bindings_entry ON bindings (entry_id);
CREATE TABLE registry_log (
    seq     BIGSERIAL PRIMARY KEY,
    change  TEXT NOT NULL,
    at      TEXT NOT NULL
);
",
)];

/// The tables a registry holds, in PostgreSQL as in SQLite.
#[cfg(feature = "postgres")]
const TABLES: &[&str] = &[
    "manifests",
    "manifest_stores",
    "video_hashes",
    "bindings",
    "registry_log",
];

/// Check that the connected PostgreSQL database (its current schema) holds a
/// Hallmark registry, or make it one: the migrations not yet recorded are
/// run, under a lock that makes processes starting together wait for each
/// other. A schema whose tables are views, or that holds triggers or rules,
/// is refused before any write; so is one migrated by a newer Hallmark.
#[cfg(feature = "postgres")]
pub(super) fn prepare_postgres(db: &super::db::Db) -> Result<(), RegistryError> {
    let lock = APPLICATION_ID;
    db.batch(&format!("SELECT pg_advisory_lock({lock})"))?;
    let result = migrate_postgres(db);
    let unlocked = db.batch(&format!("SELECT pg_advisory_unlock({lock})"));
    result.and(unlocked)
}

#[cfg(feature = "postgres")]
fn migrate_postgres(db: &super::db::Db) -> Result<(), RegistryError> {
    let foreign = || RegistryError::Foreign {
        path: db.name.clone(),
    };
    let mut found = Vec::new();
    db.each(
        "SELECT table_name::text, table_type::text FROM information_schema.tables \
         WHERE table_schema = current_schema()",
        &[],
        |r| {
            found.push((r.text(0)?, r.text(1)?));
            Ok(())
        },
    )?;
    let ours = |name: &str| name == "hallmark_migrations" || TABLES.contains(&name);
    if found
        .iter()
        .any(|(name, kind)| ours(name) && kind != "BASE TABLE")
    {
        return Err(foreign());
    }
    let has_log = found.iter().any(|(name, _)| name == "hallmark_migrations");
    if !has_log && found.iter().any(|(name, _)| ours(name)) {
        return Err(foreign());
    }
    let hidden = db
        .first(
            "SELECT (SELECT count(*) FROM information_schema.triggers \
                     WHERE event_object_schema = current_schema()) \
                  + (SELECT count(*) FROM pg_rules WHERE schemaname = current_schema())",
            &[],
            |r| r.int(0),
        )?
        .unwrap_or(0);
    if hidden > 0 {
        return Err(foreign());
    }
    if !has_log {
        db.batch(
            "CREATE TABLE hallmark_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
    }
    let version = db
        .first(
            "SELECT coalesce(max(version), 0) FROM hallmark_migrations",
            &[],
            |r| r.int(0),
        )?
        .unwrap_or(0);
    let latest = PG_MIGRATIONS.last().map_or(0, |m| m.0);
    if version > latest {
        return Err(RegistryError::Version {
            path: db.name.clone(),
            found: version,
            supported: latest,
        });
    }
    for (v, sql) in PG_MIGRATIONS.iter().filter(|(v, _)| *v > version) {
        db.batch("BEGIN")?;
        let step = db.batch(sql).and_then(|()| {
            db.execute(
                "INSERT INTO hallmark_migrations (version, applied_at) VALUES ($1, $2)",
                &[(*v).into(), super::row::rfc3339_now().as_str().into()],
            )
        });
        match step {
            Ok(_) => db.batch("COMMIT")?,
            Err(e) => {
                let _ = db.batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(())
}
