//! Validating a registry entry again at lookup: its stored manifest store is
//! verified on its own ([`Verifier::verify_store`]) against the handle's
//! current trust, and checked against its row, so that neither a row edited
//! behind Hallmark's back nor a signer distrusted since is ever recovered.

use std::time::{Duration, Instant};

use super::Recovery;
use super::{Entry, Registry, RegistryError};
use crate::report::{SignerInfo, Verdict};

/// How long a verdict on a stored store is reused before it is verified
/// again (a long-running `serve` sees trust and certificate changes within
/// this time).
pub(super) const REVALIDATE_AFTER: Duration = Duration::from_secs(600);

/// What an entry's stored credentials say now.
#[derive(Debug, Clone)]
pub(super) struct Now {
    verdict: Verdict,
    signer: SignerInfo,
    title: Option<String>,
    signed_at: Option<String>,
    digital_source_type: Option<String>,
    ai_generated: bool,
    /// Why a valid store's signer is not trusted, when a check said.
    untrusted_because: Option<String>,
}

impl Now {
    /// The recovery, with its signer and facts as verified now.
    pub(super) fn apply_to(self, recovery: &mut Recovery) {
        recovery.verdict_now = self.verdict;
        recovery.untrusted_because = self.untrusted_because;
        let e = &mut recovery.entry;
        e.signer = self.signer;
        e.title = self.title;
        e.signed_at = self.signed_at;
        e.digital_source_type = self.digital_source_type;
        e.ai_generated = self.ai_generated;
    }
}

/// A cached verdict: when it was reached, and the outcome.
pub(super) type Cached = (Instant, Result<Now, String>);

impl Registry {
    /// Entry `entry`'s stored credentials verified now: `Ok(Ok(now))` when
    /// they are trusted or valid and agree with the row, `Ok(Err(why))`
    /// when the entry must not be used; `Err` when the database fails.
    pub(super) fn revalidate(&self, entry: &Entry) -> Result<Result<Now, String>, RegistryError> {
        if let Ok(cache) = self.revalidated.lock() {
            if let Some((at, outcome)) = cache.get(&entry.id) {
                if at.elapsed() < REVALIDATE_AFTER {
                    return Ok(outcome.clone());
                }
            }
        }
        let outcome = match self.manifest_store(entry.id)? {
            Some(store) => self.judge(entry, &store),
            None => Err("its manifest store is missing".to_string()),
        };
        if let Ok(mut cache) = self.revalidated.lock() {
            cache.insert(entry.id, (Instant::now(), outcome.clone()));
        }
        Ok(outcome)
    }

    fn judge(&self, entry: &Entry, store: &[u8]) -> Result<Now, String> {
        let report = self.verifier.verify_store(store, &entry.format);
        if !matches!(report.verdict, Verdict::Trusted | Verdict::Valid) {
            return Err(format!(
                "its stored credentials are {} now ({})",
                report.verdict, report.summary
            ));
        }
        let untrusted_because = report.untrusted_because();
        let signer = report
            .signer
            .ok_or_else(|| "its stored credentials name no signing certificate".to_string())?;
        if signer.certificate_sha256 != entry.signer.certificate_sha256 {
            return Err("its row names another signer than its stored credentials".into());
        }
        if let Some(signed) = report.signed_pixels {
            if !signed.digest.ct_eq(&entry.pixel_digest) || signed.pdq != entry.pdq {
                return Err(
                    "its row's pixel digest or PDQ hash is not the one its credentials signed"
                        .into(),
                );
            }
        }
        Ok(Now {
            untrusted_because,
            verdict: report.verdict,
            signer,
            title: report.title,
            signed_at: report.signed_at,
            digital_source_type: report.digital_source_type,
            ai_generated: report.ai_generated,
        })
    }
}
