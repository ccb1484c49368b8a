//! The feed's PNG path: read a row at a time, box-averaged to at most 4 MP;
//! hashes stay near the full decode's, every colour type reads, truncation
//! is an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hallmark_core::pixels::{decode_for_pdq, hash_image, PDQ_MAX_KEPT_PIXELS};
use hallmark_core::Limits;
use image::{DynamicImage, ImageFormat};

fn corpus(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/pdq")
        .join(rel)
}

fn png(image: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn a_large_png_is_averaged_down_and_hashes_near_the_full_decode() {
    let bridge = image::open(corpus("bridge-1-original.png")).unwrap();
    // 3200 × 2008: 6.4 MP, over the 4 MP kept, so averaged 2 × 2.
    let big = bridge.resize_exact(3200, 2008, image::imageops::FilterType::Triangle);
    let bytes = png(&big);
    let limits = Limits::default();
    let fast = decode_for_pdq(&bytes, &limits).unwrap();
    assert_eq!((fast.cols, fast.rows, fast.channels), (1600, 1004, 3));
    assert!((fast.cols * fast.rows) as u64 <= PDQ_MAX_KEPT_PIXELS);
    let full = hash_image(&bytes, &limits).unwrap();
    let d = fast.pdq().hash.distance(&full.pdq);
    assert!(d <= 8, "averaged hash {d} bits from the full decode");
}

#[test]
fn every_png_colour_type_reads_and_small_ones_are_exact() {
    let bridge = image::open(corpus("bridge-1-original.png")).unwrap();
    let limits = Limits::default();
    let rgb = png(&bridge);
    let exact = hash_image(&rgb, &limits).unwrap().pdq;
    assert_eq!(decode_for_pdq(&rgb, &limits).unwrap().pdq().hash, exact);
    let rgba = png(&DynamicImage::ImageRgba8(bridge.to_rgba8()));
    assert_eq!(
        decode_for_pdq(&rgba, &limits).unwrap().pdq().hash,
        exact,
        "alpha ignored"
    );
    for (name, image) in [
        ("grey", DynamicImage::ImageLuma8(bridge.to_luma8())),
        (
            "grey+alpha",
            DynamicImage::ImageLumaA8(bridge.to_luma_alpha8()),
        ),
        ("16-bit RGB", DynamicImage::ImageRgb16(bridge.to_rgb16())),
    ] {
        let bytes = png(&image);
        let fast = decode_for_pdq(&bytes, &limits).unwrap();
        let full = hash_image(&bytes, &limits).unwrap();
        let d = fast.pdq().hash.distance(&full.pdq);
        assert!(d <= 2, "{name}: {d} bits from the full decode");
    }
}

#[test]
fn a_truncated_png_is_an_error_not_a_partial_hash() {
    let bytes = std::fs::read(corpus("c.png")).unwrap();
    let cut = &bytes[..bytes.len() / 2];
    let err = decode_for_pdq(cut, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "format.malformed", "{err}");
}
