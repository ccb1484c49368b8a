//! The TypeScript declarations of the core types this package returns,
//! generated from the Rust types (ts-rs) into `wasm/types/core.d.ts`, which
//! `lib.rs` puts in the package's `.d.ts`. This test fails when the checked-in
//! file differs from what the Rust types say; `HALLMARK_BLESS=1 cargo test -p
//! hallmark-wasm declarations` writes it anew.

use hallmark_core::display::ScreenOutcome;
use hallmark_core::display::{Badge, BadgeState, BankHit, Card, CardRow, CardSection, Placement};
use hallmark_core::screen::{Comparison, SourceRect};
use hallmark_core::vpdq::{Segment, TimeRange, VideoFrames};
use hallmark_core::{
    AnchorInfo, ClaimedFacts, ErrorInfo, IdentityReport, IngredientReport, MatchKind,
    RecoveredInfo, RecoveredVideo, Report, SignerInfo, StatusEntry, Verdict,
};
use ts_rs::{Config, TS};

fn declaration<T: TS>(cfg: &Config) -> String {
    format!("{}export {}\n", T::docs().unwrap_or_default(), T::decl(cfg))
}

/// Every declaration, in a fixed order.
pub fn generated() -> String {
    let cfg = Config::new();
    let mut out = String::from(
        "// Generated from hallmark-core's Rust types by ts-rs (wasm/src/declarations.rs): do not edit.\n",
    );
    for decl in [
        declaration::<Verdict>(&cfg),
        declaration::<AnchorInfo>(&cfg),
        declaration::<SignerInfo>(&cfg),
        declaration::<StatusEntry>(&cfg),
        declaration::<IdentityReport>(&cfg),
        declaration::<IngredientReport>(&cfg),
        declaration::<ClaimedFacts>(&cfg),
        declaration::<Segment>(&cfg),
        declaration::<MatchKind>(&cfg),
        declaration::<RecoveredVideo>(&cfg),
        declaration::<RecoveredInfo>(&cfg),
        declaration::<ErrorInfo>(&cfg),
        declaration::<TimeRange>(&cfg),
        declaration::<VideoFrames>(&cfg),
        declaration::<Report>(&cfg),
        declaration::<BadgeState>(&cfg),
        declaration::<Badge>(&cfg),
        declaration::<CardRow>(&cfg),
        declaration::<CardSection>(&cfg),
        declaration::<Card>(&cfg),
        declaration::<BankHit>(&cfg),
        declaration::<Placement>(&cfg),
        declaration::<ScreenOutcome>(&cfg),
        declaration::<SourceRect>(&cfg),
        declaration::<Comparison>(&cfg),
    ] {
        out.push('\n');
        out.push_str(&decl);
    }
    out
}

#[test]
fn the_checked_in_declarations_are_what_the_rust_types_say() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/types/core.d.ts");
    let want = generated();
    if std::env::var_os("HALLMARK_BLESS").is_some() {
        std::fs::write(path, &want).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "wasm/types/core.d.ts differs from the Rust types: run HALLMARK_BLESS=1 cargo test -p hallmark-wasm declarations\n--- generated ---\n{want}"
    );
}
