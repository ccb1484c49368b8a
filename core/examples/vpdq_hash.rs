//! Hash a video with vPDQ and print the reference's text format:
//! `cargo run --release -p hallmark-core --example vpdq_hash -- VIDEO [SECONDS_PER_HASH]`
//! (bench/vpdq.sh times it against Meta's vpdq package).

use std::fs::File;

use hallmark_core::vpdq::decode::{hash_video, VideoOptions};
use hallmark_core::vpdq::write_text;
use hallmark_core::{identify, Limits, Source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: vpdq_hash VIDEO [SECONDS_PER_HASH]")?;
    let seconds_per_hash = args.next().map_or(Ok(1.0), |s| s.parse())?;
    let file = File::open(&path)?;
    let len = file.metadata()?.len();
    let mut head = vec![0u8; 4096];
    let n = std::io::Read::read(&mut &file, &mut head)?;
    let format = identify(&head[..n], &Limits::default())?;
    let options = VideoOptions {
        seconds_per_hash,
        threads: 0,
    };
    let (_, hash) = hash_video(
        Source::File { file: &file, len },
        format,
        &Limits::default(),
        &options,
    )?;
    print!("{}", write_text(&hash));
    Ok(())
}
