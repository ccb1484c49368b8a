//! No data is lost when writing fails: `sign --in-place` under a file-size
//! limit (RLIMIT_FSIZE, `ulimit -f`) can't write the signed file, and the
//! original must stay byte-identical. Tests run as root, so read-only
//! directories would not stop the write; the size limit does.

use std::fs;
use std::path::Path;

use crate::support::{corpus, jane, leftovers, under_sh, RunExt};

/// `ulimit -f` counts 512-byte blocks in dash and bash; 16 blocks is 8 KiB
/// (16 KiB if a shell counted KiB). The input is far larger, so the signed
/// file can't be written whichever unit the shell uses.
const LIMIT_BLOCKS: u32 = 16;

fn big_input(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let original = fs::read(corpus("pdq/bridge-1-original.jpg")).unwrap();
    assert!(
        original.len() > 64 * 1024,
        "the input must exceed any reading of the limit"
    );
    let path = crate::support::write(dir, "photo.jpg", &original);
    (path, original)
}

#[test]
fn in_place_write_failure_reports_an_error_and_keeps_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let work = tmp.path().join("work");
    fs::create_dir(&work).unwrap();
    let (photo, original) = big_input(&work);

    // SIGXFSZ ignored (inherited through exec): the write fails with EFBIG.
    let script = format!("trap '' XFSZ; ulimit -f {LIMIT_BLOCKS} || exit 99; exec \"$0\" \"$@\"");
    let args = [
        std::ffi::OsStr::new("sign"),
        photo.as_os_str(),
        "--in-place".as_ref(),
        "--identity".as_ref(),
        id.as_os_str(),
    ];
    let run = under_sh(&script, &args).run();
    run.expect_error("io.write", 1);
    assert!(run.stderr.contains("File too large"), "{run:#?}");
    assert!(run.stderr.contains("nothing was replaced"), "{run:#?}");
    assert_eq!(run.stdout, "", "no success message");
    assert!(
        fs::read(&photo).unwrap() == original,
        "the original is byte-identical"
    );
    assert_eq!(
        leftovers(&work),
        Vec::<String>::new(),
        "the temp file is removed"
    );
    assert_eq!(crate::support::entries(&work), ["photo.jpg"]);
}

#[test]
fn in_place_killed_mid_write_keeps_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let work = tmp.path().join("work");
    fs::create_dir(&work).unwrap();
    let (photo, original) = big_input(&work);

    // Default SIGXFSZ action: the kernel kills the process during the write.
    let script = format!("trap - XFSZ; ulimit -f {LIMIT_BLOCKS} || exit 99; exec \"$0\" \"$@\"");
    let args = [
        std::ffi::OsStr::new("sign"),
        photo.as_os_str(),
        "--in-place".as_ref(),
        "--identity".as_ref(),
        id.as_os_str(),
    ];
    let run = under_sh(&script, &args).run();
    const SIGXFSZ: i32 = 25;
    if run.signal.is_none() {
        // A shell can't reset a signal ignored on entry (POSIX): then the write fails with EFBIG.
        eprintln!("note: SIGXFSZ is ignored in this environment; checked the EFBIG path instead");
        run.expect_error("io.write", 1);
    } else {
        assert_eq!(run.signal, Some(SIGXFSZ), "killed by SIGXFSZ: {run:#?}");
    }
    assert!(
        fs::read(&photo).unwrap() == original,
        "the original is byte-identical"
    );
    // A process killed mid-write can't remove its temp file; it must never be the original's name.
    let left = leftovers(&work);
    assert!(left.len() <= 1, "{left:?}");
    for name in &left {
        assert!(name.ends_with(".tmp"), "{name}");
        let size = fs::metadata(work.join(name)).unwrap().len();
        assert!(
            size <= u64::from(LIMIT_BLOCKS) * 1024,
            "stopped at the limit: {size}"
        );
        eprintln!("note: a SIGXFSZ kill leaves {name} ({size} bytes) beside the original");
    }
}

#[test]
fn output_into_a_missing_directory_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let input = crate::support::write(tmp.path(), "in.jpg", &crate::support::jpeg(16, 16));
    let out = tmp.path().join("no-such-dir").join("out.jpg");
    let run = crate::support::sign(&id, &input, &out, crate::support::NO_ARGS);
    run.expect_error("io.write", 1);
    assert!(!out.exists());
    assert!(!tmp.path().join("no-such-dir").exists());
    assert_eq!(fs::read(&input).unwrap(), crate::support::jpeg(16, 16));
}

#[test]
fn sign_never_modifies_its_input() {
    let tmp = tempfile::tempdir().unwrap();
    let id = jane(tmp.path());
    let (photo, original) = big_input(tmp.path());
    let out = tmp.path().join("out.jpg");
    crate::support::sign(&id, &photo, &out, crate::support::NO_ARGS).expect_code(0);
    assert!(fs::read(&photo).unwrap() == original);
    let signed = fs::read(&out).unwrap();
    assert!(signed.len() > original.len());
    assert!(leftovers(tmp.path()).is_empty());
}
