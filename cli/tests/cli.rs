//! End-to-end tests of the `hallmark` binary: each test runs the real binary
//! in its own temporary directory, on images it makes itself (or reads from
//! `../shared/corpus/`), and asserts exit codes, verdicts and report fields
//! against DESIGN.md's contracts.
//!
//! Run: `cargo test -p hallmark-cli --test cli`. Needs `openssl` and `sh` on PATH.
// Tests state their expectations by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "cli/support.rs"]
mod support;

#[path = "cli/bad_input.rs"]
mod bad_input;
#[path = "cli/certificate.rs"]
mod certificate;
#[path = "cli/keygen.rs"]
mod keygen;
#[path = "cli/no_data_lost.rs"]
mod no_data_lost;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/pipe.rs"]
mod pipe;
#[path = "cli/sign_verify.rs"]
mod sign_verify;
#[path = "cli/terminal.rs"]
mod terminal;
