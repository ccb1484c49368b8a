//! The registry in PostgreSQL, against a real server (Debian's
//! `postgresql`: scripts/test.sh starts one; else this test starts its own
//! with scripts/pg-server.sh): the same answers as SQLite for the same
//! files; the schema made by migration, once, by processes starting
//! together; processes sharing a database see each other's additions and
//! deletions after `refresh`; a database that is not a registry, a newer
//! one, a password in the URL and a server that isn't there are typed errors.
//!
//! Run: `cargo test -p hallmark-core --test postgres`.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/pg.rs"]
mod pg;

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use hallmark_core::code::Code;
use hallmark_core::pdq::DEFAULT_MATCH_THRESHOLD;
use hallmark_core::registry::{
    Added, BindMode, Binding, Bound, Refreshed, Registry, RegistryError,
};
use hallmark_core::{sign, Identity, MatchKind, SignOptions, TrustStore, Verdict, Verifier};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn read(rel: &str) -> Vec<u8> {
    fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn trusting_newsroom() -> Verifier {
    Verifier::new(TrustStore::from_pem(&read("keys/newsroom/root.pem")).unwrap())
}

fn signed(image: &str) -> Vec<u8> {
    let identity = Identity::load(&fixtures().join("keys/newsroom"), None).unwrap();
    let options = SignOptions {
        title: Some("sunset.jpg".into()),
        ..SignOptions::default()
    };
    sign(&read(image), &identity, &options).unwrap()
}

fn reencode_jpeg(bytes: &[u8], quality: u8) -> Vec<u8> {
    let img = image::load_from_memory(bytes).unwrap().to_rgb8();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img)
        .unwrap();
    out.into_inner()
}

fn open(url: &str) -> Registry {
    Registry::open(url)
        .unwrap()
        .with_verifier(trusting_newsroom())
}

/// What a registry answers for the stripped and re-encoded copies: match
/// kinds and distances, signer, the stored store.
fn answers(registry: &mut Registry, signed: &[u8]) -> Vec<String> {
    let added = registry.add(signed, &trusting_newsroom()).unwrap();
    let entry = added.entry().clone();
    let mut out = vec![format!(
        "{} {} {}x{} {:?} {:?}",
        entry.format,
        entry.verdict.as_str(),
        entry.width,
        entry.height,
        entry.signer.name,
        entry.ai_generated
    )];
    for copy in [read("attacks/stripped.jpg"), reencode_jpeg(signed, 70)] {
        let found = registry
            .lookup_file(&copy, DEFAULT_MATCH_THRESHOLD)
            .unwrap();
        for m in &found.matches {
            out.push(format!(
                "{:?} {} {} {}",
                m.match_kind,
                m.distance,
                m.verdict_now.as_str(),
                m.entry.manifest_id.as_deref().unwrap_or("-")
            ));
        }
    }
    let id = entry.manifest_id.clone().unwrap();
    let store = registry.manifest_by_id(&id).unwrap().unwrap();
    out.push(format!("store {}", blake3::hash(&store).to_hex()));
    out
}

#[test]
fn postgresql_answers_as_sqlite_does_for_the_same_files() {
    let signed = signed("images/sample.jpg");
    let tmp = tempfile::tempdir().unwrap();
    let sqlite = answers(
        &mut open(tmp.path().join("r.db").to_str().unwrap()),
        &signed,
    );
    let url = pg::fresh_database();
    let postgres = answers(&mut open(&url), &signed);
    assert_eq!(postgres, sqlite);
    assert_eq!(postgres.len(), 4, "{postgres:?}");
    assert!(
        postgres[1].starts_with("SamePixels 0 trusted "),
        "{postgres:?}"
    );
    assert!(postgres[2].starts_with("SimilarPicture "), "{postgres:?}");

    // Reopened: the index is loaded back from the database; the same bytes
    // again change nothing.
    let mut again = open(&url);
    assert!(again.is_postgres());
    assert_eq!(again.len().unwrap(), 1);
    assert!(matches!(
        again.add(&signed, &trusting_newsroom()).unwrap(),
        Added::Existing(_)
    ));
    let stripped = read("attacks/stripped.jpg");
    let verifier = trusting_newsroom();
    let report = again.recover(
        &stripped,
        verifier.verify(&stripped),
        DEFAULT_MATCH_THRESHOLD,
    );
    assert_eq!(report.verdict, Verdict::Recovered);
    let recovered = report.recovered.unwrap();
    assert_eq!(recovered.match_kind, MatchKind::SamePixels);
    assert_eq!(recovered.signer.name.as_deref(), Some("Jane Doe"));
}

/// `a` adds and deletes; `b`, another process's handle on the same
/// database, sees each change after `refresh`, and only then.
fn shared(a: &mut Registry, b: &mut Registry) {
    let signed = signed("images/sample.jpg");
    // Same pixels are looked up in the database itself; similar pictures
    // in the in-memory index, which `refresh` brings up to date.
    let stripped = read("attacks/stripped.jpg");
    let similar = reencode_jpeg(&signed, 70);
    assert_eq!(b.refresh().unwrap(), Refreshed::Unchanged);
    let entry = a.add(&signed, &trusting_newsroom()).unwrap().into_entry();
    assert_eq!(b.lookup_file(&stripped, 8).unwrap().matches.len(), 1);
    assert_eq!(b.lookup_file(&similar, 8).unwrap().matches.len(), 0);
    assert_eq!(b.refresh().unwrap(), Refreshed::Added(1));
    let found = b.lookup_file(&similar, 8).unwrap();
    assert_eq!(found.matches.len(), 1);
    assert_eq!(found.matches[0].entry.id, entry.id);
    assert_eq!(found.matches[0].match_kind, MatchKind::SimilarPicture);
    assert_eq!(b.refresh().unwrap(), Refreshed::Unchanged);

    // A PDQ value bound elsewhere is indexed by the refresh.
    let other =
        hallmark_core::pixels::hash_image(&read("images/other.jpg"), &Default::default()).unwrap();
    let id = entry.manifest_id.clone().unwrap();
    assert_eq!(
        a.bind(&Binding::Pdq(other.pdq), &id, BindMode::Create)
            .unwrap(),
        Bound::Done
    );
    assert_eq!(b.lookup(&other.pdq, 0).unwrap().len(), 0);
    assert_eq!(b.refresh().unwrap(), Refreshed::Added(1));
    assert_eq!(b.lookup(&other.pdq, 0).unwrap()[0].entry.id, entry.id);

    // A deletion elsewhere: everything loaded again, and the entry gone.
    assert!(a.delete_manifest(&id).unwrap());
    assert_eq!(b.refresh().unwrap(), Refreshed::Reloaded);
    assert_eq!(b.lookup_file(&stripped, 8).unwrap().matches.len(), 0);
    assert_eq!(b.lookup_file(&similar, 8).unwrap().matches.len(), 0);
    assert_eq!(b.lookup(&other.pdq, 0).unwrap().len(), 0);
    assert_eq!(b.refresh().unwrap(), Refreshed::Unchanged);
    // And `a`, which deleted, agrees.
    assert_eq!(a.lookup_file(&stripped, 8).unwrap().matches.len(), 0);

    // Added again (a new id), seen again.
    a.add(&signed, &trusting_newsroom()).unwrap();
    assert_eq!(b.refresh().unwrap(), Refreshed::Added(1));
    assert_eq!(b.lookup_file(&similar, 8).unwrap().matches.len(), 1);
}

#[test]
fn processes_sharing_a_postgresql_database_see_each_others_changes_after_refresh() {
    let url = pg::fresh_database();
    shared(&mut open(&url), &mut open(&url));
}

#[test]
fn processes_sharing_an_sqlite_file_see_each_others_changes_after_refresh() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("shared.db");
    let path = path.to_str().unwrap();
    shared(&mut open(path), &mut open(path));
}

#[test]
fn processes_opening_a_new_database_together_migrate_it_once() {
    let url = pg::fresh_database();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Registry::open(&url).map(|r| r.len().unwrap()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), 0);
    }
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = c
        .query(
            "SELECT version FROM hallmark_migrations ORDER BY version",
            &[],
        )
        .unwrap();
    let versions: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1]);
}

fn refused(url: &str) -> RegistryError {
    match Registry::open(url) {
        Ok(_) => panic!("{url} was opened"),
        Err(e) => e,
    }
}

#[test]
fn a_database_that_is_not_a_registry_is_refused_unchanged() {
    // Someone else's table of the same name.
    let url = pg::fresh_database();
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("CREATE TABLE manifests (id int)").unwrap();
    let e = refused(&url);
    assert_eq!(e.code(), Code::RegistryForeign, "{e}");
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 1, "nothing was created");

    // A registry whose table was swapped for a view, or given a trigger or a rule.
    for attack in [
        "ALTER TABLE bindings RENAME TO b2; CREATE VIEW bindings AS SELECT * FROM b2",
        "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER t BEFORE INSERT ON manifests FOR EACH ROW EXECUTE FUNCTION f()",
        "CREATE RULE r AS ON INSERT TO bindings DO INSTEAD NOTHING",
    ] {
        let url = pg::fresh_database();
        drop(Registry::open(&url).unwrap());
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(attack).unwrap();
        let e = refused(&url);
        assert_eq!(e.code(), Code::RegistryForeign, "{attack}: {e}");
    }

    // Migrated by a newer Hallmark.
    let url = pg::fresh_database();
    drop(Registry::open(&url).unwrap());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("INSERT INTO hallmark_migrations VALUES (99, 'later')")
        .unwrap();
    let e = refused(&url);
    assert_eq!(e.code(), Code::RegistryVersion, "{e}");
    assert!(e.to_string().contains("99"), "{e}");
}

#[test]
fn a_password_in_the_url_and_a_server_that_is_not_there_are_typed_errors() {
    let e = refused("postgresql://postgres:hunter2@127.0.0.1:1/postgres");
    assert_eq!(e.code(), Code::RegistryOpen);
    assert!(e.to_string().contains("PGPASSWORD"), "{e}");
    // The password is never shown, not even in the error that refuses it.
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(
        e.to_string()
            .contains("postgresql://postgres:***@127.0.0.1:1/postgres"),
        "{e}"
    );

    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = refused(&format!("postgresql://postgres@127.0.0.1:{port}/postgres"));
    assert_eq!(e.code(), Code::RegistryOpen, "{e}");
    assert!(e.to_string().contains("Connection refused"), "{e}");

    let e = refused("postgresql://[not a url");
    assert_eq!(e.code(), Code::RegistryOpen, "{e}");
}

#[test]
fn a_connection_the_server_dropped_is_made_again() {
    let url = pg::fresh_database();
    let mut registry = open(&url);
    registry
        .add(&signed("images/sample.jpg"), &trusting_newsroom())
        .unwrap();
    let name = url.rsplit_once('/').unwrap().1.to_string();
    let mut admin = postgres::Client::connect(pg::server(), postgres::NoTls).unwrap();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )
        .unwrap();
    assert_eq!(killed.len(), 1);
    // The first call may meet the dropped connection (a typed error, no
    // panic); the next one connects again and answers.
    let first = registry.len();
    // It is the server's "terminating connection" (registry.database) or
    // the closed connection found (registry.open), as timing has it.
    if let Err(e) = &first {
        assert!(
            matches!(e.code(), Code::RegistryDatabase | Code::RegistryOpen),
            "{e}"
        );
    }
    assert_eq!(registry.len().unwrap(), 1);
    let stripped = read("attacks/stripped.jpg");
    assert_eq!(registry.lookup_file(&stripped, 8).unwrap().matches.len(), 1);
}
