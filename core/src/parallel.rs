//! Splitting work across cores where threads exist, and running it inline
//! where they don't (one core, or wasm32 without threads).

use std::sync::OnceLock;

/// How many cores this process may use (1 where threads are unavailable).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    })
}

/// How many workers `work` items (pixels, say) deserve: threads only pay off
/// on large inputs.
pub(crate) fn workers(work: usize) -> usize {
    if work < 1 << 18 {
        1
    } else {
        cores()
    }
}

/// Run `f` on every job: on scoped threads when there are several jobs and
/// cores, else inline. A panic in a job (a bug) propagates.
pub(crate) fn for_each<J: Send>(jobs: Vec<J>, f: impl Fn(J) + Sync) {
    if jobs.len() <= 1 || cores() == 1 {
        jobs.into_iter().for_each(f);
        return;
    }
    let f = &f;
    std::thread::scope(|scope| {
        for job in jobs {
            scope.spawn(move || f(job));
        }
    });
}

/// Run `a` and `b` side by side when cores allow, else one after the other.
pub(crate) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if cores() == 1 {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        match a.join() {
            Ok(a) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
