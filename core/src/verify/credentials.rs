//! Who vouches for a signature beyond c2pa's own answer: Hallmark's path
//! validation of the signer's chain (`vouch`), the time-stamp that dates it,
//! the CAWG identity credentials re-validated against their anchors, and each
//! ingredient's verdict from its own manifest.

use c2pa::{Context, Manifest, Reader};

use super::{Origin, Verifier, HARD_BINDING_MISMATCH, UNTRUSTED};
use crate::cert::parse_pem_certificates;
use crate::cert::{signer_info, subject_of};
use crate::chain::{self, ChainError};
use crate::report::{AnchorInfo, StatusEntry, Verdict};
use crate::trust::Anchor;

/// A manifest's signing chain (DER, signing certificate first), as c2pa read it.
pub(super) fn signing_chain(manifest: &Manifest) -> Vec<Vec<u8>> {
    manifest
        .signature_info()
        .and_then(|info| parse_pem_certificates(info.cert_chain().as_bytes()).ok())
        .unwrap_or_default()
}

pub(super) fn anchor_info(anchor: &Anchor) -> AnchorInfo {
    use sha2::Digest;
    AnchorInfo {
        name: subject_of(&anchor.der),
        certificate_sha256: hex::encode(sha2::Sha256::digest(&anchor.der)),
        source: anchor.source.clone(),
    }
}

impl Verifier {
    /// Hallmark re-validates the chain of every X.509 identity credential
    /// c2pa found nothing wrong with, against the CAWG anchors: trusted when
    /// it validates (the credential's subject names the identity), else a
    /// `cawg.x509.credential.untrusted` failure of that identity.
    pub(super) fn revalidate_identities(
        &self,
        identities: &mut [crate::report::IdentityReport],
        status: &mut Vec<StatusEntry>,
        origin: Origin<'_>,
        mime: &str,
    ) {
        let wanted = |i: &crate::report::IdentityReport| {
            i.sig_type.as_deref() == Some(crate::cawg::X509_SIG_TYPE) && i.status.is_empty()
        };
        if !identities.iter().any(wanted) {
            return;
        }
        // Read once more with identity assertions left undecoded (the decoded
        // form does not carry the X.509 chain), without validating again.
        let raw = Context::new()
            .with_settings(serde_json::json!({
                "verify": {
                    "verify_after_reading": false,
                    "remote_manifest_fetch": false,
                    "ocsp_fetch": false,
                },
                "core": { "decode_identity_assertions": false },
            }))
            .unwrap_or_else(|_| Context::new());
        let chains = origin
            .reader(raw, mime)
            .and_then(|r| r.active_manifest().map(crate::cawg::x509_chains))
            .unwrap_or_default();
        let anchors = self.trust.cawg_anchors();
        for identity in identities.iter_mut().filter(|i| wanted(i)) {
            let chain = chains.get(&identity.label).cloned().unwrap_or_default();
            if let Some(leaf) = chain.first() {
                if let Some(info) = signer_info(std::slice::from_ref(leaf)) {
                    identity.name = info.name.or(info.organization);
                }
            }
            match self.vouch(
                &chain,
                anchors,
                &[],
                &chain::Policy::c2pa_signer(),
                self.clock.now(),
            ) {
                Ok(_) => identity.trusted = true,
                Err(e) => {
                    identity.status.push(crate::cawg::X509_UNTRUSTED.into());
                    status.push(StatusEntry {
                        code: crate::cawg::X509_UNTRUSTED.into(),
                        kind: "failure".into(),
                        explanation: Some(format!(
                            "{}: Hallmark's certificate path validation refused the identity credential's chain: {e}",
                            identity.label
                        )),
                        scope: Some("identity".into()),
                        url: None,
                    });
                }
            }
        }
    }

    /// The claim signature's time-stamp: Hallmark re-validates the
    /// time-stamp authority's chain (timeStamping EKU, the TSA anchors only,
    /// every rule of [`chain`], at the current time). A time-stamp it
    /// accepts gives the time (its genTime) at which the signer's chain is
    /// validated, so a certificate that has expired since still vouches; one
    /// it refuses dates nothing (`Err`, why).
    pub(super) fn check_time_stamp(
        &self,
        reader: &Reader,
        origin: Origin<'_>,
        mime: &str,
    ) -> Result<u64, String> {
        // A time-stamp whose token or certificates can't be read is refused
        // as well: no time is used that Hallmark did not check.
        let token = reader
            .active_label()
            .and_then(|active| {
                crate::timestamp::claim_time_stamp_token(&origin.store(mime)?, active)
            })
            .ok_or_else(|| "its token can't be read".to_string())?;
        let certs = crate::timestamp::signed_data_certificates(&token).unwrap_or_default();
        let chain = crate::timestamp::tsa_chain(certs);
        self.vouch(
            &chain,
            self.trust.tsa_anchors(),
            &[],
            &chain::Policy::time_stamping(),
            self.clock.now(),
        )
        .map_err(|e| e.to_string())?;
        crate::timestamp::tst_info(&token)
            .and_then(crate::timestamp::parse_tst_info)
            .map(|info| info.gen_time)
            .ok_or_else(|| "its TSTInfo can't be read".to_string())
    }

    /// Hallmark's own decision on a chain (signing certificate first) that
    /// c2pa called trusted: the allowed certificate that is this very one,
    /// or the anchor a path validated to under `policy`; or why none did.
    pub(super) fn vouch(
        &self,
        chain: &[Vec<u8>],
        anchors: &[Anchor],
        allowed: &[Anchor],
        policy: &chain::Policy,
        at: u64,
    ) -> Result<(AnchorInfo, Vec<String>), ChainError> {
        let leaf = chain
            .first()
            .ok_or_else(|| ChainError::Malformed("no certificate".into()))?;
        if let Some(entry) = allowed.iter().find(|a| &a.der == leaf) {
            return Ok((anchor_info(entry), vec![subject_of(leaf)]));
        }
        let ders: Vec<&[u8]> = anchors.iter().map(|a| a.der.as_slice()).collect();
        let path = chain::validate(chain, &ders, at, policy)?;
        Ok((anchor_info(&anchors[path.anchor]), path.subjects))
    }
}

impl Verifier {
    /// An ingredient's verdict, from its own manifest in the store under the
    /// current trust: never from what the active signer recorded about it,
    /// which may only lower it (a recorded failure is kept, a recorded
    /// success is ignored).
    pub(super) fn ingredient_verdict(
        &self,
        reader: &Reader,
        ingredient: &c2pa::Ingredient,
    ) -> Verdict {
        let Some(label) = ingredient.active_manifest() else {
            return Verdict::Unsigned;
        };
        let Some(manifest) = reader.get_manifest(label) else {
            // It names a manifest the store does not hold.
            return Verdict::Invalid;
        };
        let assertion = ingredient.label().map(|l| format!("/{l}"));
        // What c2pa found now, from the store (the deltas), and what the
        // active signer recorded: both may only lower the verdict.
        let mut failures: Vec<String> = Vec::new();
        if let Some(deltas) = reader
            .validation_results()
            .and_then(|r| r.ingredient_deltas())
        {
            for delta in deltas {
                let codes = delta.validation_deltas();
                let ours = assertion
                    .as_deref()
                    .is_some_and(|a| delta.ingredient_assertion_uri().ends_with(a))
                    || codes
                        .failure()
                        .iter()
                        .any(|s| s.url().is_some_and(|u| u.contains(label)));
                if ours {
                    failures.extend(codes.failure().iter().map(|s| s.code().to_string()));
                }
            }
        }
        let c2pa_untrusted = failures.iter().any(|c| c == UNTRUSTED);
        let recorded: Vec<String> = ingredient
            .validation_results()
            .and_then(|r| r.active_manifest())
            .map(|c| c.failure().iter().map(|s| s.code().to_string()).collect())
            .unwrap_or_default();
        failures.extend(recorded);
        failures.extend(
            ingredient
                .validation_status()
                .unwrap_or_default()
                .iter()
                .filter(|s| !c2pa::validation_status::is_success(s.code()))
                .map(|s| s.code().to_string()),
        );
        if failures.iter().any(|c| c != UNTRUSTED) {
            let mismatch_only = failures
                .iter()
                .all(|c| c == UNTRUSTED || HARD_BINDING_MISMATCH.contains(&c.as_str()));
            return if mismatch_only {
                Verdict::Tampered
            } else {
                Verdict::Invalid
            };
        }
        // c2pa's own "untrusted" for this ingredient, found now, is never raised.
        if c2pa_untrusted {
            return Verdict::Valid;
        }
        let chain = signing_chain(manifest);
        // (An ingredient's own time-stamp is not consulted: its chain is
        // validated now, which can only lower its verdict.)
        match self.vouch(
            &chain,
            self.trust.anchors(),
            self.trust.allowed(),
            &chain::Policy::c2pa_signer(),
            self.clock.now(),
        ) {
            Ok(_) => Verdict::Trusted,
            Err(_) => Verdict::Valid,
        }
    }
}
