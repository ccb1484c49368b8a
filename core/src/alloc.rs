//! A global allocator for Hallmark's programs (Linux): large buffers in
//! transparent huge pages.
//!
//! Verifying a picture reads it whole (and the reference SDK copies it twice
//! more); decoding one fills buffers of tens of MB. Each fresh 4 KiB page of
//! such a buffer costs a page fault, and on a virtual machine a fault is
//! dear: `perf` put page faults at half of a 12 MP JPEG's verify. Here a
//! buffer of [`LARGE`] bytes or more is its own anonymous mapping (the
//! kernel places those on 2 MiB boundaries) marked `MADV_HUGEPAGE`, so it
//! faults in 2 MiB at a time; everything smaller goes to the system
//! allocator. A few freed mappings are kept for the next large buffer, so
//! a scan of thousands of files reuses its pages instead of faulting afresh
//! for every file; a mapping's first page records its length, since one
//! handed out again may be longer than its new buffer.
//!
//! Opt in with `#[global_allocator]` (the CLI and the server do); the
//! library works with any allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Buffers this large or larger get mappings of their own.
pub const LARGE: usize = 1 << 20;
/// Mappings are whole huge pages.
const HUGE: usize = 2 << 20;
/// Freed mappings kept for reuse, and at most this many bytes of them.
const KEPT: usize = 8;
const KEPT_BYTES: usize = 256 << 20;

/// See the [module](self) documentation.
#[derive(Debug, Default, Clone, Copy)]
pub struct Allocator;

/// Each mapping starts with a page of its own holding its length (a kept
/// mapping handed out again may be longer than its new buffer needs); the
/// buffer follows, page-aligned.
const HEADER: usize = 4096;

/// The mapping length a buffer of `size` bytes needs.
fn mapped_len(size: usize) -> usize {
    size.saturating_add(HEADER)
        .div_ceil(HUGE)
        .saturating_mul(HUGE)
}

/// The buffer in the mapping at `base` of `len` bytes, its length recorded.
///
/// # Safety
/// `base` is a whole mapping of `len > HEADER` writable bytes, ours.
unsafe fn block(base: *mut u8, len: usize) -> *mut u8 {
    // SAFETY: the header page is the mapping's first page, page-aligned.
    unsafe {
        base.cast::<usize>().write(len);
        base.add(HEADER)
    }
}

/// The mapping (address, length) of a buffer [`block`] handed out.
///
/// # Safety
/// `p` came from [`block`].
unsafe fn mapping(p: *mut u8) -> (*mut u8, usize) {
    // SAFETY: the header page precedes the buffer in the same mapping.
    unsafe {
        let base = p.sub(HEADER);
        (base, base.cast::<usize>().read())
    }
}

/// Move or resize a whole mapping; `None` (and the mapping as it was) when
/// the kernel refuses.
///
/// # Safety
/// `base` and `len` are a whole mapping, ours.
unsafe fn remap(base: *mut u8, len: usize, new_len: usize) -> Option<*mut u8> {
    // SAFETY: per the contract; the kernel keeps the contents (and the
    // huge-page advice) of what stays mapped.
    let q = unsafe { libc::mremap(base.cast(), len, new_len, libc::MREMAP_MAYMOVE) };
    (q != libc::MAP_FAILED).then_some(q.cast())
}

fn is_large(layout: &Layout) -> bool {
    // Page alignment at most: a fresh mapping is page-aligned.
    layout.size() >= LARGE && layout.align() <= 4096
}

/// Freed mappings: address and length pairs, 0 for an empty slot, under a
/// spin lock (held for a few loads and stores; never while allocating).
struct Kept {
    lock: AtomicBool,
    addr: [AtomicUsize; KEPT],
    len: [AtomicUsize; KEPT],
}

static KEPT_MAPS: Kept = Kept {
    lock: AtomicBool::new(false),
    addr: [const { AtomicUsize::new(0) }; KEPT],
    len: [const { AtomicUsize::new(0) }; KEPT],
};

impl Kept {
    fn with<T>(&self, f: impl FnOnce(&Self) -> T) -> T {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        let out = f(self);
        self.lock.store(false, Ordering::Release);
        out
    }

    /// A kept mapping, taken out, with its length: the smallest of at least
    /// `len` bytes (to be shrunk: a small buffer must not take, and cut
    /// down, the large one the next large buffer would have reused), else
    /// the largest (to be grown).
    fn take(&self, len: usize) -> Option<(*mut u8, usize)> {
        self.with(|k| {
            let lens = |i: usize| k.len[i].load(Ordering::Relaxed);
            let kept = || (0..KEPT).filter(|&i| lens(i) > 0);
            let i = kept()
                .filter(|&i| lens(i) >= len)
                .min_by_key(|&i| lens(i))
                .or_else(|| kept().max_by_key(|&i| lens(i)))?;
            let taken = k.len[i].swap(0, Ordering::Relaxed);
            Some((k.addr[i].swap(0, Ordering::Relaxed) as *mut u8, taken))
        })
    }

    /// Keep a mapping for reuse; `false` when there is no room.
    fn put(&self, addr: *mut u8, len: usize) -> bool {
        self.with(|k| {
            let held: usize = k.len.iter().map(|l| l.load(Ordering::Relaxed)).sum();
            if held.saturating_add(len) > KEPT_BYTES {
                return false;
            }
            let Some(i) = (0..KEPT).find(|&i| k.len[i].load(Ordering::Relaxed) == 0) else {
                return false;
            };
            k.addr[i].store(addr as usize, Ordering::Relaxed);
            k.len[i].store(len, Ordering::Relaxed);
            true
        })
    }
}

/// A fresh mapping of `len` bytes (zeroed), or null.
fn map(len: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping at an address the kernel picks
    // touches no existing memory; failure is MAP_FAILED, checked.
    unsafe {
        let p = libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return ptr::null_mut();
        }
        // Advice only: without transparent huge pages it is refused, and the
        // mapping still works with small pages.
        libc::madvise(p, len, libc::MADV_HUGEPAGE);
        p.cast()
    }
}

/// # Safety
/// `addr` and `len` are a whole mapping made by [`map`], used by no one.
unsafe fn unmap(addr: *mut u8, len: usize) {
    // SAFETY: per the contract above. A failure would leak the mapping,
    // which is all that can be done from a deallocator.
    unsafe {
        libc::munmap(addr.cast(), len);
    }
}

fn alloc_large(size: usize, zeroed: bool) -> *mut u8 {
    let need = mapped_len(size);
    let (base, len) = match KEPT_MAPS.take(need) {
        // Up to twice what is needed: handed out whole, its pages kept
        // (cutting it to size would give them back, and the next larger
        // buffer would fault them in afresh).
        Some((kept, len)) if len >= need && len <= need.saturating_mul(2) => (kept, len),
        // Much larger (cut down, so a small buffer does not hold a large
        // one's pages) or smaller (grown, its pages kept).
        // SAFETY: a kept mapping is whole and ours once taken out.
        Some((kept, len)) => match unsafe { remap(kept, len, need) } {
            Some(q) => (q, need),
            None => {
                // SAFETY: as above; given up.
                unsafe { unmap(kept, len) };
                (map(need), need)
            }
        },
        None => (map(need), need),
    };
    if base.is_null() {
        return base;
    }
    // SAFETY: `base` is a whole mapping of `len` bytes, ours.
    let p = unsafe { block(base, len) };
    if zeroed {
        // SAFETY: the buffer is at least `size` writable bytes, ours (a
        // fresh mapping is zero already, a kept one holds old bytes).
        unsafe { ptr::write_bytes(p, 0, size) };
    }
    p
}

/// # Safety
/// `p` came from [`alloc_large`] and is used by no one after this.
unsafe fn free_large(p: *mut u8) {
    // SAFETY: per the contract above.
    let (base, len) = unsafe { mapping(p) };
    if !KEPT_MAPS.put(base, len) {
        // SAFETY: the whole mapping, used by no one.
        unsafe { unmap(base, len) };
    }
}

// SAFETY: every block handed out is either the system allocator's (for a
// small layout, returned to it for the same layout) or the part after the
// header page of a private mapping, at least `size` bytes, page-aligned
// (alignment ≤ 4096 is required for those), owned by the caller until
// `dealloc` with a layout of the same size, which tells the two apart by
// the same rule and finds the mapping from the header. Nothing here
// allocates through the global allocator.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(&layout) {
            alloc_large(layout.size(), false)
        } else {
            // SAFETY: the caller's layout contract, passed on.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(&layout) {
            alloc_large(layout.size(), true)
        } else {
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if is_large(&layout) {
            // SAFETY: a large layout's block came from `alloc_large`.
            unsafe { free_large(p) }
        } else {
            // SAFETY: a small layout's block came from the system allocator.
            unsafe { System.dealloc(p, layout) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` with `layout.align()` is
        // a valid layout.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_large(&layout), is_large(&new)) {
            // SAFETY: the system allocator's block, resized by it.
            (false, false) => unsafe { System.realloc(p, layout, new_size) },
            (true, true) => {
                // SAFETY: a large layout's block came from `alloc_large`.
                let (base, len) = unsafe { mapping(p) };
                let need = mapped_len(new_size);
                if len >= need && len <= need.saturating_mul(2) {
                    return p;
                }
                // SAFETY: the whole mapping, ours; its buffer moves with it.
                match unsafe { remap(base, len, need) } {
                    Some(q) => unsafe { block(q, need) },
                    None => ptr::null_mut(),
                }
            }
            _ => {
                // Across the threshold: a new block, the contents copied.
                // SAFETY: `new` is a valid layout (above).
                let q = unsafe { self.alloc(new) };
                if !q.is_null() {
                    // SAFETY: both blocks hold at least the smaller size;
                    // they are distinct; the old one is then freed once.
                    unsafe {
                        ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                        self.dealloc(p, layout);
                    }
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests share the kept mappings: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn large_blocks_are_zeroed_when_asked_even_when_reused() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let a = Allocator;
        unsafe {
            let p = a.alloc(layout(3 << 20));
            assert!(!p.is_null());
            ptr::write_bytes(p, 0xAB, 3 << 20);
            a.dealloc(p, layout(3 << 20));
            // The same mapping length: the kept mapping comes back, zeroed.
            let q = a.alloc_zeroed(layout((3 << 20) + 5));
            assert!(!q.is_null());
            let s = std::slice::from_raw_parts(q, (3 << 20) + 5);
            assert!(s.iter().all(|&b| b == 0));
            a.dealloc(q, layout((3 << 20) + 5));
        }
    }

    #[test]
    fn realloc_keeps_contents_across_the_threshold_and_between_sizes() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let a = Allocator;
        unsafe {
            let mut size = 1000;
            let mut p = a.alloc(layout(size));
            for i in 0..size {
                *p.add(i) = (i % 251) as u8;
            }
            // Small -> large -> larger (another mapping length) -> small.
            for new_size in [LARGE + 1, 5 << 20, 9 << 20, 4000, 700] {
                p = a.realloc(p, layout(size), new_size);
                assert!(!p.is_null());
                let kept = size.min(new_size).min(1000);
                for i in 0..kept {
                    assert_eq!(
                        *p.add(i),
                        (i % 251) as u8,
                        "byte {i} after {size} -> {new_size}"
                    );
                }
                size = new_size;
            }
            a.dealloc(p, layout(size));
        }
    }

    #[test]
    fn a_kept_mapping_up_to_twice_the_need_is_reused_whole() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let a = Allocator;
        unsafe {
            // A distinctive size, so that no other test's kept mapping fits.
            let p = a.alloc(layout(77 << 20));
            assert!(!p.is_null());
            let (_, len) = mapping(p);
            assert_eq!(len, mapped_len(77 << 20));
            a.dealloc(p, layout(77 << 20));
            // 45 MiB fits in the kept 78 MiB mapping (under twice its need):
            // handed out whole, every byte of the new size writable.
            let q = a.alloc(layout(45 << 20));
            assert!(!q.is_null());
            let (_, len) = mapping(q);
            assert!(
                len >= mapped_len(45 << 20) && len <= 2 * mapped_len(45 << 20),
                "{len}"
            );
            ptr::write_bytes(q, 7, 45 << 20);
            // Growing within the mapping keeps the address.
            let r = a.realloc(q, layout(45 << 20), 60 << 20);
            assert_eq!(r, q);
            assert_eq!(*r.add((45 << 20) - 1), 7);
            a.dealloc(r, layout(60 << 20));
        }
    }

    #[test]
    fn over_aligned_large_layouts_go_to_the_system_allocator() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let a = Allocator;
        let l = Layout::from_size_align(LARGE * 2, 1 << 16).unwrap();
        assert!(!is_large(&l));
        unsafe {
            let p = a.alloc(l);
            assert!(!p.is_null());
            assert_eq!(p as usize % (1 << 16), 0);
            a.dealloc(p, l);
        }
    }

    #[test]
    fn a_small_buffer_takes_the_smallest_kept_mapping_that_fits() {
        let kept = Kept {
            lock: AtomicBool::new(false),
            addr: [const { AtomicUsize::new(0) }; KEPT],
            len: [const { AtomicUsize::new(0) }; KEPT],
        };
        // Addresses are only recorded here, never touched.
        assert!(kept.put(0x1000 as *mut u8, 40 * HUGE));
        assert!(kept.put(0x2000 as *mut u8, 2 * HUGE));
        assert!(kept.put(0x3000 as *mut u8, 4 * HUGE));
        assert_eq!(kept.take(HUGE), Some((0x2000 as *mut u8, 2 * HUGE)));
        assert_eq!(kept.take(40 * HUGE), Some((0x1000 as *mut u8, 40 * HUGE)));
        // None large enough: the largest, to grow.
        assert_eq!(kept.take(8 * HUGE), Some((0x3000 as *mut u8, 4 * HUGE)));
        assert_eq!(kept.take(HUGE), None);
    }

    #[test]
    fn the_kept_mappings_are_bounded() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let a = Allocator;
        let size = 40 << 20;
        unsafe {
            let blocks: Vec<*mut u8> = (0..KEPT + 2).map(|_| a.alloc(layout(size))).collect();
            for &p in &blocks {
                assert!(!p.is_null());
                a.dealloc(p, layout(size));
            }
        }
        let held: usize = KEPT_MAPS.with(|k| k.len.iter().map(|l| l.load(Ordering::Relaxed)).sum());
        assert!(held <= KEPT_BYTES, "{held} bytes kept");
    }
}
