//! Is what the screen shows the image that was verified? The browser
//! extension crops the image's box out of a screenshot of the tab and asks
//! [`ScreenReference::compare`], which holds a small decoded copy of the
//! verified bytes. A trusted badge is green only when they agree (see
//! [`crate::display::on_screen`]).
//!
//! Two tests must both pass, on the verified image cropped to the part that
//! is on screen and both resampled to one grid of at most 128 px a side:
//! - the PDQ hashes are within [`MAX_PDQ_BITS`] (when the image has enough
//!   detail to hash, quality 20 or more), which survives the browser's
//!   scaling but not another picture;
//! - the colours agree cell by cell on a 16 × 16 grid: no cell differs by
//!   more than [`MAX_CELL_DIFF`] on average, and the whole by no more than
//!   [`MAX_MEAN_DIFF`] (of 255). A changed face, caption or logo that PDQ
//!   alone might forgive moves its cells far beyond rendering noise.
//!
//! Transparent pixels count by their opacity: where the verified image is
//! see-through, the page's own background shows, and that is not compared.

use image::imageops::FilterType;
use image::{Rgba, RgbaImage};
use serde::{Deserialize, Serialize};

use crate::display::ScreenOutcome;
use crate::media::{Limits, MediaError, MediaFormat};
use crate::pdq;

/// Longest side of the decoded copy kept for comparisons.
pub const REFERENCE_SIDE: u32 = 384;
/// Longest side of the grid both images are resampled to.
const GRID_SIDE: u32 = 128;
/// Most PDQ bits the screen and the file may differ by.
pub const MAX_PDQ_BITS: u32 = 24;
/// Largest mean colour difference of any 1/16 × 1/16 cell (of 255).
pub const MAX_CELL_DIFF: f64 = 24.0;
/// Largest mean colour difference over the whole image (of 255).
pub const MAX_MEAN_DIFF: f64 = 6.0;
/// Cells a side of the colour comparison.
const CELLS: u32 = 16;
/// Most mask rectangles looked at.
const MAX_MASKS: usize = 16;
/// PDQ quality under which the hash says too little to compare.
const MIN_PDQ_QUALITY: u8 = 20;

/// The verified image, decoded small, to compare screenshots with.
#[derive(Debug, Clone)]
pub struct ScreenReference {
    image: RgbaImage,
}

/// The part of the verified image that is on screen, as fractions (0–1) of
/// its width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SourceRect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl SourceRect {
    pub const WHOLE: SourceRect = SourceRect {
        x: 0.0,
        y: 0.0,
        width: 1.0,
        height: 1.0,
    };
}

/// What a comparison measured, and what it concluded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comparison {
    pub outcome: ScreenOutcome,
    /// PDQ distance between the two, when the image has detail enough to hash.
    pub pdq_distance: Option<u32>,
    pub mean_diff: f64,
    pub worst_cell_diff: f64,
}

impl ScreenReference {
    /// Decode verified bytes (JPEG at reduced scale) under `limits`.
    pub fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<Self, MediaError> {
        // JPEG has no alpha and decodes fast at reduced scale; PNG and WebP
        // are decoded whole, keeping their transparency.
        let (w, h, channels, pixels) =
            if crate::media::probe(bytes, limits)?.format == MediaFormat::Jpeg {
                let d = crate::pixels::decode_for_pdq(bytes, limits)?;
                (d.cols, d.rows, d.channels, d.pixels)
            } else {
                let d = crate::pixels::decode_rgba8(bytes, limits)?;
                (d.width as usize, d.height as usize, d.channels, d.pixels)
            };
        let (w, h) = (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0));
        let rgba: Vec<u8> = match channels {
            1 => pixels.iter().flat_map(|&v| [v, v, v, 255]).collect(),
            3 => pixels
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            _ => pixels,
        };
        let image = RgbaImage::from_raw(w, h, rgba).ok_or_else(|| MediaError::Malformed {
            format: "image",
            detail: "decoded fewer pixels than the header promised".into(),
        })?;
        let image = if w.max(h) > REFERENCE_SIDE {
            let scale = f64::from(REFERENCE_SIDE) / f64::from(w.max(h));
            let tw = ((f64::from(w) * scale).round() as u32).max(1);
            let th = ((f64::from(h) * scale).round() as u32).max(1);
            image::imageops::thumbnail(&image, tw, th)
        } else {
            image
        };
        Ok(ScreenReference { image })
    }

    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// Compare a screenshot crop (RGBA, `width` × `height`) with the part
    /// `source` of the verified image. `masks` (fractions of the crop) are
    /// where the extension itself draws (its badge): there the screen is
    /// taken to show the file. Bad sizes or rectangles are answered as
    /// `Differs`, never a panic.
    pub fn compare(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        source: SourceRect,
        masks: &[SourceRect],
    ) -> Comparison {
        let refuse = |reason: &str| Comparison {
            outcome: ScreenOutcome::Differs {
                reason: reason.into(),
            },
            pdq_distance: None,
            mean_diff: f64::NAN,
            worst_cell_diff: f64::NAN,
        };
        let expected = u64::from(width)
            .checked_mul(u64::from(height))
            .and_then(|n| n.checked_mul(4));
        if width == 0 || height == 0 || expected != Some(rgba.len() as u64) {
            return refuse("the screenshot crop is malformed");
        }
        let Some(shot) = RgbaImage::from_raw(width, height, rgba.to_vec()) else {
            return refuse("the screenshot crop is malformed");
        };
        let finite = [source.x, source.y, source.width, source.height]
            .iter()
            .all(|v| v.is_finite());
        if !finite || source.width <= 0.0 || source.height <= 0.0 {
            return refuse("the image's position on screen is unknown");
        }
        let (rw, rh) = (f64::from(self.width()), f64::from(self.height()));
        let x0 = (source.x.clamp(0.0, 1.0) * rw).floor() as u32;
        let y0 = (source.y.clamp(0.0, 1.0) * rh).floor() as u32;
        let x1 = ((source.x + source.width).clamp(0.0, 1.0) * rw).ceil() as u32;
        let y1 = ((source.y + source.height).clamp(0.0, 1.0) * rh).ceil() as u32;
        if x1 <= x0 + 1 || y1 <= y0 + 1 {
            return refuse("the image's position on screen is unknown");
        }
        let part = image::imageops::crop_imm(&self.image, x0, y0, x1 - x0, y1 - y0).to_image();
        // One grid for both: no larger than either, at most GRID_SIDE a side.
        let gw = width.min(part.width()).clamp(CELLS, GRID_SIDE);
        let gh = height.min(part.height()).clamp(CELLS, GRID_SIDE);
        let want = image::imageops::resize(&part, gw, gh, FilterType::Triangle);
        let mut seen = image::imageops::resize(&shot, gw, gh, FilterType::Triangle);
        let mut masked = 0u64;
        for y in 0..gh {
            for x in 0..gw {
                let (fx, fy) = (
                    (f64::from(x) + 0.5) / f64::from(gw),
                    (f64::from(y) + 0.5) / f64::from(gh),
                );
                let inside = masks
                    .iter()
                    .take(MAX_MASKS)
                    .any(|m| fx >= m.x && fx < m.x + m.width && fy >= m.y && fy < m.y + m.height);
                if inside {
                    seen.put_pixel(x, y, *want.get_pixel(x, y));
                    masked += 1;
                }
            }
        }
        if masked * 2 > u64::from(gw) * u64::from(gh) {
            return Comparison {
                outcome: ScreenOutcome::Pending {
                    reason: "the extension's own badge or card covers most of it".into(),
                },
                pdq_distance: None,
                mean_diff: f64::NAN,
                worst_cell_diff: f64::NAN,
            };
        }

        let (mean_diff, worst_cell_diff) = colour_diffs(&want, &seen);
        let pdq_distance = pdq_distance(&want, &seen);
        let reason = if pdq_distance.is_some_and(|d| d > MAX_PDQ_BITS) {
            Some(format!(
                "the picture there is another one (PDQ {} bits apart)",
                pdq_distance.unwrap_or_default()
            ))
        } else if worst_cell_diff > MAX_CELL_DIFF {
            Some(format!(
                "part of the picture there differs (by {worst_cell_diff:.0} of 255)"
            ))
        } else if mean_diff > MAX_MEAN_DIFF {
            Some(format!(
                "the colours there differ (by {mean_diff:.1} of 255 on average)"
            ))
        } else {
            None
        };
        Comparison {
            outcome: match reason {
                None => ScreenOutcome::Same,
                Some(reason) => ScreenOutcome::Differs { reason },
            },
            pdq_distance,
            mean_diff,
            worst_cell_diff,
        }
    }
}

/// The mean colour difference over all pixels, and the worst cell's, each
/// weighted by the verified image's opacity.
fn colour_diffs(want: &RgbaImage, seen: &RgbaImage) -> (f64, f64) {
    let (w, h) = want.dimensions();
    let cells = (CELLS * CELLS) as usize;
    let mut sum = vec![0.0f64; cells];
    let mut weight = vec![0.0f64; cells];
    for (x, y, Rgba(a)) in want.enumerate_pixels() {
        let Rgba(b) = *seen.get_pixel(x, y);
        let alpha = f64::from(a[3]) / 255.0;
        let d = (0..3)
            .map(|c| (f64::from(a[c]) - f64::from(b[c])).abs())
            .sum::<f64>()
            / 3.0;
        let cell = (y * CELLS / h * CELLS + x * CELLS / w) as usize;
        sum[cell] += d * alpha;
        weight[cell] += alpha;
    }
    let total: f64 = sum.iter().sum();
    let total_weight: f64 = weight.iter().sum();
    let mean = if total_weight > 0.0 {
        total / total_weight
    } else {
        0.0
    };
    let worst = sum
        .iter()
        .zip(&weight)
        .filter(|(_, &w)| w >= 1.0)
        .map(|(s, w)| s / w)
        .fold(0.0, f64::max);
    (mean, worst)
}

/// PDQ distance between the two, or `None` when the verified image is too
/// featureless for PDQ to mean anything (the colour test still applies).
fn pdq_distance(want: &RgbaImage, seen: &RgbaImage) -> Option<u32> {
    let hash = |img: &RgbaImage| {
        let mut luma = pdq::luma_from_rgb8(img.as_raw(), 4);
        pdq::hash_luma(&mut luma, img.height() as usize, img.width() as usize)
    };
    let (a, b) = (hash(want), hash(seen));
    (a.quality >= MIN_PDQ_QUALITY).then(|| a.hash.distance(&b.hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test picture with detail: gradients, a disc and stripes.
    fn picture(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            let (fx, fy) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
            let disc = (fx - 0.4).powi(2) + (fy - 0.5).powi(2) < 0.05;
            let stripe = (x / 13) % 2 == 0 && fy > 0.7;
            let r = if disc { 230 } else { (fx * 200.0) as u8 };
            let g = if stripe { 20 } else { (fy * 180.0) as u8 + 40 };
            let b = ((fx + fy) * 100.0) as u8;
            Rgba([r, g, b, 255])
        })
    }

    fn png(img: &RgbaImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgba8(img.clone())
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap_or_default();
        out.into_inner()
    }

    fn reference(img: &RgbaImage) -> ScreenReference {
        match ScreenReference::from_bytes(&png(img), &Limits::default()) {
            Ok(r) => r,
            Err(e) => unreachable!("{e}"),
        }
    }

    #[test]
    fn the_same_picture_scaled_by_the_browser_is_the_same() {
        let original = picture(640, 480);
        let r = reference(&original);
        assert_eq!((r.width(), r.height()), (384, 288));
        // Shown at half size, as a browser scales it.
        let shown = image::imageops::resize(&original, 320, 240, FilterType::CatmullRom);
        let c = r.compare(shown.as_raw(), 320, 240, SourceRect::WHOLE, &[]);
        assert_eq!(c.outcome, ScreenOutcome::Same, "{c:?}");
        assert!(c.pdq_distance.is_some_and(|d| d <= 12), "{c:?}");
        // Only its left half on screen (scrolled), compared with the left half.
        let half = image::imageops::crop_imm(&shown, 0, 0, 160, 240).to_image();
        let left = SourceRect {
            x: 0.0,
            y: 0.0,
            width: 0.5,
            height: 1.0,
        };
        assert_eq!(
            r.compare(half.as_raw(), 160, 240, left, &[]).outcome,
            ScreenOutcome::Same
        );
    }

    #[test]
    fn another_picture_or_a_changed_part_differs() {
        let original = picture(640, 480);
        let r = reference(&original);
        // Another picture altogether: flipped.
        let other = image::imageops::flip_horizontal(&image::imageops::resize(
            &original,
            320,
            240,
            FilterType::Triangle,
        ));
        let c = r.compare(other.as_raw(), 320, 240, SourceRect::WHOLE, &[]);
        assert!(matches!(c.outcome, ScreenOutcome::Differs { .. }), "{c:?}");
        // One patch (1/8 × 1/8 of the picture) painted over: a changed face.
        let mut edited = image::imageops::resize(&original, 320, 240, FilterType::Triangle);
        for y in 100..130 {
            for x in 120..160 {
                edited.put_pixel(x, y, Rgba([250, 250, 250, 255]));
            }
        }
        let c = r.compare(edited.as_raw(), 320, 240, SourceRect::WHOLE, &[]);
        assert!(matches!(c.outcome, ScreenOutcome::Differs { .. }), "{c:?}");
        assert!(c.worst_cell_diff > MAX_CELL_DIFF, "{c:?}");
        // The right half compared where the left half should be.
        let shown = image::imageops::resize(&original, 320, 240, FilterType::Triangle);
        let right = image::imageops::crop_imm(&shown, 160, 0, 160, 240).to_image();
        let left = SourceRect {
            x: 0.0,
            y: 0.0,
            width: 0.5,
            height: 1.0,
        };
        assert!(matches!(
            r.compare(right.as_raw(), 160, 240, left, &[]).outcome,
            ScreenOutcome::Differs { .. }
        ));
    }

    #[test]
    fn the_extensions_own_badge_is_masked() {
        let original = picture(640, 480);
        let r = reference(&original);
        let mut shown = image::imageops::resize(&original, 320, 240, FilterType::Triangle);
        // The badge: a dark pill at the top left, 140 × 26 px.
        for y in 6..32 {
            for x in 6..146 {
                shown.put_pixel(x, y, Rgba([30, 125, 52, 255]));
            }
        }
        let unmasked = r.compare(shown.as_raw(), 320, 240, SourceRect::WHOLE, &[]);
        assert!(
            matches!(unmasked.outcome, ScreenOutcome::Differs { .. }),
            "{unmasked:?}"
        );
        let badge = SourceRect {
            x: 4.0 / 320.0,
            y: 4.0 / 240.0,
            width: 144.0 / 320.0,
            height: 30.0 / 240.0,
        };
        let c = r.compare(shown.as_raw(), 320, 240, SourceRect::WHOLE, &[badge]);
        assert_eq!(c.outcome, ScreenOutcome::Same, "{c:?}");
        // A mask can't be made to cover the picture: over half masked is not compared.
        let most = SourceRect {
            x: 0.0,
            y: 0.0,
            width: 1.0,
            height: 0.6,
        };
        assert!(matches!(
            r.compare(shown.as_raw(), 320, 240, SourceRect::WHOLE, &[most])
                .outcome,
            ScreenOutcome::Pending { .. }
        ));
    }

    #[test]
    fn a_featureless_image_is_compared_by_colour() {
        let grey = RgbaImage::from_pixel(200, 200, Rgba([128, 128, 128, 255]));
        let r = reference(&grey);
        let same = RgbaImage::from_pixel(100, 100, Rgba([129, 127, 128, 255]));
        let c = r.compare(same.as_raw(), 100, 100, SourceRect::WHOLE, &[]);
        assert_eq!(
            (c.outcome.clone(), c.pdq_distance),
            (ScreenOutcome::Same, None),
            "{c:?}"
        );
        let darker = RgbaImage::from_pixel(100, 100, Rgba([100, 100, 100, 255]));
        assert!(matches!(
            r.compare(darker.as_raw(), 100, 100, SourceRect::WHOLE, &[])
                .outcome,
            ScreenOutcome::Differs { .. }
        ));
    }

    #[test]
    fn transparent_parts_are_not_compared() {
        // A logo: an opaque disc on a transparent square.
        let logo = RgbaImage::from_fn(200, 200, |x, y| {
            let inside = (i64::from(x) - 100).pow(2) + (i64::from(y) - 100).pow(2) < 60 * 60;
            if inside {
                Rgba([200, 30, 30, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        });
        let r = reference(&logo);
        // On a white page: the disc is red, the rest is the page's white.
        let shown = RgbaImage::from_fn(100, 100, |x, y| {
            let inside = (i64::from(x) - 50).pow(2) + (i64::from(y) - 50).pow(2) < 30 * 30;
            if inside {
                Rgba([200, 30, 30, 255])
            } else {
                Rgba([255, 255, 255, 255])
            }
        });
        let c = r.compare(shown.as_raw(), 100, 100, SourceRect::WHOLE, &[]);
        assert!(c.mean_diff < MAX_MEAN_DIFF, "{c:?}");
        let blue = RgbaImage::from_pixel(100, 100, Rgba([30, 30, 200, 255]));
        assert!(matches!(
            r.compare(blue.as_raw(), 100, 100, SourceRect::WHOLE, &[])
                .outcome,
            ScreenOutcome::Differs { .. }
        ));
    }

    #[test]
    fn malformed_crops_and_rectangles_are_refused_without_a_panic() {
        let r = reference(&picture(100, 100));
        let px = vec![0u8; 40 * 40 * 4];
        for (buf, w, h, src) in [
            (&px[..10], 40, 40, SourceRect::WHOLE),
            (&px[..], 0, 0, SourceRect::WHOLE),
            (
                &px[..],
                40,
                40,
                SourceRect {
                    x: f64::NAN,
                    ..SourceRect::WHOLE
                },
            ),
            (
                &px[..],
                40,
                40,
                SourceRect {
                    width: -1.0,
                    ..SourceRect::WHOLE
                },
            ),
            (
                &px[..],
                40,
                40,
                SourceRect {
                    x: 5.0,
                    ..SourceRect::WHOLE
                },
            ),
            (&px[..], u32::MAX, u32::MAX, SourceRect::WHOLE),
        ] {
            assert!(matches!(
                r.compare(buf, w, h, src, &[]).outcome,
                ScreenOutcome::Differs { .. }
            ));
        }
        assert!(ScreenReference::from_bytes(b"not an image", &Limits::default()).is_err());
    }
}
