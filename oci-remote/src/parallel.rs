//! Blobs several at once: scoped worker threads taking items from a shared
//! queue, all joined before the call returns; the first error stops the
//! workers from starting more (ARCHITECTURE.md, "Synchronous API").

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Result;

/// `work` on every item of `items`, on up to `workers` threads; the results
/// in the order of `items`, or the first error.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let queue: Mutex<VecDeque<(usize, &T)>> = Mutex::new(items.iter().enumerate().collect());
    let failed = AtomicBool::new(false);
    let done: Mutex<Vec<(usize, Result<R>)>> = Mutex::new(Vec::with_capacity(items.len()));
    let workers = workers.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some((position, item)) = next else {
                        return;
                    };
                    let result = work(item);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    done.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((position, result));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(position, _)| *position);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn results_keep_their_order_and_the_first_error_stops_the_rest() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            map(&items, 4, |i| Ok(i * 2)).unwrap(),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        let started = std::sync::atomic::AtomicUsize::new(0);
        let result = map(&items, 2, |i| {
            started.fetch_add(1, Ordering::Relaxed);
            if *i == 3 {
                Err(Error::Usage {
                    reference: "x".into(),
                    reason: "stop".into(),
                })
            } else {
                Ok(())
            }
        });
        assert!(result.is_err());
        assert!(started.load(Ordering::Relaxed) < 100);
        assert!(map(&Vec::<u32>::new(), 4, |_| Ok(())).unwrap().is_empty());
    }
}
