//! PDQ against Meta's reference hashes for ../shared/corpus/pdq (expected.tsv).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is a failed test

use hallmark_core::pdq::{self, PdqHash};

fn corpus() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/pdq")
}

fn hash_file(path: &std::path::Path) -> pdq::Pdq {
    let img = image::open(path).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let mut luma = pdq::luma_from_rgb8(img.as_raw(), 3);
    pdq::hash_luma(&mut luma, h as usize, w as usize)
}

#[test]
fn corpus_hashes_match_reference() {
    let tsv = std::fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    let mut jpeg_distances = Vec::new();
    let mut png_checked = 0;
    for line in tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let Some(expected) = PdqHash::from_hex(cols[1]) else {
            continue;
        };
        let quality: u8 = cols[2].parse().unwrap();
        let got = hash_file(&corpus().join(cols[0]));
        let d = got.hash.distance(&expected);
        println!(
            "{:<40} distance {:>3} quality {} (ref {})",
            cols[0], d, got.quality, quality
        );
        if cols[0].ends_with(".png") {
            assert_eq!(got.hash, expected, "{}", cols[0]);
            assert_eq!(got.quality, quality, "{}", cols[0]);
            png_checked += 1;
        } else if quality >= 80 {
            jpeg_distances.push(d);
        }
    }
    jpeg_distances.sort_unstable();
    let max = *jpeg_distances.last().unwrap();
    let median = jpeg_distances[jpeg_distances.len() / 2];
    println!(
        "JPEG (full decode) vs reference: max {max} bits, median {median} bits over {} files",
        jpeg_distances.len()
    );
    assert!(png_checked >= 3);
    assert!(
        max <= 10,
        "reference conformance: distance ≤ 10 for quality ≥ 80"
    );
}

fn hash_of(name: &str) -> pdq::Pdq {
    hash_file(&corpus().join(name))
}

#[test]
fn modified_copies_stay_within_the_match_threshold() {
    let original = hash_of("bridge-mods/aaa-orig.jpg").hash;
    let mut worst = 0;
    for entry in std::fs::read_dir(corpus().join("bridge-mods")).unwrap() {
        let path = entry.unwrap().path();
        let d = hash_file(&path).hash.distance(&original);
        println!(
            "{:<40} {d:>3} bits from aaa-orig",
            path.file_name().unwrap().to_string_lossy()
        );
        assert!(d <= pdq::DEFAULT_MATCH_THRESHOLD, "{}: {d}", path.display());
        worst = worst.max(d);
    }
    println!("worst bridge-mods distance: {worst}");
}

#[test]
fn rotations_and_reflections_match_their_dihedral_hash() {
    let img = image::open(corpus().join("bridge-1-original.jpg"))
        .unwrap()
        .to_rgb8();
    let (w, h) = img.dimensions();
    let mut luma = pdq::luma_from_rgb8(img.as_raw(), 3);
    let d = pdq::dihedral_luma(&mut luma, h as usize, w as usize);
    let cases = [
        ("bridge-2-rotate-90.jpg", d.rotate90),
        ("bridge-3-rotate-180.jpg", d.rotate180),
        ("bridge-4-rotate-270.jpg", d.rotate270),
        ("bridge-5-flipx.jpg", d.flip_x),
        ("bridge-6-flipy.jpg", d.flip_y),
        ("bridge-7-flip-plus-1.jpg", d.flip_plus1),
        ("bridge-8-flip-minus-1.jpg", d.flip_minus1),
    ];
    for (name, expected) in cases {
        let distance = hash_of(name).hash.distance(&expected);
        println!("{name:<28} {distance:>3} bits from the matching dihedral hash");
        assert!(
            distance <= pdq::DEFAULT_MATCH_THRESHOLD,
            "{name}: {distance}"
        );
        // and far from the unturned original, so the transform matters
        assert!(
            hash_of(name).hash.distance(&d.original) > pdq::DEFAULT_MATCH_THRESHOLD,
            "{name}"
        );
    }
}

#[test]
fn different_pictures_are_far_apart() {
    let bridge = hash_of("bridge-1-original.png").hash;
    let pen = hash_of("pen-and-coaster.png").hash;
    let d = bridge.distance(&pen);
    println!("pen-and-coaster vs bridge: {d} bits");
    assert!(d > pdq::DEFAULT_MATCH_THRESHOLD);
}

#[test]
fn fast_path_stays_close_to_full_decode() {
    let limits = hallmark_core::Limits::default();
    let mut distances = Vec::new();
    let tsv = std::fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    for line in tsv.lines() {
        let name = line.split('\t').next().unwrap();
        if !name.ends_with(".jpg") {
            continue;
        }
        let bytes = std::fs::read(corpus().join(name)).unwrap();
        let full = hallmark_core::pixels::hash_image(&bytes, &limits).unwrap();
        let fast = hallmark_core::pixels::fast_pdq(&bytes, &limits).unwrap();
        if full.quality < 50 {
            continue;
        }
        let d = fast.hash.distance(&full.pdq);
        println!("{name:<40} fast vs full decode: {d} bits");
        distances.push(d);
    }
    distances.sort_unstable();
    let median = distances[distances.len() / 2];
    println!(
        "fast path vs full decode: median {median}, max {} bits over {} files",
        distances.last().unwrap(),
        distances.len()
    );
    assert!(median <= 4);
}

#[test]
fn binding_hash_of_large_images_stays_close_to_the_full_hash() {
    let img = image::open(corpus().join("bridge-1-original.jpg")).unwrap();
    let mut worst = 0;
    for (w, h) in [(4000, 3000), (3000, 4000), (2100, 1400)] {
        let big = img
            .resize_exact(w, h, image::imageops::FilterType::Triangle)
            .to_rgba8();
        let image = hallmark_core::pixels::DecodedImage {
            width: w,
            height: h,
            channels: 4,
            pixels: big.into_raw(),
            frames_digest: None,
        };
        let d = image.binding_pdq().hash.distance(&image.pdq().hash);
        println!("{w}x{h}: binding hash vs full hash {d} bits");
        worst = worst.max(d);
    }
    assert!(worst <= 10, "{worst}");
}
