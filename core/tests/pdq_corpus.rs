//! PDQ against Meta's reference hashes for ../shared/corpus/pdq (expected.tsv).

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
    for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let Some(expected) = PdqHash::from_hex(cols[1]) else { continue };
        let quality: u8 = cols[2].parse().unwrap();
        let got = hash_file(&corpus().join(cols[0]));
        let d = got.hash.distance(&expected);
        println!("{:<40} distance {:>3} quality {} (ref {})", cols[0], d, got.quality, quality);
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
    println!("JPEG (full decode) vs reference: max {max} bits, median {median} bits over {} files", jpeg_distances.len());
    assert!(png_checked >= 3);
    assert!(max <= 10, "reference conformance: distance ≤ 10 for quality ≥ 80");
}
