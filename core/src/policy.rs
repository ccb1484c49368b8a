//! Batch policy: which reports pass a newsroom's bar (`hallmark scan --policy`).
//! Read from TOML; unknown keys are errors, so a typo never weakens a policy.
//! See `docs/policy.example.toml`.

use crate::code::Code;
use serde::{Deserialize, Deserializer, Serialize};

use crate::report::{Report, Verdict};

/// What a file must show to pass. The default passes trusted and valid files,
/// as `hallmark verify` does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Verdicts that pass: any of trusted, valid, recovered, unsigned.
    /// Tampered, invalid and error never pass.
    #[serde(deserialize_with = "passing_verdicts")]
    pub pass: Vec<Verdict>,
    /// Only a signer that chains to a trust anchor (or is on the allowed list) passes.
    pub require_trusted: bool,
    /// Whether content marked as made by generative AI passes.
    pub allow_ai_generated: bool,
    /// When not empty, the digital source type must be one of these URIs.
    pub required_source_types: Vec<String>,
    /// Every action listed here (e.g. `c2pa.created`) must be in the manifest.
    pub required_actions: Vec<String>,
    /// A `recovered` file passes only when its PDQ distance to the registered
    /// original is at most this many bits (0: identical pixels). `None`: any
    /// distance the registry lookup accepted.
    pub recovered_max_distance: Option<u32>,
    /// A `recovered` file that only resembles the registered original (a
    /// similar picture or video: perceptual hashes near each other, which a
    /// different picture can also be) passes. By default only a copy with
    /// the same pixels does (`hallmark scan --accept-similar` sets this).
    pub recovered_accept_similar: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            pass: vec![Verdict::Trusted, Verdict::Valid],
            require_trusted: false,
            allow_ai_generated: true,
            required_source_types: Vec::new(),
            required_actions: Vec::new(),
            recovered_max_distance: None,
            recovered_accept_similar: false,
        }
    }
}

/// Whether one report passes a policy, and every reason it does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOutcome {
    pub pass: bool,
    pub reasons: Vec<String>,
}

impl PolicyOutcome {
    /// The exit status this file asks for (DESIGN.md): 0 passes, 1 fails the
    /// policy, 3 tampered or invalid, 4 unreadable. With several files the highest applies.
    pub fn exit_code(&self, verdict: Verdict) -> u8 {
        match verdict {
            Verdict::Tampered | Verdict::Invalid => 3,
            Verdict::Error => 4,
            _ if self.pass => 0,
            _ => 1,
        }
    }
}

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Not TOML, an unknown key, or a value of the wrong kind.
    #[error("line {line}, column {column}: {message}")]
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
}

impl PolicyError {
    pub fn code(&self) -> Code {
        match self {
            Self::Malformed { .. } => Code::PolicyMalformed,
        }
    }
}

/// Verdicts a policy may let pass.
const PASSABLE: &[Verdict] = &[
    Verdict::Trusted,
    Verdict::Valid,
    Verdict::Recovered,
    Verdict::Unsigned,
];

fn passing_verdicts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Verdict>, D::Error> {
    let verdicts = Vec::<Verdict>::deserialize(d)?;
    if let Some(v) = verdicts.iter().find(|v| !PASSABLE.contains(v)) {
        return Err(serde::de::Error::custom(format!(
            "`{v}` can never pass; `pass` takes trusted, valid, recovered and unsigned"
        )));
    }
    Ok(verdicts)
}

impl Policy {
    /// Parse a policy file's text.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            PolicyError::Malformed {
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })
    }

    /// Whether `report` passes, with every reason it does not.
    pub fn evaluate(&self, report: &Report) -> PolicyOutcome {
        let verdict = report.verdict;
        if !self.pass.contains(&verdict) {
            let accepted: Vec<&str> = self.pass.iter().map(|v| v.as_str()).collect();
            let reason = format!(
                "verdict `{verdict}` does not pass (this policy passes: {})",
                if accepted.is_empty() {
                    "nothing".to_string()
                } else {
                    accepted.join(", ")
                }
            );
            return PolicyOutcome {
                pass: false,
                reasons: vec![reason],
            };
        }
        // Only facts the credentials vouch for: a recovered file's come from the registry.
        let vouched = report.vouched();
        let (source_type, ai_generated) = (vouched.digital_source_type, vouched.ai_generated);
        let mut reasons = Vec::new();
        if let (Some(r), Verdict::Recovered) = (&report.recovered, verdict) {
            if r.match_kind != crate::report::MatchKind::SamePixels
                && !self.recovered_accept_similar
            {
                reasons.push(format!(
                    "the copy only resembles the registered original ({}), and the policy accepts only the same pixels (recovered_accept_similar, --accept-similar)",
                    r.match_kind.as_str().replace('_', " ")
                ));
            }
        }
        if let (Some(max), Some(r), Verdict::Recovered) =
            (self.recovered_max_distance, &report.recovered, verdict)
        {
            if r.distance > max {
                reasons.push(format!(
                    "the copy is {} bits from the registered original (the policy allows {max})",
                    r.distance
                ));
            }
        }
        // As `verify --require trusted`: a recovered file never meets it (its
        // trust was decided by whoever registered the original).
        if self.require_trusted && verdict != Verdict::Trusted {
            reasons.push(
                "the signer is not trusted here (the policy requires a trusted signer)".to_string(),
            );
        }
        if !self.allow_ai_generated && ai_generated {
            reasons.push(format!(
                "AI-generated content is not allowed (digital source type {})",
                source_type.unwrap_or("unknown")
            ));
        }
        if !self.required_source_types.is_empty()
            && !source_type.is_some_and(|t| self.required_source_types.iter().any(|r| r == t))
        {
            reasons.push(format!(
                "digital source type {} is not one the policy requires",
                source_type.unwrap_or("(none)")
            ));
        }
        for action in &self.required_actions {
            if !vouched.actions.contains(action) {
                reasons.push(format!("required action {action} is missing"));
            }
        }
        PolicyOutcome {
            pass: reasons.is_empty(),
            reasons,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn signed(verdict: Verdict, source: &str, actions: &[&str]) -> Report {
        let mut r = Report::new(verdict, "test");
        r.digital_source_type = Some(source.to_string());
        r.ai_generated = source.ends_with("trainedAlgorithmicMedia");
        r.actions = actions.iter().map(|a| a.to_string()).collect();
        r
    }
    const CAPTURE: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture";
    const AI: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    #[test]
    fn default_passes_trusted_and_valid_only() {
        let p = Policy::default();
        assert!(p.evaluate(&signed(Verdict::Trusted, AI, &[])).pass);
        assert!(p.evaluate(&signed(Verdict::Valid, CAPTURE, &[])).pass);
        let unsigned = p.evaluate(&Report::new(Verdict::Unsigned, "none"));
        assert!(!unsigned.pass);
        assert_eq!(
            unsigned.reasons,
            ["verdict `unsigned` does not pass (this policy passes: trusted, valid)"]
        );
        assert_eq!(unsigned.exit_code(Verdict::Unsigned), 1);
        let tampered = p.evaluate(&Report::new(Verdict::Tampered, "x"));
        assert_eq!(tampered.exit_code(Verdict::Tampered), 3);
        assert_eq!(
            p.evaluate(&Report::error(Code::IoRead, "x"))
                .exit_code(Verdict::Error),
            4
        );
    }

    #[test]
    fn every_rule_gives_its_reason() {
        let p = Policy::from_toml(
            "require_trusted = true\nallow_ai_generated = false\n\
             required_source_types = [\"http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture\"]\n\
             required_actions = [\"c2pa.created\", \"c2pa.cropped\"]\n",
        )
        .unwrap();
        let ok = p.evaluate(&signed(
            Verdict::Trusted,
            CAPTURE,
            &["c2pa.created", "c2pa.cropped"],
        ));
        assert_eq!(
            ok,
            PolicyOutcome {
                pass: true,
                reasons: vec![]
            }
        );
        let bad = p.evaluate(&signed(Verdict::Valid, AI, &["c2pa.created"]));
        assert!(!bad.pass);
        assert_eq!(bad.reasons.len(), 4, "{:?}", bad.reasons);
        assert!(bad.reasons[0].contains("not trusted"));
        assert!(bad.reasons[1].starts_with("AI-generated content is not allowed"));
        assert!(bad.reasons[2].contains("not one the policy requires"));
        assert_eq!(bad.reasons[3], "required action c2pa.cropped is missing");
    }

    #[test]
    fn recovered_copies_pass_by_distance_and_registered_trust() {
        let recovered = |distance: u32, registered_verdict: Verdict| {
            let mut r = Report::new(Verdict::Recovered, "recovered");
            r.recovered = Some(crate::report::RecoveredInfo {
                distance,
                pixel_digest_match: distance == 0,
                match_kind: if distance == 0 {
                    crate::report::MatchKind::SamePixels
                } else {
                    crate::report::MatchKind::SimilarPicture
                },
                signer: crate::report::SignerInfo {
                    name: Some("Desk".into()),
                    organization: None,
                    issuer: None,
                    certificate_sha256: "00".repeat(32),
                    trusted: registered_verdict == Verdict::Trusted,
                    anchor: None,
                    chain: Vec::new(),
                },
                registered_verdict,
                verdict_now: registered_verdict,
                title: None,
                signed_at: None,
                digital_source_type: Some(CAPTURE.into()),
                ai_generated: false,
                registered_at: "2026-11-25T00:00:00Z".into(),
                asset_blake3: "00".repeat(32),
                video: None,
            });
            r
        };
        // By default only the same pixels pass: a similar picture may be another one.
        let same_only = Policy::from_toml("pass = [\"trusted\", \"recovered\"]\n").unwrap();
        assert!(same_only.evaluate(&recovered(0, Verdict::Trusted)).pass);
        assert_eq!(
            same_only.evaluate(&recovered(4, Verdict::Trusted)).reasons,
            ["the copy only resembles the registered original (similar picture), and the policy accepts only the same pixels (recovered_accept_similar, --accept-similar)"]
        );
        let p = Policy::from_toml(
            "pass = [\"trusted\", \"recovered\"]\nrecovered_max_distance = 10\nrecovered_accept_similar = true\n",
        )
        .unwrap();
        assert!(p.evaluate(&recovered(0, Verdict::Trusted)).pass);
        assert!(p.evaluate(&recovered(10, Verdict::Trusted)).pass);
        let far = p.evaluate(&recovered(11, Verdict::Trusted));
        assert_eq!(
            far.reasons,
            ["the copy is 11 bits from the registered original (the policy allows 10)"]
        );
        let strict = Policy {
            require_trusted: true,
            ..p.clone()
        };
        let untrusted = strict.evaluate(&recovered(3, Verdict::Trusted));
        assert!(!untrusted.pass);
        assert!(untrusted.reasons[0].contains("not trusted"));
        assert!(Policy::default()
            .evaluate(&recovered(0, Verdict::Trusted))
            .reasons[0]
            .starts_with("verdict `recovered` does not pass"));
    }

    #[test]
    fn unknown_keys_and_unpassable_verdicts_are_errors_with_lines() {
        let e = Policy::from_toml("pass = [\"trusted\"]\nrequire_trusts = true\n").unwrap_err();
        assert_eq!(e.code(), "policy.malformed");
        assert!(
            matches!(
                e,
                PolicyError::Malformed {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("require_trusts"), "{e}");
        let e = Policy::from_toml("\n\npass = [\"trusted\", \"tampered\"]\n").unwrap_err();
        assert!(matches!(e, PolicyError::Malformed { line: 3, .. }), "{e}");
        assert!(e.to_string().contains("`tampered` can never pass"), "{e}");
        let e = Policy::from_toml("allow_ai_generated = \"no\"").unwrap_err();
        assert!(matches!(e, PolicyError::Malformed { line: 1, .. }), "{e}");
    }

    #[test]
    fn example_file_parses() {
        let p = Policy::from_toml(include_str!("../../docs/policy.example.toml")).unwrap();
        assert_eq!(
            p.pass,
            [Verdict::Trusted, Verdict::Valid, Verdict::Recovered]
        );
        assert!(!p.allow_ai_generated);
        assert_eq!(Policy::from_toml("").unwrap(), Policy::default());
    }
}
