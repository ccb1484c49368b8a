//! What every CLI test needs: run the binary with a clean environment, make
//! images and identities in a temporary directory, read reports back.

use std::ffi::OsStr;
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub const PASSPHRASE: &str = "correct horse battery staple";
pub const DIGITAL_CAPTURE: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture";
pub const TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// The binary under test, with no passphrase in its environment, no terminal
/// on stdin, and no user trust list (a configuration directory that doesn't exist).
pub fn hallmark() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hallmark"));
    cmd.env_remove("HALLMARK_PASSPHRASE")
        .env("HALLMARK_CONFIG_DIR", "/nonexistent/hallmark-test-config")
        .stdin(Stdio::null());
    cmd
}

/// What one run of a command did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub trait RunExt {
    fn run(&mut self) -> Run;
}

impl RunExt for Command {
    fn run(&mut self) -> Run {
        use std::os::unix::process::ExitStatusExt;
        let out = self.output().expect("the command starts");
        Run {
            code: out.status.code(),
            signal: out.status.signal(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Run {
    /// Assert the exit status, showing everything the command printed when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit status: {self:#?}");
        self.expect_no_panic();
        self
    }

    #[track_caller]
    pub fn expect_no_panic(&self) -> &Self {
        assert!(self.signal.is_none(), "killed by a signal: {self:#?}");
        assert_ne!(
            self.code,
            Some(101),
            "exit 101 is Rust's panic status: {self:#?}"
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stdout.contains("panicked"),
            "panic text: {self:#?}"
        );
        self
    }

    /// A failure as DESIGN.md and STYLE.md want it: the exit status, then one
    /// line `hallmark: error [CODE]: sentence` on stderr, perhaps one hint line.
    #[track_caller]
    pub fn expect_error(&self, code: &str, exit: i32) -> &Self {
        self.expect_code(exit);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(!lines.is_empty(), "no error on stderr: {self:#?}");
        let prefix = format!("hallmark: error [{code}]: ");
        assert!(
            lines[0].starts_with(&prefix),
            "stderr should start {prefix:?}: {self:#?}"
        );
        assert!(
            lines.len() <= 2,
            "one error line and at most one hint: {self:#?}"
        );
        if let Some(hint) = lines.get(1) {
            assert!(
                hint.starts_with("  hint: "),
                "second line is a hint: {self:#?}"
            );
        }
        assert!(
            !self.stderr.chars().any(|c| c.is_control() && c != '\n'),
            "raw control characters on stderr: {self:#?}"
        );
        self
    }

    /// Every stdout line parsed as one JSON object.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{self:#?}"));
                assert!(value.is_object(), "a JSON object per line: {line}");
                value
            })
            .collect()
    }

    /// The one JSON report a single-file `verify --json` prints.
    #[track_caller]
    pub fn json(&self) -> Value {
        let mut lines = self.json_lines();
        assert_eq!(lines.len(), 1, "exactly one JSON line: {self:#?}");
        lines.remove(0)
    }
}

/// A deterministic picture: gradients and a texture, so JPEG keeps some bytes.
pub fn picture(width: u32, height: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| {
        let texture = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 251;
        image::Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            texture as u8,
        ])
    })
}

fn encode(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture(width, height))
        .write_to(&mut out, format)
        .expect("encode the test picture");
    out.into_inner()
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, image::ImageFormat::Jpeg)
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, image::ImageFormat::Png)
}

/// Lossless WebP (the `image` crate's encoder).
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, image::ImageFormat::WebP)
}

/// CRC-32 (IEEE) as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut covered = kind.to_vec();
    covered.extend_from_slice(data);
    out.extend_from_slice(&crc32(&covered).to_be_bytes());
    out
}

/// A tiny, well-formed PNG (correct CRCs) whose IHDR claims `width`×`height`
/// RGB pixels; its IDAT holds an empty zlib stream (stored, zero bytes).
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, adaptive, no interlace
                                              // zlib header, one final stored block of length 0, Adler-32 of nothing (1).
    let idat = [
        0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
    ];
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(b"IDAT", &idat));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

#[test]
fn crc32_matches_the_png_specification() {
    // The CRC of an empty IEND chunk, as every PNG ends with it.
    assert_eq!(crc32(b"IEND"), 0xAE42_6082);
}

/// `fixtures/REL` from the project root.
#[allow(dead_code)] // the `cli` test binary names fixtures its own way
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel)
}

/// `../shared/corpus/REL` from the project root.
pub fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus")
        .join(rel)
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// Names in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Temporary files that `hallmark` writes before renaming (`.hallmark-*`).
pub fn leftovers(dir: &Path) -> Vec<String> {
    entries(dir)
        .into_iter()
        .filter(|n| n.starts_with(".hallmark-"))
        .collect()
}

/// `hallmark keygen` into `dir`, unencrypted; returns `dir`.
pub fn identity(dir: &Path, name: &str, org: &str) -> PathBuf {
    hallmark()
        .args([
            "keygen",
            "--no-passphrase",
            "--name",
            name,
            "--org",
            org,
            "--out",
        ])
        .arg(dir)
        .run()
        .expect_code(0);
    dir.to_path_buf()
}

/// The identity most tests sign with: Jane Doe of Example News, in `base/id`.
pub fn jane(base: &Path) -> PathBuf {
    identity(&base.join("id"), "Jane Doe", "Example News")
}

/// `hallmark sign IN -o OUT --identity ID [extra…]`.
pub fn sign<S: AsRef<OsStr>>(id: &Path, input: &Path, output: &Path, extra: &[S]) -> Run {
    hallmark()
        .arg("sign")
        .arg(input)
        .arg("-o")
        .arg(output)
        .arg("--identity")
        .arg(id)
        .args(extra)
        .run()
}

pub const NO_ARGS: &[&str] = &[];

/// `hallmark verify --json FILES… [--trust ROOT]`.
pub fn verify_json(files: &[&Path], trust: Option<&Path>) -> Run {
    let mut cmd = hallmark();
    cmd.args(["verify", "--json"]).args(files);
    if let Some(root) = trust {
        cmd.arg("--trust").arg(root);
    }
    cmd.run()
}

/// PEM `CERTIFICATE` blocks of a file, as DER.
pub fn pem_certificates(path: &Path) -> Vec<Vec<u8>> {
    let bytes = fs::read(path).unwrap();
    x509_parser::pem::Pem::iter_from_buffer(&bytes)
        .map(|block| block.expect("PEM block"))
        .filter(|block| block.label == "CERTIFICATE")
        .map(|block| block.contents)
        .collect()
}

/// Flip one bit of the image data near the end of a JPEG, past any manifest.
pub fn tamper_jpeg(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut i = out.len() - 64;
    while out[i] >= 0xFE || out[i - 1] == 0xFF {
        i -= 1;
    }
    out[i] ^= 0x01;
    out
}

/// Run a command under `sh -c SCRIPT`, the binary as `$0` and `args` as `$@`.
pub fn under_sh<S: AsRef<OsStr>>(script: &str, args: &[S]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_hallmark"))
        .args(args)
        .env_remove("HALLMARK_PASSPHRASE")
        .stdin(Stdio::null());
    cmd
}

/// An independent tool the tests check against (`ffmpeg` and `openssl`,
/// which scripts/setup.sh installs; `readelf`, of binutils, which the
/// linker comes with), run with `args` in `dir` (or here): it must
/// succeed; its standard output.
#[allow(dead_code)] // the video and serve tests'
pub fn tool<S: AsRef<OsStr>>(program: &str, dir: Option<&Path>, args: &[S]) -> String {
    let mut command = Command::new(program);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let out = command
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} can't be run: {e}"));
    assert!(
        out.status.success(),
        "{program} {:?}: {}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ffmpeg` with `args`, quietly, overwriting its output.
#[allow(dead_code)] // the video and serve tests'
pub fn ffmpeg<S: AsRef<OsStr>>(args: &[S]) {
    let mut all: Vec<&OsStr> = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
        .map(OsStr::new)
        .to_vec();
    all.extend(args.iter().map(AsRef::as_ref));
    tool("ffmpeg", None, &all);
}

/// FFmpeg's arguments, then MPEG-4 at a fixed quality with a key frame a
/// second (25 fps), into `out`.
#[allow(dead_code)] // the video and serve tests'
pub fn encode_video(args: &[&str], out: &Path) {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.extend(["-c:v", "mpeg4", "-q:v", "3", "-g", "25"].map(OsStr::new));
    all.push(out.as_os_str());
    ffmpeg(&all);
}
