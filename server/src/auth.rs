//! Bearer tokens and their scopes: the tokens file (`TOKEN SCOPE…` a line),
//! tokens compared in constant time, and never shown.

use subtle::ConstantTimeEq;

/// The scopes of the Soft Binding Resolution API's OpenAPI file.
pub const FETCH: &str = "fetch:manifests";
pub const STORE_MANIFESTS: &str = "store:manifests";
pub const STORE_BINDINGS: &str = "store:bindings";
const SCOPES: &[&str] = &[FETCH, STORE_MANIFESTS, STORE_BINDINGS];

/// Shortest token accepted: 128 bits of base64 or hex is over 20 characters.
const MIN_TOKEN_LEN: usize = 20;

/// The tokens a server accepts. Only their BLAKE3 digests are kept, and a
/// presented token is compared against every one without stopping early.
#[derive(Default)]
pub struct Tokens {
    entries: Vec<TokenEntry>,
}

struct TokenEntry {
    digest: [u8; 32],
    scopes: Vec<&'static str>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} tokens)", self.entries.len())
    }
}

/// Why a tokens file was refused (the token itself is never named).
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("line {line}: a token and at least one scope ({}), separated by spaces", SCOPES.join(", "))]
    Malformed { line: usize },
    #[error("line {line}: unknown scope {scope:?} (the scopes are {})", SCOPES.join(", "))]
    Scope { line: usize, scope: String },
    #[error("line {line}: the token is under {MIN_TOKEN_LEN} characters; make one with `head -c 32 /dev/urandom | base64`")]
    Short { line: usize },
    #[error("line {line}: the same token is listed twice")]
    Duplicate { line: usize },
}

/// Who made a request: the index of the token it presented, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Principal(pub Option<usize>);

/// The outcome of checking a request's token against a required scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Granted(Principal),
    /// No token, or one that is not listed: 401.
    Unauthenticated,
    /// A listed token without the scope: 403.
    Forbidden,
}

impl Tokens {
    /// Parse a tokens file: `TOKEN SCOPE…` a line; blank lines and lines
    /// starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<Self, TokensError> {
        let mut entries: Vec<TokenEntry> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let mut words = raw.split_whitespace();
            let token = words.next().ok_or(TokensError::Malformed { line })?;
            if token.len() < MIN_TOKEN_LEN {
                return Err(TokensError::Short { line });
            }
            let mut scopes = Vec::new();
            for word in words {
                let scope =
                    SCOPES
                        .iter()
                        .find(|s| **s == word)
                        .ok_or_else(|| TokensError::Scope {
                            line,
                            scope: word.chars().take(40).collect(),
                        })?;
                scopes.push(*scope);
            }
            if scopes.is_empty() {
                return Err(TokensError::Malformed { line });
            }
            let digest = *blake3::hash(token.as_bytes()).as_bytes();
            if entries.iter().any(|e| bool::from(e.digest.ct_eq(&digest))) {
                return Err(TokensError::Duplicate { line });
            }
            entries.push(TokenEntry { digest, scopes });
        }
        Ok(Self { entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The listed token equal to `presented`, compared in constant time
    /// against every entry (digests of equal length, no early exit).
    fn find(&self, presented: &str) -> Option<usize> {
        let digest = blake3::hash(presented.as_bytes());
        let mut found = None;
        for (i, entry) in self.entries.iter().enumerate() {
            if bool::from(entry.digest.ct_eq(digest.as_bytes())) {
                found = Some(i);
            }
        }
        found
    }

    /// Check the `Authorization` header's value (None: absent) against
    /// `scope` (None: anyone may).
    pub fn check(&self, authorization: Option<&[u8]>, scope: Option<&str>) -> Access {
        let presented = authorization.and_then(bearer);
        let principal = match presented {
            Some(token) => match self.find(token) {
                Some(i) => Some(i),
                None => return Access::Unauthenticated,
            },
            // A malformed header is as good as a wrong token.
            None if authorization.is_some() => return Access::Unauthenticated,
            None => None,
        };
        match (scope, principal) {
            (None, p) => Access::Granted(Principal(p)),
            (Some(_), None) => Access::Unauthenticated,
            (Some(scope), Some(i)) => {
                if self.entries[i].scopes.contains(&scope) {
                    Access::Granted(Principal(Some(i)))
                } else {
                    Access::Forbidden
                }
            }
        }
    }
}

/// The token of `Bearer TOKEN` (the scheme in any case).
fn bearer(value: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(value).ok()?;
    let (scheme, token) = text.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const READER: &str = "reader-token-0123456789abcdef";
    const WRITER: &str = "writer-token-0123456789abcdef";

    fn tokens() -> Tokens {
        Tokens::parse(&format!(
            "# comment\n\n{READER} fetch:manifests\n{WRITER} store:manifests store:bindings fetch:manifests\n"
        ))
        .unwrap()
    }

    #[test]
    fn scopes_decide_and_unknown_tokens_are_unauthenticated() {
        let t = tokens();
        let bearer = |tok: &str| format!("Bearer {tok}");
        assert_eq!(
            t.check(Some(bearer(READER).as_bytes()), Some(FETCH)),
            Access::Granted(Principal(Some(0)))
        );
        assert_eq!(
            t.check(Some(bearer(READER).as_bytes()), Some(STORE_MANIFESTS)),
            Access::Forbidden
        );
        assert_eq!(
            t.check(Some(bearer(WRITER).as_bytes()), Some(STORE_BINDINGS)),
            Access::Granted(Principal(Some(1)))
        );
        assert_eq!(t.check(None, Some(FETCH)), Access::Unauthenticated);
        assert_eq!(t.check(None, None), Access::Granted(Principal(None)));
        // A wrong token, even where none is needed, is refused.
        assert_eq!(
            t.check(Some(b"Bearer reader-token-0123456789abcdeX"), None),
            Access::Unauthenticated
        );
        assert_eq!(t.check(Some(b"Basic abc"), None), Access::Unauthenticated);
        assert_eq!(
            t.check(Some(format!("bearer  {READER} ").as_bytes()), Some(FETCH)),
            Access::Granted(Principal(Some(0)))
        );
    }

    #[test]
    fn bad_files_name_the_line_never_the_token() {
        for (text, expected) in [
            ("short fetch:manifests\n", "line 1: the token is under 20 characters"),
            (
                "abcdefghijklmnopqrstuvwxyz\n",
                "line 1: a token and at least one scope",
            ),
            (
                "\nabcdefghijklmnopqrstuvwxyz fetch:everything\n",
                "line 2: unknown scope \"fetch:everything\"",
            ),
            (
                "abcdefghijklmnopqrstuvwxyz fetch:manifests\nabcdefghijklmnopqrstuvwxyz store:bindings\n",
                "line 2: the same token is listed twice",
            ),
        ] {
            let e = Tokens::parse(text).unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e}");
            assert!(!e.contains("abcdefghij"), "{e}");
        }
        assert_eq!(format!("{:?}", tokens()), "Tokens(2 tokens)");
    }
}
