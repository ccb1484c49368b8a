//! The certificate profile rules webpki leaves out: the C2PA end-entity
//! profile (EKU, digitalSignature, not a CA), an issuer's CA rules, the RFC
//! 5280 profile of every certificate, and which keys are accepted.

use rustls_pki_types::alg_id;
use x509_parser::prelude::X509Certificate;

use super::algorithms::rsa_size_ok;
use super::{ChainError, Role, ALGORITHMS, EKU_EMAIL_PROTECTION, EKU_TIME_STAMPING};

/// The C2PA end-entity profile: an EKU of the policy, digitalSignature, not a CA.
pub(super) fn c2pa_leaf_rules(
    cert: &X509Certificate<'_>,
    ekus: &[Vec<usize>],
) -> Result<(), ChainError> {
    if cert.is_ca() {
        return Err(ChainError::LeafUsage(
            "the signing certificate is a CA".into(),
        ));
    }
    match cert.key_usage() {
        Ok(Some(ku)) if ku.value.digital_signature() => {}
        Ok(_) => {
            return Err(ChainError::LeafUsage(
                "the key usage lacks digitalSignature".into(),
            ))
        }
        Err(e) => return Err(ChainError::Malformed(format!("key usage: {e}"))),
    }
    let stated: Vec<Vec<usize>> = match cert.extended_key_usage() {
        Ok(Some(eku)) => stated_ekus(eku.value),
        Ok(None) => Vec::new(),
        Err(e) => return Err(ChainError::Malformed(format!("extended key usage: {e}"))),
    };
    if ekus.iter().any(|want| stated.contains(want)) {
        Ok(())
    } else {
        Err(ChainError::LeafUsage(
            "the extended key usage names no C2PA signing purpose".into(),
        ))
    }
}

pub(super) fn profile_err(who: &str, what: &str) -> ChainError {
    ChainError::Profile(format!("{who}: {what}"))
}

/// RFC 5280's rules for conforming certificates that webpki does not apply
/// (or does not apply to the anchor): serial numbers; key identifiers
/// (present where required, never critical, an anchor's AKI naming its own
/// SKI); CA certificates with a subject and a critical basic constraints;
/// critical name and policy constraints with content; no name constraints
/// and no keyCertSign in an end entity, whose EKU, when stated, must name the
/// purpose itself (anyExtendedKeyUsage is not enough) and whose key must be
/// one the signature algorithms accept; an anchor's own critical extensions
/// understood and its EKU, when stated, allowing the purpose.
pub(super) fn profile_rules(
    cert: &X509Certificate<'_>,
    who: &str,
    role: Role,
    ekus: &[Vec<usize>],
) -> Result<(), ChainError> {
    use x509_parser::extensions::{GeneralName, ParsedExtension};
    let serial = cert.raw_serial();
    // An anchor is configured, not validated: real roots have serial 0.
    if role != Role::Anchor {
        if serial.is_empty() || serial.len() > 20 {
            return Err(profile_err(who, "the serial number is not 1 to 20 octets"));
        }
        if serial[0] & 0x80 != 0 {
            return Err(profile_err(who, "the serial number is negative"));
        }
        if serial.iter().all(|b| *b == 0) {
            return Err(profile_err(who, "the serial number is zero"));
        }
    }
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    let is_ca = cert.is_ca();
    let mut aki = None;
    let mut ski = None;
    let mut basic_critical = None;
    for ext in cert.extensions() {
        let parsed = ext.parsed_extension();
        if parsed.error().is_some() {
            return Err(profile_err(
                who,
                &format!("extension {} is malformed", ext.oid),
            ));
        }
        match parsed {
            ParsedExtension::UnsupportedExtension { .. }
                if ext.critical && role == Role::Anchor =>
            {
                return Err(profile_err(
                    who,
                    &format!("unknown critical extension {}", ext.oid),
                ));
            }
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                if ext.critical {
                    return Err(profile_err(who, "the authority key identifier is critical"));
                }
                aki = Some(a);
            }
            ParsedExtension::SubjectKeyIdentifier(k) => {
                if ext.critical {
                    return Err(profile_err(who, "the subject key identifier is critical"));
                }
                ski = Some(k.0);
            }
            ParsedExtension::BasicConstraints(_) => basic_critical = Some(ext.critical),
            ParsedExtension::NameConstraints(nc) => {
                if role == Role::Leaf {
                    return Err(profile_err(who, "an end entity carries name constraints"));
                }
                if !ext.critical {
                    return Err(profile_err(who, "name constraints are not critical"));
                }
                let subtrees = nc
                    .permitted_subtrees
                    .iter()
                    .chain(nc.excluded_subtrees.iter())
                    .flatten();
                let mut any = false;
                for tree in subtrees {
                    any = true;
                    if let GeneralName::DNSName(name) = tree.base {
                        if name.starts_with('.') {
                            return Err(profile_err(
                                who,
                                "a DNS name constraint starts with a period",
                            ));
                        }
                    }
                }
                if !any {
                    return Err(profile_err(who, "name constraints without any subtree"));
                }
            }
            ParsedExtension::PolicyConstraints(_) if !ext.critical => {
                return Err(profile_err(who, "policy constraints are not critical"));
            }
            _ => {}
        }
    }
    if !self_issued {
        let has_key_id = aki.is_some_and(|a| a.key_identifier.is_some());
        if !has_key_id {
            return Err(profile_err(who, "no authority key identifier"));
        }
    } else if let Some(a) = aki {
        // A self-signed anchor's AKI, when present, names its own key only.
        let own = match (&a.key_identifier, ski) {
            (Some(k), Some(s)) => k.0 == s,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !own || a.authority_cert_issuer.is_some() || a.authority_cert_serial.is_some() {
            return Err(profile_err(
                who,
                "the authority key identifier of a self-signed certificate does not name its own key",
            ));
        }
    }
    if role != Role::Leaf || is_ca {
        if ski.is_none() && role != Role::Leaf {
            return Err(profile_err(who, "a CA without a subject key identifier"));
        }
        if cert.subject().iter().next().is_none() {
            return Err(profile_err(who, "a CA with an empty subject"));
        }
        if basic_critical == Some(false) {
            return Err(profile_err(who, "basic constraints are not critical"));
        }
    }
    let eku = cert
        .extended_key_usage()
        .map_err(|e| ChainError::Malformed(format!("{who}: extended key usage: {e}")))?;
    if let (Some(eku), false) = (eku, ekus.is_empty()) {
        let stated = stated_ekus(eku.value);
        let names_purpose = ekus.iter().any(|want| stated.contains(want));
        match role {
            // C2PA (like the CA/Browser Forum) forbids anyExtendedKeyUsage in a signer.
            Role::Leaf if eku.value.any => {
                return Err(profile_err(who, "anyExtendedKeyUsage in an end entity"))
            }
            Role::Leaf if !names_purpose => {
                return Err(profile_err(
                    who,
                    "the extended key usage does not name the purpose",
                ))
            }
            Role::Anchor if !names_purpose && !eku.value.any => {
                return Err(profile_err(
                    who,
                    "the anchor's extended key usage does not allow the purpose",
                ))
            }
            _ => {}
        }
    }
    if role == Role::Leaf {
        if !is_ca {
            if let Ok(Some(ku)) = cert.key_usage() {
                if ku.value.key_cert_sign() {
                    return Err(profile_err(who, "an end entity with keyCertSign"));
                }
            }
        }
        check_key(who, cert.public_key().raw)?;
    }
    Ok(())
}

/// The EKU purposes a certificate states, as OID arcs.
pub(super) fn stated_ekus(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = eku
        .other
        .iter()
        .filter_map(|oid| {
            oid.iter()
                .map(|i| i.map(|v| v as usize).collect::<Vec<_>>())
        })
        .collect();
    for (flag, oid) in [
        (eku.server_auth, &[1usize, 3, 6, 1, 5, 5, 7, 3, 1][..]),
        (eku.client_auth, &[1, 3, 6, 1, 5, 5, 7, 3, 2][..]),
        (eku.code_signing, &[1, 3, 6, 1, 5, 5, 7, 3, 3][..]),
        (eku.email_protection, EKU_EMAIL_PROTECTION),
        (eku.time_stamping, EKU_TIME_STAMPING),
        (eku.ocsp_signing, &[1, 3, 6, 1, 5, 5, 7, 3, 9][..]),
    ] {
        if flag {
            out.push(oid.to_vec());
        }
    }
    out
}

/// The end entity's key must be one of [`ALGORITHMS`]'s kinds (its
/// signature over the manifest is checked by c2pa; a path is not valid for
/// a key nobody here could verify with).
pub(super) fn check_key(who: &str, spki: &[u8]) -> Result<(), ChainError> {
    let (alg, key) = split_spki(spki).ok_or_else(|| profile_err(who, "malformed public key"))?;
    let known = ALGORITHMS
        .iter()
        .find(|a| a.public_key_alg_id().as_ref() == alg);
    let Some(known) = known else {
        return Err(profile_err(
            who,
            "a public key of an algorithm C2PA does not allow",
        ));
    };
    let probe_ok = match known.public_key_alg_id() {
        a if [
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PSS_SHA256,
            alg_id::RSA_PSS_SHA384,
            alg_id::RSA_PSS_SHA512,
        ]
        .contains(&a) =>
        {
            use rsa::pkcs1::DecodeRsaPublicKey;
            use rsa::traits::PublicKeyParts;
            rsa::RsaPublicKey::from_pkcs1_der(key).is_ok_and(|k| rsa_size_ok(k.n().bits()))
        }
        a if a == alg_id::ECDSA_P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(key).is_ok(),
        a if a == alg_id::ECDSA_P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(key).is_ok(),
        a if a == alg_id::ECDSA_P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(key).is_ok(),
        _ => <[u8; 32]>::try_from(key)
            .is_ok_and(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).is_ok()),
    };
    if probe_ok {
        Ok(())
    } else {
        Err(profile_err(
            who,
            "a public key that is malformed or too weak",
        ))
    }
}

/// A SubjectPublicKeyInfo's algorithm identifier (contents) and key bits.
pub(super) fn split_spki(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let outer = crate::der::tlv(spki)?;
    if outer.tag != 0x30 {
        return None;
    }
    let alg = crate::der::tlv(outer.body)?;
    if alg.tag != 0x30 {
        return None;
    }
    let bits = crate::der::tlv(alg.rest)?;
    // A BIT STRING of whole octets.
    if bits.tag != 0x03 || bits.body.first() != Some(&0) {
        return None;
    }
    Some((alg.body, &bits.body[1..]))
}

/// An issuer must be a CA and, when it states a key usage, include keyCertSign.
pub(super) fn issuer_rules(cert: &X509Certificate<'_>, who: &str) -> Result<(), ChainError> {
    let v1 = cert.version() == x509_parser::x509::X509Version::V1;
    if !v1 && !cert.is_ca() {
        return Err(ChainError::IssuerNotCa(format!("{who} is not a CA")));
    }
    match cert.key_usage() {
        Ok(Some(ku)) if !ku.value.key_cert_sign() => Err(ChainError::IssuerNotCa(format!(
            "{who}: key usage lacks keyCertSign"
        ))),
        Ok(_) => Ok(()),
        Err(e) => Err(ChainError::Malformed(format!("{who}: key usage: {e}"))),
    }
}
