//! The registry of signed manifests: an SQLite file that keeps, for every
//! signed file registered with it, the C2PA manifest store, who signed it, its
//! verdict at registration and the perceptual hash and pixel digest of its
//! pixels, so that a copy whose Content Credentials were stripped (as most
//! platforms do on upload) can be matched back to them ([`Registry::recover`]).
//!
//! Lookups by PDQ never scan the table: the hashes are loaded at open into an
//! in-memory multi-index ([`HashIndex`] from [`crate::mih`], which needs no
//! SQLite and serves banks of millions of hashes too), and candidates are checked by exact Hamming distance.
//! Lookups by pixel digest use an SQLite index.
//!
//! ```no_run
//! use hallmark_core::registry::Registry;
//! use hallmark_core::{pdq, TrustStore, Verdict, Verifier};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(TrustStore::from_pem(&std::fs::read("root.pem")?)?);
//! let mut registry = Registry::open("registry.db")?;
//! registry.add(&std::fs::read("signed.jpg")?, &verifier)?;
//!
//! let stripped = std::fs::read("from-social-media.jpg")?;
//! let report = verifier.verify(&stripped);
//! let report = registry.recover(&stripped, report, pdq::DEFAULT_MATCH_THRESHOLD);
//! assert_eq!(report.verdict, Verdict::Recovered);
//! # Ok(()) }
//! ```

mod error;
mod row;

pub use error::RegistryError;
use row::{raw_entry, rfc3339_now};

mod binding;
mod db;
mod recover;
#[cfg(feature = "remote")]
mod remote;
mod revalidate;
mod schema;

use std::path::{Path, PathBuf};

use db::{Conn, Db, Param};

pub use crate::mih::{HashIndex, IndexMatch};
pub use crate::recovery::{Entry, Match, Recovery};
pub use binding::{
    parse_video_binding, video_binding, BindMode, Binding, BindingError, Bound, Lookup, ALGORITHMS,
    DIGEST_ALG, LOOKUP_ALGORITHMS, PDQ_ALG, VPDQ_ALG,
};
pub use recover::{Confirmed, FileLookup};
#[cfg(feature = "remote")]
pub use remote::RemoteRegistry;

use crate::media::{probe, Limits};
use crate::pdq::{PdqHash, MIN_MATCH_QUALITY};
use crate::pixels::{self, PixelDigest};
use crate::report::{SignerInfo, Verdict};
use crate::verify::Verifier;
use crate::vpdq::{CompareOptions, Comparison, VideoBank, VideoHash};

/// What [`Registry::add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The file was registered now.
    New(Entry),
    /// The same bytes were already registered: nothing changed.
    Existing(Entry),
}

impl Added {
    pub fn entry(&self) -> &Entry {
        match self {
            Self::New(e) | Self::Existing(e) => e,
        }
    }

    pub fn into_entry(self) -> Entry {
        match self {
            Self::New(e) | Self::Existing(e) => e,
        }
    }
}

/// An open registry (an SQLite file, or a PostgreSQL database) and its
/// in-memory PDQ index. The index holds the entries present at open plus
/// those this handle added; [`Self::refresh`] loads what other processes
/// registered since.
pub struct Registry {
    db: Db,
    path: String,
    /// What the indexes were loaded from: for [`Self::refresh`].
    loaded: Loaded,
    index: HashIndex,
    /// Row id of each hash in `index`, by index id.
    rows: Vec<i64>,
    /// The registered videos' vPDQ hashes (frame multi-index included).
    videos: VideoBank,
    /// Row id of each video in `videos`, by its position there.
    video_rows: Vec<i64>,
    limits: Limits,
    /// Who is trusted now: each match's stored credentials are verified
    /// again with it before they are used.
    verifier: Verifier,
    /// Those verdicts, by row id, for [`revalidate::REVALIDATE_AFTER`].
    revalidated: std::sync::Mutex<std::collections::HashMap<i64, revalidate::Cached>>,
}

/// The newest rows the in-memory indexes hold, and the newest change that
/// was not an addition: rows past these are loaded by [`Registry::refresh`];
/// a newer change means loading everything again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Loaded {
    manifest: i64,
    binding: i64,
    change: i64,
}

/// What [`Registry::refresh`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// Nothing had changed.
    Unchanged,
    /// Entries or bindings added elsewhere were indexed: how many.
    Added(usize),
    /// Something was deleted or rebound elsewhere: everything was loaded again.
    Reloaded,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("path", &self.path)
            .field("indexed", &self.rows.len())
            .finish()
    }
}

const ENTRY_COLUMNS: &str = "id, asset_blake3, format, pdq, pdq_quality, pixel_digest, width, height, \
     signer_name, signer_organization, signer_issuer, certificate_sha256, verdict, title, signed_at, \
     digital_source_type, ai_generated, registered_at, manifest_id";

impl Registry {
    /// Open the registry at `path`, creating it (and its schema) if the file
    /// does not exist or is empty. A file that is not a Hallmark registry is
    /// refused with a typed error; nothing in it is changed.
    ///
    /// A `postgresql://` (or `postgres://`) URL opens a PostgreSQL database
    /// instead (the `postgres` feature): see [`Self::open_postgres`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let path_buf: PathBuf = path.as_ref().to_path_buf();
        let shown = path_buf.display().to_string();
        if is_postgres_url(&shown) {
            return Self::open_postgres(&shown);
        }
        let conn = rusqlite::Connection::open(&path_buf).map_err(|e| RegistryError::Open {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        schema::prepare(&conn, &shown)?;
        Self::with_db(Db {
            conn: Conn::Sqlite(conn),
            name: shown,
        })
    }

    /// Open the registry in the PostgreSQL database at `url`
    /// (`postgresql://user@host:port/dbname`), making its tables by
    /// migration when they are not there yet. A password never goes in the
    /// URL, where process lists and logs would show it: it is read from
    /// `PGPASSWORD`, as libpq does. The connection is not encrypted (no TLS):
    /// the server belongs on the same host or a private network.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(url: &str) -> Result<Self, RegistryError> {
        let shown = db::redact(url);
        let open = |detail: String| RegistryError::Open {
            path: shown.clone(),
            detail,
        };
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| open(format!("not a PostgreSQL URL: {e}")))?;
        // From here on the URL holds no password: it may be shown as it is.
        if config.get_password().is_some() {
            return Err(open(
                "the URL holds a password, which process lists and logs would show: \
                 leave it out and set PGPASSWORD"
                    .into(),
            ));
        }
        if let Some(password) = std::env::var_os("PGPASSWORD") {
            config.password(password.as_encoded_bytes());
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        config.application_name("hallmark");
        let client = config
            .connect(postgres::NoTls)
            .map_err(|e| db::pg_error(url, e))?;
        let db = Db {
            conn: Conn::Postgres {
                client: Box::new(std::sync::Mutex::new(client)),
                config: Box::new(config),
            },
            name: url.to_string(),
        };
        schema::prepare_postgres(&db)?;
        Self::with_db(db)
    }

    /// Without the `postgres` feature, a PostgreSQL URL is refused.
    #[cfg(not(feature = "postgres"))]
    pub fn open_postgres(url: &str) -> Result<Self, RegistryError> {
        Err(RegistryError::Open {
            path: url.to_string(),
            detail: "this Hallmark was built without PostgreSQL (the `postgres` feature)".into(),
        })
    }

    fn with_db(db: Db) -> Result<Self, RegistryError> {
        let mut registry = Self {
            path: db.name.clone(),
            db,
            loaded: Loaded::default(),
            index: HashIndex::new(),
            rows: Vec::new(),
            videos: VideoBank::new(),
            video_rows: Vec::new(),
            limits: Limits::default(),
            verifier: Verifier::new(crate::trust::TrustStore::default()),
            revalidated: Default::default(),
        };
        registry.reload()?;
        Ok(registry)
    }

    /// Decode limits for hashing files in [`Self::recover`] (default: [`Limits::default`]).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Verify matches' stored credentials again with `verifier` (its trust
    /// and clock) before recovering from them; its limits become the
    /// registry's. Without it, nothing is trusted: a match is `valid` at best.
    pub fn with_verifier(mut self, verifier: Verifier) -> Self {
        self.limits = *verifier.limits();
        self.verifier = verifier;
        if let Ok(cache) = self.revalidated.get_mut() {
            cache.clear();
        }
        self
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The decode limits files are hashed under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether the database is PostgreSQL (else SQLite).
    pub fn is_postgres(&self) -> bool {
        self.db.is_postgres()
    }

    /// Index the pictures' PDQ hashes: entries past `self.loaded.manifest`
    /// and bound values past `self.loaded.binding` (all of them, from
    /// empty indexes); the number indexed.
    fn load_index(&mut self) -> Result<usize, RegistryError> {
        let mut newest = self.loaded;
        // Hashes and their rows, indexed together at the end: one build.
        let (mut hashes, mut rows) = (Vec::new(), Vec::new());
        // Videos are matched by their vPDQ hash, never as a picture.
        self.db.each(
            "SELECT id, pdq, pdq_quality FROM manifests \
             WHERE id > $1 AND id NOT IN (SELECT entry_id FROM video_hashes) ORDER BY id",
            &[self.loaded.manifest.into()],
            |r| {
                let id = r.int(0)?;
                let text = r.text(1)?;
                let quality = r.int(2)?;
                let hash = PdqHash::from_hex(&text).ok_or_else(|| RegistryError::Corrupt {
                    path: self.path.clone(),
                    detail: format!("entry {id} has a malformed PDQ hash"),
                })?;
                newest.manifest = newest.manifest.max(id);
                if quality >= i64::from(MIN_MATCH_QUALITY) {
                    hashes.push(hash);
                    rows.push(id);
                }
                Ok(())
            },
        )?;
        // PDQ values bound to entries through the API (`POST /bindings`).
        let order = if self.db.is_postgres() { "id" } else { "rowid" };
        self.db.each(
            &format!(
                "SELECT value, entry_id, {order} FROM bindings \
                 WHERE alg = $1 AND {order} > $2 ORDER BY {order}"
            ),
            &[binding::PDQ_ALG.into(), self.loaded.binding.into()],
            |r| {
                let value = r.blob(0)?;
                let id = r.int(1)?;
                newest.binding = newest.binding.max(r.int(2)?);
                if let Ok(binding::Binding::Pdq(hash)) = binding::Binding::parse(PDQ_ALG, &value) {
                    hashes.push(hash);
                    rows.push(id);
                }
                Ok(())
            },
        )?;
        // Digest bindings are looked up in the database; only the newest id matters.
        self.db
            .each(&format!("SELECT max({order}) FROM bindings"), &[], |r| {
                newest.binding = newest.binding.max(r.opt_int(0)?.unwrap_or(0));
                Ok(())
            })?;
        let added = self.index.extend(hashes);
        rows.truncate(added);
        self.rows.extend(rows);
        self.loaded.manifest = newest.manifest;
        self.loaded.binding = newest.binding;
        Ok(added)
    }

    /// The newest change that was not an addition.
    fn last_change(&self) -> Result<i64, RegistryError> {
        Ok(self
            .db
            .first("SELECT max(seq) FROM registry_log", &[], |r| r.opt_int(0))?
            .flatten()
            .unwrap_or(0))
    }

    /// Record a change that was not an addition, inside its transaction.
    fn log_change(db: &Db, change: &str) -> Result<(), RegistryError> {
        db.execute(
            "INSERT INTO registry_log (change, at) VALUES ($1, $2)",
            &[change.into(), rfc3339_now().as_str().into()],
        )
        .map(drop)
    }

    /// Bring the in-memory indexes up to date with the database, for
    /// processes that share it (several `hallmark serve` on one PostgreSQL,
    /// or on one SQLite file): entries and bindings added since are indexed;
    /// after a deletion or a rebinding anywhere, everything is loaded again.
    /// Cheap when nothing changed: two indexed queries.
    pub fn refresh(&mut self) -> Result<Refreshed, RegistryError> {
        if self.last_change()? != self.loaded.change {
            self.reload()?;
            return Ok(Refreshed::Reloaded);
        }
        let before = self.loaded;
        let pictures = self.load_index()?;
        let videos = self.load_videos(before.manifest)?;
        if pictures + videos > 0 {
            if let Ok(cache) = self.revalidated.get_mut() {
                cache.clear();
            }
        }
        Ok(match pictures + videos {
            0 => Refreshed::Unchanged,
            n => Refreshed::Added(n),
        })
    }

    /// Load the indexes again from the database (after a delete or a
    /// rebinding), and forget the verdicts on stored stores.
    fn reload(&mut self) -> Result<(), RegistryError> {
        // The log first: a change made while loading is seen by the next refresh.
        let change = self.last_change()?;
        self.videos = VideoBank::new();
        self.video_rows.clear();
        self.index = HashIndex::new();
        self.rows.clear();
        self.loaded = Loaded {
            change,
            ..Loaded::default()
        };
        self.load_index()?;
        self.load_videos(0)?;
        if let Ok(cache) = self.revalidated.get_mut() {
            cache.clear();
        }
        Ok(())
    }

    /// Index the videos of entries past `after`; the number indexed.
    fn load_videos(&mut self, after: i64) -> Result<usize, RegistryError> {
        let mut added = 0;
        let (videos, video_rows, path) = (&mut self.videos, &mut self.video_rows, &self.path);
        self.db.each(
            "SELECT entry_id, vpdq FROM video_hashes WHERE entry_id > $1 ORDER BY entry_id",
            &[after.into()],
            |r| {
                let id = r.int(0)?;
                let text = r.text(1)?;
                let hash = crate::vpdq::parse_text(&text).map_err(|e| RegistryError::Corrupt {
                    path: path.clone(),
                    detail: format!("entry {id} has a malformed vPDQ hash: {e}"),
                })?;
                if videos.push(KNOWN_ORIGINAL, "", id.to_string(), hash) {
                    video_rows.push(id);
                    added += 1;
                }
                Ok(())
            },
        )?;
        Ok(added)
    }

    /// How many registered videos are matched by vPDQ.
    pub fn video_count(&self) -> usize {
        self.videos.len()
    }

    /// A summary of what the registry holds that changes whenever an entry is
    /// added, by this handle or another process: for keying cached results.
    pub fn state(&self) -> Result<String, RegistryError> {
        let (n, max_id, last) = self
            .db
            .first(
                "SELECT count(*), max(id), max(registered_at) FROM manifests",
                &[],
                |r| Ok((r.int(0)?, r.opt_int(1)?, r.opt_text(2)?)),
            )?
            .unwrap_or_default();
        Ok(format!(
            "{}\0{n}\0{}\0{}\0{}",
            self.path,
            max_id.unwrap_or(0),
            last.unwrap_or_default(),
            self.last_change()?
        ))
    }

    /// Number of registered files.
    pub fn len(&self) -> Result<u64, RegistryError> {
        let n = self
            .db
            .first("SELECT count(*) FROM manifests", &[], |r| r.int(0))?
            .unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub fn is_empty(&self) -> Result<bool, RegistryError> {
        Ok(self.len()? == 0)
    }

    /// Register a signed file: verify it with `verifier` (only `trusted`
    /// files are accepted: a `valid` one could be signed by anyone's
    /// home-made CA), extract its manifest store, hash its pixels and store
    /// it all. Adding the same bytes twice changes nothing.
    pub fn add(&mut self, bytes: &[u8], verifier: &Verifier) -> Result<Added, RegistryError> {
        self.add_allowing(bytes, verifier, false)
    }

    /// [`Self::add`], also accepting `valid` files when `allow_valid` (a
    /// registry of one's own or a partner's signers, not publicly trusted).
    pub fn add_allowing(
        &mut self,
        bytes: &[u8],
        verifier: &Verifier,
        allow_valid: bool,
    ) -> Result<Added, RegistryError> {
        let asset = blake3::hash(bytes).to_hex().to_string();
        if let Some(entry) = self.entry_by_asset(&asset)? {
            return Ok(Added::Existing(entry));
        }
        let report = verifier.verify(bytes);
        let signer = accepted_signer(&report, allow_valid)?;
        let format = crate::media::identify(bytes, verifier.limits())?;
        // A picture is probed (its size checked) before anything else reads it.
        let format = if format.is_video() {
            format
        } else {
            probe(bytes, verifier.limits())?.format
        };
        let store = c2pa::jumbf_io::load_jumbf_from_memory(format.mime(), bytes)
            .map_err(|e| RegistryError::ManifestStore(e.to_string()))?;
        let (hash, video) = if format.is_video() {
            let (video, width, height) = hash_video(
                crate::media::Source::Bytes(bytes),
                format,
                verifier.limits(),
            )?;
            (
                crate::recovery::video_entry_hash(&video, width, height),
                Some(video),
            )
        } else {
            (pixels::hash_image(bytes, verifier.limits())?, None)
        };
        self.insert(NewEntry {
            asset,
            format: format.mime().to_string(),
            hash,
            signer,
            report,
            store,
            video,
        })
    }

    /// Register a manifest store on its own (`POST /manifests` of the Soft
    /// Binding Resolution API): it has no asset, so it is verified with
    /// [`Verifier::verify_store`] (the signature and the signer's trust;
    /// not the hard binding), and accepted when `trusted` (or `valid`, when
    /// `allow_valid`). Its soft binding is the PDQ hash and pixel digest its
    /// Hallmark pixels assertion signed, when it has one, or for a video the
    /// frames Hallmark signed (one a second) as its vPDQ hash; a store
    /// without either is found by its manifest id, or by a binding added
    /// later ([`Self::bind`]). Its `asset_blake3` is the BLAKE3 of the store.
    pub fn add_store(
        &mut self,
        store: &[u8],
        verifier: &Verifier,
        allow_valid: bool,
    ) -> Result<Added, RegistryError> {
        let asset = blake3::hash(store).to_hex().to_string();
        if let Some(entry) = self.entry_by_asset(&asset)? {
            return Ok(Added::Existing(entry));
        }
        // The same store, registered already from its file.
        if let Some(id) = crate::verify::active_label(store, STORE_FORMAT) {
            if let Some(entry) = self.entry_by_manifest_id(&id)? {
                if self.manifest_store(entry.id)?.as_deref() == Some(store) {
                    return Ok(Added::Existing(entry));
                }
            }
        }
        let report = verifier.verify_store(store, STORE_FORMAT);
        let signer = accepted_signer(&report, allow_valid)?;
        // A video's store: the frames it signed (one a second) are its
        // vPDQ hash, so that video lookups find it.
        let video = report
            .signed_video
            .as_deref()
            .filter(|frames| !frames.is_empty())
            .map(crate::vpdq::signed_video_hash);
        let hash = match (&report.signed_pixels, &video) {
            (_, Some(video)) => crate::recovery::video_entry_hash(video, 0, 0),
            (Some(p), None) => pixels::ImageHash {
                pdq: p.pdq,
                quality: p.quality,
                pixel_digest: p.digest,
                width: p.width,
                height: p.height,
            },
            // No pixels were signed: a digest in a domain of its own, which no
            // picture's equals, and no PDQ hash (quality 0 is never indexed).
            (None, None) => pixels::ImageHash {
                pdq: PdqHash::default(),
                quality: 0,
                pixel_digest: PixelDigest(blake3::derive_key(
                    "hallmark registry 2026 bare manifest store digest v1",
                    store,
                )),
                width: 0,
                height: 0,
            },
        };
        self.insert(NewEntry {
            asset,
            format: STORE_FORMAT.to_string(),
            hash,
            signer,
            report,
            store: store.to_vec(),
            video,
        })
    }

    /// Write a verified entry and index it. A store whose manifest id is
    /// already registered with other bytes is refused: ids are chosen by
    /// signers, and one must not shadow another's.
    fn insert(&mut self, new: NewEntry) -> Result<Added, RegistryError> {
        let manifest_id = crate::verify::active_label(&new.store, &new.format);
        if let Some(id) = &manifest_id {
            if let Some(existing) = self.entry_by_manifest_id(id)? {
                let stored = self.manifest_store(existing.id)?;
                if stored.as_deref() != Some(new.store.as_slice()) {
                    return Err(RegistryError::Conflict {
                        manifest_id: id.clone(),
                    });
                }
            }
        }
        let NewEntry {
            asset,
            format,
            hash,
            signer,
            report,
            store,
            video,
        } = new;
        let registered_at = rfc3339_now();
        let pdq_hex = hash.pdq.to_hex();
        let digest_hex = hash.pixel_digest.to_hex();
        let id = self.db.write(|db| {
            let id = db
                .first(
                    &format!(
                        "INSERT INTO manifests ({}) VALUES ({}) RETURNING id",
                        &ENTRY_COLUMNS["id, ".len()..],
                        (1..=18)
                            .map(|i| format!("${i}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    &[
                        asset.as_str().into(),
                        format.as_str().into(),
                        pdq_hex.as_str().into(),
                        i64::from(hash.quality).into(),
                        digest_hex.as_str().into(),
                        i64::from(hash.width).into(),
                        i64::from(hash.height).into(),
                        signer.name.as_deref().into(),
                        signer.organization.as_deref().into(),
                        signer.issuer.as_deref().into(),
                        signer.certificate_sha256.as_str().into(),
                        report.verdict.as_str().into(),
                        report.title.as_deref().into(),
                        report.signed_at.as_deref().into(),
                        report.digital_source_type.as_deref().into(),
                        report.ai_generated.into(),
                        registered_at.as_str().into(),
                        manifest_id.as_deref().into(),
                    ],
                    |r| r.int(0),
                )?
                .ok_or_else(|| RegistryError::Database {
                    path: db.name.clone(),
                    detail: "the new entry's id was not returned".into(),
                })?;
            db.execute(
                "INSERT INTO manifest_stores (entry_id, manifest_store) VALUES ($1, $2)",
                &[id.into(), store.as_slice().into()],
            )?;
            if let Some(video) = &video {
                db.execute(
                    "INSERT INTO video_hashes (entry_id, vpdq) VALUES ($1, $2)",
                    &[id.into(), crate::vpdq::write_text(video).as_str().into()],
                )?;
            }
            Ok(id)
        })?;
        // Rows another process added first are indexed before this one.
        if id > self.loaded.manifest + 1 {
            self.refresh()?;
            return self.added(id);
        }
        self.loaded.manifest = id;

        match video {
            Some(video) => {
                if self.videos.push(KNOWN_ORIGINAL, "", id.to_string(), video) {
                    self.video_rows.push(id);
                }
            }
            None => {
                if hash.quality >= MIN_MATCH_QUALITY && self.index.push(hash.pdq).is_some() {
                    self.rows.push(id);
                }
            }
        }
        self.added(id)
    }

    fn added(&self, id: i64) -> Result<Added, RegistryError> {
        let entry = self.entry(id)?.ok_or_else(|| RegistryError::Database {
            path: self.path.clone(),
            detail: format!("entry {id} vanished right after it was written"),
        })?;
        Ok(Added::New(entry))
    }

    /// The entry with row id `id`.
    pub fn entry(&self, id: i64) -> Result<Option<Entry>, RegistryError> {
        self.query_one(
            &format!("SELECT {ENTRY_COLUMNS} FROM manifests WHERE id = $1"),
            &[id.into()],
        )
    }

    /// The entry of exactly these signed bytes, if registered.
    pub fn entry_for_bytes(&self, bytes: &[u8]) -> Result<Option<Entry>, RegistryError> {
        self.entry_by_asset(blake3::hash(bytes).to_hex().as_str())
    }

    /// The first entry registered under manifest id `id` (entries of one
    /// manifest id all hold the same store).
    pub fn entry_by_manifest_id(&self, id: &str) -> Result<Option<Entry>, RegistryError> {
        self.query_one(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM manifests WHERE manifest_id = $1 ORDER BY id LIMIT 1"
            ),
            &[id.into()],
        )
    }

    fn entry_by_asset(&self, asset_hex: &str) -> Result<Option<Entry>, RegistryError> {
        self.query_one(
            &format!("SELECT {ENTRY_COLUMNS} FROM manifests WHERE asset_blake3 = $1"),
            &[asset_hex.into()],
        )
    }

    fn query_one(&self, sql: &str, params: &[Param<'_>]) -> Result<Option<Entry>, RegistryError> {
        let row = self.db.first(sql, params, raw_entry)?;
        row.map(|raw| raw.parse(&self.path)).transpose()
    }

    /// The C2PA manifest store (JUMBF bytes) registered with entry `id`.
    pub fn manifest_store(&self, id: i64) -> Result<Option<Vec<u8>>, RegistryError> {
        self.db.first(
            "SELECT manifest_store FROM manifest_stores WHERE entry_id = $1",
            &[id.into()],
            |r| r.blob(0),
        )
    }

    /// Entries whose PDQ hash is within `threshold` bits of `hash`, nearest
    /// first. Entries with PDQ quality under 50 are not matched by PDQ.
    pub fn lookup(&self, hash: &PdqHash, threshold: u32) -> Result<Vec<Match>, RegistryError> {
        let mut out = Vec::new();
        for m in self.index.search(hash, threshold) {
            let Some(&row) = self.rows.get(m.id) else {
                continue;
            };
            if let Some(entry) = self.entry(row)? {
                out.push(Match {
                    entry,
                    distance: m.distance,
                });
            }
        }
        Ok(out)
    }

    /// Registered videos that `query` matches by the reference rule (see
    /// [`crate::vpdq::compare`]), best first, with the comparison.
    pub fn lookup_video(
        &self,
        query: &VideoHash,
        options: &CompareOptions,
    ) -> Result<Vec<(Entry, Comparison)>, RegistryError> {
        let mut out = Vec::new();
        for m in self.videos.matches(query, options) {
            let Some(&row) = self.video_rows.get(m.id) else {
                continue;
            };
            if let Some(entry) = self.entry(row)? {
                out.push((entry, m.comparison));
            }
        }
        Ok(out)
    }

    /// Entries whose pixels are exactly these (same pixel digest), oldest first.
    pub fn lookup_digest(&self, digest: &PixelDigest) -> Result<Vec<Entry>, RegistryError> {
        let mut out = Vec::new();
        self.db.each(
            &format!("SELECT {ENTRY_COLUMNS} FROM manifests WHERE pixel_digest = $1 ORDER BY id"),
            &[digest.to_hex().as_str().into()],
            |r| {
                out.push(raw_entry(r)?.parse(&self.path)?);
                Ok(())
            },
        )?;
        Ok(out)
    }
}

pub use crate::recovery::STORE_FORMAT;

/// Whether `s` names a PostgreSQL database rather than an SQLite file.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgresql://") || s.starts_with("postgres://")
}

/// What [`Registry::insert`] writes: a verified entry, before it has an id.
struct NewEntry {
    asset: String,
    format: String,
    hash: pixels::ImageHash,
    signer: SignerInfo,
    report: crate::report::Report,
    store: Vec<u8>,
    video: Option<VideoHash>,
}

/// The signer of a report the registry accepts: trusted, or valid when
/// `allow_valid`, naming its signing certificate.
fn accepted_signer(
    report: &crate::report::Report,
    allow_valid: bool,
) -> Result<SignerInfo, RegistryError> {
    let accepted = match report.verdict {
        Verdict::Trusted => true,
        Verdict::Valid => allow_valid,
        _ => false,
    };
    if !accepted {
        return Err(RegistryError::Rejected {
            verdict: report.verdict,
            summary: report.summary.clone(),
        });
    }
    report
        .signer
        .clone()
        .ok_or_else(|| RegistryError::Rejected {
            verdict: report.verdict,
            summary: "the manifest names no signing certificate".into(),
        })
}

/// The label registry matches carry in feeds.
const KNOWN_ORIGINAL: &str = "known-original";

/// A video's vPDQ hash, a frame a second, as `hash` makes it, and its
/// size: how the registry hashes what it registers and what it looks up.
pub(crate) fn hash_video(
    source: crate::media::Source<'_>,
    format: crate::media::MediaFormat,
    limits: &Limits,
) -> Result<(VideoHash, u32, u32), crate::media::MediaError> {
    let options = crate::vpdq::VideoOptions::default();
    crate::vpdq::hash_source(source, format, limits, &options)
        .map(|(info, hash)| (hash, info.width, info.height))
}
