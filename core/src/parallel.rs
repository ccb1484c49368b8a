//! Splitting work across cores where threads exist, and running it inline
//! where they don't (one core, or wasm32 without threads).

use std::cell::Cell;
use std::sync::OnceLock;

thread_local! {
    /// Set on threads that are themselves one of several workers (vPDQ's
    /// frame hashers): their work runs inline, never on threads of its own.
    static SERIAL: Cell<bool> = const { Cell::new(false) };
}

/// How many cores this thread may split its work over: those of the process
/// (1 where threads are unavailable), or 1 inside [`serial`].
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    if SERIAL.with(Cell::get) {
        return 1;
    }
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    })
}

/// Run `f` with every split of work inside it done inline on this thread: for
/// callers that already keep every core busy with one job a thread, where a
/// job's own threads would only add spawns and contention.
#[cfg(any(feature = "video", feature = "scan", test))]
pub(crate) fn serial<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SERIAL.with(|s| s.replace(true)));
    f()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_runs_every_job_on_the_calling_thread_and_ends_with_its_call() {
        let me = std::thread::current().id();
        let ids = std::sync::Mutex::new(Vec::new());
        serial(|| {
            assert_eq!(workers(1 << 24), 1);
            for_each((0..4).collect(), |_: i32| {
                ids.lock().unwrap().push(std::thread::current().id())
            });
            let (a, b) = join(|| std::thread::current().id(), || 0);
            assert_eq!((a, b), (me, 0));
        });
        assert_eq!(ids.into_inner().unwrap(), vec![me; 4]);
        assert!(
            !SERIAL.with(Cell::get),
            "the flag is cleared after the call"
        );
    }
}
