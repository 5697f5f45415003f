//! A raw tar writer for tests: ustar headers written byte by byte (POSIX
//! ustar, pax extended headers, GNU long name and long link entries), so
//! that a test can write any name, link name, type flag or size, however
//! hostile. The `tar` crate's builder refuses such names, which is right
//! for a builder and wrong for a crafter of attacks.

/// One tar entry to write: a header, maybe preceded by a pax header, and
/// its data.
#[derive(Debug, Clone)]
pub struct E {
    /// The name, verbatim (the first 100 bytes go in the ustar field; a
    /// longer one also gets a pax `path` record unless one is given).
    pub name: Vec<u8>,
    /// The type flag byte.
    pub kind: u8,
    /// The link name, verbatim (a pax `linkpath` record when over 100).
    pub link: Vec<u8>,
    /// Mode bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Modification time.
    pub mtime: u64,
    /// The data that follows the header.
    pub data: Vec<u8>,
    /// The size field when it should not be the data's length.
    pub size: Option<u64>,
    /// Device major and minor.
    pub dev: (u32, u32),
    /// pax records written in an `x` header before this one.
    pub pax: Vec<(Vec<u8>, Vec<u8>)>,
    /// Write the GNU magic (`ustar  \0`) instead of POSIX `ustar\000`.
    pub gnu: bool,
}

impl E {
    /// An entry of type `kind` named `name`, mode 0644, owned by 0:0, mtime
    /// 1234567890, no data.
    pub fn raw(kind: u8, name: impl AsRef<[u8]>) -> E {
        E {
            name: name.as_ref().to_vec(),
            kind,
            link: Vec::new(),
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 1_234_567_890,
            data: Vec::new(),
            size: None,
            dev: (0, 0),
            pax: Vec::new(),
            gnu: false,
        }
    }

    /// A regular file.
    pub fn file(name: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> E {
        E {
            data: data.as_ref().to_vec(),
            ..E::raw(b'0', name)
        }
    }

    /// A directory, mode 0755.
    pub fn dir(name: impl AsRef<[u8]>) -> E {
        E::raw(b'5', name).mode(0o755)
    }

    /// A symlink to `target` (stored verbatim), mode 0777.
    pub fn symlink(name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> E {
        E {
            link: target.as_ref().to_vec(),
            ..E::raw(b'2', name).mode(0o777)
        }
    }

    /// A hard link to `target`.
    pub fn hardlink(name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> E {
        E {
            link: target.as_ref().to_vec(),
            ..E::raw(b'1', name)
        }
    }

    /// A named pipe.
    pub fn fifo(name: impl AsRef<[u8]>) -> E {
        E::raw(b'6', name)
    }

    /// A character device.
    pub fn chardev(name: impl AsRef<[u8]>, major: u32, minor: u32) -> E {
        E {
            dev: (major, minor),
            ..E::raw(b'3', name).mode(0o666)
        }
    }

    /// A block device.
    pub fn blockdev(name: impl AsRef<[u8]>, major: u32, minor: u32) -> E {
        E {
            dev: (major, minor),
            ..E::raw(b'4', name).mode(0o660)
        }
    }

    /// With mode bits `mode`.
    pub fn mode(mut self, mode: u32) -> E {
        self.mode = mode;
        self
    }

    /// With owner `uid:gid`.
    pub fn owner(mut self, uid: u64, gid: u64) -> E {
        self.uid = uid;
        self.gid = gid;
        self
    }

    /// With modification time `mtime`.
    pub fn mtime(mut self, mtime: u64) -> E {
        self.mtime = mtime;
        self
    }

    /// With a pax record `key=value`.
    pub fn pax(mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> E {
        self.pax
            .push((key.as_ref().to_vec(), value.as_ref().to_vec()));
        self
    }

    /// With the extended attribute `name` (a `SCHILY.xattr.` pax record).
    pub fn xattr(self, name: &str, value: impl AsRef<[u8]>) -> E {
        self.pax(format!("SCHILY.xattr.{name}"), value)
    }

    /// With a size field of `size`, whatever the data's length.
    pub fn size(mut self, size: u64) -> E {
        self.size = Some(size);
        self
    }

    /// The 512-byte header of this entry (not its pax header).
    pub fn header(&self) -> [u8; 512] {
        let mut h = [0u8; 512];
        put_bytes(&mut h[0..100], &self.name);
        numeric(&mut h[100..108], u64::from(self.mode));
        numeric(&mut h[108..116], self.uid);
        numeric(&mut h[116..124], self.gid);
        numeric(
            &mut h[124..136],
            self.size.unwrap_or(self.data.len() as u64),
        );
        numeric(&mut h[136..148], self.mtime);
        h[156] = self.kind;
        put_bytes(&mut h[157..257], &self.link);
        if self.gnu {
            h[257..265].copy_from_slice(b"ustar  \0");
        } else {
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
        }
        // uname and gname stay empty: readers then take the numeric ids.
        if matches!(self.kind, b'3' | b'4') {
            numeric(&mut h[329..337], u64::from(self.dev.0));
            numeric(&mut h[337..345], u64::from(self.dev.1));
        }
        set_checksum(&mut h);
        h
    }
}

/// A tar stream being written.
#[derive(Debug, Clone, Default)]
pub struct Tar {
    /// The bytes so far.
    pub bytes: Vec<u8>,
}

impl Tar {
    /// An empty stream.
    pub fn new() -> Tar {
        Tar::default()
    }

    /// Appends `entry`: its pax header when it has records (or a name or
    /// link name over 100 bytes), its header, its data padded to 512.
    pub fn add(mut self, entry: E) -> Tar {
        let mut records = entry.pax.clone();
        let has =
            |records: &[(Vec<u8>, Vec<u8>)], key: &[u8]| records.iter().any(|(k, _)| k == key);
        if entry.name.len() > 100 && !has(&records, b"path") {
            records.push((b"path".to_vec(), entry.name.clone()));
        }
        if entry.link.len() > 100 && !has(&records, b"linkpath") {
            records.push((b"linkpath".to_vec(), entry.link.clone()));
        }
        if !records.is_empty() {
            self = self.pax_header(b'x', &records);
        }
        self.bytes.extend_from_slice(&entry.header());
        self.data(&entry.data)
    }

    /// Appends a pax header of type `kind` (`x` for the next entry, `g`
    /// global) holding `records`.
    pub fn pax_header(self, kind: u8, records: &[(Vec<u8>, Vec<u8>)]) -> Tar {
        let mut data = Vec::new();
        for (key, value) in records {
            data.extend_from_slice(&pax_record(key, value));
        }
        let name: &[u8] = if kind == b'g' {
            b"pax_global_header"
        } else {
            b"././@PaxHeader"
        };
        self.add(E {
            data,
            ..E::raw(kind, name)
        })
    }

    /// Appends a global pax header (`g`) with `records`.
    pub fn pax_global(self, records: &[(&str, &[u8])]) -> Tar {
        let records: Vec<_> = records
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.to_vec()))
            .collect();
        self.pax_header(b'g', &records)
    }

    /// Appends a GNU long name entry (`L`): the next header's name.
    pub fn gnu_long_name(self, name: impl AsRef<[u8]>) -> Tar {
        self.gnu_long(b'L', name.as_ref())
    }

    /// Appends a GNU long link entry (`K`): the next header's link name.
    pub fn gnu_long_link(self, link: impl AsRef<[u8]>) -> Tar {
        self.gnu_long(b'K', link.as_ref())
    }

    fn gnu_long(self, kind: u8, value: &[u8]) -> Tar {
        let mut data = value.to_vec();
        data.push(0);
        self.add(E {
            data,
            gnu: true,
            ..E::raw(kind, "././@LongLink")
        })
    }

    /// Appends raw bytes.
    pub fn raw_bytes(mut self, bytes: &[u8]) -> Tar {
        self.bytes.extend_from_slice(bytes);
        self
    }

    fn data(mut self, data: &[u8]) -> Tar {
        self.bytes.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.bytes.resize(self.bytes.len() + pad, 0);
        self
    }

    /// The stream with its end (two zero blocks).
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.resize(self.bytes.len() + 1024, 0);
        self.bytes
    }

    /// The stream as it is, without an end.
    pub fn unfinished(self) -> Vec<u8> {
        self.bytes
    }
}

/// A tar of `entries`, finished.
pub fn tar_of(entries: impl IntoIterator<Item = E>) -> Vec<u8> {
    entries.into_iter().fold(Tar::new(), Tar::add).finish()
}

fn put_bytes(field: &mut [u8], value: &[u8]) {
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

/// Octal, NUL-terminated when it fits; base-256 (GNU) when it does not.
fn numeric(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let octal = format!("{value:0digits$o}");
    if octal.len() <= digits {
        field[..digits].copy_from_slice(octal.as_bytes());
        field[digits] = 0;
    } else {
        field.fill(0);
        let be = value.to_be_bytes();
        let n = field.len();
        field[n - 8..].copy_from_slice(&be);
        field[0] |= 0x80;
    }
}

fn set_checksum(h: &mut [u8; 512]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

/// One pax record, `"<len> <key>=<value>\n"`, where `<len>` counts itself.
pub fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    let mut out = format!("{len} ").into_bytes();
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}
