//! Hallmark core: sign and verify C2PA Content Credentials with Ed25519 identities.
//!
//! Everything that decides lives here; the CLI, the WASM build and the browser
//! extension only translate arguments in and [`Report`]s out. The library never
//! prints, prompts, reads environment variables or exits.
//!
//! ```no_run
//! use hallmark_core::{Identity, IdentityRequest, SignOptions, TrustStore, Verdict, Verifier};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let identity = Identity::generate(&IdentityRequest::new("Jane Doe").organization("Example News"))?;
//! let photo = std::fs::read("photo.jpg")?;
//! let signed = hallmark_core::sign(&photo, &identity, &SignOptions::default())?;
//!
//! let root = identity.root_pem().ok_or("a new identity has a root")?;
//! let trust = TrustStore::from_pem(root.as_bytes())?;
//! let report = Verifier::new(trust).verify(&signed);
//! assert_eq!(report.verdict, Verdict::Trusted);
//! # Ok(()) }
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// `$vis fn $name(args) body`, compiled for AVX2 where the CPU has it
/// (checked at run time), else as it is: the same operations in wider
/// registers, so the same values (Rust never fuses a multiply and an add).
/// The body is also the private `$plain` (`#[inline(always)]`, compiled into
/// both), which tests compare with the dispatched path.
macro_rules! avx2_or_plain {
    ($(#[$m:meta])* $vis:vis fn $name:ident | $plain:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        #[doc = concat!("[`", stringify!($name), "`] without the AVX2 dispatch.")]
        #[inline(always)]
        #[allow(clippy::too_many_arguments)]
        fn $plain($($arg: $ty),*) $body

        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) {
                    $plain($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: this CPU has AVX2, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $plain($($arg),*)
        }
    };
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod alloc;
pub mod bank;
mod cawg;
mod cert;
pub mod chain;
mod check;
pub mod code;
mod der;
pub mod display;
#[cfg(feature = "scan")]
pub mod feed;
mod identity;
mod input;
mod inspect;
mod keyfile;
mod label;
mod media;
pub mod mih;
mod output;
mod parallel;
pub mod pdq;
pub mod pixels;
mod policy;
pub mod records;
pub mod recovery;
#[cfg(feature = "registry")]
pub mod registry;
mod report;
#[cfg(feature = "scan")]
pub mod scan;
pub mod screen;
mod sign;
mod signer;
mod timestamp;
mod trust;
mod trust_dir;
#[cfg(feature = "tsa")]
pub mod tsa;
mod verify;

/// Sets glibc's allocator for what a program that checks files does (the
/// CLI calls it first thing; a no-op elsewhere). A photo is read whole and
/// the C2PA SDK reads it whole again, twice, a few MB each time. By default
/// glibc maps each such buffer fresh and unmaps it when freed, so the next
/// one faults in and zeroes new pages again: a third of the time of
/// verifying a 12 MP JPEG (3,945 page faults). Serving buffers under 32 MiB
/// from the heap, and keeping up to 32 MiB of it when freed, reuses those
/// pages (2,320 faults; 16.6 -> 10.4 ms, `perf stat`). Larger buffers
/// (decoded pictures) are still mapped, and returned when freed.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const KEEP: libc::c_int = 32 << 20;
        // SAFETY: mallopt only sets the allocator's parameters, under its
        // own lock; a refusal (0) leaves the defaults.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, KEEP);
            libc::mallopt(libc::M_TRIM_THRESHOLD, KEEP);
        }
    }
}
pub mod vpdq;

pub use cert::CertificateInfo;
pub use check::Checker;
pub use code::Code;
pub use identity::{Identity, IdentityError, IdentityRequest, Validity};
pub use identity::{CA_KEY_FILE, CHAIN_FILE, CURRENT_LINK, KEY_FILE, ROOT_FILE};
pub use input::{open_input, read_bounded_line, read_input, BoundedLine, InputError};
pub use inspect::{inspect, inspect_source, Inspection};
pub use keyfile::Passphrase;
pub use media::{
    identify, load, probe, Limits, LoadError, Loaded, MediaError, MediaFormat, Probe, Source,
    Stream, MAX_TIFF_DIRECTORIES,
};
pub use output::{write_atomically, AtomicFile, OutputError};
pub use policy::{Policy, PolicyError, PolicyOutcome};
pub use report::{
    quote_name, AnchorInfo, ClaimedFacts, ErrorInfo, IdentityReport, IngredientReport, MatchKind,
    RecoveredInfo, RecoveredVideo, Report, SignedPixels, SignerInfo, StatusEntry, Verdict, Vouched,
    VouchedBy,
};
pub use sign::{sign, sign_file, Action, SignError, SignOptions, Signed, SourceType};
pub use signer::Ed25519Signer;
pub use trust::{Anchor, TrustError, TrustStore};
pub use trust_dir::{TrustDir, TrustDirError, TrustEntry};
pub use verify::Verifier;

/// The version of the C2PA SDK (c2pa-rs) this build verifies with.
pub const C2PA_VERSION: &str = c2pa::VERSION;

/// The name and version Hallmark writes as claim generator.
pub const CLAIM_GENERATOR: &str = concat!("hallmark/", env!("CARGO_PKG_VERSION"));
