//! Frame-sized `f32` buffers kept per thread between hashes. A video hashes
//! hundreds of same-sized frames a second on each worker; allocating each
//! frame's buffers afresh maps and zeroes new pages every time (the kernel's
//! page faults were over 40 % of vPDQ's time), where a kept buffer is warm.
//!
//! A thread keeps at most [`MAX_KEPT_BYTES`] in all, so one huge image
//! hashed on a long-lived thread is not held on to.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Most bytes of buffers one thread keeps between uses: a 1080p frame's
/// two full-size buffers, with room over.
pub const MAX_KEPT_BYTES: usize = 24 << 20;

thread_local! {
    static KEPT: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A zeroed buffer of `len` samples, from this thread's kept ones when one
/// is large enough; it goes back to them when dropped.
pub struct Scratch(Vec<f32>);

impl Scratch {
    pub fn zeroed(len: usize) -> Self {
        let kept = KEPT
            .try_with(|k| {
                let mut k = k.borrow_mut();
                // The smallest kept buffer that holds `len`.
                let best = k
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.capacity() >= len)
                    .min_by_key(|(_, v)| v.capacity())
                    .map(|(i, _)| i);
                best.map(|i| k.swap_remove(i))
            })
            .ok()
            .flatten();
        let mut v = kept.unwrap_or_default();
        v.clear();
        v.resize(len, 0.0);
        Self(v)
    }

    /// A buffer holding `bytes`, each mapped by `f`.
    #[cfg(feature = "video")]
    pub fn from_bytes(bytes: &[u8], f: impl Fn(u8) -> f32) -> Self {
        let mut s = Self::zeroed(bytes.len());
        for (d, &b) in s.0.iter_mut().zip(bytes) {
            *d = f(b);
        }
        s
    }
}

impl Deref for Scratch {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.0
    }
}

impl DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        let bytes = v.capacity() * std::mem::size_of::<f32>();
        if bytes == 0 || bytes > MAX_KEPT_BYTES {
            return;
        }
        // During thread teardown the kept list may be gone: then it is freed.
        let _ = KEPT.try_with(|k| {
            let mut k = k.borrow_mut();
            let held: usize = k.iter().map(|b| b.capacity() * 4).sum();
            if held + bytes <= MAX_KEPT_BYTES {
                k.push(v);
            } else if let Some((i, _)) = k
                .iter()
                .enumerate()
                .min_by_key(|(_, b)| b.capacity())
                .filter(|(_, b)| {
                    b.capacity() * 4 < bytes && held - b.capacity() * 4 + bytes <= MAX_KEPT_BYTES
                })
            {
                // Keep the larger of the two: frames of one video are one size.
                k[i] = v;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept_bytes() -> usize {
        KEPT.with(|k| k.borrow().iter().map(|b| b.capacity() * 4).sum())
    }

    #[test]
    fn a_dropped_buffer_is_reused_zeroed_and_huge_ones_are_not_kept() {
        std::thread::spawn(|| {
            let mut a = Scratch::zeroed(1000);
            a.fill(7.0);
            let at = a.as_ptr();
            drop(a);
            assert_eq!(kept_bytes(), 4000);
            let b = Scratch::zeroed(600);
            assert_eq!(b.as_ptr(), at, "the kept buffer is handed out again");
            assert!(b.iter().all(|&x| x == 0.0), "and zeroed");
            assert_eq!(b.len(), 600);
            assert_eq!(kept_bytes(), 0);
            drop(b);
            let huge = Scratch::zeroed(MAX_KEPT_BYTES / 4 + 1);
            drop(huge);
            assert_eq!(kept_bytes(), 4000, "a buffer over the cap is freed");
            // Filling up to the cap: the total never passes it.
            let many: Vec<_> = (0..10)
                .map(|_| Scratch::zeroed(MAX_KEPT_BYTES / 16))
                .collect();
            drop(many);
            assert!(kept_bytes() <= MAX_KEPT_BYTES, "{}", kept_bytes());
        })
        .join()
        .unwrap();
    }
}
