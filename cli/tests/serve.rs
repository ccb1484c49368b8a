//! `hallmark serve`: the Soft Binding Resolution API, run as the real binary
//! on 127.0.0.1 and spoken to over real sockets (a small HTTP/1.1 client of
//! the test's own, so that slow and malformed clients can be played too):
//! every endpoint, exact statuses and fields, and the bad inputs of issue 20.
//!
//! Run: `cargo test -p hallmark-cli --test serve`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "cli/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../../core/tests/support/pg.rs"]
mod pg;

use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;
use support::{encode_video as encode, fixture, hallmark, RunExt};

const WRITER: &str = "writer-token-0123456789abcdef";
const READER: &str = "reader-token-0123456789abcdef";

/// A running `hallmark serve`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    db: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry in `dir` holding `signed/newsroom.jpg`, and a tokens file (0600).
fn setup(dir: &Path) -> PathBuf {
    let db = dir.join("registry.db");
    hallmark()
        .args(["registry", "add"])
        .arg(fixture("signed/newsroom.jpg"))
        .arg("--db")
        .arg(&db)
        .arg("--trust")
        .arg(fixture("keys/newsroom/root.pem"))
        .run()
        .expect_code(0);
    let tokens = dir.join("tokens");
    std::fs::write(
        &tokens,
        format!("# who may do what\n{WRITER} store:manifests store:bindings fetch:manifests\n{READER} fetch:manifests\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).unwrap();
    db
}

/// `hallmark serve --db DB --listen 127.0.0.1:0 --tokens … --trust newsroom [extra…]`.
fn serve(dir: &Path, extra: &[&str]) -> Server {
    serve_db(dir, &dir.join("registry.db"), extra)
}

/// [`serve`] on the registry `db` (a file, or a PostgreSQL URL).
fn serve_db(dir: &Path, db: &Path, extra: &[&str]) -> Server {
    let db = db.to_path_buf();
    let mut child = hallmark()
        .arg("serve")
        .arg("--db")
        .arg(&db)
        .args(["--listen", "127.0.0.1:0", "--tokens"])
        .arg(dir.join("tokens"))
        .arg("--trust")
        .arg(fixture("keys/newsroom/root.pem"))
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "… at http://ADDR/v1; …" (or https), after the database's name,
    // which may be a URL too. A line without one kills the server first.
    let addr = line
        .rsplit(" at ")
        .next()
        .and_then(|rest| rest.split("://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("no address in {line:?}");
    };
    Server { child, addr, db }
}

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    #[track_caller]
    fn error_code(&self) -> String {
        self.json()["code"].as_str().unwrap().to_string()
    }
}

/// One request on its own connection.
fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_answer(&mut stream)
}

fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 4 + size..];
        }
        body = out;
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn get(addr: SocketAddr, target: &str) -> Answer {
    request(addr, "GET", target, &[], b"")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A query-string value, percent-encoded.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `hallmark hash --json FILE`: its PDQ hash and pixel digest, as bytes.
fn hashes(file: &Path) -> (Vec<u8>, Vec<u8>) {
    let run = hallmark().args(["hash", "--json"]).arg(file).run();
    run.expect_code(0);
    let json = run.json();
    (
        hex(json["pdq"].as_str().unwrap()),
        hex(json["pixel_digest"].as_str().unwrap()),
    )
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// `signed/newsroom.jpg` decoded and saved again as JPEG quality 70: no metadata survives.
fn reencoded(dir: &Path) -> PathBuf {
    let img = image::open(fixture("signed/newsroom.jpg"))
        .unwrap()
        .to_rgb8();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 70)
        .encode_image(&img)
        .unwrap();
    support::write(dir, "reposted.jpg", &out.into_inner())
}

fn stored_store(db: &Path) -> Vec<u8> {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT manifest_store FROM manifest_stores ORDER BY entry_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn entry_count(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM manifests", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_endpoint_answers_in_the_api_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let s = serve(tmp.path(), &[]);
    let a = s.addr;

    let wk = get(a, "/.well-known/c2pa-soft-binding-resolution");
    wk.expect(200);
    assert_eq!(
        wk.json(),
        serde_json::json!({
            "apiEndpoint": "/v1",
            "c2paSpecificationVersion": "2.4.0",
            "capabilitiesEndpoint": "/v1/services/capabilities",
            "statusEndpoint": "/v1/services/status",
        })
    );
    assert_eq!(
        get(a, "/v1/services/supportedAlgorithms")
            .expect(200)
            .json(),
        serde_json::json!({"watermarks": [], "fingerprints": [
            {"alg": "org.hallmark.pdq"}, {"alg": "org.hallmark.pixel-digest"},
            {"alg": "org.hallmark.vpdq"}]})
    );
    let caps = get(a, "/v1/services/capabilities").expect(200).json();
    assert_eq!(caps["c2paSpecificationVersion"], "2.4.0");
    assert_eq!(
        caps["supportedCapabilities"],
        serde_json::json!([
            "queryByBinding",
            "queryByContent",
            "fetchManifests",
            "storeManifests",
            "storeBindings",
            "deleteManifests"
        ])
    );
    let status = get(a, "/v1/services/status").expect(200).json();
    assert_eq!(status["status"], "ok");
    assert!(status["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        get(a, "/v1/nowhere").expect(404).error_code(),
        "http.not_found"
    );

    // By content: the stripped original shows the same pixels; a re-encoding is similar.
    let stripped = fixture("attacks/stripped.jpg");
    let by_content = |file: &Path| {
        request(
            a,
            "POST",
            "/v1/matches/byContent",
            &[("Content-Type", "image/jpeg")],
            &std::fs::read(file).unwrap(),
        )
    };
    let same = by_content(&stripped).expect(200).json();
    let m = &same["matches"][0];
    assert_eq!(same["matches"].as_array().unwrap().len(), 1);
    let id = m["manifestId"].as_str().unwrap().to_string();
    assert!(id.starts_with("urn:c2pa:"), "{id}");
    assert_eq!(m["similarityScore"], 1.0);
    assert_eq!(m["match"], "same_pixels");
    assert_eq!(m["verdictNow"], "trusted");
    assert_eq!(m["signer"]["name"], "Jane Doe");
    assert_eq!(m["title"], "newsroom.jpg");
    let reposted = reencoded(tmp.path());
    let similar = by_content(&reposted).expect(200).json();
    let m = &similar["matches"][0];
    assert_eq!(m["manifestId"], id.as_str());
    assert_eq!(m["match"], "similar_picture");
    let distance = m["distance"].as_u64().unwrap();
    assert!((1..=31).contains(&distance), "{distance}");
    assert_eq!(m["similarityScore"], 1.0 - distance as f64 / 256.0);
    // Another picture matches nothing.
    assert_eq!(
        by_content(&fixture("images/other.jpg")).expect(200).json(),
        serde_json::json!({"matches": []})
    );

    // By binding: the re-encoded copy's PDQ hash (GET and POST) and the
    // stripped copy's pixel digest, the only things a client need send.
    let (pdq, _) = hashes(&reposted);
    let (_, digest) = hashes(&stripped);
    let query = format!(
        "/v1/matches/byBinding?alg=org.hallmark.pdq&value={}",
        enc(&b64(&pdq))
    );
    let by_get = get(a, &query).expect(200).json();
    assert_eq!(by_get["matches"][0]["manifestId"], id.as_str());
    assert_eq!(by_get["matches"][0]["match"], "similar_picture");
    let body = serde_json::json!({"alg": "org.hallmark.pdq", "value": b64(&pdq)}).to_string();
    let by_post = request(
        a,
        "POST",
        "/v1/matches/byBinding?maxResults=1",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(by_post.expect(200).json(), by_get);
    let exact = get(
        a,
        &format!(
            "/v1/matches/byBinding?alg=org.hallmark.pixel-digest&value={}",
            enc(&b64(&digest))
        ),
    )
    .expect(200)
    .json();
    assert_eq!(exact["matches"][0]["match"], "same_pixels");
    assert_eq!(exact["matches"][0]["similarityScore"], 1.0);

    // The manifest store, byte for byte.
    let store = get(a, &format!("/v1/manifests/{}", enc(&id)));
    store.expect(200);
    assert_eq!(store.header("content-type"), Some("application/c2pa"));
    assert_eq!(store.body, stored_store(&s.db));
    assert_eq!(
        get(
            a,
            "/v1/manifests/urn:c2pa:00000000-0000-0000-0000-000000000000"
        )
        .expect(404)
        .error_code(),
        "http.not_found"
    );

    // Storing: the same store again changes nothing; a store of another
    // picture signed by the newsroom is stored and found by its signed PDQ.
    let w = bearer(WRITER);
    let post_store = |bytes: &[u8]| {
        request(
            a,
            "POST",
            "/v1/manifests",
            &[("Authorization", &w), ("Content-Type", "application/c2pa")],
            bytes,
        )
    };
    let again = post_store(&store.body).expect(200).json();
    assert_eq!(again["manifestId"], id.as_str());
    assert_eq!(again["new"], false);
    assert_eq!(entry_count(&s.db), 1);
    let other_store = other_store(tmp.path());
    let stored = post_store(&other_store).expect(200).json();
    assert_eq!(stored["new"], true);
    assert_eq!(stored["verdict"], "trusted");
    let other_id = stored["manifestId"].as_str().unwrap().to_string();
    assert_ne!(other_id, id);
    let (other_pdq, _) = hashes(&fixture("images/other.jpg"));
    let found = get(
        a,
        &format!(
            "/v1/matches/byBinding?alg=org.hallmark.pdq&value={}",
            enc(&b64(&other_pdq))
        ),
    )
    .expect(200)
    .json();
    assert_eq!(found["matches"][0]["manifestId"], other_id.as_str());
    assert_eq!(found["matches"][0]["distance"], 0);

    // Bindings: a new value points at a manifest; twice is 409; PUT moves it.
    let value = b64(&[7u8; 32]);
    let bind = |method: &str, manifest: &str| {
        let body = serde_json::json!({"bindingValue": value, "manifestId": manifest}).to_string();
        request(
            a,
            method,
            "/v1/bindings",
            &[("Authorization", &w), ("Content-Type", "application/json")],
            body.as_bytes(),
        )
    };
    bind("POST", &id).expect(204);
    assert_eq!(bind("POST", &id).expect(409).error_code(), "http.conflict");
    let bound = format!(
        "/v1/matches/byBinding?alg=org.hallmark.pdq&value={}",
        enc(&value)
    );
    assert_eq!(
        get(a, &bound).expect(200).json()["matches"][0]["manifestId"],
        id.as_str()
    );
    bind("PUT", &other_id).expect(204);
    assert_eq!(
        get(a, &bound).expect(200).json()["matches"][0]["manifestId"],
        other_id.as_str()
    );
    bind("PUT", "urn:c2pa:none").expect(404);
    let unbound =
        serde_json::json!({"bindingValue": b64(&[8u8; 32]), "manifestId": id}).to_string();
    request(
        a,
        "PUT",
        "/v1/bindings",
        &[("Authorization", &w)],
        unbound.as_bytes(),
    )
    .expect(404);

    // Deleting: gone, and no longer matched, by content or binding.
    let del = |target: &str| request(a, "DELETE", target, &[("Authorization", &w)], b"");
    del(&format!("/v1/manifests/{}", enc(&other_id))).expect(204);
    del(&format!("/v1/manifests/{}", enc(&other_id))).expect(404);
    assert_eq!(
        get(a, &bound).expect(200).json()["matches"],
        serde_json::json!([])
    );
    get(a, &format!("/v1/manifests/{}", enc(&other_id))).expect(404);
    assert_eq!(entry_count(&s.db), 1);
}

/// `images/other.jpg` signed by the newsroom in `dir`: its manifest store.
fn other_store(dir: &Path) -> Vec<u8> {
    let signed = dir.join("other-signed.jpg");
    support::sign(
        &fixture("keys/newsroom"),
        &fixture("images/other.jpg"),
        &signed,
        support::NO_ARGS,
    )
    .expect_code(0);
    extract_store(&signed)
}

/// The manifest store of a signed JPEG (its APP11 JUMBF segments joined).
fn extract_store(file: &Path) -> Vec<u8> {
    let bytes = std::fs::read(file).unwrap();
    let mut store = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if marker == 0xDA {
            break;
        }
        let seg = &bytes[i + 4..i + 2 + len];
        // APP11 "JP": common identifier, instance, sequence, then the box
        // (its header repeated in every segment after the first).
        if marker == 0xEB && seg.starts_with(b"JP") {
            let payload = &seg[8..];
            if store.is_empty() {
                store.extend_from_slice(payload);
            } else {
                store.extend_from_slice(&payload[8..]);
            }
        }
        i += 2 + len;
    }
    assert!(!store.is_empty(), "no JUMBF in {}", file.display());
    store
}

#[test]
fn tokens_scopes_and_private_reads() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    // A tokens file others can read is refused at start.
    let loose = tmp.path().join("loose-tokens");
    std::fs::write(&loose, format!("{WRITER} fetch:manifests\n")).unwrap();
    let run = hallmark()
        .args(["serve", "--db"])
        .arg(tmp.path().join("registry.db"))
        .arg("--tokens")
        .arg(&loose)
        .run();
    run.expect_error("usage", 2);
    assert!(run.stderr.contains("chmod 600"), "{run:#?}");
    assert!(!run.stderr.contains(WRITER), "the token is never shown");

    let s = serve(tmp.path(), &["--private"]);
    let a = s.addr;
    let target =
        "/v1/matches/byBinding?alg=org.hallmark.pdq&value=".to_string() + &enc(&b64(&[0u8; 32]));
    let anonymous = get(a, &target);
    anonymous.expect(401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    assert_eq!(anonymous.error_code(), "http.unauthorized");
    let r = bearer(READER);
    request(a, "GET", &target, &[("Authorization", &r)], b"").expect(200);
    let wrong = bearer("reader-token-0123456789abcdeX");
    request(a, "GET", &target, &[("Authorization", &wrong)], b"").expect(401);
    // Discovery stays open.
    get(a, "/v1/services/capabilities").expect(200);
    // The reader may not store or delete.
    let stored = request(
        a,
        "POST",
        "/v1/manifests",
        &[("Authorization", &r)],
        b"whatever",
    );
    stored.expect(403);
    assert_eq!(stored.error_code(), "http.forbidden");
    request(
        a,
        "DELETE",
        "/v1/manifests/x",
        &[("Authorization", &r)],
        b"",
    )
    .expect(403);
    request(a, "POST", "/v1/manifests", &[], b"whatever").expect(401);
    assert_eq!(entry_count(&s.db), 1);
}

#[test]
fn bad_input_gets_its_status_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let s = serve(tmp.path(), &["--max-body", "20000"]);
    let a = s.addr;
    let w = bearer(WRITER);
    let before = std::fs::read(&s.db).unwrap();

    // Bodies over the limit: 413, declared or not.
    let big = vec![0u8; 20_001];
    let over = request(
        a,
        "POST",
        "/v1/matches/byContent",
        &[("Content-Type", "image/jpeg")],
        &big,
    );
    over.expect(413);
    assert_eq!(over.error_code(), "limits.file_size");
    request(a, "POST", "/v1/manifests", &[("Authorization", &w)], &big).expect(413);
    let chunked = raw(
        a,
        format!(
            "POST /v1/manifests HTTP/1.1\r\nHost: x\r\nAuthorization: {w}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
        &[b"4e21\r\n".as_slice(), &big[..20_001], b"\r\n0\r\n\r\n"],
    );
    chunked.expect(413);

    // Malformed base64, unknown algorithms, wrong lengths: 400.
    let binding = |alg: &str, value: &str| {
        get(
            a,
            &format!(
                "/v1/matches/byBinding?alg={}&value={}",
                enc(alg),
                enc(value)
            ),
        )
    };
    assert_eq!(
        binding("org.hallmark.pdq", "not base64!")
            .expect(400)
            .error_code(),
        "http.bad_request"
    );
    assert_eq!(
        binding("com.adobe.trustmark", &b64(&[0; 32]))
            .expect(400)
            .error_code(),
        "binding.alg"
    );
    assert_eq!(
        binding("org.hallmark.pdq", &b64(&[0; 31]))
            .expect(400)
            .error_code(),
        "http.bad_request"
    );
    get(a, "/v1/matches/byBinding?alg=org.hallmark.pdq").expect(400);
    get(
        a,
        &format!(
            "/v1/matches/byBinding?alg=org.hallmark.pdq&value={}&maxResults=0",
            enc(&b64(&[0; 32]))
        ),
    )
    .expect(400);
    let long = "A".repeat(5000);
    get(
        a,
        &format!("/v1/matches/byBinding?alg=org.hallmark.pdq&value={long}"),
    )
    .expect(414);
    for body in [
        &b"{"[..],
        br#"{"alg": "org.hallmark.pdq"}"#,
        br#"{"alg": "org.hallmark.pdq", "value": "AAAA", "extra": 1}"#,
    ] {
        request(
            a,
            "POST",
            "/v1/matches/byBinding",
            &[("Content-Type", "application/json")],
            body,
        )
        .expect(400);
    }
    // Not an asset type: 415; not a picture: 415; a broken one: 422.
    request(
        a,
        "POST",
        "/v1/matches/byContent",
        &[("Content-Type", "text/plain")],
        b"hello",
    )
    .expect(415);
    request(
        a,
        "POST",
        "/v1/matches/byContent",
        &[("Content-Type", "image/jpeg")],
        b"hello",
    )
    .expect(415);
    let jpeg = std::fs::read(fixture("images/sample.jpg")).unwrap()[..5000].to_vec();
    let broken = request(
        a,
        "POST",
        "/v1/matches/byContent",
        &[("Content-Type", "image/jpeg")],
        &jpeg,
    );
    assert_eq!(broken.expect(422).error_code(), "format.malformed");

    // Garbage, a stranger's store, a tampered store: 422, never stored.
    let garbage: Vec<u8> = (0u32..4000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let stranger = extract_store(&fixture("signed/stranger.jpg"));
    let mut tampered = stored_store(&s.db);
    let n = tampered.len();
    tampered[n - 40] ^= 1;
    for (what, bytes) in [
        ("garbage", &garbage),
        ("stranger", &stranger),
        ("tampered", &tampered),
    ] {
        let answer = request(
            a,
            "POST",
            "/v1/manifests",
            &[("Authorization", &w), ("Content-Type", "application/c2pa")],
            bytes,
        );
        assert_eq!(answer.status, 422, "{what}: {answer:?}");
        assert_eq!(answer.error_code(), "registry.rejected", "{what}");
    }

    // SQL metacharacters in every parameter: answered, and nothing changes.
    let nasty = [
        "' OR '1'='1",
        "x'); DROP TABLE manifests;--",
        "\"; DELETE FROM bindings; --",
        "%27%3B--",
    ];
    for text in nasty {
        let e = enc(text);
        binding(text, &b64(&[0; 32])).expect(400);
        binding("org.hallmark.pdq", text).expect(400);
        get(
            a,
            &format!(
                "/v1/matches/byBinding?alg=org.hallmark.pdq&value={}&maxResults={e}",
                enc(&b64(&[0; 32]))
            ),
        )
        .expect(400);
        get(a, &format!("/v1/manifests/{e}")).expect(404);
        request(
            a,
            "DELETE",
            &format!("/v1/manifests/{e}"),
            &[("Authorization", &w)],
            b"",
        )
        .expect(404);
        let body =
            serde_json::json!({"bindingValue": b64(&[1; 32]), "manifestId": text}).to_string();
        request(
            a,
            "POST",
            "/v1/bindings",
            &[("Authorization", &w)],
            body.as_bytes(),
        )
        .expect(404);
        let body = serde_json::json!({"bindingValue": text, "manifestId": text}).to_string();
        request(
            a,
            "POST",
            "/v1/bindings",
            &[("Authorization", &w)],
            body.as_bytes(),
        )
        .expect(400);
        request(
            a,
            "POST",
            &format!("/v1/matches/byContent?alg={e}"),
            &[("Content-Type", "image/jpeg")],
            b"x",
        )
        .expect(400);
    }
    assert_eq!(entry_count(&s.db), 1);
    let integrity: String = rusqlite::Connection::open(&s.db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    assert_eq!(
        std::fs::read(&s.db).unwrap(),
        before,
        "the registry file is unchanged"
    );
    // And the server still answers.
    get(a, "/v1/services/status").expect(200);
}

/// Send `head` then each part, and read the answer.
fn raw(addr: SocketAddr, head: &[u8], parts: &[&[u8]]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(head).unwrap();
    for part in parts {
        // The server may answer (and close) before the whole body is sent.
        if stream.write_all(part).is_err() {
            break;
        }
    }
    read_answer(&mut stream)
}

#[test]
fn slow_clients_are_timed_out() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let s = serve(tmp.path(), &["--timeout", "1"]);

    // Headers that never finish: the connection is closed, with nothing served.
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /v1/services/status HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let text = String::from_utf8_lossy(&buf);
    assert!(!text.contains("200 OK"), "{text}");

    // A body that never finishes: 408, with a code.
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /v1/matches/byContent HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n0123456789")
        .unwrap();
    let started = Instant::now();
    let answer = read_answer(&mut stream);
    assert!(started.elapsed() < Duration::from_secs(5));
    answer.expect(408);
    assert_eq!(answer.error_code(), "http.timeout");
    // Meanwhile the server serves others.
    get(s.addr, "/v1/services/status").expect(200);
}

#[test]
fn each_token_has_its_own_rate_limit() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let s = serve(tmp.path(), &["--rate-limit", "2"]);
    let target = "/v1/services/status";
    let w = bearer(WRITER);
    let r = bearer(READER);
    // A burst of twice the rate passes, then 429 with Retry-After.
    let statuses: Vec<u16> = (0..6)
        .map(|_| request(s.addr, "GET", target, &[("Authorization", &w)], b"").status)
        .collect();
    assert_eq!(&statuses[..4], [200, 200, 200, 200]);
    assert_eq!(statuses[5], 429, "{statuses:?}");
    let limited = request(s.addr, "GET", target, &[("Authorization", &w)], b"");
    limited.expect(429);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.error_code(), "http.rate_limited");
    // Another token, and anonymous callers, are not held back by it.
    request(s.addr, "GET", target, &[("Authorization", &r)], b"").expect(200);
    get(s.addr, target).expect(200);
    // After a second, the token may go on.
    std::thread::sleep(Duration::from_millis(1100));
    request(s.addr, "GET", target, &[("Authorization", &w)], b"").expect(200);
}

/// `hallmark verify --registry http://…/v1`: a stripped copy is recovered
/// through the service by its hashes alone (or its bytes, with
/// --send-content), and the service's word is never taken: a binding that
/// points another picture at the newsroom's store recovers nothing.
#[test]
fn verify_recovers_through_a_registry_service() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let s = serve(tmp.path(), &[]);
    let url = format!("http://{}/v1", s.addr);
    let verify = |file: &Path, extra: &[&str]| {
        hallmark()
            .args(["verify", "--json", "--registry", &url])
            .arg(file)
            .arg("--trust")
            .arg(fixture("keys/newsroom/root.pem"))
            .args(extra)
            .run()
    };
    let stripped = fixture("attacks/stripped.jpg");
    for extra in [&[][..], &["--send-content"][..]] {
        let run = verify(&stripped, extra);
        run.expect_code(0);
        let report = run.json();
        assert_eq!(report["verdict"], "recovered", "{extra:?}: {report}");
        assert_eq!(report["recovered"]["match"], "same_pixels");
        assert_eq!(report["recovered"]["verdict_now"], "trusted");
        assert_eq!(report["recovered"]["signer"]["name"], "Jane Doe");
        assert_eq!(report["recovered"]["title"], "newsroom.jpg");
    }
    let reposted = reencoded(tmp.path());
    let run = verify(&reposted, &[]);
    run.expect_code(1);
    assert_eq!(run.json()["recovered"]["match"], "similar_picture");
    verify(&reposted, &["--accept-similar"]).expect_code(0);
    verify(&reposted, &["--accept-similar", "--send-content"]).expect_code(0);

    // A lying binding: the other picture's pixel digest pointed at the
    // newsroom's manifest. The store verifies, but signed other pixels.
    let other = fixture("images/other.jpg");
    let (_, digest) = hashes(&other);
    let id = rusqlite::Connection::open(&s.db)
        .unwrap()
        .query_row("SELECT manifest_id FROM manifests", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
    let body = serde_json::json!({"bindingValue": b64(&digest), "manifestId": id,
        "alg": "org.hallmark.pixel-digest"})
    .to_string();
    request(
        s.addr,
        "POST",
        "/v1/bindings",
        &[("Authorization", &bearer(WRITER))],
        body.as_bytes(),
    )
    .expect(204);
    let run = verify(&other, &[]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(report["verdict"], "unsigned");
    let note = report["status"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "registry.remote")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        note["explanation"]
            .as_str()
            .unwrap()
            .contains("bits from this file's"),
        "{note}"
    );

    // Feeds recover provenance through the service too.
    let run = hallmark()
        .args(["feed", "classify", "--device", "cpu", "--bank"])
        .arg(fixture("../cli/tests/cmd/bank.tsv"))
        .args(["--registry", &url, "--trust"])
        .arg(fixture("keys/newsroom/root.pem"))
        .arg(&stripped)
        .run();
    let line = run.json_lines().pop().unwrap_or_else(|| panic!("{run:#?}"));
    assert_eq!(line["provenance"]["verdict"], "recovered", "{run:#?}");

    // No service there: unsigned, with a note, never a crash.
    drop(s);
    let run = verify(&stripped, &[]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(report["verdict"], "unsigned");
    assert_eq!(report["status"][0]["code"], "registry.remote");
    // A URL that is not one is refused plainly, and --send-content and
    // --registry-ca need a URL (the CA, an https one).
    hallmark()
        .args(["verify", "--registry", "https:///v1"])
        .arg(&stripped)
        .run()
        .expect_error("registry.remote", 2);
    hallmark()
        .args(["verify", "--registry", &url, "--registry-ca"])
        .arg(fixture("keys/newsroom/root.pem"))
        .arg(&stripped)
        .run()
        .expect_error("usage", 2);
    hallmark()
        .args(["verify", "--send-content", "--registry"])
        .arg(tmp.path().join("registry.db"))
        .arg(&stripped)
        .run()
        .expect_error("usage", 2);
}

/// Poll `check` every 100 ms until it holds, for at most `limit`: how long it took.
fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn two_servers_sharing_postgresql_serve_what_either_stored() {
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path());
    let url = pg::fresh_database();
    let db = PathBuf::from(&url);
    let trust = fixture("keys/newsroom/root.pem");

    // The CLI's registry commands on PostgreSQL.
    hallmark()
        .args(["registry", "add", "--db", &url, "--trust"])
        .arg(&trust)
        .arg(fixture("signed/newsroom.jpg"))
        .run()
        .expect_code(0);
    let reposted = reencoded(tmp.path());
    let run = hallmark()
        .args(["registry", "lookup", "--db", &url, "--trust"])
        .arg(&trust)
        .arg(&reposted)
        .run();
    run.expect_code(0);
    assert!(run.stdout.contains("similar picture ("), "{run:#?}");
    let run = hallmark()
        .args(["verify", "--json", "--registry", &url, "--trust"])
        .arg(&trust)
        .arg(fixture("attacks/stripped.jpg"))
        .run();
    run.expect_code(0);
    assert_eq!(run.json()["recovered"]["match"], "same_pixels");

    // Two stateless servers on one database, each refreshing every second.
    let a = serve_db(tmp.path(), &db, &["--refresh", "1"]);
    let b = serve_db(tmp.path(), &db, &["--refresh", "1"]);
    let other_store = other_store(tmp.path());
    let stored = request(
        a.addr,
        "POST",
        "/v1/manifests",
        &[
            ("Authorization", &bearer(WRITER)),
            ("Content-Type", "application/c2pa"),
        ],
        &other_store,
    )
    .expect(200)
    .json();
    assert_eq!(stored["new"], true);
    let id = stored["manifestId"].as_str().unwrap().to_string();

    // B finds it by its PDQ hash within the staleness bound (10 s; here
    // about a second), by binding and by content, and serves its store
    // byte for byte.
    let (pdq, _) = hashes(&fixture("images/other.jpg"));
    let by_pdq = format!(
        "/v1/matches/byBinding?alg=org.hallmark.pdq&value={}",
        enc(&b64(&pdq))
    );
    let found = |server: &Server| get(server.addr, &by_pdq).expect(200).json()["matches"].clone();
    let lag = within(Duration::from_secs(10), || {
        found(&b).as_array().unwrap().len() == 1
    });
    assert!(lag.is_some(), "B never saw what A stored");
    assert_eq!(found(&b)[0]["manifestId"], id.as_str());
    let mut similar = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut similar, 70)
        .encode_image(&image::open(fixture("images/other.jpg")).unwrap().to_rgb8())
        .unwrap();
    let by_content = request(
        b.addr,
        "POST",
        "/v1/matches/byContent",
        &[("Content-Type", "image/jpeg")],
        similar.get_ref(),
    )
    .expect(200)
    .json();
    assert_eq!(
        by_content["matches"][0]["manifestId"],
        id.as_str(),
        "{by_content}"
    );
    let fetched = get(b.addr, &format!("/v1/manifests/{}", enc(&id)));
    fetched.expect(200);
    assert_eq!(fetched.header("content-type"), Some("application/c2pa"));
    assert_eq!(fetched.body, other_store);

    // verify --registry through B recovers the first entry's re-encoded copy.
    let run = hallmark()
        .args(["verify", "--json", "--accept-similar", "--registry"])
        .arg(format!("http://{}/v1", b.addr))
        .arg("--trust")
        .arg(&trust)
        .arg(&reposted)
        .run();
    run.expect_code(0);
    assert_eq!(run.json()["recovered"]["match"], "similar_picture");

    // Deleted through B: A stops matching it within the bound too.
    request(
        b.addr,
        "DELETE",
        &format!("/v1/manifests/{}", enc(&id)),
        &[("Authorization", &bearer(WRITER))],
        b"",
    )
    .expect(204);
    let gone = within(Duration::from_secs(10), || {
        found(&a).as_array().unwrap().is_empty()
    });
    assert!(gone.is_some(), "A still matches what B deleted");
    get(a.addr, &format!("/v1/manifests/{}", enc(&id))).expect(404);
    eprintln!("staleness: seen by the other server after {lag:?}, deletion after {gone:?}");
}

/// `openssl` with `args` in `dir` (the tests' independent maker of TLS
/// certificates; Hallmark itself links no OpenSSL).
fn openssl(dir: &Path, args: &[&str]) {
    support::tool("openssl", Some(dir), args);
}

/// A test CA `NAME-ca.pem` in `dir`, and a server certificate it issued
/// for `san` (`IP:127.0.0.1`, `DNS:…`) as `NAME.pem` with its key
/// `NAME.key` (0600). P-256 keys, valid for two days.
fn tls_files(dir: &Path, name: &str, san: &str) {
    let ca = format!("{name}-ca");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name} test registry CA"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name} registry"),
        ],
    );
    std::fs::write(
        dir.join(format!("{name}.ext")),
        format!("subjectAltName={san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join(format!("{name}.key")),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
}

/// `serve --tls-cert NAME.pem --tls-key NAME.key`.
fn serve_tls(dir: &Path, name: &str) -> Server {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    serve(
        dir,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    )
}

/// A registry service over https: `verify --registry https://…` recovers
/// through it when its certificate chains to the CA given (--registry-ca),
/// and refuses a server whose certificate does not (the built-in roots,
/// another CA, a certificate for another name), recovering nothing. A key
/// file others can read is refused. Before, https:// was refused outright.
#[test]
fn verify_recovers_through_an_https_registry_service() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    tls_files(dir, "good", "IP:127.0.0.1");
    tls_files(dir, "elsewhere", "DNS:registry.example");
    let s = serve_tls(dir, "good");
    let url = format!("https://{}/v1", s.addr);
    let stripped = fixture("attacks/stripped.jpg");
    let verify = |url: &str, ca: Option<&str>, extra: &[&str]| {
        let mut command = hallmark();
        command
            .args(["verify", "--json", "--registry", url])
            .arg(&stripped)
            .arg("--trust")
            .arg(fixture("keys/newsroom/root.pem"))
            .args(extra);
        if let Some(ca) = ca {
            command.arg("--registry-ca").arg(dir.join(ca));
        }
        command.run()
    };
    for extra in [&[][..], &["--send-content"][..]] {
        let run = verify(&url, Some("good-ca.pem"), extra);
        run.expect_code(0);
        let report = run.json();
        assert_eq!(report["verdict"], "recovered", "{extra:?}: {report}");
        assert_eq!(report["recovered"]["match"], "same_pixels");
        assert_eq!(report["recovered"]["signer"]["name"], "Jane Doe");
    }

    // A certificate no trusted CA issued: nothing is recovered, and the
    // note says why.
    let refused = |run: &support::Run, why: &str| {
        run.expect_code(1);
        let report = run.json();
        assert_eq!(report["verdict"], "unsigned", "{report}");
        assert_eq!(report["recovered"], Value::Null);
        let note = &report["status"][0];
        assert_eq!(note["code"], "registry.remote", "{report}");
        let text = note["explanation"].as_str().unwrap();
        assert!(text.contains(why), "{why:?} not in {text:?}");
    };
    refused(&verify(&url, None, &[]), "UnknownIssuer");
    // People read why too, under the report line.
    let run = hallmark()
        .args(["verify", "--registry", &url])
        .arg(&stripped)
        .arg("--trust")
        .arg(fixture("keys/newsroom/root.pem"))
        .run();
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("\n  registry: registry lookup failed: ")
            && run.stdout.contains("UnknownIssuer"),
        "{run:#?}"
    );
    refused(
        &verify(&url, Some("elsewhere-ca.pem"), &[]),
        "UnknownIssuer",
    );
    // Issued by a trusted CA, for another name.
    let other = serve_tls(dir, "elsewhere");
    let other_url = format!("https://{}/v1", other.addr);
    refused(
        &verify(&other_url, Some("elsewhere-ca.pem"), &[]),
        "certificate not valid for name",
    );
    // A plain-HTTP server asked over https, and an https one over http.
    let plain = serve(dir, &[]);
    refused(
        &verify(
            &format!("https://{}/v1", plain.addr),
            Some("good-ca.pem"),
            &[],
        ),
        "registry lookup failed",
    );
    refused(
        &verify(&format!("http://{}/v1", s.addr), None, &[]),
        "registry lookup failed",
    );

    // The CA file must hold a certificate.
    hallmark()
        .args(["verify", "--registry", &url, "--registry-ca"])
        .arg(dir.join("good.key"))
        .arg(&stripped)
        .run()
        .expect_error("registry.remote", 2);
    // A key others can read is refused, naming the file and never its contents.
    let key = dir.join("good.key");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = hallmark()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("registry.db"))
        .arg("--tls-cert")
        .arg(dir.join("good.pem"))
        .arg("--tls-key")
        .arg(&key)
        .run();
    run.expect_error("usage", 2);
    assert!(run.stderr.contains("chmod 600"), "{run:#?}");
    assert!(!run.stderr.contains("PRIVATE KEY"), "{run:#?}");
    // A key that is not this certificate's.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = hallmark()
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("registry.db"))
        .arg("--tls-cert")
        .arg(dir.join("good.pem"))
        .arg("--tls-key")
        .arg(dir.join("elsewhere.key"))
        .run();
    run.expect_error("usage", 2);
    assert!(run.stderr.contains("don't go together"), "{run:#?}");
}

/// The active manifest's label in a manifest store (its last `urn:c2pa:`).
fn manifest_id_of(store: &[u8]) -> String {
    let text = String::from_utf8_lossy(store);
    let at = text.rfind("urn:c2pa:").expect("a manifest label");
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
        .collect()
}

/// A registry service that lies: every lookup names manifest `id`, and
/// `GET /v1/manifests/ID` serves `store`. Its address; it serves until the
/// test process ends.
fn lying_service(id: String, store: Vec<u8>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (kind, answer) = if first.starts_with("GET /v1/manifests/") {
                ("application/c2pa", store.clone())
            } else {
                let json =
                    serde_json::json!({"matches": [{"manifestId": id, "similarityScore": 1.0}]});
                ("application/json", json.to_string().into_bytes())
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&answer);
        }
    });
    addr
}

/// The manifest store (JUMBF) in a signed MP4's C2PA `uuid` box.
fn mp4_store(file: &Path) -> Vec<u8> {
    let bytes = std::fs::read(file).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"jumb")
        .expect("a JUMBF box")
        - 4;
    let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    bytes[at..at + size].to_vec()
}

/// A video Hallmark signed, registered by a service, is recovered from a
/// stripped, re-encoded, smaller copy through that service: by its vPDQ
/// hash alone (byBinding `org.hallmark.vpdq`), or by sending the video
/// (byContent); each time as a similar video, decided here by the frames
/// its store signed. Another video recovers nothing. Before, videos were
/// never looked up in a registry service.
#[test]
fn a_stripped_video_is_recovered_through_a_registry_service() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir);
    let p = |name: &str| dir.join(name);
    let id = support::jane(dir);
    let root = id.join("root.pem");
    let source = p("source.mp4");
    encode(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=8",
        ],
        &source,
    );
    let signed = p("signed.mp4");
    support::sign(&id, &source, &signed, support::NO_ARGS).expect_code(0);
    hallmark()
        .args(["registry", "add", "--db"])
        .arg(p("registry.db"))
        .arg(&signed)
        .arg("--trust")
        .arg(&root)
        .run()
        .expect_code(0);
    // Stripped: re-encoded at half the size (FFmpeg keeps no C2PA box).
    let stripped = p("reposted.mp4");
    let signed_s = signed.to_str().unwrap();
    encode(
        &["-i", signed_s, "-map", "0:v", "-vf", "scale=160:-2"],
        &stripped,
    );
    let unrelated = p("unrelated.mp4");
    encode(
        &[
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=size=320x240:rate=25",
            "-t",
            "8",
        ],
        &unrelated,
    );

    let s = serve(dir, &["--trust", root.to_str().unwrap()]);
    let url = format!("http://{}/v1", s.addr);
    let verify = |file: &Path, extra: &[&str]| {
        hallmark()
            .args(["verify", "--json", "--registry", &url, "--trust"])
            .arg(&root)
            .arg(file)
            .args(extra)
            .run()
    };
    for extra in [&[][..], &["--send-content"][..]] {
        // A similar video is not accepted without --accept-similar.
        let run = verify(&stripped, extra);
        run.expect_code(1);
        let report = run.json();
        assert_eq!(report["verdict"], "recovered", "{extra:?}: {report}");
        let r = &report["recovered"];
        assert_eq!(r["match"], "similar_video");
        assert_eq!(r["verdict_now"], "trusted");
        assert_eq!(r["signer"]["name"], "Jane Doe");
        assert_eq!(r["video"]["query_match_percent"], 100.0, "{report}");
        assert!(
            report["summary"]
                .as_str()
                .unwrap()
                .contains("a similar video: 100.0 % of this video's frames match one signed by "),
            "{report}"
        );
        verify(&stripped, &[&["--accept-similar"][..], extra].concat()).expect_code(0);
    }
    for extra in [&[][..], &["--send-content"][..]] {
        let run = verify(&unrelated, &[&["--accept-similar"][..], extra].concat());
        run.expect_code(1);
        let report = run.json();
        assert_eq!(report["verdict"], "unsigned", "{extra:?}: {report}");
    }

    // Unsigned audio, read in place, has nothing to look up: it is neither
    // read whole nor sent, and no lookup is noted.
    let audio = p("tone.wav");
    support::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=1",
        audio.to_str().unwrap(),
    ]);
    let run = verify(&audio, &[]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(report["verdict"], "unsigned", "{report}");
    assert_eq!(report["status"], serde_json::json!([]), "{report}");

    // A service that was given only the video's bare manifest store
    // (POST /manifests) finds it by the frames the store signed.
    let bare = serve_db(dir, &p("bare.db"), &["--trust", root.to_str().unwrap()]);
    let store = mp4_store(&signed);
    request(
        bare.addr,
        "POST",
        "/v1/manifests",
        &[
            ("Authorization", &bearer(WRITER)),
            ("Content-Type", "application/c2pa"),
        ],
        &store,
    )
    .expect(200);
    let run = hallmark()
        .args(["verify", "--json", "--accept-similar", "--trust"])
        .arg(&root)
        .args(["--registry", &format!("http://{}/v1", bare.addr)])
        .arg(&stripped)
        .run();
    run.expect_code(0);
    assert_eq!(
        run.json()["recovered"]["match"],
        "similar_video",
        "{run:#?}"
    );

    // A lying service, which names the signed video's store for whatever it
    // is asked: another video recovers nothing, and the note says why.
    let liar = lying_service(manifest_id_of(&store), store.clone());
    let run = hallmark()
        .args(["verify", "--json", "--accept-similar", "--trust"])
        .arg(&root)
        .args(["--registry", &format!("http://{liar}/v1")])
        .arg(&unrelated)
        .run();
    run.expect_code(1);
    let report = run.json();
    assert_eq!(report["verdict"], "unsigned", "{report}");
    let note = report["status"][0]["explanation"].as_str().unwrap();
    assert!(
        note.contains("of this video's frames match a frame its store signed (80 % needed"),
        "{note}"
    );
    // The same liar is believed for the video its store did sign.
    let run = hallmark()
        .args(["verify", "--json", "--accept-similar", "--trust"])
        .arg(&root)
        .args(["--registry", &format!("http://{liar}/v1")])
        .arg(&stripped)
        .run();
    run.expect_code(0);

    // The service's side: a vPDQ lookup names the video's manifest; a
    // malformed one is a 400; a vPDQ value is never bound.
    let out = hallmark()
        .args(["hash", "--format", "vpdq"])
        .arg(&stripped)
        .run();
    out.expect_code(0);
    let text = out.stdout.clone();
    assert!(text.lines().count() >= 8, "{out:#?}");
    let ask = |value: &str| {
        let body = serde_json::json!({"alg": "org.hallmark.vpdq", "value": value}).to_string();
        request(
            s.addr,
            "POST",
            "/v1/matches/byBinding",
            &[],
            body.as_bytes(),
        )
    };
    let answer = ask(&b64(text.as_bytes()));
    answer.expect(200);
    let found = answer.json();
    assert_eq!(found["matches"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["matches"][0]["match"], "similar_video");
    assert_eq!(found["matches"][0]["signer"]["name"], "Jane Doe");
    let answer = ask(&b64(b"0,100,not-a-hash,0.000\n"));
    answer.expect(400);
    assert_eq!(answer.error_code(), "http.bad_request");
    let manifest_id = found["matches"][0]["manifestId"].as_str().unwrap();
    let body = serde_json::json!({"bindingValue": b64(text.as_bytes()), "manifestId": manifest_id,
        "alg": "org.hallmark.vpdq"})
    .to_string();
    let answer = request(
        s.addr,
        "POST",
        "/v1/bindings",
        &[("Authorization", &bearer(WRITER))],
        body.as_bytes(),
    );
    answer.expect(400);
    let algorithms = get(s.addr, "/v1/services/supportedAlgorithms").json();
    assert!(
        algorithms["fingerprints"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"alg": "org.hallmark.vpdq"})),
        "{algorithms}"
    );
}
