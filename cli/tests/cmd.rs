//! Snapshots of what people read: each command's human output, and its
//! errors with their hints, in `tests/cmd/COMMAND/CASE.toml` (the command
//! line and its exit status) beside `CASE.stdout` and `CASE.stderr` (what
//! it must print, exactly; `[..]` elides a varying part of a line). Every
//! such case runs from the repository root on the shipped fixtures. A tour,
//! `tests/cmd/tour/NAME.trycmd`, is a sequence of commands with their output
//! and status, run in a sandbox copied from `NAME.in/` (`NAME.out/` makes it
//! a sandbox; its files, none yet, would be compared with what is left).
//!
//! Run: `cargo test -p hallmark-cli --test cmd`. After changing output on
//! purpose: `TRYCMD=overwrite cargo test -p hallmark-cli --test cmd`, then
//! read the diff.

#[test]
fn what_people_read() {
    trycmd::TestCases::new()
        .register_bin(
            "hallmark",
            std::path::Path::new(env!("CARGO_BIN_EXE_hallmark")),
        )
        // No trust list, no cache and no passphrase from the environment.
        .env(
            "HALLMARK_CONFIG_DIR",
            "/nonexistent/hallmark-snapshot-config",
        )
        .env("HALLMARK_CACHE_DIR", "/nonexistent/hallmark-snapshot-cache")
        .env("NO_COLOR", "1")
        .case("tests/cmd/*/*.toml")
        .case("tests/cmd/*/*.trycmd");
}
