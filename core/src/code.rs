//! Every error code Hallmark reports, in one enum with stable strings: the
//! `error.code` of reports and JSON lines, the `[code]` of the CLI's error
//! lines, and the `code` of errors the WASM package throws. The README lists
//! them (a test keeps that list equal to [`Code::ALL`]). Add codes, never
//! rename one.

use std::fmt;

macro_rules! codes {
    ($($variant:ident = $text:literal: $meaning:literal,)*) => {
        /// An error code (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in the order the README lists them.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable string (`io.read`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// What it means, in a sentence.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

codes! {
    IoRead = "io.read": "An input could not be read: missing, a directory, not a regular file, or not permitted.",
    IoReadDir = "io.read_dir": "A folder could not be listed while scanning.",
    WalkTooDeep = "walk.too_deep": "Folders nested deeper than a scan enters.",
    WalkBrokenLink = "walk.broken_link": "A symbolic link that can't be followed (broken, or a loop of links).",
    WalkSymlinkLoop = "walk.symlink_loop": "A symbolic link to a folder that contains it; not followed.",
    IoWrite = "io.write": "Output could not be written: a full disk, no permission, or a stream that failed.",
    IoPrompt = "io.prompt": "The passphrase prompt failed (no terminal to ask on).",
    InputEmpty = "input.empty": "The file is empty.",
    LimitsFileSize = "limits.file_size": "The file is over the size limit.",
    LimitsDimensions = "limits.dimensions": "The image is over the width, height or pixel-count limit.",
    FormatUnrecognized = "format.unrecognized": "Not a media format Hallmark reads.",
    FormatUnsupported = "format.unsupported": "A format Hallmark recognises but can't do this with (signing a PDF, the pixels of audio for `registry add` and `feed`, a video in a build without the `video` feature; a PDF in the WASM package).",
    FormatMalformed = "format.malformed": "The media is damaged, or is not the format it claims.",
    FormatMismatch = "format.mismatch": "The bytes are not of the media type they were declared as.",
    ManifestMalformed = "manifest.malformed": "The C2PA manifest store can't be parsed.",
    OutputExists = "output.exists": "The output file exists (pass --force to replace it).",
    OutputReadBack = "output.read_back": "The written file did not read back as written; the original was kept.",
    KeyMalformed = "key.malformed": "The key file is not a key Hallmark reads.",
    KeyPassphraseRequired = "key.passphrase_required": "The key is encrypted and no passphrase was given.",
    KeyWrongPassphrase = "key.wrong_passphrase": "The passphrase does not open the key.",
    KeyPassphraseMismatch = "key.passphrase_mismatch": "The two passphrases typed differ.",
    KeyPassphraseEmpty = "key.passphrase_empty": "An empty passphrase was given.",
    IdentityExists = "identity.exists": "An identity exists there already (pass --force to replace it).",
    IdentityChainMalformed = "identity.chain_malformed": "The identity's certificate chain can't be read.",
    IdentityKeyMismatch = "identity.key_mismatch": "The signing key does not match the identity's certificate.",
    IdentityInvalidRequest = "identity.invalid_request": "The identity's names or validity are not acceptable.",
    IdentityNoCaKey = "identity.no_ca_key": "The identity has no CA key to issue a new certificate with.",
    ChainMalformed = "chain.malformed": "A certificate in the chain can't be parsed.",
    ChainNoPath = "chain.no_path": "No path from the signing certificate to a trust anchor.",
    ChainIssuerNotCa = "chain.issuer_not_ca": "A certificate in the path is not allowed to issue certificates.",
    ChainLeafUsage = "chain.leaf_usage": "The signing certificate is not allowed to sign content.",
    ChainAnchorExpired = "chain.anchor_expired": "The trust anchor was expired at the signing time.",
    ChainProfile = "chain.profile": "A certificate breaks the C2PA certificate profile.",
    TrustBadName = "trust.bad_name": "A trust entry name must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'.",
    TrustNotFound = "trust.not_found": "No trust entry of that name.",
    TrustExists = "trust.exists": "A trust entry of that name exists (pass --force to replace it).",
    TrustMalformed = "trust.malformed": "A trust bundle holds no certificate Hallmark can read.",
    TrustNoConfigDir = "trust.no_config_dir": "No configuration folder (set HALLMARK_CONFIG_DIR or HOME).",
    ConfigMalformed = "config.malformed": "config.toml can't be parsed.",
    PolicyMalformed = "policy.malformed": "The policy file can't be parsed, or names what can never pass.",
    SignInvalidOption = "sign.invalid_option": "A signing option is not acceptable.",
    SignC2pa = "sign.c2pa": "The C2PA library refused to sign.",
    SignSelfCheck = "sign.self_check": "The signed file did not verify as expected; nothing was written.",
    TsaUrl = "tsa.url": "The time-stamp authority's URL is not one Hallmark calls (http:// only).",
    TsaUnreachable = "tsa.unreachable": "The time-stamp authority could not be reached.",
    TsaHttp = "tsa.http": "The time-stamp authority answered with an HTTP error.",
    TsaMalformed = "tsa.malformed": "The time-stamp authority's answer can't be parsed.",
    TsaRejected = "tsa.rejected": "The time-stamp authority refused the request.",
    TsaImprint = "tsa.imprint": "The time-stamp is for other data than was sent.",
    TsaNonce = "tsa.nonce": "The time-stamp answers another request (its nonce differs).",
    TsaEku = "tsa.eku": "The time-stamp's certificate is not for time-stamping.",
    TsaUntrusted = "tsa.untrusted": "The time-stamp's certificate does not chain to a trusted TSA.",
    RegistryCorrupt = "registry.corrupt": "The registry file is damaged.",
    RegistryForeign = "registry.foreign": "The file is a SQLite database, but not a Hallmark registry.",
    RegistryVersion = "registry.version": "The registry was written by a newer Hallmark.",
    RegistryOpen = "registry.open": "The registry can't be opened (missing, or not permitted).",
    RegistryRejected = "registry.rejected": "Only files whose credentials verify (trusted or valid) are registered.",
    RegistryManifestStore = "registry.manifest_store": "The registered manifest store can't be read back.",
    RegistryDatabase = "registry.database": "The registry database failed (locked, full disk…).",
    RegistryConflict = "registry.conflict": "Another manifest store is registered under the same manifest id.",
    RegistryStale = "registry.stale": "A registry entry matched, but its stored credentials no longer validate, or disagree with its row.",
    HttpBadRequest = "http.bad_request": "The registry service could not read the request: a query parameter, JSON body or base64 value is malformed.",
    HttpUnauthorized = "http.unauthorized": "The registry service needs a bearer token, and none or an unknown one was given.",
    HttpForbidden = "http.forbidden": "The bearer token lacks the scope this request needs.",
    HttpNotFound = "http.not_found": "No such endpoint, manifest or binding on the registry service.",
    HttpConflict = "http.conflict": "The binding exists already (POST), or the manifest id is taken by another store.",
    HttpTimeout = "http.timeout": "The request's body did not arrive within the registry service's time limit.",
    HttpRateLimited = "http.rate_limited": "Too many requests from this token or address: wait and retry.",
    HttpUnsupportedMedia = "http.unsupported_media": "The request's content type is not one the endpoint takes.",
    BindingAlg = "binding.alg": "A soft-binding algorithm the registry does not resolve.",
    RemoteRegistry = "registry.remote": "The registry service could not be reached, or answered with an error.",
    BankUnreadable = "bank.unreadable": "A hash bank can't be opened or read.",
    BankLabels = "bank.labels": "Too many distinct labels in the banks (labels name categories).",
    BankLine = "bank.line": "A bank line (or row) was skipped: not a hash, too long, or not text.",
    BankLines = "bank.lines": "More bad bank lines than are listed one by one: a count.",
    BankEmpty = "bank.empty": "No usable hash in the banks.",
    CacheOpen = "cache.open": "The scan cache can't be opened.",
    CacheCorrupt = "cache.corrupt": "The scan cache file is not a Hallmark cache.",
    FeedNoGpuFeature = "feed.no_gpu_feature": "--device cuda or torch-cpu in a build without the gpu feature.",
    FeedNoCuda = "feed.no_cuda": "--device cuda, and no CUDA device is visible.",
    FeedDevice = "feed.device": "The tensor device failed while hashing or matching.",
    FeedInput = "feed.input": "A feed input line is not a path, a JSON string or a JSON object with a path or pdq.",
    FetchScheme = "fetch.scheme": "The extension fetches only http:, https: and data: images.",
    FetchRedirected = "fetch.redirected": "The image's URL redirected; the extension never follows a redirect.",
    FetchStatus = "fetch.status": "The image's server answered with an HTTP error.",
    FetchTooLarge = "fetch.too_large": "The image is over the extension's size limit.",
    FetchFailed = "fetch.failed": "The image could not be fetched (network, CORS, or a page that went away).",
    UncheckedBlob = "unchecked.blob": "A blob: image holds only what the page made; there are no bytes to verify.",
    UncheckedScheme = "unchecked.scheme": "An image URL the extension does not fetch (not http:, https: or data:).",
    UncheckedCanvas = "unchecked.canvas": "A canvas holds only what the page drew; there are no bytes to verify.",
    UncheckedBackground = "unchecked.background": "A CSS background image is not checked.",
    UncheckedVideo = "unchecked.video": "A streamed video or audio (MediaSource, a blob: URL or a capture) has no file to verify.",
    OptionsMalformed = "options.malformed": "The WASM package was given options it can't read.",
    PdqMalformed = "pdq.malformed": "A PDQ hash is not 64 hex digits.",
    ThresholdRange = "threshold.range": "A match threshold is over the maximum (128 bits).",
    Usage = "usage": "The command line is not one Hallmark accepts.",
    Internal = "internal": "A bug in Hallmark: please report it.",
}

impl Code {
    /// The code with this string, if any.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.as_str().to_string()
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The README's table of codes (between `<!-- codes -->` and `<!-- /codes -->`).
pub fn markdown_table() -> String {
    let mut table = String::from("| code | meaning |\n|---|---|\n");
    for code in Code::ALL {
        table.push_str(&format!("| `{}` | {} |\n", code.as_str(), code.meaning()));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_every_code() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .unwrap_or_default();
        let listed = readme
            .split("<!-- codes -->\n")
            .nth(1)
            .and_then(|rest| rest.split("<!-- /codes -->").next())
            .unwrap_or_default();
        assert_eq!(
            listed,
            markdown_table(),
            "README.md's table of error codes differs from hallmark_core::Code: paste the right side"
        );
    }

    #[test]
    fn codes_are_unique_lowercase_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
                "{text}"
            );
            assert_eq!(Code::parse(text), Some(code));
            assert!(code.meaning().ends_with('.'), "{text}");
        }
        assert_eq!(Code::parse("io"), None);
    }
}
