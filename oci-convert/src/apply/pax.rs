//! PAX extended header records (POSIX pax, "pax Extended Header"), read by
//! their length as the format defines them: a value may hold any byte,
//! newlines included (binary xattr values such as `security.capability`
//! do). The tar reader splits records at newlines instead, so apply reads
//! the raw header blocks it captured before each entry and parses them
//! here.

use super::meta::Time;
use super::sparse::Sparse;

/// The records of one entry that apply uses.
#[derive(Debug, Default)]
pub(super) struct Records {
    pub(super) path: Option<Vec<u8>>,
    pub(super) linkpath: Option<Vec<u8>>,
    pub(super) size: Option<u64>,
    pub(super) uid: Option<u64>,
    pub(super) gid: Option<u64>,
    pub(super) mtime: Option<Time>,
    pub(super) atime: Option<Time>,
    pub(super) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// The `GNU.sparse.*` records of a PAX sparse file, whose data starts
    /// with a block map the tar reader would write out as content.
    pub(super) sparse: Option<Sparse>,
}

const BLOCK: usize = 512;

/// Parses the local PAX records among the header blocks read before one
/// entry. `start` is the stream offset of `blocks[0]`; headers start on
/// 512-byte boundaries of the stream, so what comes before the first
/// boundary is the previous entry's padding.
pub(super) fn records(blocks: &[u8], start: u64) -> Result<Records, String> {
    let mut records = Records::default();
    let mut pos = ((BLOCK as u64 - start % BLOCK as u64) % BLOCK as u64) as usize;
    while let Some(header) = blocks.get(pos..pos + BLOCK) {
        let kind = header[156];
        if !matches!(kind, b'x' | b'X' | b'g' | b'L' | b'K') {
            // The entry's own header: its size may be GNU base-256 (files
            // of 8 GiB and more), which the tar reader has already parsed.
            break;
        }
        let size = octal(&header[124..136]).ok_or("a header's size field is not a number")?;
        let size = usize::try_from(size).map_err(|_| "a header's size does not fit in memory")?;
        let data_start = pos + BLOCK;
        // Global PAX headers and GNU long names are skipped here.
        if matches!(kind, b'x' | b'X') {
            let data = blocks
                .get(data_start..data_start + size)
                .ok_or("the PAX header is shorter than its size field")?;
            parse(data, &mut records)?;
        }
        pos = data_start + size.div_ceil(BLOCK) * BLOCK;
    }
    Ok(records)
}

/// An octal header number field (NUL or space terminated); `None` for
/// base-256 or garbage, which a PAX header's size never is.
fn octal(field: &[u8]) -> Option<u64> {
    let text: Vec<u8> = field
        .iter()
        .copied()
        .filter(|&b| b != 0 && b != b' ')
        .collect();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(std::str::from_utf8(&text).ok()?, 8).ok()
}

/// Parses records `"LEN KEY=VALUE\n"`, where LEN counts the whole record.
fn parse(mut data: &[u8], records: &mut Records) -> Result<(), String> {
    let mut offset = 0;
    while !data.is_empty() {
        if data.iter().all(|&b| b == 0) {
            break; // NUL padding some writers leave after the last record
        }
        let bad = |what: &str| format!("PAX record at byte {offset}: {what}");
        let space = data
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| bad("no length"))?;
        let len: usize = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("the length is not a number"))?;
        if len <= space + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err(bad("the length does not end the record at a newline"));
        }
        let record = &data[space + 1..len - 1];
        let equals = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| bad("no '='"))?;
        let (key, value) = (&record[..equals], &record[equals + 1..]);
        let number = || -> Result<u64, String> {
            std::str::from_utf8(value)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("not a number"))
        };
        let time = || Time::parse_pax(value).ok_or_else(|| bad("not a time"));
        match key {
            b"path" => records.path = Some(value.to_vec()),
            b"linkpath" => records.linkpath = Some(value.to_vec()),
            b"size" => records.size = Some(number()?),
            b"uid" => records.uid = Some(number()?),
            b"gid" => records.gid = Some(number()?),
            b"mtime" => records.mtime = Some(time()?),
            b"atime" => records.atime = Some(time()?),
            _ => {
                if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                    records.xattrs.push((name.to_vec(), value.to_vec()));
                } else if let Some(key) = key.strip_prefix(b"GNU.sparse.") {
                    records
                        .sparse
                        .get_or_insert_default()
                        .record(key, value)
                        .map_err(|e| bad(&e))?;
                }
            }
        }
        data = &data[len..];
        offset += len;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(key: &str, value: &[u8]) -> Vec<u8> {
        let body = [key.as_bytes(), b"=", value, b"\n"].concat();
        let mut len = body.len() + 2;
        while format!("{len} ").len() + body.len() != len {
            len += 1;
        }
        [format!("{len} ").into_bytes(), body].concat()
    }

    #[test]
    fn reads_records_by_length_with_newlines_in_values() {
        let data = [
            record("SCHILY.xattr.user.bin", b"\x01\n\0\xff\nx"),
            record("uid", b"1234"),
            record("path", b"a\nb"),
            record("mtime", b"1.5"),
        ]
        .concat();
        let mut r = Records::default();
        parse(&data, &mut r).unwrap();
        assert_eq!(
            r.xattrs,
            [(b"user.bin".to_vec(), b"\x01\n\0\xff\nx".to_vec())]
        );
        assert_eq!((r.uid, r.path.as_deref()), (Some(1234), Some(&b"a\nb"[..])));
        assert_eq!(
            r.mtime,
            Some(Time {
                secs: 1,
                nanos: 500_000_000
            })
        );
        for bad in [&b"5 a=b\n"[..], b"x a=b\n", b"6 ab\n\n", b"99 a=b\n"] {
            assert!(parse(bad, &mut Records::default()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn finds_the_pax_header_after_padding() {
        let data = record("uid", b"7");
        let mut header = vec![0u8; BLOCK];
        header[156] = b'x';
        header[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        let mut own = vec![0u8; BLOCK];
        own[156] = b'0';
        // 100 bytes of the previous entry's padding, starting at offset 924.
        let mut blocks = vec![0u8; 100];
        blocks.extend(&header);
        blocks.extend(&data);
        blocks.resize(100 + BLOCK + BLOCK, 0);
        blocks.extend(&own);
        assert_eq!(records(&blocks, 924).unwrap().uid, Some(7));
    }
}
