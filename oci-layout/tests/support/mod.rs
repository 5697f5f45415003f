//! Helpers of the oci-layout tests alone: a writer that fills up, and a
//! seeded generator of inputs. What other crates' tests use too (images
//! built in memory, peer tools) is in ocikit-test-support.

#![allow(dead_code)] // each test file uses a different part

/// A writer that accepts `room` bytes, then fails every write with
/// `StorageFull` ("disk full"): a full disk under an encoder or a blob.
#[derive(Debug)]
pub struct Failing {
    pub room: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "disk full",
            ));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A small seeded pseudo-random generator (xorshift64): the same seed
/// gives the same sequence. The seed must not be zero.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `bytes` with a few bytes changed, inserted, removed, or cut short.
    pub fn mutate(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for _ in 0..=self.below(3) {
            let at = self.below(out.len());
            match self.below(4) {
                0 if !out.is_empty() => out[at] = self.next() as u8,
                1 => {
                    const TOKENS: &[u8] = b"{}[]\",:0-9eE\\u";
                    out.insert(at, TOKENS[self.below(TOKENS.len())]);
                }
                2 if !out.is_empty() => {
                    out.remove(at);
                }
                _ => out.truncate(at),
            }
        }
        out
    }
}
