//! Entries as the database stores them: the columns read, and each row's
//! text fields parsed into an [`Entry`](super::Entry) (a damaged row is an
//! error, never a panic).

use super::db::Row;

use crate::pdq::PdqHash;
use crate::pixels::PixelDigest;
use crate::report::{SignerInfo, Verdict};

use super::{Entry, RegistryError};

/// A row as the database gives it, before its text fields are parsed.
pub(super) struct RawEntry {
    id: i64,
    asset_blake3: String,
    format: String,
    pdq: String,
    quality: i64,
    pixel_digest: String,
    width: i64,
    height: i64,
    name: Option<String>,
    organization: Option<String>,
    issuer: Option<String>,
    certificate_sha256: String,
    verdict: String,
    title: Option<String>,
    signed_at: Option<String>,
    digital_source_type: Option<String>,
    ai_generated: bool,
    registered_at: String,
    manifest_id: Option<String>,
}

pub(super) fn raw_entry(r: &Row<'_>) -> Result<RawEntry, RegistryError> {
    Ok(RawEntry {
        id: r.int(0)?,
        asset_blake3: r.text(1)?,
        format: r.text(2)?,
        pdq: r.text(3)?,
        quality: r.int(4)?,
        pixel_digest: r.text(5)?,
        width: r.int(6)?,
        height: r.int(7)?,
        name: r.opt_text(8)?,
        organization: r.opt_text(9)?,
        issuer: r.opt_text(10)?,
        certificate_sha256: r.text(11)?,
        verdict: r.text(12)?,
        title: r.opt_text(13)?,
        signed_at: r.opt_text(14)?,
        digital_source_type: r.opt_text(15)?,
        ai_generated: r.bool(16)?,
        registered_at: r.text(17)?,
        manifest_id: r.opt_text(18)?,
    })
}

impl RawEntry {
    pub(super) fn parse(self, path: &str) -> Result<Entry, RegistryError> {
        let id = self.id;
        let corrupt = |what: &str| RegistryError::Corrupt {
            path: path.to_string(),
            detail: format!("entry {id} has a malformed {what}"),
        };
        let verdict = match self.verdict.as_str() {
            "trusted" => Verdict::Trusted,
            "valid" => Verdict::Valid,
            _ => return Err(corrupt("verdict")),
        };
        Ok(Entry {
            id,
            pdq: PdqHash::from_hex(&self.pdq).ok_or_else(|| corrupt("PDQ hash"))?,
            quality: u8::try_from(self.quality).map_err(|_| corrupt("PDQ quality"))?,
            pixel_digest: PixelDigest::from_hex(&self.pixel_digest)
                .ok_or_else(|| corrupt("pixel digest"))?,
            width: u32::try_from(self.width).map_err(|_| corrupt("width"))?,
            height: u32::try_from(self.height).map_err(|_| corrupt("height"))?,
            signer: SignerInfo {
                name: self.name,
                organization: self.organization,
                issuer: self.issuer,
                certificate_sha256: self.certificate_sha256,
                trusted: verdict == Verdict::Trusted,
                anchor: None,
                chain: Vec::new(),
            },
            verdict,
            asset_blake3: self.asset_blake3,
            format: self.format,
            title: self.title,
            signed_at: self.signed_at,
            digital_source_type: self.digital_source_type,
            ai_generated: self.ai_generated,
            registered_at: self.registered_at,
            manifest_id: self.manifest_id,
        })
    }
}

/// Now, as RFC 3339 UTC to the second (`2026-05-01T12:00:00Z`).
pub(super) fn rfc3339_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
