//! A PostgreSQL server for the tests that need one: the one named by
//! `HALLMARK_TEST_POSTGRES` (scripts/test.sh starts one and sets it), else
//! one this test process starts with scripts/pg-server.sh, which stops when
//! the process ends. Each caller gets a database of its own.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The server's URL (its `postgres` database).
pub fn server() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("HALLMARK_TEST_POSTGRES") {
            return url;
        }
        let dir = std::env::temp_dir().join(format!("hallmark-pg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/pg-server.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .arg(&dir)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "can't start a test PostgreSQL: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
}

/// A new, empty database on the test server: its URL.
pub fn fresh_database() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "hallmark_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut admin = postgres::Client::connect(server(), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let base = server().rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}
