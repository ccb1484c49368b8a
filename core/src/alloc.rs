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
//! for every file (a kept mapping up to twice as long as a new buffer needs
//! is split, its tail kept in turn; a much longer one is cut down, so a
//! large buffer's pages never stay resident behind a small one).
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

/// The mapping length for a buffer of `size` bytes (the same for the same
/// size, so `dealloc` needs no record of it).
fn mapped_len(size: usize) -> usize {
    size.div_ceil(HUGE).saturating_mul(HUGE)
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
    // The mapping, and how many of the buffer's first bytes may hold old
    // data (a fresh mapping, or a grown one's new part, reads as zeros).
    let (p, stale) = match KEPT_MAPS.take(need) {
        // At most twice the need: split, the tail kept (or, without room,
        // given back), so its pages serve the next buffer.
        Some((kept, len)) if len >= need && len - need <= need => {
            if len > need {
                // SAFETY: the tail is the rest of a whole kept mapping, ours
                // once taken out: itself a whole mapping from now on (both
                // are multiples of the huge-page size).
                unsafe { keep_or_unmap(kept.add(need), len - need) };
            }
            (kept, size)
        }
        // Much longer: cut down, its tail's pages given back (kept, a large
        // buffer's pages would stay resident behind a small one: signing a
        // 48 MP photo held twice the memory), or shorter: grown, its pages
        // kept, moved if need be.
        // SAFETY: a kept mapping is whole and ours once taken out.
        Some((kept, len)) => match unsafe { remap(kept, len, need) } {
            Some(q) => (q, size.min(len).min(need)),
            None => {
                // SAFETY: as above; given up.
                unsafe { unmap(kept, len) };
                (map(need), 0)
            }
        },
        None => (map(need), 0),
    };
    if zeroed && !p.is_null() {
        // SAFETY: `stale <= size` bytes of a mapping of `need >= size`
        // writable bytes, ours.
        unsafe { ptr::write_bytes(p, 0, stale) };
    }
    p
}

/// Keep a whole mapping for reuse, or give it back when there is no room.
///
/// # Safety
/// `p` and `len` are a whole mapping, used by no one.
unsafe fn keep_or_unmap(p: *mut u8, len: usize) {
    if !KEPT_MAPS.put(p, len) {
        // SAFETY: per the contract above.
        unsafe { unmap(p, len) };
    }
}

// SAFETY: every block handed out is either the system allocator's (for a
// small layout, returned to it for the same layout) or a whole private
// mapping of `mapped_len(size)` bytes, page-aligned (alignment ≤ 4096 is
// required for those), owned by the caller until `dealloc` with a layout of
// the same size, which tells the two apart by the same rule and so knows the
// mapping's length. Nothing here allocates through the global allocator.
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
            // SAFETY: a large layout's block is a whole mapping of this
            // length, from `alloc_large`, used by no one after this.
            unsafe { keep_or_unmap(p, mapped_len(layout.size())) }
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
                let (len, need) = (mapped_len(layout.size()), mapped_len(new_size));
                if len == need {
                    return p;
                }
                // SAFETY: the block is a whole mapping of `len` bytes, ours;
                // the kernel keeps its contents (up to the smaller length)
                // and moves it if it must.
                match unsafe { remap(p, len, need) } {
                    Some(q) => q,
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

    /// The tests share the kept mappings: one at a time, each starting
    /// with none kept.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn alone() -> std::sync::MutexGuard<'static, ()> {
        let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((base, len)) = KEPT_MAPS.take(0) {
            unsafe { unmap(base, len) };
        }
        guard
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn large_blocks_are_zeroed_when_asked_even_when_reused() {
        let _one = alone();
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
        let _one = alone();
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
    fn a_fresh_zeroed_block_is_zero_and_is_not_written_to_zero_it() {
        let _one = alone();
        let a = Allocator;
        let size = 250 << 20;
        let resident = || {
            let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
            statm.split(' ').nth(1).unwrap().parse::<usize>().unwrap() * 4096
        };
        unsafe {
            let before = resident();
            // Larger than anything kept: a fresh mapping, or a kept one
            // grown (only its old, resident part is zeroed).
            let p = a.alloc_zeroed(layout(size));
            assert!(!p.is_null());
            // The new pages are not touched by the allocator: not resident
            // yet (a memset would have faulted in all 250 MiB).
            assert!(
                resident() < before + (64 << 20),
                "{} -> {}",
                before,
                resident()
            );
            let s = std::slice::from_raw_parts(p, size);
            assert!(s.iter().step_by(4096).all(|&b| b == 0));
            a.dealloc(p, layout(size));
        }
    }

    #[test]
    fn a_kept_mapping_grown_for_a_zeroed_block_is_zero_throughout() {
        let _one = alone();
        let a = Allocator;
        unsafe {
            let p = a.alloc(layout(5 << 20));
            ptr::write_bytes(p, 0xCD, 5 << 20);
            a.dealloc(p, layout(5 << 20));
            // The kept 6 MiB mapping, grown to 14 MiB: its old part zeroed,
            // its new part zero already.
            let q = a.alloc_zeroed(layout(13 << 20));
            assert!(!q.is_null());
            let s = std::slice::from_raw_parts(q, 13 << 20);
            assert!(s.iter().all(|&b| b == 0));
            a.dealloc(q, layout(13 << 20));
        }
    }

    #[test]
    fn a_kept_mapping_longer_than_needed_is_split_and_its_tail_kept() {
        let _one = alone();
        let a = Allocator;
        let kept_lens = || {
            let mut v: Vec<usize> = KEPT_MAPS.with(|k| {
                k.len
                    .iter()
                    .map(|l| l.load(Ordering::Relaxed))
                    .filter(|&l| l > 0)
                    .collect()
            });
            v.sort();
            v
        };
        unsafe {
            let p = a.alloc(layout(77 << 20));
            assert!(!p.is_null());
            a.dealloc(p, layout(77 << 20));
            assert_eq!(kept_lens(), vec![78 << 20]);
            // 45 MiB takes the first 46 MiB of it, in place; the other 32
            // MiB (pages and all) stay kept.
            let q = a.alloc(layout(45 << 20));
            assert_eq!(q, p);
            assert_eq!(kept_lens(), vec![32 << 20]);
            ptr::write_bytes(q, 7, 45 << 20);
            // A size within the same mapping length keeps the address.
            let r = a.realloc(q, layout(45 << 20), (46 << 20) - 1);
            assert_eq!(r, q);
            assert_eq!(*r.add((45 << 20) - 1), 7);
            a.dealloc(r, layout((46 << 20) - 1));
            assert_eq!(kept_lens(), vec![32 << 20, 46 << 20]);
            // 5 MiB takes the 32 MiB mapping (the smallest that fits), more
            // than twice its need: cut down to 6 MiB, the rest given back.
            let t = a.alloc(layout(5 << 20));
            assert!(!t.is_null());
            assert_eq!(kept_lens(), vec![46 << 20]);
            a.dealloc(t, layout(5 << 20));
            assert_eq!(kept_lens(), vec![6 << 20, 46 << 20]);
        }
    }

    #[test]
    fn over_aligned_large_layouts_go_to_the_system_allocator() {
        let _one = alone();
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
        let _one = alone();
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
