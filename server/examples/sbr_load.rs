//! A load generator for `hallmark serve` (bench/serve_load.py drives it):
//! CLIENTS threads, each on its own keep-alive HTTP/1.1 connection, send
//! `POST /v1/matches/byBinding` with the queries of a file for SECONDS, and
//! the run prints one JSON line: requests, errors, requests a second,
//! latency percentiles, and this process's own CPU seconds (on a small
//! machine the generator competes with the server: its share is reported).
//!
//! With `--write-every N --token T`, every Nth request of a client is a
//! `POST /v1/bindings` of a fresh random PDQ value instead (the soak's
//! mixed reads and writes); a write answered 204 counts as a success.
//!
//!     sbr_load --addr 127.0.0.1:8080 [--addr …] --queries FILE \
//!         --clients 16 --seconds 20 [--write-every 50 --token T --manifest-id ID]
//!
//! FILE holds `ALG BASE64VALUE` a line. Servers named by several --addr
//! are used round-robin, one per client. std only: no async runtime of its
//! own to weigh on the measurement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    addrs: Vec<String>,
    queries: String,
    clients: usize,
    seconds: u64,
    write_every: u64,
    token: String,
    manifest_id: String,
}

fn args() -> Args {
    let mut a = Args {
        addrs: Vec::new(),
        queries: String::new(),
        clients: 16,
        seconds: 10,
        write_every: 0,
        token: String::new(),
        manifest_id: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => a.addrs.push(value()),
            "--queries" => a.queries = value(),
            "--clients" => a.clients = value().parse().unwrap(),
            "--seconds" => a.seconds = value().parse().unwrap(),
            "--write-every" => a.write_every = value().parse().unwrap(),
            "--token" => a.token = value(),
            "--manifest-id" => a.manifest_id = value(),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(!a.addrs.is_empty(), "--addr is needed");
    a
}

/// One connection; reconnects after a `Connection: close` or an error.
struct Client {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Client {
    /// Send one request; its status, or None on a transport error.
    fn send(&mut self, head: &str, body: &[u8]) -> Option<u16> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr).ok()?;
            s.set_nodelay(true).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
            self.stream = Some(BufReader::new(s));
        }
        let r = self.stream.as_mut()?;
        let mut request = Vec::with_capacity(head.len() + body.len() + 64);
        request.extend_from_slice(head.as_bytes());
        request.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        request.extend_from_slice(body);
        if r.get_mut().write_all(&request).is_err() {
            self.stream = None;
            return None;
        }
        let answer = read_answer(r);
        match answer {
            Some((status, close)) => {
                if close {
                    self.stream = None;
                }
                Some(status)
            }
            None => {
                self.stream = None;
                None
            }
        }
    }
}

/// Status, and whether the server closes the connection; the body is read and dropped.
fn read_answer(r: &mut BufReader<TcpStream>) -> Option<(u16, bool)> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
    let (mut length, mut close, mut chunked) = (0usize, false, false);
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        let v = v.trim();
        match k.to_ascii_lowercase().as_str() {
            "content-length" => length = v.parse().ok()?,
            "connection" => close = v.eq_ignore_ascii_case("close"),
            "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line).ok()?;
            let size = usize::from_str_radix(line.trim(), 16).ok()?;
            let mut skip = vec![0; size + 2];
            r.read_exact(&mut skip).ok()?;
            if size == 0 {
                break;
            }
        }
    } else {
        let mut skip = vec![0; length];
        r.read_exact(&mut skip).ok()?;
    }
    Some((status, close))
}

/// This process's user and system CPU seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    ticks / 100.0
}

fn random_b64(seed: &mut u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = [0u8; 33];
    for b in bytes.iter_mut() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *b = *seed as u8;
    }
    // Base64 of 32 bytes ends in one '=': the 33rd byte, zero, keeps the
    // last character's unused bits zero, as a strict decoder wants.
    bytes[32] = 0;
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
        }
    }
    // 32 bytes: 43 characters and one '='.
    out.truncate(43);
    out.push('=');
    out
}

fn main() {
    let a = args();
    let text = std::fs::read_to_string(&a.queries).unwrap();
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        text.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(alg, value)| format!(r#"{{"alg":"{alg}","value":"{value}"}}"#).into_bytes())
            .collect(),
    );
    assert!(!bodies.is_empty(), "no queries in {}", a.queries);
    let stop = Arc::new(AtomicBool::new(false));
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let handles: Vec<_> = (0..a.clients)
        .map(|i| {
            let bodies = bodies.clone();
            let stop = stop.clone();
            let addr = a.addrs[i % a.addrs.len()].clone();
            let (write_every, token, manifest_id) =
                (a.write_every, a.token.clone(), a.manifest_id.clone());
            std::thread::spawn(move || {
                let mut client = Client { addr, stream: None };
                let head = "POST /v1/matches/byBinding HTTP/1.1\r\nHost: bench\r\n\
                            Content-Type: application/json\r\n";
                let write_head = format!(
                    "POST /v1/bindings HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
                     Authorization: Bearer {token}\r\n"
                );
                let mut latencies = Vec::new();
                let (mut errors, mut writes) = (0u64, 0u64);
                // Seeded by the clock too: each run writes values of its own
                // (a value bound already is rightly 409).
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                let mut seed = (0x9E37_79B9_7F4A_7C15u64 ^ now)
                    ^ (i as u64 + 1).wrapping_mul(0x1234_5678_9ABC);
                let mut n = i * 7919;
                let mut k = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    k += 1;
                    let t = Instant::now();
                    let ok = if write_every > 0 && k.is_multiple_of(write_every) {
                        writes += 1;
                        let body = format!(
                            r#"{{"alg":"org.hallmark.pdq","bindingValue":"{}","manifestId":"{manifest_id}"}}"#,
                            random_b64(&mut seed)
                        );
                        let status = client.send(&write_head, body.as_bytes());
                        if status != Some(204) && errors == 0 {
                            eprintln!("sbr_load: a write was answered {status:?}");
                        }
                        status == Some(204)
                    } else {
                        n = (n + 1) % bodies.len();
                        client.send(head, &bodies[n]) == Some(200)
                    };
                    latencies.push(t.elapsed().as_micros() as u64);
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors, writes)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(a.seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let (mut errors, mut writes) = (0, 0);
    for h in handles {
        let (l, e, w) = h.join().unwrap();
        all.extend(l);
        errors += e;
        writes += w;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |v| *v as f64 / 1000.0)
    };
    println!(
        r#"{{"clients":{},"requests":{},"writes":{writes},"errors":{errors},"seconds":{elapsed:.2},"rps":{:.1},"p50_ms":{:.3},"p99_ms":{:.3},"max_ms":{:.3},"load_cpu_s":{cpu:.2}}}"#,
        a.clients,
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        all.last().map_or(0.0, |v| *v as f64 / 1000.0),
    );
}
