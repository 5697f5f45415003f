//! PAX sparse files, format 1.0 (GNU tar's `--sparse` in POSIX format):
//! `GNU.sparse.name` and `GNU.sparse.realsize` records, and an entry whose
//! data starts with the block map in decimal lines (the number of blocks,
//! then an offset and a size for each), padded to 512 bytes, followed by
//! the blocks' bytes. The file is written with holes where the map has
//! none, so it takes no more room on disk than in the archive. The older
//! formats (0.0 and 0.1, maps in PAX records) are refused by name.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

/// What the `GNU.sparse.*` records of one entry say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Sparse {
    pub(super) major: Option<u64>,
    pub(super) minor: Option<u64>,
    /// The file's real name (the entry's own is `GNUSparseFile.N/NAME`).
    pub(super) name: Option<Vec<u8>>,
    /// The file's real size, holes included.
    pub(super) realsize: Option<u64>,
    /// A record of an older format (`GNU.sparse.map`, `offset`, ...).
    pub(super) older_format: bool,
}

/// Map entries at the most: each takes two lines of the entry's data, and
/// the map is held in memory.
const MAX_BLOCKS: u64 = 1 << 20;

impl Sparse {
    /// Takes one `GNU.sparse.*` record (`key` without the prefix).
    pub(super) fn record(&mut self, key: &[u8], value: &[u8]) -> Result<(), String> {
        let number = || {
            std::str::from_utf8(value)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| {
                    format!(
                        "GNU.sparse.{} is not a number",
                        String::from_utf8_lossy(key)
                    )
                })
        };
        match key {
            b"major" => self.major = Some(number()?),
            b"minor" => self.minor = Some(number()?),
            b"name" => self.name = Some(value.to_vec()),
            b"realsize" => self.realsize = Some(number()?),
            _ => self.older_format = true,
        }
        Ok(())
    }

    /// The real size, when the records describe format 1.0.
    pub(super) fn check(&self) -> Result<u64, String> {
        match (self.older_format, self.major, self.minor, self.realsize) {
            (false, Some(1), Some(0), Some(size)) => Ok(size),
            _ => Err(format!(
                "PAX sparse format {}.{} is not supported (only 1.0, GNU tar's --sparse with --format=posix)",
                self.major.map_or("0".into(), |v| v.to_string()),
                self.minor.map_or("x".into(), |v| v.to_string())
            )),
        }
    }
}

/// Why a sparse entry could not be written: its map, or the I/O.
pub(super) enum SparseError {
    Map(String),
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Writes the sparse entry `data` (map, padding, blocks) into `file`,
/// `realsize` bytes long, holes left as holes.
pub(super) fn write(
    data: &mut impl Read,
    file: &mut File,
    realsize: u64,
    buffer: &mut [u8],
) -> Result<(), SparseError> {
    let mut consumed = 0u64;
    let mut line = || -> Result<u64, SparseError> {
        let mut digits = Vec::new();
        loop {
            let mut byte = [0u8];
            data.read_exact(&mut byte).map_err(SparseError::Read)?;
            consumed += 1;
            match byte[0] {
                b'\n' => break,
                b @ b'0'..=b'9' if digits.len() < 20 => digits.push(b),
                _ => {
                    return Err(SparseError::Map(
                        "the block map holds something other than decimal lines".into(),
                    ));
                }
            }
        }
        std::str::from_utf8(&digits)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| SparseError::Map("an empty or too large number in the block map".into()))
    };
    let count = line()?;
    if count > MAX_BLOCKS {
        return Err(SparseError::Map(format!(
            "{count} blocks in the map, more than {MAX_BLOCKS}"
        )));
    }
    let mut blocks = Vec::with_capacity(count as usize);
    let mut end = 0u64;
    for _ in 0..count {
        let (offset, size) = (line()?, line()?);
        let block_end = offset
            .checked_add(size)
            .filter(|&e| offset >= end && e <= realsize);
        let Some(block_end) = block_end else {
            return Err(SparseError::Map(format!(
                "block at {offset} of {size} bytes overlaps the one before or passes the real size {realsize}"
            )));
        };
        end = block_end;
        blocks.push((offset, size));
    }
    // The map is padded to a whole 512-byte block.
    let padding = (512 - consumed % 512) % 512;
    std::io::copy(&mut data.by_ref().take(padding), &mut std::io::sink())
        .map_err(SparseError::Read)?;
    for (offset, mut size) in blocks {
        file.seek(SeekFrom::Start(offset))
            .map_err(SparseError::Write)?;
        while size > 0 {
            let want = buffer
                .len()
                .min(usize::try_from(size).unwrap_or(usize::MAX));
            let n = data.read(&mut buffer[..want]).map_err(SparseError::Read)?;
            if n == 0 {
                return Err(SparseError::Map(
                    "the entry ends inside a block of its map".into(),
                ));
            }
            file.write_all(&buffer[..n]).map_err(SparseError::Write)?;
            size -= n as u64;
        }
    }
    let mut rest = [0u8; 1];
    if data.read(&mut rest).map_err(SparseError::Read)? != 0 {
        return Err(SparseError::Map(
            "the entry holds more data than its block map says".into(),
        ));
    }
    file.set_len(realsize).map_err(SparseError::Write)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// An entry's data: the map lines, padding to 512, then `blocks`.
    fn data(map: &str, blocks: &[u8]) -> Vec<u8> {
        let mut out = map.as_bytes().to_vec();
        out.resize(map.len().div_ceil(512) * 512, 0);
        out.extend_from_slice(blocks);
        out
    }

    fn run(map: &str, blocks: &[u8], realsize: u64) -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut file = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let mut buffer = [0u8; 7]; // smaller than a block: the loop must go round
        match write(
            &mut &data(map, blocks)[..],
            &mut file,
            realsize,
            &mut buffer,
        ) {
            Ok(()) => Ok(std::fs::read(&path).unwrap()),
            Err(SparseError::Map(reason)) => Err(reason),
            Err(SparseError::Read(e) | SparseError::Write(e)) => Err(format!("io: {e}")),
        }
    }

    #[test]
    fn writes_blocks_at_their_offsets_with_holes_between() {
        let content = run("2\n3\n4\n20\n2\n", b"abcdxy", 25).unwrap();
        let mut want = vec![0u8; 25];
        want[3..7].copy_from_slice(b"abcd");
        want[20..22].copy_from_slice(b"xy");
        assert_eq!(content, want);
        assert_eq!(run("0\n", b"", 9).unwrap(), vec![0u8; 9]);
    }

    #[test]
    fn refuses_maps_that_do_not_add_up() {
        for (map, blocks, size, why) in [
            ("1\n0\n4\n", &b"abc"[..], 4, "ends inside a block"),
            ("1\n0\n2\n", b"abcd", 4, "more data"),
            ("2\n0\n4\n2\n1\n", b"abcde", 10, "overlaps"),
            ("1\n8\n4\n", b"abcd", 10, "passes the real size"),
            ("1\n-1\n4\n", b"abcd", 10, "decimal lines"),
            ("99999999999\n", b"", 10, "more than"),
            (
                "1\n18446744073709551615\n2\n",
                b"ab",
                10,
                "passes the real size",
            ),
        ] {
            let err = run(map, blocks, size).unwrap_err();
            assert!(err.contains(why), "{map:?}: {err}");
        }
    }

    #[test]
    fn only_format_1_0_is_taken() {
        let mut sparse = Sparse::default();
        for (k, v) in [
            ("major", "1"),
            ("minor", "0"),
            ("name", "f"),
            ("realsize", "9"),
        ] {
            sparse.record(k.as_bytes(), v.as_bytes()).unwrap();
        }
        assert_eq!(sparse.check(), Ok(9));
        sparse.record(b"map", b"0,1").unwrap();
        assert!(sparse.check().unwrap_err().contains("1.0"));
        assert!(Sparse::default().record(b"realsize", b"x").is_err());
    }
}
