//! FFmpeg's libraries opened when the first video is decoded, not when the
//! process starts.
//!
//! Debian's FFmpeg libraries need about 130 other shared libraries (codecs,
//! GnuTLS, glib, cairo, ICU, …). Linked the ordinary way, the dynamic loader
//! mapped and relocated all of them before `main`: 30-40 ms and 25 MB of every
//! `hallmark` run, verify of a photo included, about three times the time
//! c2patool takes to verify it.
//!
//! So Hallmark defines the FFmpeg functions that ffmpeg-next calls itself:
//! each forwards to the real function, looked up with `dlopen`/`dlsym` the
//! first time video is decoded ([`load`]). The static linker binds
//! ffmpeg-next's references to these definitions, so no FFmpeg library is a
//! `DT_NEEDED` entry of the binary (rustc links with `--as-needed`); the
//! test script checks that of the built binary (`readelf -d`). Every
//! function is looked up in [`load`] at once, so a library of another
//! version, or one missing a function, is a clear `format.unsupported`
//! error before any decoding, never a crash midway.
//!
//! The list below is every FFmpeg function ffmpeg-next's code that Hallmark
//! uses calls. Each definition is checked against ffmpeg-sys-next's
//! declaration (bindgen, from the headers installed) at compile time: a
//! signature that differs does not build. A function ffmpeg-next starts to
//! call that is missing here still works — the linker then binds it to the
//! library the ordinary way — and the `readelf` check fails, naming it.

use std::ffi::{c_char, c_int, c_uchar, c_void};
use std::sync::OnceLock;

use ffmpeg_next::ffi as sys;
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};

/// The libraries, by soname, with the major versions of the headers built against.
fn sonames() -> [String; 4] {
    [
        format!("libavutil.so.{}", sys::LIBAVUTIL_VERSION_MAJOR),
        format!("libswscale.so.{}", sys::LIBSWSCALE_VERSION_MAJOR),
        format!("libavcodec.so.{}", sys::LIBAVCODEC_VERSION_MAJOR),
        format!("libavformat.so.{}", sys::LIBAVFORMAT_VERSION_MAJOR),
    ]
}

/// `RTLD_DEEPBIND`: the executable exports the definitions below (the linker
/// saw the libraries refer to them), so without it FFmpeg's calls between its
/// own libraries (`av_free`, `av_frame_alloc`, …) would bind to them and come
/// back through this module (correct, one indirect call more). Except under a
/// sanitizer (the fuzz targets' AddressSanitizer), whose runtime kills a
/// process that opens a library with `RTLD_DEEPBIND`.
fn open_flags() -> c_int {
    // cargo-fuzz builds every crate with `--cfg fuzzing`; the runtime check
    // covers other sanitizer builds whose runtime exports its symbols.
    #[cfg(target_env = "gnu")]
    if !cfg!(fuzzing) && !under_sanitizer() {
        return RTLD_NOW | RTLD_LOCAL | libc::RTLD_DEEPBIND;
    }
    RTLD_NOW | RTLD_LOCAL
}

/// Whether a sanitizer runtime is in the process (every one defines
/// `__sanitizer_print_stack_trace`).
#[cfg(target_env = "gnu")]
fn under_sanitizer() -> bool {
    let this = Library::this();
    // SAFETY: only the symbol's presence is asked; nothing is called.
    unsafe { this.get::<*const c_void>(b"__sanitizer_print_stack_trace\0") }.is_ok()
}

type ReadPacket = Option<unsafe extern "C" fn(*mut c_void, *mut u8, c_int) -> c_int>;
type WritePacket = Option<unsafe extern "C" fn(*mut c_void, *mut u8, c_int) -> c_int>;
type SeekPacket = Option<unsafe extern "C" fn(*mut c_void, i64, c_int) -> i64>;

macro_rules! forward {
    ($($lib:literal $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        /// Every function, looked up once (FFmpeg's names: `sws_getContext`).
        #[allow(non_snake_case)]
        struct Table {
            $($name: unsafe extern "C" fn($($ty),*) $(-> $ret)?,)*
            /// Kept open for the life of the process.
            _libraries: Vec<Library>,
        }

        impl Table {
            #[allow(non_snake_case)]
            fn open() -> Result<Table, String> {
                Self::open_from(&sonames())
            }

            #[allow(non_snake_case)]
            fn open_from(sonames: &[String; 4]) -> Result<Table, String> {
                let mut libraries = Vec::new();
                for soname in sonames {
                    // SAFETY: FFmpeg's libraries run no initialisers that
                    // depend on the loading process's state.
                    let library = unsafe { Library::open(Some(soname), open_flags()) }
                        .map_err(|e| format!("{soname} could not be loaded ({e})"))?;
                    libraries.push(library);
                }
                $(
                    let library = &libraries[$lib];
                    // SAFETY: the type is ffmpeg-sys-next's declaration of
                    // the function (checked below), from the headers of this
                    // library's major version.
                    let $name = unsafe {
                        *library
                            .get::<unsafe extern "C" fn($($ty),*) $(-> $ret)?>(
                                concat!(stringify!($name), "\0").as_bytes(),
                            )
                            .map_err(|e| format!("{} has no {} ({e})", sonames[$lib], stringify!($name)))?
                    };
                )*
                Ok(Table { $($name,)* _libraries: libraries })
            }
        }

        $(
            // The definition ffmpeg-next's calls bind to.
            #[no_mangle]
            #[allow(non_snake_case)]
            unsafe extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
                // SAFETY: the caller's obligations are the real function's.
                unsafe { (table().$name)($($arg),*) }
            }
        )*

        // A signature that differs from ffmpeg-sys-next's declaration fails here.
        #[allow(dead_code)]
        const _: () = {
            $(
                let _: unsafe extern "C" fn($($ty),*) $(-> $ret)? = sys::$name;
            )*
        };
    };
}

// Index into `sonames()`: 0 avutil, 1 swscale, 2 avcodec, 3 avformat.
forward! {
    0 av_dict_free(m: *mut *mut sys::AVDictionary);
    0 av_dict_set(pm: *mut *mut sys::AVDictionary, key: *const c_char, value: *const c_char, flags: c_int) -> c_int;
    0 av_frame_alloc() -> *mut sys::AVFrame;
    0 av_frame_free(frame: *mut *mut sys::AVFrame);
    0 av_frame_get_buffer(frame: *mut sys::AVFrame, align: c_int) -> c_int;
    0 av_free(ptr: *mut c_void);
    0 av_freep(ptr: *mut c_void);
    0 av_log_set_level(level: c_int);
    0 av_mallocz(size: usize) -> *mut c_void;
    0 av_strerror(errnum: c_int, errbuf: *mut c_char, errbuf_size: usize) -> c_int;
    1 sws_freeContext(context: *mut sys::SwsContext);
    1 sws_getContext(
        src_w: c_int, src_h: c_int, src_format: sys::AVPixelFormat,
        dst_w: c_int, dst_h: c_int, dst_format: sys::AVPixelFormat,
        flags: c_int, src_filter: *mut sys::SwsFilter, dst_filter: *mut sys::SwsFilter,
        param: *const f64
    ) -> *mut sys::SwsContext;
    1 sws_scale(
        c: *mut sys::SwsContext, src_slice: *const *const u8, src_stride: *const c_int,
        src_slice_y: c_int, src_slice_h: c_int, dst: *const *mut u8, dst_stride: *const c_int
    ) -> c_int;
    2 av_codec_is_decoder(codec: *const sys::AVCodec) -> c_int;
    2 av_init_packet(pkt: *mut sys::AVPacket);
    2 av_packet_unref(pkt: *mut sys::AVPacket);
    2 avcodec_alloc_context3(codec: *const sys::AVCodec) -> *mut sys::AVCodecContext;
    2 avcodec_close(context: *mut sys::AVCodecContext) -> c_int;
    2 avcodec_find_decoder(id: sys::AVCodecID) -> *const sys::AVCodec;
    2 avcodec_free_context(context: *mut *mut sys::AVCodecContext);
    2 avcodec_open2(context: *mut sys::AVCodecContext, codec: *const sys::AVCodec, options: *mut *mut sys::AVDictionary) -> c_int;
    2 avcodec_parameters_free(par: *mut *mut sys::AVCodecParameters);
    2 avcodec_parameters_to_context(codec: *mut sys::AVCodecContext, par: *const sys::AVCodecParameters) -> c_int;
    2 avcodec_receive_frame(context: *mut sys::AVCodecContext, frame: *mut sys::AVFrame) -> c_int;
    2 avcodec_send_packet(context: *mut sys::AVCodecContext, packet: *const sys::AVPacket) -> c_int;
    3 av_find_best_stream(
        ic: *mut sys::AVFormatContext, kind: sys::AVMediaType, wanted: c_int, related: c_int,
        decoder: *mut *const sys::AVCodec, flags: c_int
    ) -> c_int;
    3 av_read_frame(s: *mut sys::AVFormatContext, pkt: *mut sys::AVPacket) -> c_int;
    3 avformat_alloc_context() -> *mut sys::AVFormatContext;
    3 avformat_close_input(s: *mut *mut sys::AVFormatContext);
    3 avformat_find_stream_info(ic: *mut sys::AVFormatContext, options: *mut *mut sys::AVDictionary) -> c_int;
    3 avformat_free_context(s: *mut sys::AVFormatContext);
    3 avformat_open_input(
        ps: *mut *mut sys::AVFormatContext, url: *const c_char, fmt: *const sys::AVInputFormat,
        options: *mut *mut sys::AVDictionary
    ) -> c_int;
    3 avio_alloc_context(
        buffer: *mut c_uchar, buffer_size: c_int, write_flag: c_int, opaque: *mut c_void,
        read_packet: ReadPacket, write_packet: WritePacket, seek: SeekPacket
    ) -> *mut sys::AVIOContext;
    3 avio_close(s: *mut sys::AVIOContext) -> c_int;
    3 avio_context_free(s: *mut *mut sys::AVIOContext);
    3 avio_flush(s: *mut sys::AVIOContext);
}

static TABLE: OnceLock<Result<Table, String>> = OnceLock::new();

/// Opens FFmpeg's libraries and looks up every function, once a process;
/// the error says which library or function is missing.
pub(super) fn load() -> Result<(), &'static str> {
    match TABLE.get_or_init(Table::open) {
        Ok(_) => Ok(()),
        Err(why) => Err(why.as_str()),
    }
}

fn table() -> &'static Table {
    match TABLE.get() {
        Some(Ok(table)) => table,
        // Only decode.rs calls FFmpeg, and it calls `load` first.
        _ => {
            eprintln!("hallmark: FFmpeg was called before its libraries were loaded");
            std::process::abort()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_found_in_the_installed_libraries() {
        assert!(Table::open().is_ok());
    }

    #[cfg(target_env = "gnu")]
    #[test]
    fn deep_binding_unless_a_sanitizer_runs() {
        // Tests are not built with a sanitizer; the fuzz targets are.
        assert!(!under_sanitizer());
        assert_eq!(open_flags() & libc::RTLD_DEEPBIND, libc::RTLD_DEEPBIND);
    }

    #[test]
    fn a_missing_library_or_function_is_an_error_naming_it() {
        let mut names = sonames();
        names[2] = "libavcodec.so.999".into();
        let why = Table::open_from(&names).err().unwrap_or_default();
        assert!(
            why.starts_with("libavcodec.so.999 could not be loaded ("),
            "{why}"
        );
        // A library without FFmpeg's functions (libm) in avformat's place.
        let mut names = sonames();
        names[3] = "libm.so.6".into();
        let why = Table::open_from(&names).err().unwrap_or_default();
        assert!(
            why.starts_with("libm.so.6 has no av_find_best_stream ("),
            "{why}"
        );
    }
}
