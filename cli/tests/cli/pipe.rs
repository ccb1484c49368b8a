//! A reader that goes away (`hallmark verify … | head -1`) ends the output
//! quietly: the command exits with its own status, never a panic. Before,
//! `println!` panicked ("failed printing to stdout: Broken pipe", exit 101)
//! in verify, hash, registry and trust.

use std::process::Stdio;

use crate::support::{fixture, hallmark};

/// Run with stdout a pipe whose reader is gone before the first line.
fn closed_pipe(cmd: &mut std::process::Command) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_output_quietly_with_the_commands_own_status() {
    let signed = fixture("signed/newsroom.jpg");
    let unsigned = fixture("images/sample.jpg");
    let root = fixture("keys/newsroom/root.pem");
    // Enough lines that output can't all fit before the reader is gone.
    let many: Vec<_> = std::iter::repeat_n(signed.clone(), 40).collect();
    for (what, mut cmd, status) in [
        (
            "verify (trusted)",
            {
                let mut c = hallmark();
                c.arg("verify").arg("--trust").arg(&root).args(&many);
                c
            },
            0,
        ),
        (
            "verify (unsigned)",
            {
                let mut c = hallmark();
                c.arg("verify").args(&many).arg(&unsigned);
                c
            },
            1,
        ),
        (
            "verify --json",
            {
                let mut c = hallmark();
                c.args(["verify", "--json"]).args(&many);
                c
            },
            0,
        ),
        (
            "hash",
            {
                let mut c = hallmark();
                c.arg("hash").args(&many);
                c
            },
            0,
        ),
        (
            "trust list",
            {
                let mut c = hallmark();
                c.args(["trust", "list"]);
                c
            },
            0,
        ),
    ] {
        let (code, stderr) = closed_pipe(&mut cmd);
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{what}: {stderr}");
        assert_eq!(code, Some(status), "{what}: {stderr}");
    }
}
