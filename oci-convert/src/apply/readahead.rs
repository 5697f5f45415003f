//! Read-ahead on a second thread: the layer blob is read, verified and
//! decompressed on one core while the tar entries are parsed, hashed and
//! written on the other. The two sides pass a few fixed-size buffers back
//! and forth, so memory stays at [`DEPTH`] x [`CHUNK`] whatever the layer.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

/// The bytes of one buffer handed from the reading thread to the caller.
const CHUNK: usize = 512 * 1024;

/// How many buffers exist: the reading thread fills one while the caller
/// drains another, and the rest absorb the jitter between the two.
const DEPTH: usize = 6;

/// Runs `consume` on the calling thread with a reader that yields the bytes
/// of `source`, which a scoped thread reads ahead. Errors of `source` reach
/// the caller's reads unchanged (their kind and inner error), at the point
/// of the stream where they happened. When `consume` returns early, the
/// reading thread stops at its next buffer and is joined before this
/// returns.
pub(crate) fn read_ahead<R, T>(source: R, consume: impl FnOnce(&mut ReadAhead) -> T) -> T
where
    R: Read + Send,
{
    let (full_tx, full_rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(DEPTH);
    thread::scope(|scope| {
        scope.spawn(move || fill(source, &full_tx, &empty_rx));
        let mut reader = ReadAhead {
            full: full_rx,
            empty: empty_tx,
            current: Vec::new(),
            position: 0,
            done: false,
        };
        consume(&mut reader)
        // `reader` is dropped here, before the scope joins the thread:
        // its channels close and the thread's next send or receive fails.
    })
}

/// The reading thread: fills buffers until the end of `source`, an error,
/// or the caller hanging up.
fn fill<R: Read>(mut source: R, full: &SyncSender<io::Result<Vec<u8>>>, empty: &Receiver<Vec<u8>>) {
    let mut made = 0;
    loop {
        let mut buffer = if made < DEPTH {
            made += 1;
            vec![0; CHUNK]
        } else {
            match empty.recv() {
                Ok(buffer) => buffer,
                Err(_) => return, // the caller is gone
            }
        };
        buffer.resize(CHUNK, 0);
        let mut filled = 0;
        let end = loop {
            match source.read(&mut buffer[filled..]) {
                Ok(0) => break Ok(true),
                Ok(n) => {
                    filled += n;
                    if filled == CHUNK {
                        break Ok(false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buffer.truncate(filled);
        match end {
            Ok(at_end) => {
                let last_was_empty = buffer.is_empty();
                if full.send(Ok(buffer)).is_err() {
                    return; // the caller is gone
                }
                if at_end {
                    // An empty buffer tells the reader the stream ended.
                    if !last_was_empty {
                        let _ = full.send(Ok(Vec::new()));
                    }
                    return;
                }
            }
            Err(e) => {
                // The bytes before the error first, then the error.
                if !buffer.is_empty() && full.send(Ok(buffer)).is_err() {
                    return;
                }
                let _ = full.send(Err(e));
                return;
            }
        }
    }
}

/// The caller's side of [`read_ahead`].
pub(crate) struct ReadAhead {
    full: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    position: usize,
    done: bool,
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.position == self.current.len() {
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            let next = match self.full.recv() {
                Ok(Ok(next)) => next,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The thread ended without saying so: it can only have
                // panicked, which the scope reports when it joins.
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("the layer's reading thread stopped"));
                }
            };
            if next.is_empty() {
                self.done = true;
                return Ok(0);
            }
            let spent = std::mem::replace(&mut self.current, next);
            self.position = 0;
            if spent.capacity() > 0 {
                // The thread may have stopped already: nothing to hand back.
                let _ = self.empty.try_send(spent);
            }
        }
        let n = buf.len().min(self.current.len() - self.position);
        buf[..n].copy_from_slice(&self.current[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A source that yields `data` in odd-sized pieces, then `error` if set.
    struct Pieces {
        data: Vec<u8>,
        at: usize,
        error: Option<io::ErrorKind>,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return match self.error.take() {
                    Some(kind) => Err(io::Error::new(kind, "broken source")),
                    None => Ok(0),
                };
            }
            let n = buf.len().min(7919).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn yields_every_byte_in_order() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * DEPTH * 3 + 12345] {
            let source = Pieces {
                data: data(len),
                at: 0,
                error: None,
            };
            let mut out = Vec::new();
            read_ahead(source, |r| r.read_to_end(&mut out)).unwrap();
            assert_eq!(out, data(len), "length {len}");
        }
    }

    #[test]
    fn an_error_arrives_after_the_bytes_before_it() {
        let len = CHUNK * 2 + 100;
        let source = Pieces {
            data: data(len),
            at: 0,
            error: Some(io::ErrorKind::InvalidData),
        };
        let (got, err) = read_ahead(source, |r| {
            let mut got = 0;
            let mut buf = vec![0; 4096];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => return (got, None),
                    Ok(n) => got += n,
                    Err(e) => return (got, Some(e)),
                }
            }
        });
        assert_eq!(got, len);
        let err = err.unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(err.to_string(), "broken source");
    }

    #[test]
    fn stopping_early_ends_the_thread() {
        // An endless source: read_ahead returns only if the thread stops
        // when the caller hangs up.
        let endless = io::repeat(7);
        let first = read_ahead(endless, |r| {
            let mut buf = [0; 10];
            r.read_exact(&mut buf).unwrap();
            buf
        });
        assert_eq!(first, [7; 10]);
    }
}
