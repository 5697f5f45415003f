//! Hashing and counting pass-through adapters: the digest and size of the
//! bytes that go by, for callers that have no blob writer doing it.

use std::fmt;
use std::io::{self, Read, Write};

use ocikit_image::digester::Digester;
use ocikit_image::{Algorithm, Digest};

use super::CodecError;

/// A [`Write`] adapter that hashes and counts everything written through it.
///
/// ```
/// use ocikit_layout::codec::HashingWriter;
/// use ocikit_image::Digest;
/// use std::io::Write;
///
/// let mut w = HashingWriter::sha256(Vec::new());
/// w.write_all(b"{}")?;
/// let (inner, digest, size) = w.finish()?;
/// assert_eq!((inner, digest, size), (b"{}".to_vec(), Digest::sha256(b"{}"), 2));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct HashingWriter<W> {
    inner: W,
    digester: Digester,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`, hashing with `algorithm`.
    ///
    /// # Errors
    ///
    /// [`CodecError::Digest`] when this build cannot compute `algorithm`.
    pub fn new(inner: W, algorithm: &Algorithm) -> Result<Self, CodecError> {
        Ok(HashingWriter {
            inner,
            digester: Digester::new(algorithm)?,
        })
    }

    /// Wraps `inner`, hashing with SHA-256.
    pub fn sha256(inner: W) -> Self {
        HashingWriter {
            inner,
            digester: Digester::sha256(),
        }
    }

    /// Flushes the inner writer and returns it with the digest and the
    /// count of the bytes it accepted.
    ///
    /// # Errors
    ///
    /// The error of the flush.
    pub fn finish(mut self) -> io::Result<(W, Digest, u64)> {
        self.inner.flush()?;
        let bytes = self.digester.bytes();
        Ok((self.inner, self.digester.finish(), bytes))
    }
}

impl<W> HashingWriter<W> {
    /// How many bytes the inner writer has accepted so far.
    pub fn bytes_written(&self) -> u64 {
        self.digester.bytes()
    }

    /// The inner writer. Writing to it directly bypasses the hash.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    /// Writes to the inner writer and hashes what it accepted.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digester.update(accepted(buf, n)?);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> fmt::Debug for HashingWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashingWriter")
            .field("digester", &self.digester)
            .finish_non_exhaustive()
    }
}

/// A [`Read`] adapter that hashes and counts everything read through it,
/// such as the tar stream out of a [`Decoder`](super::Decoder), whose
/// digest is the layer's diff_id.
///
/// A tar reader stops at the archive's end blocks and may leave padding
/// unread; [`finish_to_end`](HashingReader::finish_to_end) reads the rest
/// so the digest covers the whole stream.
///
/// ```
/// use ocikit_layout::codec::HashingReader;
/// use ocikit_image::Digest;
///
/// let r = HashingReader::sha256(&b"layer"[..]);
/// let (_, digest, size) = r.finish_to_end()?;
/// assert_eq!((digest, size), (Digest::sha256(b"layer"), 5));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct HashingReader<R> {
    inner: R,
    digester: Digester,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`, hashing with `algorithm`.
    ///
    /// # Errors
    ///
    /// [`CodecError::Digest`] when this build cannot compute `algorithm`.
    pub fn new(inner: R, algorithm: &Algorithm) -> Result<Self, CodecError> {
        Ok(HashingReader {
            inner,
            digester: Digester::new(algorithm)?,
        })
    }

    /// Wraps `inner`, hashing with SHA-256.
    pub fn sha256(inner: R) -> Self {
        HashingReader {
            inner,
            digester: Digester::sha256(),
        }
    }

    /// Reads `inner` to its end, then returns it with the digest and the
    /// count of every byte read through this adapter.
    ///
    /// # Errors
    ///
    /// The first read error other than
    /// [`Interrupted`](io::ErrorKind::Interrupted), such as a corrupt
    /// compressed stream.
    pub fn finish_to_end(mut self) -> io::Result<(R, Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(self.finish())
    }
}

impl<R> HashingReader<R> {
    /// Returns the inner reader with the digest and count of the bytes read
    /// so far; only the whole stream's if it was read to its end.
    pub fn finish(self) -> (R, Digest, u64) {
        let bytes = self.digester.bytes();
        (self.inner, self.digester.finish(), bytes)
    }

    /// How many bytes have been read so far.
    pub fn bytes_read(&self) -> u64 {
        self.digester.bytes()
    }

    /// The inner reader. Reading from it directly bypasses the hash.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digester.update(accepted(buf, n)?);
        Ok(n)
    }
}

impl<R> fmt::Debug for HashingReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashingReader")
            .field("digester", &self.digester)
            .finish_non_exhaustive()
    }
}

/// The first `n` bytes of `buf`, or an error when an inner reader or writer
/// claims more than the buffer holds (a broken implementation, not a panic).
pub(super) fn accepted(buf: &[u8], n: usize) -> io::Result<&[u8]> {
    buf.get(..n).ok_or_else(|| {
        io::Error::other(format!(
            "inner reader or writer claims {n} bytes of a {}-byte buffer",
            buf.len()
        ))
    })
}

/// Counts the bytes that pass, for the compressed side of a layer.
#[derive(Debug)]
pub(super) struct Counting<T> {
    pub(super) inner: T,
    pub(super) bytes: u64,
}

impl<T> Counting<T> {
    pub(super) fn new(inner: T) -> Self {
        Counting { inner, bytes: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        accepted(buf, n)?;
        self.bytes = self.bytes.saturating_add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        accepted(buf, n)?;
        self.bytes = self.bytes.saturating_add(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    /// Accepts at most 3 bytes per write.
    struct Slow(Vec<u8>);

    impl Write for Slow {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(3);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn short_writes_hash_only_what_was_accepted() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8).collect();
        let mut w = HashingWriter::new(Slow(Vec::new()), &Algorithm::Sha512).unwrap();
        assert_eq!(w.write(&data).unwrap(), 3);
        w.write_all(&data[3..]).unwrap();
        assert_eq!(w.bytes_written(), 1000);
        let (inner, digest, size) = w.finish().unwrap();
        assert_eq!(inner.0, data);
        assert_eq!(digest, Digest::sha512(&data));
        assert_eq!(size, 1000);
    }

    #[test]
    fn liars_are_errors_not_panics() {
        struct Liar;
        impl Write for Liar {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        impl Read for Liar {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
        }
        assert!(HashingWriter::sha256(Liar).write(b"abc").is_err());
        assert!(HashingReader::sha256(Liar).read(&mut [0; 4]).is_err());
        assert!(Counting::new(Liar).write(b"abc").is_err());
        assert!(Counting::new(Liar).read(&mut [0; 4]).is_err());
    }

    #[test]
    fn unsupported_algorithm_is_refused() {
        let other = Algorithm::Other("md5".into());
        let err = HashingReader::new(&b""[..], &other).unwrap_err();
        assert!(matches!(err, CodecError::Digest(_)), "{err:?}");
        assert!(err.to_string().contains("md5"), "{err}");
        assert!(HashingWriter::new(Vec::new(), &other).is_err());
    }

    #[test]
    fn reader_counts_and_hashes() {
        let mut r = HashingReader::sha256(&b"hello world"[..]);
        let mut five = [0u8; 5];
        r.read_exact(&mut five).unwrap();
        assert_eq!(r.bytes_read(), 5);
        let (_, digest, size) = r.finish_to_end().unwrap();
        assert_eq!(digest, Digest::sha256(b"hello world"));
        assert_eq!(size, 11);
    }
}
