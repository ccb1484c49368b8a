//! Videos in `hallmark hash`, `compare` and `match`: vPDQ, run as a user
//! would, against Meta's own hashes of Meta's sample videos
//! (`../shared/corpus/vpdq/`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is a failed test

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[path = "cli/support.rs"]
#[allow(dead_code)]
mod support;
use support::{encode_video as encode, ffmpeg};

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus")
        .join(name)
}

fn vpdq(name: &str) -> PathBuf {
    corpus(&format!("vpdq/{name}"))
}

/// The CLI under test, with no user configuration.
fn hallmark_command<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hallmark"));
    command
        .env("HALLMARK_CONFIG_DIR", "/nonexistent/hallmark-test-config")
        .args(args);
    command
}

fn hallmark<S: AsRef<OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = hallmark_command(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Meta's hash file: (frame, quality, pdq hex, time) a line.
fn reference(name: &str) -> Vec<(u64, u64, String, f64)> {
    std::fs::read_to_string(vpdq(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].to_string(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn distance(a: &str, b: &str) -> u32 {
    let a = hex_bytes(a);
    let b = hex_bytes(b);
    a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn hash_json_gives_every_frame_as_metas_reference_does() {
    let video = vpdq("chair-19-sd-bar.mp4");
    let (code, out, err) = hallmark(&[
        "hash".as_ref(),
        "--json".as_ref(),
        "--seconds-per-hash".as_ref(),
        "0".as_ref(),
        video.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["format"], "video/mp4");
    assert_eq!(v["seconds_per_hash"], 0.0);
    assert_eq!(v["codec"], "h264");
    let frames = v["vpdq"].as_array().unwrap();
    let expected = reference("chair-19-sd-bar.vpdq.txt");
    assert_eq!(frames.len(), expected.len());
    assert_eq!(v["frames_decoded"], expected.len() as u64);
    assert_eq!(v["frames_skipped"], 0, "every frame is sampled");
    let mut near = 0;
    for (f, (frame, _, pdq, time)) in frames.iter().zip(&expected) {
        assert_eq!(f["frame"], *frame);
        assert_eq!(f["time"].as_f64().unwrap(), *time);
        if distance(f["pdq"].as_str().unwrap(), pdq) <= 31 {
            near += 1;
        }
        assert_eq!(
            f.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["frame", "time", "pdq", "quality"]
        );
    }
    assert!(
        near * 100 >= expected.len() * 99,
        "{near} of {}",
        expected.len()
    );
}

#[test]
fn sampling_once_a_second_keeps_every_frame_mod_th_frame() {
    let video = vpdq("chair-19-sd-bar.mp4");
    let (code, out, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), video.as_os_str()]);
    assert_eq!(code, 0);
    let v = json(&out);
    let every = v["frame_rate"].as_f64().unwrap().trunc() as u64;
    let frames: Vec<u64> = v["vpdq"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["frame"].as_u64().unwrap())
        .collect();
    let decoded = v["frames_decoded"].as_u64().unwrap();
    let expected: Vec<u64> = (0..decoded).filter(|n| n % every == 0).collect();
    assert_eq!(frames, expected);
    assert_eq!(v["seconds_per_hash"], 1.0);
    // 229 of its 564 frames are neither sampled nor referred to, and are
    // never decoded (before, every frame was); the hashes are those of the
    // same frames hashed at every frame.
    assert_eq!((decoded, &v["frames_skipped"]), (564, &Value::from(229)));
    let (_, all, _) = hallmark(&[
        "hash".as_ref(),
        "--json".as_ref(),
        "--seconds-per-hash".as_ref(),
        "0".as_ref(),
        video.as_os_str(),
    ]);
    let all = json(&all);
    for f in v["vpdq"].as_array().unwrap() {
        let n = f["frame"].as_u64().unwrap() as usize;
        assert_eq!(f, &all["vpdq"][n], "frame {n}");
    }
    // An AVI's packets carry no presentation times: every frame is decoded.
    let tmp = tempfile::tempdir().unwrap();
    let avi = tmp.path().join("b-frames.avi");
    encode(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=25:duration=3",
            "-bf",
            "2",
        ],
        &avi,
    );
    let (code, out, err) = hallmark(&["hash".as_ref(), "--json".as_ref(), avi.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(
        (&v["frames_decoded"], &v["frames_skipped"]),
        (&Value::from(75), &Value::from(0))
    );
    assert_eq!(v["vpdq"].as_array().unwrap().len(), 3);
}

#[test]
fn the_vpdq_format_round_trips_through_compare_and_match() {
    let dir = tempfile::tempdir().unwrap();
    let video = vpdq("pattern-sd-grey-bar.mp4");
    let text = dir.path().join("pattern.vpdq.txt");
    let (code, _, err) = hallmark(&[
        "hash".as_ref(),
        "--format".as_ref(),
        "vpdq".as_ref(),
        video.as_os_str(),
        "-o".as_ref(),
        text.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(&text).unwrap();
    let first = written.lines().next().unwrap();
    assert!(first.starts_with("0,"), "{first}");
    assert!(first.ends_with(",0.000"), "{first}");
    // `hash` reads the hash file back to the same frames.
    let (_, from_video, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), video.as_os_str()]);
    let (_, from_text, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), text.as_os_str()]);
    let (a, b) = (json(&from_video), json(&from_text));
    assert_eq!(a["vpdq"], b["vpdq"]);
    assert_eq!(b["format"], "text/x-vpdq");
    assert_eq!(b["codec"], Value::Null);
    // The video against its own hash file: everything matches, at offset 0.
    let (code, out, _) = hallmark(&[
        "compare".as_ref(),
        "--json".as_ref(),
        video.as_os_str(),
        text.as_os_str(),
    ]);
    assert_eq!(code, 0);
    let c = json(&out);
    assert_eq!(c["match"], true);
    assert_eq!(c["query_match_percent"], 100.0);
    assert_eq!(c["compared_match_percent"], 100.0);
    let segments = c["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 1, "{segments:?}");
    assert_eq!(segments[0]["query_start"], segments[0]["compared_start"]);
    assert_eq!(segments[0]["query_end"], segments[0]["compared_end"]);
}

#[test]
fn compare_decides_as_metas_hashes_do_and_exits_1_on_no_match() {
    // Our hash of one chair video against Meta's hash of another cut of it.
    let (code, out, err) = hallmark(&[
        "compare".as_ref(),
        "--json".as_ref(),
        vpdq("chair-20-sd-bar.mp4").as_os_str(),
        vpdq("chair-orig-22-sd-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let c = json(&out);
    assert_eq!(c["match"], true);
    assert!(c["query_match_percent"].as_f64().unwrap() >= 80.0, "{c}");
    assert_eq!(
        c["query"],
        vpdq("chair-20-sd-bar.mp4").display().to_string()
    );
    // A chair is not a pattern.
    let (code, out, _) = hallmark(&[
        "compare".as_ref(),
        vpdq("chair-20-sd-bar.vpdq.txt").as_os_str(),
        vpdq("pattern-hd-no-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("○ no match  "), "{out}");
    assert!(out.contains("  query:      0.0 % of "), "{out}");
    // The thresholds are flags: at 0 % and 0 % anything matches.
    let (code, out, _) = hallmark(&[
        "compare".as_ref(),
        "--json".as_ref(),
        "--query-percent".as_ref(),
        "0".as_ref(),
        vpdq("chair-20-sd-bar.vpdq.txt").as_os_str(),
        vpdq("pattern-hd-no-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(json(&out)["query_match_percent"], 0.0);
}

#[test]
fn pictures_compare_as_one_frame_videos() {
    let pdq = |name: &str| corpus(&format!("pdq/{name}"));
    let (code, out, _) = hallmark(&[
        "compare".as_ref(),
        "--json".as_ref(),
        pdq("bridge-1-original.jpg").as_os_str(),
        pdq("bridge-1-original.png").as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}");
    let c = json(&out);
    assert_eq!(
        (c["query_frames"].as_u64(), c["compared_frames"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(c["query_match_percent"], 100.0);
    // A picture against a video it is not in.
    let (code, _, _) = hallmark(&[
        "compare".as_ref(),
        pdq("bridge-1-original.jpg").as_os_str(),
        vpdq("chair-19-sd-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!(code, 1);
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

#[test]
fn match_against_a_video_bank_names_the_known_video_and_its_seconds() {
    let bank = tempfile::tempdir().unwrap();
    copy(
        &vpdq("chair-orig-22-sd-bar.vpdq.txt"),
        &bank.path().join("known-fake/chair-orig.vpdq.txt"),
    );
    copy(
        &vpdq("pattern-hd-no-bar.vpdq.txt"),
        &bank.path().join("known-original/pattern.vpdq.txt"),
    );
    std::fs::write(bank.path().join("broken.vpdq.txt"), "0,100,not-hex,0.000\n").unwrap();
    let (code, out, err) = hallmark(&[
        "match".as_ref(),
        "--json".as_ref(),
        "--bank".as_ref(),
        bank.path().as_os_str(),
        vpdq("chair-20-sd-bar.mp4").as_os_str(),
        vpdq("doorknob-hd-no-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning [bank.line]: ")
            && err.contains(
                "broken.vpdq.txt: line 1: the PDQ hash is not 64 hex digits (file skipped)"
            ),
        "{err}"
    );
    let records: Vec<Value> = out.lines().map(json).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["label"], "known-fake");
    let m = &records[0]["matches"][0];
    assert_eq!(m["file"], "known-fake/chair-orig.vpdq.txt");
    assert_eq!(m["note"], "chair-orig");
    assert_eq!(m["match"], true);
    assert!(!m["segments"].as_array().unwrap().is_empty());
    assert_eq!(records[0]["matches"].as_array().unwrap().len(), 1);
    assert_eq!(records[1]["label"], "unknown");
    assert_eq!(records[1]["matches"], serde_json::json!([]));
    // The text form names the bank file and the matching seconds.
    let (_, text, _) = hallmark(&[
        "match".as_ref(),
        "--bank".as_ref(),
        bank.path().as_os_str(),
        vpdq("chair-20-sd-bar.vpdq.txt").as_os_str(),
    ]);
    assert!(text.starts_with("● known-fake   "), "{text}");
    assert!(
        text.contains(" of its frames match known-fake/chair-orig.vpdq.txt ("),
        "{text}"
    );
    assert!(text.contains("\n    00:"), "{text}");
}

/// `feed classify` with videos, video hash files and a featureless video,
/// against a bank folder and a SQLite `videos` table: each record's label,
/// percentages, seconds and bank, equal to what `compare` says of the pair.
#[test]
fn feed_classify_matches_videos_against_bank_folders_and_sqlite_videos() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("bank");
    copy(
        &vpdq("chair-orig-22-sd-bar.vpdq.txt"),
        &folder.join("known-fake/chair-orig.vpdq.txt"),
    );
    copy(
        &vpdq("pattern-hd-no-bar.vpdq.txt"),
        &folder.join("pattern.vpdq.txt"),
    );
    let db = tmp.path().join("videos.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE videos(vpdq TEXT, label TEXT, note TEXT)")
        .unwrap();
    conn.execute(
        "INSERT INTO videos VALUES ('0,100,zz,0.000', 'x', NULL)",
        [],
    )
    .unwrap();
    let doorknob = std::fs::read_to_string(vpdq("doorknob-hd-no-bar.vpdq.txt")).unwrap();
    conn.execute(
        "INSERT INTO videos VALUES (?1, 'known-original', 'doorknob from the wire')",
        [&doorknob],
    )
    .unwrap();
    drop(conn);
    let flat = tmp.path().join("flat.mp4");
    encode(&["-f", "lavfi", "-i", "color=gray:s=64x64:d=2:r=25"], &flat);

    let feed = |extra: &[&OsStr]| {
        let mut args: Vec<&OsStr> = ["feed", "classify", "--no-provenance", "--bank"]
            .map(OsStr::new)
            .to_vec();
        args.push(folder.as_os_str());
        args.push(OsStr::new("--bank"));
        args.push(db.as_os_str());
        args.extend_from_slice(extra);
        hallmark(&args)
    };
    let chair = vpdq("chair-20-sd-bar.mp4");
    let door = vpdq("doorknob-hd-no-bar.mp4");
    let pattern = vpdq("pattern-sd-grey-bar.vpdq.txt");
    let (code, out, err) = feed(&[
        chair.as_os_str(),
        door.as_os_str(),
        pattern.as_os_str(),
        flat.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("hallmark: feed: 0 hashes and 3 videos from 2 bank(s) (1 bad lines skipped)"),
        "{err}"
    );
    let lines: Vec<Value> = out.lines().map(json).collect();
    assert_eq!(lines.len(), 5, "{out}");
    // The bad row first, by its row id.
    assert_eq!(lines[0]["bank"], db.display().to_string());
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["error"]["code"], "bank.line");
    // The known fake, as `compare` says of the same pair.
    let r = &lines[1];
    assert_eq!(r["label"], "known-fake");
    assert_eq!(r["vpdq_frames"], 21);
    assert_eq!((&r["pdq"], &r["quality"]), (&Value::Null, &Value::Null));
    let m = &r["match"];
    assert_eq!(m["video"], "known-fake/chair-orig.vpdq.txt");
    assert_eq!(m["note"], "chair-orig");
    assert_eq!(m["bank"], folder.display().to_string());
    assert_eq!((&m["distance"], &m["pdq"]), (&Value::Null, &Value::Null));
    assert_eq!(m["query_match_percent"], 100.0);
    assert_eq!(m["compared_match_percent"], 25.52870090634441);
    let (_, compared, _) = hallmark(&[
        "compare".as_ref(),
        "--json".as_ref(),
        chair.as_os_str(),
        vpdq("chair-orig-22-sd-bar.vpdq.txt").as_os_str(),
    ]);
    let compared = json(&compared);
    assert_eq!(
        m["compared_match_percent"],
        compared["compared_match_percent"]
    );
    assert_eq!(m["segments"], compared["segments"]);
    assert_eq!(m["segments"][0]["compared_end"], 22.0);
    // The SQLite row, by its row id.
    let r = &lines[2];
    assert_eq!(r["label"], "known-original");
    assert_eq!(r["vpdq_frames"], 4);
    assert_eq!(r["match"]["video"], "videos row 2");
    assert_eq!(r["match"]["note"], "doorknob from the wire");
    assert_eq!(r["match"]["bank"], db.display().to_string());
    assert_eq!(r["match"]["query_match_percent"], 100.0);
    // A hash file is the video it stands for: the SD pattern is not the HD one.
    assert_eq!(lines[3]["label"], "unknown");
    assert_eq!(lines[3]["vpdq_frames"], 206);
    assert_eq!(lines[3]["match"], Value::Null);
    // A flat grey video: two frames (one a second), neither of quality 50.
    assert_eq!(lines[4]["label"], "low-quality");
    assert_eq!(lines[4]["vpdq_frames"], 2);
    assert_eq!(lines[4]["error"], Value::Null);

    // The percentages are flags: 25.5 % of the bank video is under 30 %, so
    // the chair is unknown, and so is the doorknob (4 frames of the 120 its
    // bank row holds); hashed at every frame, 98.8 % of the chair matches.
    let thirty = ["--compared-percent", "30"].map(OsStr::new);
    let (code, out, err) = feed(&[thirty[0], thirty[1], chair.as_os_str(), door.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out.lines().skip(1).map(json).collect();
    assert_eq!(lines[0]["label"], "unknown");
    assert_eq!(lines[1]["label"], "unknown");
    let every = ["--seconds-per-hash", "0"].map(OsStr::new);
    let (code, out, err) = feed(&[every[0], every[1], thirty[0], thirty[1], chair.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out.lines().skip(1).map(json).collect();
    assert_eq!(lines[0]["label"], "known-fake");
    assert_eq!(lines[0]["vpdq_frames"], 614);
    assert_eq!(
        lines[0]["match"]["compared_match_percent"],
        98.79154078549848
    );
}

/// A registry holding a signed video recovers a stripped, re-encoded,
/// resized copy of it by vPDQ (verify, lookup, feed), and nothing else; a
/// registry of schema version 1 (no videos) is brought up to date when opened.
/// Before, `registry add` refused a video (`format.unsupported`).
#[test]
fn a_stripped_copy_of_a_registered_video_is_recovered_by_vpdq() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("registry.db");
    let signed = corpus("c2pa-rs/media/video1.mp4");
    // A version 1 registry holding a picture (made now, then taken back to
    // version 1, which had no video table, manifest ids, bindings or log).
    let (code, _, err) = hallmark(&[
        "registry".as_ref(),
        "add".as_ref(),
        "--allow-valid".as_ref(),
        corpus("c2pa-rs/CA.jpg").as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TABLE video_hashes; DROP TABLE bindings; DROP TABLE registry_log; DROP INDEX manifests_manifest_id; \
         ALTER TABLE manifests DROP COLUMN manifest_id; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let (code, out, err2) = hallmark(&[
        "registry".as_ref(),
        "add".as_ref(),
        "--json".as_ref(),
        "--allow-valid".as_ref(),
        signed.as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err2}");
    let added = json(&out);
    assert_eq!(added["status"], "added");
    let entry = &added["entry"];
    assert_eq!(entry["format"], "video/mp4");
    assert_eq!(
        (&entry["width"], &entry["height"]),
        (&Value::from(720), &Value::from(1280))
    );
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    // Brought up to date, the picture registered before has its manifest id.
    let id: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT manifest_id FROM manifests WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(id.contains("urn:"), "{id}");

    // Stripped of its credentials: re-encoded as MPEG-4 at half the width.
    let stripped = tmp.path().join("reposted.mp4");
    let signed_s = signed.to_str().unwrap();
    encode(
        &["-i", signed_s, "-map", "0:v", "-vf", "scale=360:-2"],
        &stripped,
    );
    let (code, out, err) = hallmark(&[
        "verify".as_ref(),
        "--json".as_ref(),
        "--registry".as_ref(),
        db.as_os_str(),
        "--accept-similar".as_ref(),
        stripped.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let report = json(&out);
    assert_eq!(report["verdict"], "recovered", "{report}");
    let r = &report["recovered"];
    assert_eq!(r["match"], "similar_video");
    assert_eq!(r["asset_blake3"], entry["asset_blake3"]);
    assert_eq!(r["title"], "My Title");
    assert_eq!(r["distance"], 31);
    assert_eq!(r["video"]["query_match_percent"], 100.0);
    assert_eq!(r["video"]["compared_match_percent"], 100.0);
    assert_eq!(r["video"]["segments"][0]["query_end"], 1.0);
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("a similar video: 100.0 % of this video's frames match one signed by "),
        "{report}"
    );
    let (code, out, _) = hallmark(&[
        "registry".as_ref(),
        "lookup".as_ref(),
        stripped.as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("  similar video: 100.0 % of its frames match  entry "),
        "{out}"
    );
    assert!(
        out.contains("\n    00:00–00:01 = 00:00–00:01 of entry "),
        "{out}"
    );

    // In a feed: known-original, and the provenance recovered.
    let bank = tmp.path().join("bank");
    copy(
        &vpdq("pattern-hd-no-bar.vpdq.txt"),
        &bank.join("pattern.vpdq.txt"),
    );
    let (code, out, err) = hallmark(&[
        "feed".as_ref(),
        "classify".as_ref(),
        "--bank".as_ref(),
        bank.as_os_str(),
        "--registry".as_ref(),
        db.as_os_str(),
        stripped.as_os_str(),
        vpdq("doorknob-hd-no-bar.mp4").as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out.lines().map(json).collect();
    assert_eq!(lines[0]["label"], "known-original");
    let m = &lines[0]["match"];
    assert_eq!(m["video"], format!("registry entry {}", entry["id"]));
    assert_eq!(m["bank"], db.display().to_string());
    assert_eq!(m["query_match_percent"], 100.0);
    assert_eq!(lines[0]["provenance"]["verdict"], "recovered");
    // A stranger's video is no one's original.
    assert_eq!(lines[1]["label"], "unknown");
    assert_eq!(lines[1]["provenance"]["verdict"], "unsigned");
    let (code, out, _) = hallmark(&[
        "registry".as_ref(),
        "lookup".as_ref(),
        vpdq("doorknob-hd-no-bar.mp4").as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("  no match\n"), "{out}");
}

#[test]
fn an_empty_video_bank_is_a_usage_error() {
    let bank = tempfile::tempdir().unwrap();
    let (code, _, err) = hallmark(&[
        "match".as_ref(),
        "--bank".as_ref(),
        bank.path().as_os_str(),
        vpdq("chair-20-sd-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("error [bank.empty]: "), "{err}");
}

#[test]
fn bad_hash_files_and_bad_flags_are_refused_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(vpdq("chair-19-sd-bar.vpdq.txt")).unwrap();
    let mut lines: Vec<&str> = good.lines().take(5).collect();
    lines[3] = "3,100,abc,0.100";
    let bad = dir.path().join("bad.vpdq.txt");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (code, out, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), bad.as_os_str()]);
    assert_eq!(code, 4);
    let e = json(&out);
    assert_eq!(e["error"]["code"], "format.malformed");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("not a vPDQ hash file: line 4: "),
        "{e}"
    );
    let (code, _, err) = hallmark(&[
        "compare".as_ref(),
        bad.as_os_str(),
        vpdq("chair-19-sd-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!(code, 4);
    assert!(err.contains("error [format.malformed]: "), "{err}");
    // --format vpdq has no room for more than one file.
    let (code, out, err) = hallmark(&[
        "hash".as_ref(),
        "--format".as_ref(),
        "vpdq".as_ref(),
        vpdq("chair-19-sd-bar.vpdq.txt").as_os_str(),
        vpdq("chair-20-sd-bar.vpdq.txt").as_os_str(),
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("error [usage]: --format vpdq writes the hash of one file"),
        "{err}"
    );
    for (flag, value) in [
        ("--seconds-per-hash", "-1"),
        ("--seconds-per-hash", "NaN"),
        ("--seconds-per-hash", "inf"),
    ] {
        let (code, _, _) = hallmark(&[
            "hash".as_ref(),
            flag.as_ref(),
            value.as_ref(),
            vpdq("chair-19-sd-bar.vpdq.txt").as_os_str(),
        ]);
        assert_eq!(code, 2, "{flag} {value}");
    }
    for value in ["101", "-1", "x"] {
        let (code, _, _) = hallmark(&[
            "compare".as_ref(),
            "--query-percent".as_ref(),
            value.as_ref(),
            vpdq("chair-19-sd-bar.vpdq.txt").as_os_str(),
            vpdq("chair-19-sd-bar.vpdq.txt").as_os_str(),
        ]);
        assert_eq!(code, 2, "--query-percent {value}");
    }
}

#[test]
fn hostile_and_broken_videos_are_refused_or_read_without_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    // Half a video (cut at half its bytes).
    let whole = std::fs::read(vpdq("chair-19-sd-bar.mp4")).unwrap();
    let half = dir.path().join("half.mp4");
    std::fs::write(&half, &whole[..whole.len() / 2]).unwrap();
    // 1,000 nested moov boxes (c2pa-rs's own hostile sample).
    let nested = corpus("c2pa-rs/media/nested_moov_1000.mp4");
    // Half a video: what is there is hashed, the same as in the whole file.
    let (code, out, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), half.as_os_str()]);
    assert_eq!(code, 0, "{out}");
    let part = json(&out)["vpdq"].as_array().unwrap().clone();
    let (code, out, _) = hallmark(&[
        "hash".as_ref(),
        "--json".as_ref(),
        vpdq("chair-19-sd-bar.mp4").as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}");
    let all = json(&out)["vpdq"].as_array().unwrap().clone();
    assert!(
        !part.is_empty() && part.len() < all.len(),
        "{} of {}",
        part.len(),
        all.len()
    );
    assert_eq!(part[..], all[..part.len()]);
    // 1,000 nested moov boxes: refused as malformed.
    let (code, out, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), nested.as_os_str()]);
    assert_eq!(code, 4, "{out}");
    assert_eq!(json(&out)["error"]["code"], "format.malformed");
    // Audio is no video.
    let (code, out, _) = hallmark(&[
        "hash".as_ref(),
        "--json".as_ref(),
        corpus("c2pa-rs/media/sample1.wav").as_os_str(),
    ]);
    assert_eq!(code, 4);
    assert_eq!(json(&out)["error"]["code"], "format.unsupported");
}

/// Run a command for at most `secs`: its exit code and output, or None
/// when it was still running (then it is killed).
fn within(mut command: Command, secs: u64) -> Option<(i32, String)> {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
            return Some((status.code().unwrap_or(-1), out));
        }
        if start.elapsed().as_secs() >= secs {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `clip.mp4` with its video track's data moved "elsewhere": its data
/// reference becomes a Mac alias (`alis`, not self-contained) naming
/// `target` one level from the file, where FFmpeg (with `enable_drefs`)
/// would open `DIR/target`. The box sizes above it and the chunk offsets
/// after it are mended, so the rest of the file reads as before.
fn with_external_reference(target: &str) -> Vec<u8> {
    let mut d =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/media/clip.mp4"))
            .unwrap();
    let be32 = |d: &[u8], at: usize| u32::from_be_bytes(d[at..at + 4].try_into().unwrap()) as usize;
    let child = |d: &[u8], from: usize, to: usize, kind: &[u8]| -> usize {
        let mut at = from;
        while at + 8 <= to {
            if &d[at + 4..at + 8] == kind {
                return at;
            }
            at += be32(d, at);
        }
        panic!("no {} box", String::from_utf8_lossy(kind));
    };
    let moov = child(&d, 0, d.len(), b"moov");
    let mut chain = vec![moov];
    for kind in [&b"trak"[..], b"mdia", b"minf", b"dinf", b"dref"] {
        let parent = *chain.last().unwrap();
        chain.push(child(&d, parent + 8, parent + be32(&d, parent), kind));
    }
    let dref = chain.pop().unwrap();
    let mut alias = vec![0u8; 10 + 1 + 27 + 12];
    alias.push(target.len() as u8);
    let mut name = target.as_bytes().to_vec();
    name.resize(63, 0);
    alias.extend(name);
    alias.extend([0u8; 16]);
    alias.extend([0, 1, 0, 1]); // one level from the source, one down to the target
    alias.extend([0u8; 16]);
    let mut path = format!("/x/{target}").into_bytes();
    if path.len() % 2 == 1 {
        path.push(0);
    }
    alias.extend([0, 2]); // an absolute path
    alias.extend((path.len() as u16).to_be_bytes());
    alias.extend(path);
    alias.extend([0xff, 0xff, 0, 0]); // the end
    let mut entry = ((12 + alias.len()) as u32).to_be_bytes().to_vec();
    entry.extend(b"alis");
    entry.extend([0, 0, 0, 0]); // flags: not in this file
    entry.extend(alias);
    let mut boxed = ((16 + entry.len()) as u32).to_be_bytes().to_vec();
    boxed.extend(b"dref");
    boxed.extend([0, 0, 0, 0, 0, 0, 0, 1]);
    boxed.extend(entry);
    let old = be32(&d, dref);
    let delta = boxed.len() - old;
    d.splice(dref..dref + old, boxed);
    for at in chain {
        let size = (be32(&d, at) + delta) as u32;
        d[at..at + 4].copy_from_slice(&size.to_be_bytes());
    }
    // The media data follows moov: every chunk offset moves by delta.
    let end = moov + be32(&d, moov);
    let mut at = moov + 8;
    while at + 8 <= end {
        if &d[at + 4..at + 8] == b"stco" {
            for i in 0..be32(&d, at + 12) {
                let p = at + 16 + 4 * i;
                let offset = (be32(&d, p) + delta) as u32;
                d[p..p + 4].copy_from_slice(&offset.to_be_bytes());
            }
        }
        // Walk into containers, over everything else.
        let kind = &d[at + 4..at + 8];
        at += if [&b"trak"[..], b"mdia", b"minf", b"stbl"].contains(&kind) {
            8
        } else {
            be32(&d, at)
        };
    }
    d
}

#[test]
fn a_video_whose_frames_are_in_another_file_is_not_followed_there() {
    // A FIFO as the other file: opening it would block, so a run that
    // follows the reference hangs (and is killed) instead of answering.
    // FFmpeg's own tool with `-enable_drefs 1` hangs on this file.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("secret.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let video = dir.path().join("external.mp4");
    std::fs::write(&video, with_external_reference("secret.fifo")).unwrap();
    // The file does name the FIFO: FFmpeg's own tool, told to follow
    // external references, hangs on it.
    let mut probe = Command::new("ffprobe");
    probe
        .args(["-v", "quiet", "-enable_drefs", "1"])
        .arg(&video);
    assert_eq!(
        within(probe, 5),
        None,
        "ffprobe -enable_drefs 1 did not open the FIFO"
    );
    let run = |args: &[&OsStr]| {
        within(hallmark_command(args), 30)
            .expect("hallmark still running after 30 s: it opened the external reference")
    };
    let (code, out) = run(&["hash".as_ref(), "--json".as_ref(), video.as_os_str()]);
    assert_eq!(code, 4, "{out}");
    assert_eq!(json(&out)["error"]["code"], "format.malformed");
    let (code, out) = run(&["verify".as_ref(), "--json".as_ref(), video.as_os_str()]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(json(&out)["verdict"], "unsigned");
}

/// FFmpeg's own tool, for editing videos as a forger would.
/// `match` against a SQLite bank: its picture hashes match pictures (all
/// eight turns), its videos match videos; a still video of a banked picture
/// matches that picture as a one-frame video, against SQLite and TSV banks
/// alike; a bad row is skipped with a warning. Before, `match` read every
/// bank file as TSV, so a SQLite bank was a usage error, and a video against
/// a TSV bank was unreadable.
#[test]
fn match_reads_sqlite_banks_and_finds_a_banked_picture_in_a_still_video() {
    let tmp = tempfile::tempdir().unwrap();
    let bridge = corpus("pdq/bridge-1-original.png");
    let (_, hashed, _) = hallmark(&["hash".as_ref(), "--json".as_ref(), bridge.as_os_str()]);
    let bridge_pdq = json(&hashed)["pdq"].as_str().unwrap().to_string();
    let db = tmp.path().join("bank.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE hashes(pdq TEXT, label TEXT, note TEXT);
         CREATE TABLE videos(vpdq TEXT, label TEXT, note TEXT);",
    )
    .unwrap();
    conn.execute(
        "INSERT INTO hashes VALUES (?1, 'known-fake', 'the bridge')",
        [&bridge_pdq],
    )
    .unwrap();
    conn.execute("INSERT INTO hashes VALUES ('nothex', 'x', NULL)", [])
        .unwrap();
    let chair = std::fs::read_to_string(vpdq("chair-orig-22-sd-bar.vpdq.txt")).unwrap();
    conn.execute(
        "INSERT INTO videos VALUES (?1, 'known-fake', 'chair-orig')",
        [&chair],
    )
    .unwrap();
    drop(conn);
    // The bridge turned a quarter, and two seconds of it as a video.
    let turned = tmp.path().join("turned.png");
    image::open(&bridge)
        .unwrap()
        .rotate90()
        .save(&turned)
        .unwrap();
    let still = tmp.path().join("still.mp4");
    encode(
        &[
            "-loop",
            "1",
            "-i",
            bridge.to_str().unwrap(),
            "-t",
            "2",
            "-r",
            "25",
            "-vf",
            "scale=640:-2",
        ],
        &still,
    );

    let run = |bank: &Path, files: &[&Path]| {
        let mut args: Vec<&OsStr> = ["match", "--json", "--bank"].map(OsStr::new).to_vec();
        args.push(bank.as_os_str());
        args.extend(files.iter().map(|f| f.as_os_str()));
        hallmark(&args)
    };
    let chair20 = vpdq("chair-20-sd-bar.mp4");
    let (code, out, err) = run(&db, &[&turned, &chair20, &still]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning [bank.line]: ")
            && err.contains("row 2: pdq is neither 64 hex digits nor a 32-byte blob (row skipped)"),
        "{err}"
    );
    let records: Vec<Value> = out.lines().map(json).collect();
    assert_eq!(records.len(), 3, "{out}");
    // A picture: its turns against the picture hashes.
    assert_eq!(records[0]["label"], "known-fake");
    assert_eq!(records[0]["match"]["note"], "the bridge");
    assert_eq!(records[0]["match"]["transform"], "rotate90");
    assert_eq!(records[0]["match"]["distance"], 8);
    // A video: against the videos, as `compare` says of the pair.
    assert_eq!(records[1]["label"], "known-fake");
    let m = &records[1]["matches"][0];
    assert_eq!(m["note"], "chair-orig");
    assert_eq!(m["file"], "videos row 1");
    assert_eq!(m["compared_match_percent"], 25.52870090634441);
    assert_eq!(records[1]["matches"].as_array().unwrap().len(), 1);
    // A still video: the banked picture, as a one-frame video.
    assert_eq!(records[2]["label"], "known-fake", "{}", records[2]);
    assert_eq!(records[2]["frames"], 2);
    let m = &records[2]["matches"][0];
    assert_eq!(m["file"], format!("picture {bridge_pdq}"));
    assert_eq!(m["note"], "the bridge");
    assert_eq!(m["query_match_percent"], 100.0);
    assert_eq!(m["compared_match_percent"], 100.0);

    // The same still video against a TSV bank of the same hash.
    let tsv = tmp.path().join("bank.tsv");
    std::fs::write(
        &tsv,
        format!("{bridge_pdq}\tknown-original\tthe wire's bridge\n"),
    )
    .unwrap();
    let (code, out, err) = run(&tsv, &[&still]);
    assert_eq!(code, 0, "{err}");
    let record = json(&out);
    assert_eq!(record["label"], "known-original");
    assert_eq!(
        record["matches"][0]["file"],
        format!("picture {bridge_pdq}")
    );
    let (code, text, _) = hallmark(&[
        "match".as_ref(),
        "--bank".as_ref(),
        tsv.as_os_str(),
        still.as_os_str(),
    ]);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("● known-original ")
            && text.contains(&format!("100.0 % of its frames match picture {bridge_pdq}")),
        "{text}"
    );
}

/// The C2PA manifest store box of an MP4 (a top-level `uuid` box).
fn c2pa_box(mp4: &[u8]) -> Vec<u8> {
    const C2PA_UUID: [u8; 16] = [
        0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4,
        0x81,
    ];
    let mut at = 0;
    while at + 8 <= mp4.len() {
        let size32 = u32::from_be_bytes(mp4[at..at + 4].try_into().unwrap()) as usize;
        let (size, header) = match size32 {
            0 => (mp4.len() - at, 8),
            1 => (
                u64::from_be_bytes(mp4[at + 8..at + 16].try_into().unwrap()) as usize,
                16,
            ),
            n => (n, 8),
        };
        if &mp4[at + 4..at + 8] == b"uuid" && mp4[at + header..at + header + 16] == C2PA_UUID {
            return mp4[at..at + size].to_vec();
        }
        at += size;
    }
    panic!("no C2PA box");
}

/// `edited` with the manifest store of `signed` put back (at its end, where
/// no offset moves): what a forger who edits a signed video and keeps its
/// credentials hands on.
fn with_credentials_of(signed: &Path, edited: &Path, out: &Path) {
    let mut bytes = std::fs::read(edited).unwrap();
    bytes.extend(c2pa_box(&std::fs::read(signed).unwrap()));
    std::fs::write(out, bytes).unwrap();
}

#[test]
fn a_signed_video_painted_over_for_three_seconds_says_which_seconds_changed() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let id = p("id");
    let (code, _, err) = hallmark(&[
        "keygen".as_ref(),
        "--no-passphrase".as_ref(),
        "--name".as_ref(),
        "Jane Doe".as_ref(),
        "--org".as_ref(),
        "Example News".as_ref(),
        "--out".as_ref(),
        id.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let root = id.join("root.pem");
    // 20 seconds of FFmpeg's test pattern, a key frame a second.
    let source = p("source.mp4");
    encode(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=20",
        ],
        &source,
    );
    let signed = p("signed.mp4");
    let (code, _, err) = hallmark(&[
        "sign".as_ref(),
        source.as_os_str(),
        "-o".as_ref(),
        signed.as_os_str(),
        "--identity".as_ref(),
        id.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("no pixel digest or PDQ soft binding"),
        "{err}"
    );
    let verify = |file: &Path| {
        let (code, out, err) = hallmark(&[
            "verify".as_ref(),
            "--json".as_ref(),
            "--trust".as_ref(),
            root.as_os_str(),
            file.as_os_str(),
        ]);
        (code, json(&out), err)
    };
    let (code, report, _) = verify(&signed);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (0, Some("trusted")),
        "{report}"
    );
    assert_eq!(report["video_frames"], Value::Null);

    // Seconds 12 to 15 painted over, re-encoded, the credentials put back.
    let painted = p("painted.mp4");
    let paint = "drawbox=x=0:y=0:w=iw:h=ih:color=red:t=fill:enable='between(t,12,14.9)'";
    let signed_str = signed.to_str().unwrap();
    encode(&["-i", signed_str, "-vf", paint], &painted);
    let forged = p("forged.mp4");
    with_credentials_of(&signed, &painted, &forged);
    let (code, report, _) = verify(&forged);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (3, Some("tampered")),
        "{report}"
    );
    assert_eq!(
        report["summary"],
        "Tampered: 00:12–00:15 changed, the rest matches the signed frames"
    );
    let frames = &report["video_frames"];
    assert_eq!(frames["signed"], 20);
    assert_eq!(frames["matching"], 17);
    assert_eq!(
        frames["changed"],
        serde_json::json!([{"start": 12.0, "end": 15.0}])
    );
    assert_eq!(frames["missing"], serde_json::json!([]));
    // The line a person reads says the same.
    let (_, out, _) = hallmark(&[
        "verify".as_ref(),
        "--trust".as_ref(),
        root.as_os_str(),
        forged.as_os_str(),
    ]);
    assert!(
        out.contains("tampered")
            && out.contains("00:12–00:15 changed, the rest matches the signed frames"),
        "{out}"
    );

    // Cut after 16 s: the last seconds are missing.
    let cut = p("cut.mp4");
    encode(&["-i", signed_str, "-t", "16"], &cut);
    let forged_cut = p("forged-cut.mp4");
    with_credentials_of(&signed, &cut, &forged_cut);
    let (_, report, _) = verify(&forged_cut);
    assert_eq!(
        report["summary"],
        "Tampered: 00:16–00:20 missing (cut), the rest matches the signed frames"
    );

    // Remuxed, frames untouched: the container changed, not the pictures.
    let remuxed = p("remuxed.mp4");
    ffmpeg(&[
        "-i".as_ref(),
        signed.as_os_str(),
        "-c".as_ref(),
        "copy".as_ref(),
        remuxed.as_os_str(),
    ]);
    let forged_remux = p("forged-remux.mp4");
    with_credentials_of(&signed, &remuxed, &forged_remux);
    let (_, report, _) = verify(&forged_remux);
    assert_eq!(report["verdict"], "tampered");
    assert_eq!(
        report["summary"],
        "Tampered: every signed frame (one a second) still matches; frames between them were not signed, so a change there can't be told"
    );

    // Another video wearing these credentials matches nowhere.
    let other = p("other.mp4");
    encode(
        &[
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=size=320x240:rate=25",
            "-t",
            "20",
        ],
        &other,
    );
    let forged_other = p("forged-other.mp4");
    with_credentials_of(&signed, &other, &forged_other);
    let (_, report, _) = verify(&forged_other);
    assert_eq!(
        report["summary"],
        "Tampered: no signed frame matches: the credentials do not belong to this video"
    );
}

/// FFmpeg's libraries (and the ~130 they need) are opened when a video is
/// first decoded, not when the process starts: before, every run, a photo's
/// verify included, spent 30-40 ms in the dynamic loader on them.
#[test]
fn ffmpeg_is_not_linked_at_start_up_and_still_decodes() {
    let dynamic = support::tool(
        "readelf",
        None,
        &["--dynamic", "--wide", env!("CARGO_BIN_EXE_hallmark")],
    );
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .filter_map(|line| line.split('[').nth(1)?.split(']').next())
        .collect();
    assert!(needed.contains(&"libc.so.6"), "{dynamic}");
    let ffmpeg: Vec<&&str> = needed
        .iter()
        .filter(|lib| {
            ["libav", "libsw", "libpostproc"]
                .iter()
                .any(|p| lib.starts_with(p))
        })
        .collect();
    assert!(
        ffmpeg.is_empty(),
        "FFmpeg libraries linked at start-up: {ffmpeg:?} (a function ffmpeg-next calls \
         is missing from core/src/vpdq/lazy.rs); {dynamic}"
    );
    // Opened on demand, the same frames as ever (the clip's reference hash).
    let clip = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/media/clip.mp4");
    let (code, stdout, stderr) = hallmark(&[OsStr::new("hash"), clip.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("0.000s  2a140bdfd4a407e6b919ade65295bd66d4bcd219ec66521952e6d019a95aade6  q=100 frame 0"),
        "{stdout}"
    );
}
