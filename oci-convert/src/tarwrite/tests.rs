//! The tar writer read back by the `tar` crate and listed by GNU tar.

use std::io::Read as _;

use ocikit_test_support::{peers, skip};

use super::*;

const XATTRS: &[(&[u8], &[u8])] = &[(b"user.test", b"v\0\x01\xffbin"), (b"user.empty", b"")];

fn long_name() -> Vec<u8> {
    // 6 levels of 40 bytes: 245 bytes, which ustar can split.
    let part = "d".repeat(39);
    (0..6)
        .map(|_| part.clone())
        .collect::<Vec<_>>()
        .join("/")
        .into_bytes()
}

fn very_long_name() -> Vec<u8> {
    // One component of 150 bytes: no split fits, a PAX path is needed.
    format!("top/{}", "n".repeat(150)).into_bytes()
}

/// Writes the sample stream: every kind, long names, a big uid, xattrs,
/// a negative mtime.
fn sample() -> Vec<u8> {
    let xattrs: Vec<(Vec<u8>, Vec<u8>)> = XATTRS
        .iter()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    let long = long_name();
    let very_long = very_long_name();
    let long_target = "t/".repeat(80).into_bytes();
    let base = Entry {
        name: b"",
        kind: Kind::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: 1_700_000_000,
        xattrs: &[],
    };
    let mut w = TarWriter::new(Vec::new());
    let entries: Vec<(Entry<'_>, Option<&[u8]>)> = vec![
        (
            Entry {
                name: b"dir",
                ..base
            },
            None,
        ),
        (
            Entry {
                name: b"dir/file",
                kind: Kind::File { size: 5 },
                mode: 0o4755,
                uid: 1234,
                gid: 99,
                xattrs: &xattrs,
                ..base
            },
            Some(b"hello"),
        ),
        (
            Entry {
                name: b"dir/empty",
                kind: Kind::File { size: 0 },
                mode: 0o600,
                ..base
            },
            Some(b""),
        ),
        (
            Entry {
                name: b"dir/link",
                kind: Kind::Symlink(b"../abs/\xffx"),
                mode: 0o777,
                ..base
            },
            None,
        ),
        (
            Entry {
                name: b"dir/hard",
                kind: Kind::Hardlink(b"dir/file"),
                mode: 0o4755,
                uid: 1234,
                gid: 99,
                ..base
            },
            None,
        ),
        (
            Entry {
                name: b"dir/null",
                kind: Kind::Char { major: 1, minor: 3 },
                mode: 0o666,
                ..base
            },
            None,
        ),
        (
            Entry {
                name: b"dir/sda",
                kind: Kind::Block { major: 8, minor: 0 },
                mode: 0o660,
                gid: 6,
                ..base
            },
            None,
        ),
        (
            Entry {
                name: b"dir/fifo",
                kind: Kind::Fifo,
                mode: 0o644,
                ..base
            },
            None,
        ),
        (
            Entry {
                name: &long,
                kind: Kind::File { size: 3 },
                mode: 0o644,
                ..base
            },
            Some(b"abc"),
        ),
        (
            Entry {
                name: &very_long,
                kind: Kind::File { size: 3 },
                mode: 0o644,
                ..base
            },
            Some(b"xyz"),
        ),
        (
            Entry {
                name: b"longlink",
                kind: Kind::Symlink(&long_target),
                mode: 0o777,
                ..base
            },
            None,
        ),
        (
            Entry {
                name: b"biguid",
                kind: Kind::File { size: 1 },
                mode: 0o644,
                uid: 3_000_000_000,
                gid: 2_097_152,
                mtime: -5,
                ..base
            },
            Some(b"!"),
        ),
    ];
    for (entry, content) in entries {
        let mut content = content;
        let reader: Option<&mut dyn Read> = content.as_mut().map(|c| c as &mut dyn Read);
        w.append(&entry, reader).unwrap();
    }
    assert_eq!(w.entries(), 12);
    let bytes = w.bytes();
    let out = w.finish().unwrap();
    assert_eq!(out.len() as u64, bytes + 1024);
    out
}

#[test]
fn pax_record_length_counts_itself() {
    for (key, value, expected) in [
        (&b"path"[..], &b"a"[..], &b"9 path=a\n"[..]),
        // 98 bytes without the length: the length is 3 digits, 101 in all.
        (b"path", &[b'x'; 89], b""),
    ] {
        let mut out = Vec::new();
        pax_record(&mut out, key, value);
        if !expected.is_empty() {
            assert_eq!(out, expected);
        }
        let space = out.iter().position(|&b| b == b' ').unwrap();
        let len: usize = std::str::from_utf8(&out[..space]).unwrap().parse().unwrap();
        assert_eq!(len, out.len(), "{}", String::from_utf8_lossy(&out));
    }
}

#[test]
fn same_entries_same_bytes() {
    assert_eq!(sample(), sample());
}

#[test]
fn tar_crate_reads_every_kind_back() {
    let bytes = sample();
    let mut archive = tar::Archive::new(&bytes[..]);
    let mut seen = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path_bytes().into_owned();
        let header = entry.header().clone();
        let link = entry.link_name_bytes().map(|l| l.into_owned());
        let mut xattrs = Vec::new();
        if let Some(exts) = entry.pax_extensions().unwrap() {
            for ext in exts {
                let ext = ext.unwrap();
                if let Some(name) = ext.key_bytes().strip_prefix(b"SCHILY.xattr.") {
                    xattrs.push((name.to_vec(), ext.value_bytes().to_vec()));
                }
            }
        }
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        seen.push((path, header, link, xattrs, content));
    }
    let names: Vec<String> = seen
        .iter()
        .map(|s| String::from_utf8_lossy(&s.0).into_owned())
        .collect();
    assert_eq!(names.len(), 12, "{names:?}");
    assert_eq!(names[0], "dir/");
    assert_eq!(seen[8].0, long_name());
    assert_eq!(seen[9].0, very_long_name());

    let file = &seen[1];
    assert_eq!(file.1.entry_type(), tar::EntryType::Regular);
    assert_eq!(file.1.mode().unwrap(), 0o4755);
    assert_eq!((file.1.uid().unwrap(), file.1.gid().unwrap()), (1234, 99));
    assert_eq!(file.1.mtime().unwrap(), 1_700_000_000);
    assert_eq!(file.4, b"hello");
    let want: Vec<(Vec<u8>, Vec<u8>)> = XATTRS
        .iter()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    assert_eq!(file.3, want);

    assert_eq!(seen[2].1.size().unwrap(), 0);
    assert_eq!(seen[3].1.entry_type(), tar::EntryType::Symlink);
    assert_eq!(seen[3].2.as_deref(), Some(&b"../abs/\xffx"[..]));
    assert_eq!(seen[4].1.entry_type(), tar::EntryType::Link);
    assert_eq!(seen[4].2.as_deref(), Some(&b"dir/file"[..]));
    assert_eq!(seen[5].1.entry_type(), tar::EntryType::Char);
    assert_eq!(
        (
            seen[5].1.device_major().unwrap(),
            seen[5].1.device_minor().unwrap()
        ),
        (Some(1), Some(3))
    );
    assert_eq!(seen[6].1.entry_type(), tar::EntryType::Block);
    assert_eq!(seen[6].1.device_major().unwrap(), Some(8));
    assert_eq!(seen[7].1.entry_type(), tar::EntryType::Fifo);
    assert_eq!(seen[8].4, b"abc");
    assert_eq!(seen[9].4, b"xyz");
    assert_eq!(seen[10].2.as_deref(), Some("t/".repeat(80).as_bytes()));
    // The tar crate's header accessors see the ustar fields only; the PAX
    // records carry the big uid, gid and the negative mtime.
    let mut archive = tar::Archive::new(&bytes[..]);
    let mut last = archive.entries().unwrap().last().unwrap().unwrap();
    let records: Vec<(String, String)> = last
        .pax_extensions()
        .unwrap()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.key().unwrap().to_owned(), e.value().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        records,
        [
            ("uid".into(), "3000000000".into()),
            ("gid".into(), "2097152".into()),
            ("mtime".into(), "-5".into())
        ]
    );
}

#[test]
fn gnu_tar_lists_and_extracts_it() {
    if !peers::require_tool("tar") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.tar");
    std::fs::write(&path, sample()).unwrap();
    let listing = peers::gnu_tar_listing(&sample());
    let t = "2023-11-14 22:13:20";
    let long = String::from_utf8(long_name()).unwrap();
    let very_long = String::from_utf8(very_long_name()).unwrap();
    let expected = vec![
        format!("drwxr-xr-x 0/0 0 {t} dir/"),
        format!("-rwsr-xr-x 1234/99 5 {t} dir/file"),
        format!("-rw------- 0/0 0 {t} dir/empty"),
        format!("lrwxrwxrwx 0/0 0 {t} dir/link -> ../abs/\\377x"),
        format!("hrwsr-xr-x 1234/99 0 {t} dir/hard link to dir/file"),
        format!("crw-rw-rw- 0/0 1,3 {t} dir/null"),
        format!("brw-rw---- 0/6 8,0 {t} dir/sda"),
        format!("prw-r--r-- 0/0 0 {t} dir/fifo"),
        format!("-rw-r--r-- 0/0 3 {t} {long}"),
        format!("-rw-r--r-- 0/0 3 {t} {very_long}"),
        format!("lrwxrwxrwx 0/0 0 {t} longlink -> {}", "t/".repeat(80)),
        "-rw-r--r-- 3000000000/2097152 1 1969-12-31 23:59:55 biguid".to_owned(),
    ];
    assert_eq!(listing, expected);

    // Extracting with xattrs gives back the binary value.
    let into = dir.path().join("x");
    std::fs::create_dir(&into).unwrap();
    peers::run(
        peers::command("tar")
            .args(["--xattrs", "--xattrs-include=user.*", "-xf"])
            .arg(&path)
            .arg("-C")
            .arg(&into)
            .arg("dir/file"),
    );
    assert_eq!(std::fs::read(into.join("dir/file")).unwrap(), b"hello");
    let mut value = [0u8; 64];
    match rustix::fs::getxattr(into.join("dir/file"), "user.test", &mut value[..]) {
        Ok(n) => assert_eq!(&value[..n], b"v\0\x01\xffbin"),
        Err(e) if e == rustix::io::Errno::NOTSUP || e == rustix::io::Errno::NODATA => {
            skip::notice(format_args!(
                "its xattr check: the temp file system keeps no user xattrs ({e})"
            ));
        }
        Err(e) => panic!("getxattr: {e}"),
    }
}

#[test]
fn content_of_the_wrong_size_is_an_error() {
    let entry = Entry {
        name: b"f",
        kind: Kind::File { size: 4 },
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        xattrs: &[],
    };
    let mut w = TarWriter::new(Vec::new());
    let err = w.append(&entry, Some(&mut &b"abc"[..])).unwrap_err();
    assert!(
        matches!(
            err,
            AppendError::SizeChanged {
                expected: 4,
                found: 3
            }
        ),
        "{err:?}"
    );
    let mut w = TarWriter::new(Vec::new());
    let err = w.append(&entry, Some(&mut &b"abcde"[..])).unwrap_err();
    assert!(
        matches!(
            err,
            AppendError::SizeChanged {
                expected: 4,
                found: 5
            }
        ),
        "{err:?}"
    );
}

#[test]
fn ustar_fields_and_checksum_are_canonical() {
    let entry = Entry {
        name: b"a",
        kind: Kind::File { size: 0 },
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        xattrs: &[],
    };
    let mut w = TarWriter::new(Vec::new());
    w.append(&entry, Some(&mut &b""[..])).unwrap();
    let out = w.finish().unwrap();
    assert_eq!(out.len(), 3 * 512);
    assert_eq!(&out[100..108], b"0000644\0");
    assert_eq!(&out[257..265], b"ustar\x0000");
    let mut header = out[..512].to_vec();
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    assert_eq!(&out[148..156], format!("{sum:06o}\0 ").as_bytes());
    assert!(out[512..].iter().all(|&b| b == 0));
}
