#![allow(clippy::unwrap_used)]
//! gzip worker threads, and the thread hashing the diff_id beside them,
//! never outlive their encoder: not after `finish`, not after an error, not
//! after a drop in the middle of a layer. One test in
//! its own binary, so that no other test's workers are counted.

mod support;

use std::io::{self, Write};

use ocikit_layout::codec::{Codec, Encoder};
use support::Failing;

/// The threads of this process named like gzip workers (`gzip-N`) or the
/// diff_id hasher (`diff-id`).
fn gzip_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("gzip-") || name.starts_with("diff-id"))
        .count()
}

/// Waits (up to 5 s) until [`gzip_threads`] is `expected`, and returns
/// the last count: a new thread names itself only once it runs, and an
/// exiting one leaves `/proc` a moment after it was joined.
fn settled(expected: usize) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let count = gzip_threads();
        if count == expected || std::time::Instant::now() > deadline {
            return count;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn workers_are_joined_after_finish_error_and_drop() {
    // Pseudo-random bytes (a 64-bit LCG): deflate cannot shrink them.
    let mut state = 1u64;
    let data: Vec<u8> = (0..3 << 20)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 56) as u8
        })
        .collect();
    let codec = Codec::gzip().with_workers(3);
    assert_eq!(settled(0), 0);

    // A small layer starts no thread.
    let mut encoder = Encoder::new(Vec::new(), codec).unwrap();
    encoder.write_all(&data[..1000]).unwrap();
    assert_eq!(settled(1), 1, "under one block: only the hasher");
    encoder.finish().unwrap();

    // Finished: joined.
    let mut encoder = Encoder::new(Vec::new(), codec).unwrap();
    encoder.write_all(&data).unwrap();
    assert_eq!(settled(4), 4, "one thread per worker and the hasher");
    encoder.finish().unwrap();
    assert_eq!(settled(0), 0, "after finish");

    // Dropped in the middle: joined.
    let mut encoder = Encoder::new(Vec::new(), codec).unwrap();
    encoder.write_all(&data).unwrap();
    drop(encoder);
    assert_eq!(settled(0), 0, "after a drop");

    // The inner writer failed: the error comes back, and finish joins.
    let mut encoder = Encoder::new(Failing { room: 50_000 }, codec).unwrap();
    let err = encoder.write_all(&data).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    assert!(encoder.finish().is_err());
    assert_eq!(settled(0), 0, "after an error");
}
