//! Decoding a video's frames with FFmpeg (ffmpeg-next) and hashing the
//! sampled ones with PDQ: Meta's vPDQ, computed as its reference does (every
//! `frame_mod`-th decoded frame, PDQ of the frame's luminance at full size,
//! `time = frame / average frame rate`), faster:
//!
//! - the decoder runs frame and slice threads (the reference: slice threads
//!   only, which most H.264 files don't have);
//! - frames that aren't sampled are never converted, and those no other
//!   frame refers to are never decoded (FFmpeg's `skip_frame` set a packet
//!   at a time, the frames numbered by presentation time, checked against
//!   what a full decode gives, see `decode_sampled`): about 40 % of H.264's
//!   decoding at a frame a second;
//! - a sampled frame's luminance is read off its Y plane (planar YUV, most
//!   video), not from an RGB conversion of the whole frame: the reference's
//!   `0.299 R + 0.587 G + 0.114 B` of BT.601 RGB is an affine map of Y, which
//!   leaves PDQ's bits as they are, and the map is applied for the quality;
//!   other pixel formats go through swscale to RGB as in the reference;
//! - PDQ runs on worker threads while the decoder goes on, a frame a worker
//!   (never splitting one frame over threads of its own).
//!
//! Untrusted files: only the MP4/MOV and AVI demuxers can be chosen (no
//! playlists, no concatenation, no network or file protocols: the bytes come
//! through a reader, and nested opens are refused), frames are bounded by
//! [`Limits`] before and during decoding, a packet that doesn't decode is
//! skipped and counted, and FFmpeg's own logging is silenced.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::{mpsc, Mutex, OnceLock};

use ffmpeg::format::Pixel;
use ffmpeg_next as ffmpeg;

use super::{frame_mod, frame_time, VideoHash, VpdqFrame};
pub use super::{VideoInfo, VideoOptions};
use crate::media::{check_dimensions, Limits, MediaError, MediaFormat, Source};
use crate::pdq::{hash_luma, luma_row, Pdq, Scratch};

/// Most decoded frames of one video: 460 hours at 30 frames a second.
pub const MAX_DECODED_FRAMES: u64 = 50_000_000;
/// Most sampled frames kept (each 48 bytes): as many as a hash file may hold.
pub const MAX_SAMPLED_FRAMES: usize = super::MAX_TEXT_FRAMES;
/// Packets that fail to decode before the file is called malformed.
const MAX_BAD_PACKETS: u64 = 10_000;

/// A sampled frame's pixels, as the decoder gave them: what its PDQ hash is
/// computed from, on a hashing thread ([`FramePixels::pdq`]) or in a tensor
/// engine's batch ([`hash_video_in_batches`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramePixels {
    /// The Y plane, `width` bytes a row; `full_range` for JPEG-range YUV.
    Luma {
        data: Vec<u8>,
        width: usize,
        height: usize,
        full_range: bool,
    },
    /// Packed RGB, 3 bytes a pixel.
    Rgb {
        data: Vec<u8>,
        width: usize,
        height: usize,
    },
}

impl FramePixels {
    /// The 8-bit samples, row after row.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Luma { data, .. } | Self::Rgb { data, .. } => data,
        }
    }

    /// Rows, columns and bytes a pixel (1 for a Y plane, 3 for RGB).
    pub fn shape(&self) -> (usize, usize, usize) {
        match self {
            Self::Luma { width, height, .. } => (*height, *width, 1),
            Self::Rgb { width, height, .. } => (*height, *width, 3),
        }
    }

    /// For a Y plane, the luminance (as f32) that each value stands for: the
    /// map PDQ's input goes through, so that any engine hashing these bytes
    /// computes the CPU's numbers. `None` for RGB (BT.601 luminance).
    pub fn luma_table(&self) -> Option<&'static [f32; 256]> {
        match self {
            Self::Luma { full_range, .. } => Some(luma_table(*full_range)),
            Self::Rgb { .. } => None,
        }
    }

    /// PDQ of the frame with the reference's arithmetic (the CPU engine).
    pub fn pdq(&self) -> Pdq {
        match self {
            Self::Luma {
                data,
                width,
                height,
                full_range,
            } => {
                let table = luma_table(*full_range);
                let mut luma = Scratch::from_bytes(data, |y| table[usize::from(y)]);
                hash_luma(&mut luma, *height, *width)
            }
            Self::Rgb {
                data,
                width,
                height,
            } => {
                let mut luma = Scratch::zeroed(width * height);
                luma_row(data, 3, &mut luma);
                hash_luma(&mut luma, *height, *width)
            }
        }
    }
}

/// A sampled frame: its number, its time and its pixels.
#[derive(Debug, Clone)]
pub struct SampledFrame {
    pub frame: u64,
    pub time: f64,
    pub pixels: FramePixels,
}

impl SampledFrame {
    /// The frame's vPDQ entry, given its hash.
    pub fn hashed(&self, pdq: Pdq) -> VpdqFrame {
        vpdq_frame(self.frame, self.time, pdq)
    }
}

fn vpdq_frame(frame: u64, time: f64, pdq: Pdq) -> VpdqFrame {
    VpdqFrame {
        frame,
        time,
        pdq: pdq.hash,
        quality: pdq.quality,
    }
}

/// Most frames in one batch of [`hash_video_in_batches`].
pub const MAX_BATCH_FRAMES: usize = 64;
/// Most pixels in one batch of [`hash_video_in_batches`] (eight 1080p frames):
/// a tensor engine holds a few f32 and f64 copies of a batch at once.
pub const MAX_BATCH_PIXELS: usize = 16 << 20;

/// Y to the luminance the reference computes from the RGB that swscale makes
/// of it (BT.601): Y itself at full range, `(Y − 16) · 255/219` at TV range.
fn luma_table(full_range: bool) -> &'static [f32; 256] {
    static FULL: OnceLock<[f32; 256]> = OnceLock::new();
    static LIMITED: OnceLock<[f32; 256]> = OnceLock::new();
    if full_range {
        FULL.get_or_init(|| std::array::from_fn(|y| y as f32))
    } else {
        LIMITED.get_or_init(|| std::array::from_fn(|y| ((y as f64 - 16.0) * 255.0 / 219.0) as f32))
    }
}

/// Pixel formats whose first plane is 8-bit Y, with whether swscale reads them at full range.
fn y_plane(format: Pixel) -> Option<bool> {
    match format {
        Pixel::YUV420P
        | Pixel::YUV422P
        | Pixel::YUV444P
        | Pixel::YUV440P
        | Pixel::YUV411P
        | Pixel::YUV410P
        | Pixel::NV12
        | Pixel::NV21
        | Pixel::NV16
        | Pixel::YUVA420P => Some(false),
        Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P | Pixel::YUVJ411P => {
            Some(true)
        }
        _ => None,
    }
}

/// A reader over an open file by position (`pread`): its own offset, so the
/// caller's `File` is left where it was.
struct FileAt {
    file: File,
    pos: u64,
    len: u64,
}

impl Read for FileAt {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for FileAt {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let to = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = to.ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

fn init() -> Result<(), MediaError> {
    static INIT: OnceLock<bool> = OnceLock::new();
    super::lazy::load().map_err(|why| MediaError::Unsupported {
        format: "video",
        why,
    })?;
    let ok = *INIT.get_or_init(|| {
        let ok = ffmpeg::init().is_ok();
        // The library never prints: FFmpeg's complaints about a damaged file become counts.
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet);
        ok
    });
    if ok {
        Ok(())
    } else {
        Err(malformed("FFmpeg could not be initialised"))
    }
}

fn malformed(detail: impl Into<String>) -> MediaError {
    MediaError::Malformed {
        format: "video",
        detail: detail.into(),
    }
}

/// The demuxer FFmpeg may use for a format Hallmark sniffed.
fn demuxer(format: MediaFormat) -> Option<&'static str> {
    match format {
        MediaFormat::Mp4 | MediaFormat::Mov => Some("mov"),
        MediaFormat::Avi => Some("avi"),
        _ => None,
    }
}

/// Decode a video and hash its sampled frames (see the module docs).
pub fn hash_video(
    source: Source<'_>,
    format: MediaFormat,
    limits: &Limits,
    options: &VideoOptions,
) -> Result<(VideoInfo, VideoHash), MediaError> {
    let mut frames = Vec::new();
    for skip in [true, false] {
        frames.clear();
        let decoded = for_each_sampled(source, format, limits, options, skip, |frame| {
            keep(&mut frames, frame, limits)
        })?;
        if let Decoded::Done(info) = decoded {
            return Ok((info, VideoHash::new(frames)));
        }
    }
    Err(malformed("its frames could not be numbered"))
}

/// Push a hashed frame, past [`MAX_SAMPLED_FRAMES`] an error.
fn keep(frames: &mut Vec<VpdqFrame>, frame: VpdqFrame, limits: &Limits) -> Result<(), MediaError> {
    if frames.len() == MAX_SAMPLED_FRAMES {
        return Err(MediaError::TooManyFrames {
            max_frames: MAX_SAMPLED_FRAMES as u64,
            max_pixels: limits.max_pixels,
        });
    }
    frames.push(frame);
    Ok(())
}

/// Decode a video and hash its sampled frames with `hasher`, a batch at a
/// time (at most [`MAX_BATCH_FRAMES`] frames and [`MAX_BATCH_PIXELS`]
/// pixels): a tensor engine's way. `hasher` gets the frames in order and
/// answers one hash each, in that order; its error ends decoding. The frames
/// and times are those of [`hash_video`], and so are the hashes when
/// `hasher` computes [`FramePixels::pdq`].
pub fn hash_video_in_batches<E: From<MediaError>>(
    source: Source<'_>,
    format: MediaFormat,
    limits: &Limits,
    options: &VideoOptions,
    mut hasher: impl FnMut(&[FramePixels]) -> Result<Vec<Pdq>, E>,
) -> Result<(VideoInfo, VideoHash), E> {
    let mut frames = Vec::new();
    let mut batch: Vec<SampledFrame> = Vec::new();
    for skip in [true, false] {
        frames.clear();
        batch.clear();
        let mut pixels = 0usize;
        let decoded = decode_sampled(
            source,
            format,
            limits,
            options,
            skip,
            |frame: SampledFrame| -> Result<(), E> {
                let (rows, cols, channels) = frame.pixels.shape();
                pixels += rows * cols * channels;
                batch.push(frame);
                if batch.len() >= MAX_BATCH_FRAMES || pixels >= MAX_BATCH_PIXELS {
                    hash_batch(&mut batch, &mut frames, &mut hasher, limits)?;
                    pixels = 0;
                }
                Ok(())
            },
        )?;
        if let Decoded::Done(info) = decoded {
            hash_batch(&mut batch, &mut frames, &mut hasher, limits)?;
            return Ok((info, VideoHash::new(frames)));
        }
    }
    Err(malformed("its frames could not be numbered").into())
}

/// Hash a batch with `hasher` and keep its frames; the batch is emptied.
fn hash_batch<E: From<MediaError>>(
    batch: &mut Vec<SampledFrame>,
    frames: &mut Vec<VpdqFrame>,
    hasher: &mut impl FnMut(&[FramePixels]) -> Result<Vec<Pdq>, E>,
    limits: &Limits,
) -> Result<(), E> {
    if batch.is_empty() {
        return Ok(());
    }
    let taken = std::mem::take(batch);
    let (numbers, pixels): (Vec<(u64, f64)>, Vec<FramePixels>) = taken
        .into_iter()
        .map(|f| ((f.frame, f.time), f.pixels))
        .unzip();
    let hashes = hasher(&pixels)?;
    if hashes.len() != numbers.len() {
        return Err(E::from(malformed(format!(
            "{} hashes came back for {} frames",
            hashes.len(),
            numbers.len()
        ))));
    }
    for ((frame, time), pdq) in numbers.into_iter().zip(hashes) {
        keep(frames, vpdq_frame(frame, time, pdq), limits)?;
    }
    Ok(())
}

/// Decoding threads (frame threads) and hashing threads for `options`.
fn thread_count(options: &VideoOptions) -> usize {
    if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    }
}

/// Decode a video and call `sink` with the hash of every sampled frame, in
/// no particular order (they are hashed on several threads); `skip` as for
/// [`decode_sampled`] (on [`Decoded::Retry`], `sink` has had some frames).
fn for_each_sampled(
    source: Source<'_>,
    format: MediaFormat,
    limits: &Limits,
    options: &VideoOptions,
    skip: bool,
    mut sink: impl FnMut(VpdqFrame) -> Result<(), MediaError>,
) -> Result<Decoded, MediaError> {
    // Hashing threads: the decoder thread hands them pictures, they hand back frames.
    let workers = thread_count(options).clamp(1, 16);
    let (to_hash, jobs) = mpsc::sync_channel::<SampledFrame>(workers * 2);
    let jobs = Mutex::new(jobs);
    let (to_sink, hashed) = mpsc::channel::<VpdqFrame>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let to_sink = to_sink.clone();
            let jobs = &jobs;
            scope.spawn(move || loop {
                let job = match jobs.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(sampled) = job else { return };
                // One frame a worker: the workers already use every core.
                let pdq = crate::parallel::serial(|| sampled.pixels.pdq());
                if to_sink.send(sampled.hashed(pdq)).is_err() {
                    return;
                }
            });
        }
        drop(to_sink);
        let decoded = decode_sampled(source, format, limits, options, skip, |frame| {
            if to_hash.send(frame).is_err() {
                return Err(malformed("the hashing threads stopped"));
            }
            while let Ok(f) = hashed.try_recv() {
                sink(f)?;
            }
            Ok(())
        });
        drop(to_hash);
        let mut result = decoded;
        for f in hashed.iter() {
            if result.is_ok() {
                if let Err(e) = sink(f) {
                    result = Err(e);
                }
            }
        }
        result
    })
}

/// Decode a video on this thread and hand every sampled frame's pixels to
/// `sink`, in frame order; `sink`'s error ends decoding.
///
/// With `skip`, when sampling (not every frame), packets of frames that
/// aren't sampled go to the decoder with "skip if nothing refers to it":
/// those frames are never reconstructed (about 40 % of H.264's decoding
/// time). Frames are then numbered by presentation order, from the times of
/// every packet read beforehand ([`presentation_order`]); the answer is
/// [`Decoded::Retry`] (decode again without `skip`) unless every sampled
/// frame came out, once, in order, and no packet failed: then the numbers are
/// those a full decode gives.
fn decode_sampled<E: From<MediaError>>(
    source: Source<'_>,
    format: MediaFormat,
    limits: &Limits,
    options: &VideoOptions,
    skip: bool,
    mut sink: impl FnMut(SampledFrame) -> Result<(), E>,
) -> Result<Decoded, E> {
    let demuxer = demuxer(format).ok_or(MediaError::Unsupported {
        format: format.mime(),
        why: "not a video Hallmark decodes (MP4, MOV and AVI are)",
    })?;
    init()?;
    let mut input = open_input(source, demuxer)?;
    let stream =
        input
            .streams()
            .best(ffmpeg::media::Type::Video)
            .ok_or(MediaError::Unsupported {
                format: format.mime(),
                why: "the file has no video stream",
            })?;
    let index = stream.index();
    let mut rate = stream.avg_frame_rate();
    if rate.numerator() <= 0 || rate.denominator() <= 0 {
        rate = stream.rate();
    }
    let frame_rate = if rate.numerator() > 0 && rate.denominator() > 0 {
        f64::from(rate.numerator()) / f64::from(rate.denominator())
    } else {
        return Err(malformed("the video stream has no frame rate").into());
    };
    let parameters = stream.parameters();
    let mut context = ffmpeg::codec::context::Context::from_parameters(parameters)
        .map_err(|e| malformed(e.to_string()))?;
    let threads = thread_count(options);
    context.set_threading(ffmpeg::codec::threading::Config {
        kind: ffmpeg::codec::threading::Type::Frame,
        count: threads,
        ..Default::default()
    });
    let mut codec_options = ffmpeg::Dictionary::new();
    codec_options.set(
        "max_pixels",
        &limits.max_pixels.min(i64::MAX as u64).to_string(),
    );
    let found = ffmpeg::codec::decoder::find(context.id()).ok_or(MediaError::Unsupported {
        format: format.mime(),
        why: "no decoder for its video codec",
    })?;
    let mut decoder = context
        .decoder()
        .open_as_with(found, codec_options)
        .and_then(|d| d.video())
        .map_err(|e| MediaError::Unsupported {
            format: format.mime(),
            why: if matches!(e, ffmpeg::Error::DecoderNotFound) {
                "no decoder for its video codec"
            } else {
                "its video decoder could not be opened"
            },
        })?;
    check_dimensions(decoder.width(), decoder.height(), limits)?;
    let codec = decoder
        .codec()
        .map_or_else(|| "unknown".to_string(), |c| c.name().to_string());
    let every = frame_mod(options.seconds_per_hash, frame_rate);
    let order = if skip && every > 1 {
        presentation_order(source, demuxer, index)
    } else {
        None
    };
    let rank = |pts: Option<i64>| -> Option<u64> {
        let order = order.as_ref()?;
        order.binary_search(&pts?).ok().map(|r| r as u64)
    };
    let (mut sampled_out, mut last, mut retry) = (0u64, None::<u64>, false);

    let mut info = VideoInfo {
        format: format.mime(),
        codec,
        width: decoder.width(),
        height: decoder.height(),
        frame_rate,
        frames_decoded: 0,
        frames_skipped: 0,
        bad_packets: 0,
    };

    let mut result: Result<(), E> = Ok(());
    let mut frame = ffmpeg::frame::Video::empty();
    let mut scaler: Option<(Pixel, u32, u32, ffmpeg::software::scaling::Context)> = None;
    let mut eof = false;
    'read: loop {
        if !eof {
            // A new packet each time: `Packet::read` fills it without
            // unreferencing what it held (its buffers and side data
            // leaked, one packet's worth a read; LeakSanitizer found it
            // through the `video` fuzz target), and dropping it does.
            let mut packet = ffmpeg::Packet::empty();
            match packet.read(&mut input) {
                Ok(()) => {
                    if packet.stream() != index {
                        continue;
                    }
                    if order.is_some() {
                        let wanted = rank(packet.pts()).is_none_or(|r| r.is_multiple_of(every));
                        decoder.skip_frame(if wanted {
                            ffmpeg::codec::discard::Discard::Default
                        } else {
                            ffmpeg::codec::discard::Discard::NonReference
                        });
                    }
                    if decoder.send_packet(&packet).is_err() {
                        if let Err(e) = skip_bad_packet(&mut info) {
                            result = Err(e.into());
                            break 'read;
                        }
                        continue;
                    }
                }
                Err(ffmpeg::Error::Eof) => {
                    eof = true;
                    let _ = decoder.send_eof();
                }
                Err(ffmpeg::Error::InvalidData) => {
                    if let Err(e) = skip_bad_packet(&mut info) {
                        result = Err(e.into());
                        break 'read;
                    }
                    continue;
                }
                Err(e) => {
                    result = Err(malformed(format!("reading stopped: {e}")).into());
                    break 'read;
                }
            }
        }
        loop {
            match decoder.receive_frame(&mut frame) {
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => break 'read,
                Err(ffmpeg::Error::Other {
                    errno: ffmpeg::util::error::EAGAIN,
                }) => break,
                Err(_) => {
                    info.bad_packets += 1;
                    if eof || info.bad_packets > MAX_BAD_PACKETS {
                        break 'read;
                    }
                    break;
                }
            }
            let n = if order.is_some() {
                // Numbered by presentation time: skipped frames leave gaps.
                match rank(frame.pts()) {
                    Some(n) if last.is_none_or(|l| n > l) => {
                        last = Some(n);
                        n
                    }
                    _ => {
                        retry = true;
                        break 'read;
                    }
                }
            } else {
                info.frames_decoded
            };
            info.frames_decoded += 1;
            if info.frames_decoded > MAX_DECODED_FRAMES {
                result = Err(MediaError::TooManyFrames {
                    max_frames: MAX_DECODED_FRAMES,
                    max_pixels: limits.max_pixels,
                }
                .into());
                break 'read;
            }
            if !n.is_multiple_of(every) {
                continue;
            }
            sampled_out += 1;
            let sampled = picture(&frame, &mut scaler, limits).map(|pixels| SampledFrame {
                frame: n,
                time: frame_time(n, frame_rate),
                pixels,
            });
            if let Err(e) = sampled.map_err(E::from).and_then(&mut sink) {
                result = Err(e);
                break 'read;
            }
        }
    }
    result?;
    if let Some(order) = &order {
        let total = order.len() as u64;
        if retry || info.bad_packets > 0 || sampled_out != total.div_ceil(every) {
            return Ok(Decoded::Retry);
        }
        // Every frame of the stream, decoded or skipped undecoded.
        info.frames_skipped = total - info.frames_decoded;
        info.frames_decoded = total;
    }
    if info.frames_decoded == 0 {
        return Err(malformed("no frame of its video could be decoded").into());
    }
    Ok(Decoded::Done(info))
}

/// What [`decode_sampled`] did.
enum Decoded {
    Done(VideoInfo),
    /// Skipping frames could not be shown to number them as a full decode
    /// does: decode again, every frame.
    Retry,
}

/// Open `source` with FFmpeg's demuxer `demuxer` and nothing else.
fn open_input(
    source: Source<'_>,
    demuxer: &str,
) -> Result<ffmpeg::format::context::Input, MediaError> {
    let io = match source {
        Source::Bytes(bytes) => {
            ffmpeg::format::context::StreamIo::from_read_seek(Cursor::new(bytes.to_vec()))
        }
        Source::File { file, len } => {
            let file = file
                .try_clone()
                .map_err(|e| malformed(format!("the file could not be reopened: {e}")))?;
            ffmpeg::format::context::StreamIo::from_read_seek(FileAt { file, pos: 0, len })
        }
    }
    .map_err(|e| malformed(e.to_string()))?;
    let mut open = ffmpeg::Dictionary::new();
    open.set("format_whitelist", demuxer);
    // No nested opens: no external references, playlists or network.
    open.set("protocol_whitelist", "none");
    ffmpeg::format::input_from_stream(io, None, Some(open))
        .map_err(|e| malformed(format!("FFmpeg could not read it: {e}")))
}

/// Most packets [`presentation_order`] indexes (8 bytes each).
const MAX_INDEXED_PACKETS: usize = 4 << 20;

/// Every packet's presentation time of stream `index`, sorted: a frame's
/// place in it is its number in presentation order. `None` (decode every
/// frame) when a packet has no time, two share one, one is marked corrupt,
/// or there are too many.
fn presentation_order(source: Source<'_>, demuxer: &str, index: usize) -> Option<Vec<i64>> {
    let mut input = open_input(source, demuxer).ok()?;
    let mut times = Vec::new();
    loop {
        let mut packet = ffmpeg::Packet::empty();
        match packet.read(&mut input) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(_) => return None,
        }
        if packet.stream() != index {
            continue;
        }
        if packet.is_corrupt() || times.len() == MAX_INDEXED_PACKETS {
            return None;
        }
        times.push(packet.pts()?);
    }
    times.sort_unstable();
    let distinct = times.windows(2).all(|w| w[0] < w[1]);
    (distinct && !times.is_empty()).then_some(times)
}

/// Count a packet that could not be read or decoded; past [`MAX_BAD_PACKETS`] the file is malformed.
fn skip_bad_packet(info: &mut VideoInfo) -> Result<(), MediaError> {
    info.bad_packets += 1;
    if info.bad_packets > MAX_BAD_PACKETS {
        return Err(malformed(format!(
            "more than {MAX_BAD_PACKETS} packets could not be read or decoded"
        )));
    }
    Ok(())
}

/// The pixels of a sampled frame: its Y plane, or RGB through swscale.
fn picture(
    frame: &ffmpeg::frame::Video,
    scaler: &mut Option<(Pixel, u32, u32, ffmpeg::software::scaling::Context)>,
    limits: &Limits,
) -> Result<FramePixels, MediaError> {
    let (w, h) = (frame.width(), frame.height());
    check_dimensions(w, h, limits)?;
    let (width, height) = (w as usize, h as usize);
    if let Some(full_range) = y_plane(frame.format()) {
        let stride = frame.stride(0);
        let plane = frame.data(0);
        let mut data = Vec::with_capacity(width * height);
        for row in 0..height {
            let start = row * stride;
            let line = plane
                .get(start..start + width)
                .ok_or_else(|| malformed("a frame is smaller than it says"))?;
            data.extend_from_slice(line);
        }
        return Ok(FramePixels::Luma {
            data,
            width,
            height,
            full_range,
        });
    }
    let format = frame.format();
    let stale = !matches!(scaler, Some((f, sw, sh, _)) if *f == format && *sw == w && *sh == h);
    if stale {
        let context = ffmpeg::software::scaling::Context::get(
            format,
            w,
            h,
            Pixel::RGB24,
            w,
            h,
            ffmpeg::software::scaling::Flags::AREA,
        )
        .map_err(|_| MediaError::Unsupported {
            format: "video",
            why: "its pixel format can't be converted to RGB",
        })?;
        *scaler = Some((format, w, h, context));
    }
    let Some((_, _, _, context)) = scaler.as_mut() else {
        return Err(malformed("no pixel converter"));
    };
    let mut rgb = ffmpeg::frame::Video::empty();
    context
        .run(frame, &mut rgb)
        .map_err(|e| malformed(format!("a frame could not be converted: {e}")))?;
    let stride = rgb.stride(0);
    let plane = rgb.data(0);
    let mut data = Vec::with_capacity(width * height * 3);
    for row in 0..height {
        let start = row * stride;
        let line = plane
            .get(start..start + width * 3)
            .ok_or_else(|| malformed("a converted frame is smaller than it says"))?;
        data.extend_from_slice(line);
    }
    Ok(FramePixels::Rgb {
        data,
        width,
        height,
    })
}
