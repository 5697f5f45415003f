//! A host-side file step ocikit-convert shares: a read that stops at a size
//! limit. (Crash-safe replacement of a file is `ocikit_layout::AtomicFile`.)

use std::io::{self, Read};

/// Everything `reader` holds, or `None` when it holds more than `limit`
/// bytes (no more than `limit + 1` are read).
pub(crate) fn read_up_to(reader: impl Read, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}
