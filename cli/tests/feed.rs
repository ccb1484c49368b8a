//! `hallmark feed classify`, run as the real binary: banks made from corpus
//! images, copies of them re-encoded and resized, strangers, bad inputs and
//! bad bank lines; exact labels, distances, error codes and exit statuses.
//! Built with the `gpu` feature, the same tests also run the tensor engine
//! on the CPU (`--device torch-cpu`) and check it answers as the CPU engine.
//!
//! Run: `cargo test -p hallmark-cli --test feed`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "cli/support.rs"]
#[allow(dead_code)]
mod support;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use support::{corpus, fixture, hallmark, write, RunExt};

/// `hallmark hash --json FILE`'s PDQ: the full-decode hash, an independent
/// path from the feed's scaled decode.
fn pdq_of(path: &Path) -> String {
    let run = hallmark().args(["hash", "--json"]).arg(path).run();
    run.expect_code(0);
    run.json()["pdq"].as_str().unwrap().to_string()
}

fn distance(a: &str, b: &str) -> u32 {
    let a = hex_bits(a);
    let b = hex_bits(b);
    a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

fn hex_bits(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn rgb(path: &Path) -> image::RgbImage {
    image::open(path).unwrap().to_rgb8()
}

fn save_jpeg(img: &image::RgbImage, quality: u8, dir: &Path, name: &str) -> PathBuf {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .unwrap();
    write(dir, name, &out.into_inner())
}

fn save_png(img: &image::RgbImage, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    img.save_with_format(&path, image::ImageFormat::Png)
        .unwrap();
    path
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    fakes: PathBuf,
    originals: PathBuf,
    bridge_pdq: String,
    pen_pdq: String,
}

/// Two banks: the bridge as a known fake (TSV with its own label) and the pen
/// as a known original (labelled on the command line).
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let bridge_pdq = pdq_of(&corpus("pdq/bridge-1-original.png"));
    let pen_pdq = pdq_of(&corpus("pdq/pen-and-coaster.png"));
    let fakes = write(
        &dir,
        "fakes.tsv",
        format!("# pdq\tlabel\tnote\n{bridge_pdq}\tknown-fake\tfact-check 2026-114\n").as_bytes(),
    );
    let originals = write(
        &dir,
        "originals.tsv",
        format!("{pen_pdq}\t\tstudio shot\n").as_bytes(),
    );
    Setup {
        _tmp: tmp,
        dir,
        fakes,
        originals,
        bridge_pdq,
        pen_pdq,
    }
}

fn classify(s: &Setup, device: &str, inputs: &[&Path], extra: &[&str]) -> support::Run {
    hallmark()
        .args(["feed", "classify", "--device", device, "--bank"])
        .arg(&s.fakes)
        .arg("--bank")
        .arg(format!("known-original={}", s.originals.display()))
        .args(extra)
        .args(inputs)
        .run()
}

fn devices() -> Vec<&'static str> {
    if cfg!(feature = "gpu") {
        vec!["cpu", "torch-cpu"]
    } else {
        vec!["cpu"]
    }
}

#[test]
fn copies_get_the_bank_label_and_distance_strangers_are_unknown() {
    let s = setup();
    let bridge = rgb(&corpus("pdq/bridge-1-original.png"));
    let pen = rgb(&corpus("pdq/pen-and-coaster.png"));
    let bridge_q50 = save_jpeg(&bridge, 50, &s.dir, "bridge-q50.jpg");
    let half = image::imageops::resize(&bridge, 800, 502, image::imageops::FilterType::Triangle);
    let bridge_half = save_png(&half, &s.dir, "bridge-half.png");
    let small_pen = image::imageops::resize(&pen, 300, 239, image::imageops::FilterType::Lanczos3);
    let pen_small = save_jpeg(&small_pen, 75, &s.dir, "pen-small.jpg");
    let stranger = corpus("pdq/c.png");
    let stranger_jpeg = fixture("signed/newsroom.jpg");
    let featureless = corpus("pdq/small.jpg");
    let inputs = [
        bridge_q50.as_path(),
        &bridge_half,
        &pen_small,
        &stranger,
        &stranger_jpeg,
        &featureless,
    ];
    let mut outputs = Vec::new();
    for device in devices() {
        let run = classify(&s, device, &inputs, &[]);
        run.expect_code(0);
        let lines = run.json_lines();
        assert_eq!(lines.len(), 6, "{run:#?}");
        let label = |i: usize| lines[i]["label"].as_str().unwrap().to_string();
        assert_eq!(
            (0..6).map(label).collect::<Vec<_>>(),
            [
                "known-fake",
                "known-fake",
                "known-original",
                "unknown",
                "unknown",
                "low-quality"
            ]
        );
        // In input order, with the paths as given.
        for (line, input) in lines.iter().zip(inputs) {
            assert_eq!(line["path"], input.display().to_string());
            assert_eq!(line["error"], Value::Null);
        }
        // The distance is the Hamming distance between the copy's hash and the bank's.
        for (i, bank_pdq, note) in [
            (0, &s.bridge_pdq, "fact-check 2026-114"),
            (1, &s.bridge_pdq, "fact-check 2026-114"),
            (2, &s.pen_pdq, "studio shot"),
        ] {
            let m = &lines[i]["match"];
            assert_eq!(m["pdq"], bank_pdq.as_str());
            assert_eq!(m["note"], note);
            let d = distance(lines[i]["pdq"].as_str().unwrap(), bank_pdq);
            assert_eq!(m["distance"], d);
            assert!(d <= 31 && d > 0, "a copy is near but not identical: {d}");
        }
        assert_eq!(lines[0]["match"]["bank"], s.fakes.display().to_string());
        assert_eq!(lines[2]["match"]["bank"], s.originals.display().to_string());
        // A PNG is decoded fully: its hash is `hallmark hash`'s.
        assert_eq!(lines[1]["pdq"], pdq_of(&bridge_half).as_str());
        assert_eq!(lines[5]["quality"], 0);
        assert_eq!(lines[5]["match"], Value::Null);
        // Provenance: the signed newsroom photo verifies; the rest are unsigned.
        assert_eq!(lines[4]["provenance"]["verdict"], "valid");
        assert_eq!(lines[4]["provenance"]["signer"]["name"], "Jane Doe");
        assert_eq!(lines[0]["provenance"]["verdict"], "unsigned");
        // The whole report, as `hallmark verify --json` gives it (the feed
        // carried four of its fields before).
        for i in [0, 4] {
            let verify = hallmark().args(["verify", "--json"]).arg(inputs[i]).run();
            assert_eq!(
                lines[i]["provenance"],
                verify.json(),
                "{}",
                inputs[i].display()
            );
        }
        outputs.push(run.stdout.clone());
    }
    // The tensor engine answers exactly as the CPU engine on these files.
    if outputs.len() == 2 {
        assert_eq!(outputs[0], outputs[1]);
    }
}

#[test]
fn a_tight_threshold_leaves_copies_unknown() {
    let s = setup();
    let bridge = rgb(&corpus("pdq/bridge-1-original.png"));
    let q50 = save_jpeg(&bridge, 50, &s.dir, "bridge-q50.jpg");
    let run = classify(&s, "cpu", &[&q50], &[]);
    let d = run.json()["match"]["distance"].as_u64().unwrap();
    assert!(d > 0);
    let under = (d - 1).to_string();
    let run = classify(&s, "cpu", &[&q50], &["--threshold", &under]);
    run.expect_code(0);
    assert_eq!(run.json()["label"], "unknown");
    let at = d.to_string();
    let run = classify(&s, "cpu", &[&q50], &["--threshold", &at]);
    assert_eq!(run.json()["label"], "known-fake");
}

#[test]
fn bad_inputs_and_bad_bank_lines_become_error_lines_and_the_stream_goes_on() {
    let s = setup();
    let truncated = {
        let bytes = std::fs::read(corpus("pdq/wee.jpg")).unwrap();
        write(&s.dir, "truncated.jpg", &bytes[..bytes.len() / 2])
    };
    let text = write(&s.dir, "notes.txt", b"not an image");
    let bad_bank = write(
        &s.dir,
        "bad.tsv",
        format!(
            "{}\tknown-fake\nzz\tknown-fake\n\n{}x\tknown-fake\n",
            s.bridge_pdq, s.bridge_pdq
        )
        .as_bytes(),
    );
    let stdin = format!(
        "{}\n{{\"path\": \"{}\", \"id\": \"post-17\"}}\n/no/such/file.jpg\n{{oops\n\n{}\n{}\n{}\n\"{}\"\n",
        truncated.display(),
        corpus("pdq/c.png").display(),
        s.dir.display(),
        text.display(),
        "x".repeat(70_000),
        corpus("pdq/bridge-1-original.jpg").display(),
    );
    for device in devices() {
        let mut child = hallmark()
            .args(["feed", "classify", "-", "--device", device, "--bank"])
            .arg(&bad_bank)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let run = support::Run {
            code: out.status.code(),
            signal: None,
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        run.expect_code(4);
        let lines = run.json_lines();
        // Two bank problems first, then one record per input line (the blank one skipped).
        let codes: Vec<(Option<u64>, String)> = lines
            .iter()
            .map(|l| {
                (
                    l["line"].as_u64(),
                    l["error"]["code"].as_str().unwrap_or("-").to_string(),
                )
            })
            .collect();
        let expected: Vec<(Option<u64>, String)> = [
            (2, "bank.line"),
            (4, "bank.line"),
            (1, "format.malformed"),
            (2, "-"),
            (3, "io.read"),
            (4, "feed.input"),
            (6, "io.read"),
            (7, "format.unrecognized"),
            (8, "feed.input"),
            (9, "-"),
        ]
        .iter()
        .map(|(n, c)| (Some(*n), c.to_string()))
        .collect();
        assert_eq!(codes, expected, "{run:#?}");
        assert_eq!(lines[0]["bank"], bad_bank.display().to_string());
        assert_eq!(lines[3]["id"], "post-17");
        assert_eq!(lines[3]["label"], "unknown");
        assert_eq!(lines[9]["label"], "known-fake");
        // The JPEG of the same picture, decoded at 1/4 scale: 2 bits from the PNG's hash.
        assert_eq!(lines[9]["match"]["distance"], 2);
        assert!(run.stderr.contains("(2 bad lines skipped)"), "{run:#?}");
    }
}

#[test]
fn a_sqlite_bank_is_read_like_a_tsv_bank() {
    let s = setup();
    let db = s.dir.join("bank.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE hashes(pdq, label TEXT, note TEXT)")
        .unwrap();
    conn.execute(
        "INSERT INTO hashes VALUES (?1, 'known-fake', 'from sqlite')",
        [&s.bridge_pdq],
    )
    .unwrap();
    conn.execute("INSERT INTO hashes VALUES ('nope', 'x', NULL)", [])
        .unwrap();
    // The pen as a 32-byte blob: lanes little-endian (bit k of the hash is bit k%64 of lane k/64).
    let words: Vec<u16> = (0..16)
        .map(|i| u16::from_str_radix(&s.pen_pdq[64 - 4 * (i + 1)..64 - 4 * i], 16).unwrap())
        .collect();
    let blob: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    conn.execute(
        "INSERT INTO hashes VALUES (?1, 'known-original', NULL)",
        [&blob],
    )
    .unwrap();
    drop(conn);
    let run = hallmark()
        .args(["feed", "classify", "--device", "cpu", "--bank"])
        .arg(&db)
        .arg(corpus("pdq/bridge-1-original.png"))
        .arg(corpus("pdq/pen-and-coaster.png"))
        .run();
    run.expect_code(0);
    let lines = run.json_lines();
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["error"]["code"], "bank.line");
    assert_eq!(lines[1]["label"], "known-fake");
    assert_eq!(lines[1]["match"]["note"], "from sqlite");
    assert_eq!(lines[2]["label"], "known-original");
    assert_eq!(lines[2]["match"]["distance"], 0);
}

#[test]
fn a_registry_labels_stripped_copies_known_original_and_recovers_them() {
    let s = setup();
    let db = s.dir.join("registry.db");
    hallmark()
        .args(["registry", "add"])
        .arg(fixture("signed/newsroom.jpg"))
        .arg("--db")
        .arg(&db)
        .arg("--trust")
        .arg(fixture("keys/newsroom/root.pem"))
        .run()
        .expect_code(0);
    let img = rgb(&fixture("signed/newsroom.jpg"));
    let stripped = save_jpeg(&img, 70, &s.dir, "reposted.jpg");
    let run = classify(
        &s,
        "cpu",
        &[&stripped],
        &["--registry", db.to_str().unwrap()],
    );
    run.expect_code(0);
    let line = run.json();
    assert_eq!(line["label"], "known-original");
    assert_eq!(line["match"]["bank"], db.display().to_string());
    assert!(line["match"]["note"]
        .as_str()
        .unwrap()
        .starts_with("Jane Doe (Example News)"));
    // Recovered as `hallmark verify --registry` recovers it: the original's
    // signer under `recovered`, never as this file's signer.
    let p = &line["provenance"];
    assert_eq!(p["verdict"], "recovered");
    assert_eq!(p["signer"], Value::Null);
    assert_eq!(p["recovered"]["signer"]["name"], "Jane Doe");
    assert_eq!(p["recovered"]["pixel_digest_match"], false);
    assert_eq!(p["recovered"]["distance"], line["match"]["distance"]);
    let verify = hallmark()
        .args(["verify", "--json", "--registry"])
        .arg(&db)
        .arg(&stripped)
        .run();
    let verified = verify.json();
    assert_eq!(verified["verdict"], "recovered");
    for key in [
        "signer",
        "registered_verdict",
        "asset_blake3",
        "signed_at",
        "ai_generated",
    ] {
        assert_eq!(p["recovered"][key], verified["recovered"][key], "{key}");
    }
    let summary = p["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Credentials recovered from the registry: a similar picture ("),
        "{summary}"
    );
}

#[test]
fn usage_errors_have_codes() {
    let s = setup();
    let empty = write(&s.dir, "empty.tsv", b"# nothing\n");
    hallmark()
        .args(["feed", "classify", "x.jpg", "--bank"])
        .arg(&empty)
        .run()
        .expect_error("bank.empty", 2);
    hallmark()
        .args(["feed", "classify", "x.jpg", "--bank", "/no/such/bank.tsv"])
        .run()
        .expect_error("bank.unreadable", 2);
    hallmark()
        .args(["feed", "classify", "x.jpg", "--threshold", "200", "--bank"])
        .arg(&s.fakes)
        .run()
        .expect_code(2);
    let cuda = hallmark()
        .args(["feed", "classify", "x.jpg", "--device", "cuda", "--bank"])
        .arg(&s.fakes)
        .run();
    if cfg!(feature = "gpu") {
        // Without a CUDA device: a usage error. With one: x.jpg can't be read.
        if cuda.code == Some(2) {
            cuda.expect_error("feed.no_cuda", 2);
        } else {
            cuda.expect_code(4);
            assert_eq!(cuda.json()["error"]["code"], "io.read");
        }
    } else {
        cuda.expect_error("feed.no_gpu_feature", 2);
    }
}

#[test]
fn a_video_in_a_feed_gets_its_provenance_and_its_vpdq_hash() {
    // Before, a video was `format.unsupported`: feeds hashed no video.
    let s = setup();
    let video = corpus("c2pa-rs/media/video1.mp4");
    let run = classify(&s, "cpu", &[&video], &[]);
    run.expect_code(0);
    let line = run.json();
    assert_eq!(line["error"], Value::Null, "{line}");
    assert_eq!(
        (&line["pdq"], &line["quality"]),
        (&Value::Null, &Value::Null)
    );
    // A frame a second of a 2-second video; no bank video to match.
    assert_eq!(line["vpdq_frames"], 2);
    assert_eq!(line["label"], "unknown");
    assert_eq!(line["match"], Value::Null);
    // The whole report, as `hallmark verify --json` gives it.
    let verify = hallmark().args(["verify", "--json"]).arg(&video).run();
    assert_eq!(line["provenance"], verify.json());
    assert_eq!(line["provenance"]["verdict"], "valid");
}

/// Videos in a feed on every engine: the tensor engine hashes their frames in
/// batches on the device and answers as the CPU engine does. Before, a video
/// on the tensor engine was hashed on the CPU, whatever `--device` said.
#[test]
fn videos_match_their_bank_videos_alike_on_every_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let bank = tmp.path().join("bank");
    for (from, to) in [
        ("chair-orig-22-sd-bar", "known-fake/chair-orig"),
        ("doorknob-hd-no-bar", "known-original/doorknob"),
    ] {
        let to = bank.join(format!("{to}.vpdq.txt"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(corpus(&format!("vpdq/{from}.vpdq.txt")), to).unwrap();
    }
    let chair = corpus("vpdq/chair-20-sd-bar.mp4");
    let door = corpus("vpdq/doorknob-hd-no-bar.mp4");
    let mut answers = Vec::new();
    for device in devices() {
        let run = hallmark()
            .args([
                "feed",
                "classify",
                "--no-provenance",
                "--device",
                device,
                "--bank",
            ])
            .arg(&bank)
            .arg(&chair)
            .arg(&door)
            .run();
        run.expect_code(0);
        let engine = if device == "cpu" {
            "cpu"
        } else {
            "cpu (libtorch)"
        };
        assert!(
            run.stderr.contains(&format!(" on {engine}")),
            "{device}: {}",
            run.stderr
        );
        let lines = run.json_lines();
        assert_eq!(lines.len(), 2, "{device}: {}", run.stdout);
        let (c, d) = (&lines[0], &lines[1]);
        assert_eq!(c["label"], "known-fake", "{device}: {c}");
        assert_eq!(c["vpdq_frames"], 21);
        assert_eq!(c["match"]["video"], "known-fake/chair-orig.vpdq.txt");
        assert_eq!(c["match"]["query_match_percent"], 100.0);
        assert_eq!(c["match"]["compared_match_percent"], 25.52870090634441);
        assert_eq!(d["label"], "known-original", "{device}: {d}");
        assert_eq!(d["vpdq_frames"], 4);
        assert_eq!(d["match"]["query_match_percent"], 100.0);
        answers.push(lines);
    }
    // Every key of every record, the same on both engines.
    if let [cpu, torch] = &answers[..] {
        assert_eq!(cpu, torch);
    }
}
