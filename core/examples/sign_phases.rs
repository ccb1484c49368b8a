use hallmark_core::*;
use std::time::Instant;
fn main() {
    let bytes = std::fs::read(std::env::args().nth(1).unwrap()).unwrap();
    let id = Identity::load(std::path::Path::new("fixtures/keys/newsroom"), None).unwrap();
    let l = Limits::default();
    let t = Instant::now();
    let img = pixels::decode_rgba8(&bytes, &l).unwrap();
    println!("decode {:?}", t.elapsed());
    let t = Instant::now();
    let p = img.pdq();
    println!("pdq {:?} {}", t.elapsed(), p.quality);
    let t = Instant::now();
    let mut luma = pdq::luma_from_rgb8(&img.pixels, img.channels);
    println!("luma {:?}", t.elapsed());
    let t = Instant::now();
    let _ = pdq::downsample_64(&mut luma, img.height as usize, img.width as usize);
    println!("downsample {:?}", t.elapsed());
    let t = Instant::now();
    let d = img.digest();
    println!("digest {:?} {}", t.elapsed(), d.to_hex().len());
    let t = Instant::now();
    let _ = pixels::fast_pdq(&bytes, &l).unwrap();
    println!("fast_pdq {:?}", t.elapsed());
    let t = Instant::now();
    let s = sign(&bytes, &id, &SignOptions::default()).unwrap();
    println!("sign total {:?}", t.elapsed());
    let t = Instant::now();
    let r = Verifier::new(TrustStore::empty()).verify(&s);
    println!("verify {:?} {}", t.elapsed(), r.verdict);
}
#[allow(dead_code)]
fn unused() {}
