//! An identity on disk: loading and saving keys and chains, the generations
//! of a renewable identity and the links that name the current one, renewal
//! under the CA's key, and files written whole with the right modes.

use std::fs;
use std::io::Write;
use std::path::Path;

use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyIdMethod};
use zeroize::Zeroizing;

use crate::cert::parse_pem_certificates;
use crate::keyfile::{self, Passphrase};

use super::issue::{distinguished_name, issue_leaf, key_id, serial, CertKey, Validity};
use super::{io_err, read_err, Identity, IdentityError};
use super::{CA_KEY_FILE, CHAIN_FILE, CURRENT_LINK, KEY_FILE, ROOT_FILE};

/// The name of the generation after the newest in `dir` (`gen-0001` first).
pub(super) fn next_generation(dir: &Path) -> Result<String, IdentityError> {
    let newest = fs::read_dir(dir)
        .map_err(read_err(dir))?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("gen-"))
                .and_then(|n| n.parse::<u32>().ok())
        })
        .max()
        .unwrap_or(0);
    Ok(format!("gen-{:04}", newest + 1))
}

#[cfg(unix)]
pub(super) fn symlink(target: &Path, link: &Path) -> Result<(), IdentityError> {
    std::os::unix::fs::symlink(target, link).map_err(io_err(link))
}

#[cfg(not(unix))]
pub(super) fn symlink(_target: &Path, link: &Path) -> Result<(), IdentityError> {
    Err(IdentityError::Io {
        path: link.to_path_buf(),
        source: std::io::Error::other("renewable identities need symbolic links (Unix)"),
    })
}

/// Make a directory's entries (a rename, a new file) durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), IdentityError> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub(super) fn read_small(path: &Path) -> Result<String, IdentityError> {
    let meta = fs::metadata(path).map_err(read_err(path))?;
    if meta.len() > 1024 * 1024 {
        return Err(IdentityError::KeyFileMalformed(format!(
            "{} is too large to be a key or certificate file",
            path.display()
        )));
    }
    let bytes = fs::read(path).map_err(read_err(path))?;
    String::from_utf8(bytes)
        .map_err(|_| IdentityError::KeyFileMalformed(format!("{} is not PEM text", path.display())))
}

/// Write through a temporary file in the same directory, created 0600 when
/// `secret`, then rename: a crash never leaves a half-written key.
pub(super) fn write_file(path: &Path, bytes: &[u8], secret: bool) -> Result<(), IdentityError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".hallmark-")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if secret { 0o600 } else { 0o644 };
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(io_err(path))?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    tmp.write_all(bytes).map_err(io_err(path))?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    tmp.persist(path).map_err(|e| IdentityError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

impl Identity {
    /// Whether the key file in `dir` needs a passphrase.
    pub fn needs_passphrase(dir: &Path) -> Result<bool, IdentityError> {
        let path = dir.join(KEY_FILE);
        let pem = Zeroizing::new(read_small(&path)?);
        Ok(keyfile::is_encrypted(&pem))
    }

    /// Whether `DIR/ca.key` (what [`Identity::renew`] unlocks) needs a
    /// passphrase; an absent CA key is [`IdentityError::NoCaKey`].
    pub fn ca_key_needs_passphrase(dir: &Path) -> Result<bool, IdentityError> {
        let path = dir.join(CA_KEY_FILE);
        if fs::symlink_metadata(&path).is_err() {
            return Err(IdentityError::NoCaKey(dir.to_path_buf()));
        }
        let pem = Zeroizing::new(read_small(&path)?);
        Ok(keyfile::is_encrypted(&pem))
    }

    /// Load `DIR/signing.key` and `DIR/chain.pem`.
    pub fn load(dir: &Path, passphrase: Option<&Passphrase>) -> Result<Self, IdentityError> {
        let key_path = dir.join(KEY_FILE);
        let key_pem = Zeroizing::new(read_small(&key_path)?);
        let chain_path = dir.join(CHAIN_FILE);
        let chain_pem = read_small(&chain_path)?;
        let mut identity = Self::from_pem(&key_pem, &chain_pem, passphrase)?;
        let root_path = dir.join(ROOT_FILE);
        if let Ok(root) = read_small(&root_path) {
            identity.root = parse_pem_certificates(root.as_bytes())
                .ok()
                .and_then(|mut certs| certs.pop());
        }
        Ok(identity)
    }

    /// Write `signing.key` (mode 0600, encrypted when a passphrase is given),
    /// `chain.pem` and `root.pem` into `dir`. Refuses to replace an existing
    /// key unless `overwrite`.
    pub fn save(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
        overwrite: bool,
    ) -> Result<(), IdentityError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let key_path = dir.join(KEY_FILE);
        if !overwrite && fs::symlink_metadata(&key_path).is_ok() {
            return Err(IdentityError::AlreadyExists(key_path));
        }
        let key_pem = keyfile::encode(&self.key, passphrase)?;
        write_file(&key_path, key_pem.as_bytes(), true)?;
        write_file(&dir.join(CHAIN_FILE), self.chain_pem().as_bytes(), false)?;
        if let Some(root) = self.root_pem() {
            write_file(&dir.join(ROOT_FILE), root.as_bytes(), false)?;
        }
        Ok(())
    }

    /// Save a new identity so that it can be renewed: `ca.key` (0600,
    /// encrypted when a passphrase is given), `root.pem`, the first
    /// generation and the links (module docs). Refuses to replace an
    /// existing identity unless `overwrite`.
    pub fn save_renewable(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
        overwrite: bool,
    ) -> Result<(), IdentityError> {
        let ca_key = self.ca_key.as_ref().ok_or_else(|| {
            IdentityError::InvalidRequest(
                "only a newly generated identity has a CA key to keep".into(),
            )
        })?;
        let root = self
            .root_pem()
            .ok_or_else(|| IdentityError::InvalidRequest("the identity has no root".into()))?;
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        for name in [KEY_FILE, CA_KEY_FILE] {
            let path = dir.join(name);
            if !overwrite && fs::symlink_metadata(&path).is_ok() {
                return Err(IdentityError::AlreadyExists(path));
            }
        }
        write_file(
            &dir.join(CA_KEY_FILE),
            keyfile::encode(ca_key, passphrase)?.as_bytes(),
            true,
        )?;
        write_file(&dir.join(ROOT_FILE), root.as_bytes(), false)?;
        self.save_generation(dir, passphrase)
    }

    /// Write this key and chain as the next generation of `dir` and make it
    /// current (one atomic rename), with `signing.key` and `chain.pem` links.
    pub(super) fn save_generation(
        &self,
        dir: &Path,
        passphrase: Option<&Passphrase>,
    ) -> Result<(), IdentityError> {
        let next = next_generation(dir)?;
        let gen_dir = dir.join(&next);
        // A killed earlier run may have left this folder half-written: it was never current.
        let _ = fs::remove_dir_all(&gen_dir);
        fs::create_dir(&gen_dir).map_err(io_err(&gen_dir))?;
        write_file(
            &gen_dir.join(KEY_FILE),
            keyfile::encode(&self.key, passphrase)?.as_bytes(),
            true,
        )?;
        write_file(
            &gen_dir.join(CHAIN_FILE),
            self.chain_pem().as_bytes(),
            false,
        )?;
        sync_dir(&gen_dir)?;
        // The switch: a new link, renamed over `current`.
        let tmp = dir.join(format!(".{CURRENT_LINK}-{next}"));
        let _ = fs::remove_file(&tmp);
        symlink(Path::new(&next), &tmp)?;
        fs::rename(&tmp, dir.join(CURRENT_LINK)).map_err(io_err(dir))?;
        // The stable names, through `current` (made once; a plain file from an
        // older layout is replaced the same way, by rename).
        for name in [KEY_FILE, CHAIN_FILE] {
            let target = Path::new(CURRENT_LINK).join(name);
            let path = dir.join(name);
            if fs::read_link(&path).ok().as_deref() != Some(target.as_path()) {
                let tmp = dir.join(format!(".{name}-link"));
                let _ = fs::remove_file(&tmp);
                symlink(&target, &tmp)?;
                fs::rename(&tmp, &path).map_err(io_err(dir))?;
            }
        }
        sync_dir(dir)
    }

    /// Issue a new signing key and certificate under the CA of the identity
    /// in `dir` (its `ca.key` and `root.pem`), for the same name, valid for
    /// `validity`; save it as the next generation and make it current.
    /// `root.pem` is unchanged. The passphrase unlocks `ca.key` and
    /// encrypts the new signing key.
    pub fn renew(
        dir: &Path,
        passphrase: Option<&Passphrase>,
        validity: Validity,
    ) -> Result<Self, IdentityError> {
        let ca_path = dir.join(CA_KEY_FILE);
        if fs::symlink_metadata(&ca_path).is_err() {
            return Err(IdentityError::NoCaKey(dir.to_path_buf()));
        }
        let ca_key = keyfile::decode(&Zeroizing::new(read_small(&ca_path)?), passphrase)?;
        let root_der = parse_pem_certificates(read_small(&dir.join(ROOT_FILE))?.as_bytes())
            .map_err(IdentityError::ChainMalformed)?
            .pop()
            .ok_or_else(|| IdentityError::ChainMalformed("root.pem holds no certificate".into()))?;
        let (_, root) = x509_parser::parse_x509_certificate(&root_der)
            .map_err(|e| IdentityError::ChainMalformed(format!("root.pem: {e}")))?;
        if root.public_key().subject_public_key.data.as_ref() != ca_key.verifying_key().as_bytes() {
            return Err(IdentityError::KeyMismatch);
        }
        if validity.not_after.unix_timestamp() > root.validity().not_after.timestamp() {
            return Err(IdentityError::InvalidRequest(format!(
                "the CA certificate expires {}, before the new signing certificate would: ask for fewer days",
                root.validity().not_after
            )));
        }
        // The same name as now: from the current signing certificate.
        let current = parse_pem_certificates(read_small(&dir.join(CHAIN_FILE))?.as_bytes())
            .map_err(IdentityError::ChainMalformed)?;
        let leaf_der = current.first().ok_or_else(|| {
            IdentityError::ChainMalformed("chain.pem holds no certificate".into())
        })?;
        let (_, leaf) = x509_parser::parse_x509_certificate(leaf_der)
            .map_err(|e| IdentityError::ChainMalformed(format!("chain.pem: {e}")))?;
        let first = |it: &mut dyn Iterator<Item = &x509_parser::x509::AttributeTypeAndValue>| {
            it.next().and_then(|a| a.as_str().ok()).map(str::to_string)
        };
        let name = first(&mut leaf.subject().iter_common_name()).ok_or_else(|| {
            IdentityError::ChainMalformed("the signing certificate has no CN".into())
        })?;
        let org = first(&mut leaf.subject().iter_organization()).unwrap_or_else(|| name.clone());
        let email = leaf
            .subject_alternative_name()
            .ok()
            .flatten()
            .and_then(|san| {
                san.value.general_names.iter().find_map(|g| match g {
                    x509_parser::extensions::GeneralName::RFC822Name(e) => Some(e.to_string()),
                    _ => None,
                })
            });
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut());
        let key = SigningKey::from_bytes(&seed);
        let mut serial_bytes = [0u8; 32];
        OsRng.fill_bytes(&mut serial_bytes);
        // The issuer as keygen made it: the same name, encoded the same way,
        // and the CA key's identifier (checked against root.pem below).
        let ca_name = first(&mut root.subject().iter_common_name())
            .ok_or_else(|| IdentityError::ChainMalformed("root.pem has no CN".into()))?;
        let ca_org = first(&mut root.subject().iter_organization());
        let mut ca = CertificateParams::default();
        ca.distinguished_name = distinguished_name(&ca_name, ca_org.as_deref());
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&ca_key));
        let issuer = rcgen::Issuer::new(ca, CertKey::new(&ca_key));
        let leaf_der = issue_leaf(
            &key,
            &name,
            &org,
            email.as_deref(),
            validity,
            serial(serial_bytes),
            &issuer,
        )?;
        let issued_by_root = x509_parser::parse_x509_certificate(&leaf_der)
            .is_ok_and(|(_, c)| c.issuer().as_raw() == root.subject().as_raw());
        if !issued_by_root {
            return Err(IdentityError::ChainMalformed(
                "root.pem's subject is not one this version of Hallmark made; can't renew under it"
                    .into(),
            ));
        }
        let identity = Self {
            key,
            chain: vec![leaf_der, root_der.clone()],
            root: Some(root_der),
            ca_key: None,
        };
        identity.save_generation(dir, passphrase)?;
        Ok(identity)
    }
}
