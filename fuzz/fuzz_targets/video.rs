//! Decode arbitrary bytes as a video (FFmpeg through ffmpeg-next, under the
//! limits) and hash its frames: an error with a code, never a crash or a hang.
#![no_main]

use hallmark_core::vpdq::decode::hash_video;
use hallmark_core::vpdq::VideoOptions;
use hallmark_core::{Limits, MediaFormat, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(format) = MediaFormat::sniff(data) else {
        return;
    };
    let limits = Limits {
        max_pixels: 4_000_000,
        ..Limits::default()
    };
    let options = VideoOptions {
        seconds_per_hash: 0.0,
        threads: 1,
    };
    match hash_video(Source::Bytes(data), format, &limits, &options) {
        Ok((info, hash)) => {
            assert!(hash.len() as u64 <= info.frames_decoded);
            assert!(u64::from(info.width) * u64::from(info.height) <= limits.max_pixels);
        }
        Err(e) => {
            let _ = e.code();
        }
    }
});
