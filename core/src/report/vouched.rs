//! Which facts a report's credentials vouch for: the one answer that
//! policies, scan reports and the extension's card all take.
//!
//! - `trusted` and `valid`: what this file's own manifest says.
//! - `recovered`: what the registry recorded about the signed original whose
//!   pixels this file shows (the file itself carries no credentials).
//! - anything else: nothing. A tampered or invalid manifest's claims stay
//!   under [`Report::claimed`] and are never vouched for.

use super::{Report, SignerInfo, Verdict};

/// Where vouched facts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VouchedBy {
    /// The file's own, intact manifest.
    Manifest,
    /// The registry entry of the original the file's pixels match.
    Registry,
    /// Nothing vouches for this file.
    Nothing,
}

/// The facts credentials vouch for (borrowed from the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vouched<'a> {
    pub by: VouchedBy,
    pub signer: Option<&'a SignerInfo>,
    pub title: Option<&'a str>,
    pub signed_at: Option<&'a str>,
    pub digital_source_type: Option<&'a str>,
    pub ai_generated: bool,
    /// The manifest's actions (a registry entry records none).
    pub actions: &'a [String],
}

impl Vouched<'_> {
    const NOTHING: Vouched<'static> = Vouched {
        by: VouchedBy::Nothing,
        signer: None,
        title: None,
        signed_at: None,
        digital_source_type: None,
        ai_generated: false,
        actions: &[],
    };
}

impl Report {
    /// The facts this report's credentials vouch for (see the module docs).
    pub fn vouched(&self) -> Vouched<'_> {
        match (self.verdict, &self.recovered) {
            (Verdict::Trusted | Verdict::Valid, _) => Vouched {
                by: VouchedBy::Manifest,
                signer: self.signer.as_ref(),
                title: self.title.as_deref(),
                signed_at: self.signed_at.as_deref(),
                digital_source_type: self.digital_source_type.as_deref(),
                ai_generated: self.ai_generated,
                actions: &self.actions,
            },
            (Verdict::Recovered, Some(r)) => Vouched {
                by: VouchedBy::Registry,
                signer: Some(&r.signer),
                title: r.title.as_deref(),
                signed_at: r.signed_at.as_deref(),
                digital_source_type: r.digital_source_type.as_deref(),
                ai_generated: r.ai_generated,
                actions: &[],
            },
            _ => Vouched::NOTHING,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::report::{ClaimedFacts, RecoveredInfo};

    fn signer(name: &str) -> SignerInfo {
        SignerInfo {
            name: Some(name.into()),
            organization: None,
            issuer: None,
            certificate_sha256: String::new(),
            trusted: false,
            anchor: None,
            chain: Vec::new(),
        }
    }

    fn with_facts(verdict: Verdict) -> Report {
        let mut r = Report::new(verdict, "x");
        r.signer = Some(signer("Jane"));
        r.title = Some("t".into());
        r.signed_at = Some("2026-01-01T00:00:00Z".into());
        r.digital_source_type = Some("trainedAlgorithmicMedia".into());
        r.ai_generated = true;
        r.actions = vec!["c2pa.created".into()];
        r
    }

    #[test]
    fn an_intact_manifest_vouches_for_its_own_facts() {
        for verdict in [Verdict::Trusted, Verdict::Valid] {
            let r = with_facts(verdict);
            let v = r.vouched();
            assert_eq!(v.by, VouchedBy::Manifest);
            assert_eq!(v.signer.and_then(|s| s.name.as_deref()), Some("Jane"));
            assert_eq!(v.title, Some("t"));
            assert!(v.ai_generated);
            assert_eq!(v.actions, ["c2pa.created".to_string()]);
        }
    }

    #[test]
    fn nothing_vouches_for_tampered_invalid_unsigned_or_unreadable_files() {
        for verdict in [
            Verdict::Tampered,
            Verdict::Invalid,
            Verdict::Unsigned,
            Verdict::Error,
        ] {
            // Even if a field were filled by mistake, it is not vouched for.
            let mut r = with_facts(verdict);
            r.claimed = Some(ClaimedFacts::default());
            assert_eq!(r.vouched(), Vouched::NOTHING, "{verdict:?}");
        }
        // A `recovered` verdict without the registry's entry vouches for nothing.
        assert_eq!(with_facts(Verdict::Recovered).vouched(), Vouched::NOTHING);
    }

    #[test]
    fn a_recovered_file_is_vouched_for_by_the_registry_entry() {
        let mut r = Report::new(Verdict::Recovered, "recovered");
        r.ai_generated = false;
        r.recovered = Some(RecoveredInfo {
            distance: 4,
            pixel_digest_match: false,
            match_kind: crate::report::MatchKind::SimilarPicture,
            signer: signer("Registered"),
            registered_verdict: Verdict::Trusted,
            verdict_now: Verdict::Trusted,
            title: Some("original".into()),
            signed_at: None,
            digital_source_type: Some("digitalCapture".into()),
            ai_generated: true,
            registered_at: "2026-01-01T00:00:00Z".into(),
            asset_blake3: "00".into(),
            video: None,
        });
        let v = r.vouched();
        assert_eq!(v.by, VouchedBy::Registry);
        assert_eq!(v.signer.and_then(|s| s.name.as_deref()), Some("Registered"));
        assert_eq!(v.title, Some("original"));
        assert_eq!(v.digital_source_type, Some("digitalCapture"));
        assert!(v.ai_generated, "the entry's answer, not the copy's");
        assert!(v.actions.is_empty());
    }
}
