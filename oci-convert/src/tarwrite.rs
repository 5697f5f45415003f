//! A deterministic tar writer for the layers we build (image-spec layer.md,
//! Distributable Format): POSIX ustar headers, with a PAX extended header
//! only for what ustar cannot hold (long names, big numbers, xattrs).
//!
//! The same entries give the same bytes: no user or group names, no
//! access times, PAX records in a fixed order, fixed PAX header metadata.

use std::io::{self, Read, Write};

use ocikit_layout::progress::Tracker;

const BLOCK: usize = 512;

/// The largest value of an 8-byte octal field (7 digits and a NUL).
const MAX_OCTAL_8: u64 = 0o7777777;
/// The largest value of a 12-byte octal field (11 digits and a NUL).
const MAX_OCTAL_12: u64 = 0o77777777777;

/// What an entry is, with what only that kind carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// A regular file whose content follows: exactly `size` bytes.
    File { size: u64 },
    /// A directory; its name gets a trailing `/`.
    Dir,
    /// A symbolic link to this target, kept byte for byte.
    Symlink(&'a [u8]),
    /// A hard link to an earlier entry of the same stream.
    Hardlink(&'a [u8]),
    /// A character device.
    Char { major: u32, minor: u32 },
    /// A block device.
    Block { major: u32, minor: u32 },
    /// A named pipe.
    Fifo,
}

/// One entry's header, as the caller describes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    /// The path in the layer: relative, `/`-separated, without a trailing
    /// `/` (added for directories).
    pub name: &'a [u8],
    pub kind: Kind<'a>,
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Seconds since the epoch.
    pub mtime: i64,
    /// Extended attributes (name, value), written in the order given.
    pub xattrs: &'a [(Vec<u8>, Vec<u8>)],
}

/// Why an append failed; the caller names the file.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// The output refused the bytes.
    Output(io::Error),
    /// Reading the file's content failed.
    Content(io::Error),
    /// The content was not `expected` bytes long (`found` is `expected + 1`
    /// when it was longer).
    SizeChanged { expected: u64, found: u64 },
    /// Something no tar header can hold.
    Unrepresentable(&'static str),
}

/// Writes entries to `W`; [`TarWriter::finish`] writes the end marker and
/// returns `W`. Dropping the writer without finishing leaves an unfinished
/// stream, which tar readers reject.
pub(crate) struct TarWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    entries: u64,
    bytes: u64,
    /// Told the bytes written and each entry, for progress reports.
    tracker: Tracker,
}

impl<W: Write> TarWriter<W> {
    #[cfg(test)]
    pub(crate) fn new(inner: W) -> Self {
        TarWriter::with_tracker(inner, Tracker::none())
    }

    /// A writer that reports the bytes and entries it writes to `tracker`.
    pub(crate) fn with_tracker(inner: W, tracker: Tracker) -> Self {
        TarWriter {
            inner,
            buf: vec![0; 64 * 1024],
            entries: 0,
            bytes: 0,
            tracker,
        }
    }

    /// Entries appended, not counting PAX extended headers.
    pub(crate) fn entries(&self) -> u64 {
        self.entries
    }

    /// Bytes written so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Appends one entry; `content` must give exactly `size` bytes for
    /// [`Kind::File`] and is not read for other kinds.
    pub(crate) fn append(
        &mut self,
        entry: &Entry<'_>,
        content: Option<&mut dyn Read>,
    ) -> Result<(), AppendError> {
        let mut name = entry.name.to_vec();
        if entry.kind == Kind::Dir {
            name.push(b'/');
        }
        let mut header = [0u8; BLOCK];
        let mut pax = Vec::new();

        match split_name(&name) {
            Some((prefix, rest)) => {
                header[345..345 + prefix.len()].copy_from_slice(prefix);
                header[..rest.len()].copy_from_slice(rest);
            }
            None => {
                let cut = name.len().min(100);
                header[..cut].copy_from_slice(&name[..cut]);
                pax_record(&mut pax, b"path", &name);
            }
        }

        let (flag, size, link) = match entry.kind {
            Kind::File { size } => (b'0', size, None),
            Kind::Dir => (b'5', 0, None),
            Kind::Symlink(target) => (b'2', 0, Some(target)),
            Kind::Hardlink(target) => (b'1', 0, Some(target)),
            Kind::Char { .. } => (b'3', 0, None),
            Kind::Block { .. } => (b'4', 0, None),
            Kind::Fifo => (b'6', 0, None),
        };
        if let Some(link) = link {
            let cut = link.len().min(100);
            header[157..157 + cut].copy_from_slice(&link[..cut]);
            if link.len() > 100 {
                pax_record(&mut pax, b"linkpath", link);
            }
        }

        octal(&mut header[100..108], u64::from(entry.mode & 0o7777));
        for (range, key, value) in [
            (108..116, &b"uid"[..], u64::from(entry.uid)),
            (116..124, &b"gid"[..], u64::from(entry.gid)),
        ] {
            if value > MAX_OCTAL_8 {
                octal(&mut header[range], 0);
                pax_record(&mut pax, key, value.to_string().as_bytes());
            } else {
                octal(&mut header[range], value);
            }
        }
        if size > MAX_OCTAL_12 {
            octal(&mut header[124..136], 0);
            pax_record(&mut pax, b"size", size.to_string().as_bytes());
        } else {
            octal(&mut header[124..136], size);
        }
        match u64::try_from(entry.mtime) {
            Ok(mtime) if mtime <= MAX_OCTAL_12 => octal(&mut header[136..148], mtime),
            _ => {
                octal(&mut header[136..148], 0);
                pax_record(&mut pax, b"mtime", entry.mtime.to_string().as_bytes());
            }
        }
        header[156] = flag;
        let (major, minor) = match entry.kind {
            Kind::Char { major, minor } | Kind::Block { major, minor } => (major, minor),
            _ => (0, 0),
        };
        if u64::from(major) > MAX_OCTAL_8 || u64::from(minor) > MAX_OCTAL_8 {
            return Err(AppendError::Unrepresentable(
                "device numbers above 2097151 do not fit a ustar header",
            ));
        }
        octal(&mut header[329..337], u64::from(major));
        octal(&mut header[337..345], u64::from(minor));
        for (key, value) in entry.xattrs {
            let mut full = b"SCHILY.xattr.".to_vec();
            full.extend_from_slice(key);
            pax_record(&mut pax, &full, value);
        }

        if !pax.is_empty() {
            self.write_pax(&name, &pax)?;
        }
        self.write_header(header)?;
        if let Kind::File { size } = entry.kind {
            let Some(content) = content else {
                return Err(AppendError::SizeChanged {
                    expected: size,
                    found: 0,
                });
            };
            self.copy_content(content, size)?;
        }
        self.entries += 1;
        self.tracker.set_bytes(self.bytes);
        self.tracker.add_entry();
        Ok(())
    }

    /// Writes the end-of-archive marker (two zero blocks), flushes, and
    /// returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&[0u8; 2 * BLOCK])?;
        self.bytes += 2 * BLOCK as u64;
        self.inner.flush()?;
        self.tracker.set_bytes(self.bytes);
        self.tracker.finish();
        Ok(self.inner)
    }

    fn write_pax(&mut self, name: &[u8], records: &[u8]) -> Result<(), AppendError> {
        // A fixed name and metadata keep the header deterministic; readers
        // use the records, the name only shows in tools that skip PAX.
        let trimmed = name.strip_suffix(b"/").unwrap_or(name);
        let base = trimmed.rsplit(|&b| b == b'/').next().unwrap_or(trimmed);
        let mut pax_name = b"PaxHeaders/".to_vec();
        pax_name.extend_from_slice(base);
        pax_name.truncate(100);
        let mut header = [0u8; BLOCK];
        header[..pax_name.len()].copy_from_slice(&pax_name);
        octal(&mut header[100..108], 0o644);
        octal(&mut header[108..116], 0);
        octal(&mut header[116..124], 0);
        octal(&mut header[124..136], records.len() as u64);
        octal(&mut header[136..148], 0);
        header[156] = b'x';
        octal(&mut header[329..337], 0);
        octal(&mut header[337..345], 0);
        self.write_header(header)?;
        self.write_out(records)?;
        self.pad(records.len() as u64)
    }

    fn write_header(&mut self, mut header: [u8; BLOCK]) -> Result<(), AppendError> {
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].fill(b' ');
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        let checksum = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(checksum.as_bytes());
        self.write_out(&header)
    }

    fn copy_content(&mut self, content: &mut dyn Read, size: u64) -> Result<(), AppendError> {
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(self.buf.len());
            let n = match content.read(&mut self.buf[..want]) {
                Ok(0) => {
                    return Err(AppendError::SizeChanged {
                        expected: size,
                        found: size - left,
                    });
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(AppendError::Content(e)),
            };
            self.inner
                .write_all(&self.buf[..n])
                .map_err(AppendError::Output)?;
            self.bytes += n as u64;
            self.tracker.set_bytes(self.bytes);
            left -= n as u64;
        }
        // One more byte means the file grew after its size was taken.
        let mut probe = [0u8; 1];
        loop {
            match content.read(&mut probe) {
                Ok(0) => break,
                Ok(_) => {
                    return Err(AppendError::SizeChanged {
                        expected: size,
                        found: size + 1,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(AppendError::Content(e)),
            }
        }
        self.pad(size)
    }

    fn pad(&mut self, len: u64) -> Result<(), AppendError> {
        let rem = (len % BLOCK as u64) as usize;
        if rem != 0 {
            self.write_out(&[0u8; BLOCK][..BLOCK - rem])?;
        }
        Ok(())
    }

    fn write_out(&mut self, bytes: &[u8]) -> Result<(), AppendError> {
        self.inner.write_all(bytes).map_err(AppendError::Output)?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// Splits `name` into ustar's prefix (up to 155 bytes) and name (up to
/// 100) at a `/`, keeping as much as possible in the name field; `None`
/// when no split fits.
fn split_name(name: &[u8]) -> Option<(&[u8], &[u8])> {
    if name.len() <= 100 {
        return Some((&[], name));
    }
    if name.len() > 155 + 1 + 100 {
        return None;
    }
    name.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'/')
        .map(|(i, _)| (&name[..i], &name[i + 1..]))
        .find(|(prefix, rest)| prefix.len() <= 155 && !rest.is_empty() && rest.len() <= 100)
}

/// Writes `value` as zero-padded octal filling `field` but its last byte,
/// which stays NUL (the caller checks that it fits).
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let text = text.as_bytes();
    field[..digits].copy_from_slice(&text[text.len().saturating_sub(digits)..]);
    field[digits] = 0;
}

/// Appends the PAX record `"LEN KEY=VALUE\n"`, where LEN counts the whole
/// record including its own digits.
fn pax_record(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    let rest = 1 + key.len() + 1 + value.len() + 1; // ' ', '=', '\n'
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
