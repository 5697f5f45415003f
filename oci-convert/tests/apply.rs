//! Apply against GNU tar on the same archive, and the blob pipeline of
//! `apply_layer` (digest, compression, DiffID).

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;

use ocikit_convert::{ApplyOptions, Error, apply_layer, apply_tar};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;

fn sh(script: &str, dir: &Path) {
    let status = Command::new("sh")
        .arg("-euc")
        .arg(script)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
}

#[test]
fn apply_equals_gnu_tar_extraction() {
    if !support::require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    sh(
        "mkdir -p a/b/c empty 'sp ace' && printf hello > a/file && head -c 300000 /dev/urandom > a/b/big \
         && : > a/b/c/zero && ln a/file a/hard && ln -s file a/rel && ln -s /etc/passwd abs && ln -s nowhere dangling \
         && mkfifo fifo && mknod chr c 1 3 && printf x > suid && chmod 4755 suid && chmod 2750 a/b \
         && printf o > owned && chown 1234:5678 owned && chmod 1777 empty && touch -d @1000000000 a/file a/b \
         && long=$(printf 'd%.0s' $(seq 1 120)) && mkdir -p $long/$long && printf l > $long/$long/$(printf 'f%.0s' $(seq 1 150)) \
",
        &src,
    );
    let xattrs = rustix::fs::setxattr(
        src.join("a/file"),
        "user.test",
        b"value",
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok();
    if !xattrs {
        ocikit_test_support::skip::notice(format_args!(
            "its xattr part: {} refuses user xattrs, so they are not compared",
            dir.path().display()
        ));
    }
    let tar_path = dir.path().join("layer.tar");
    sh(
        &format!(
            "tar --xattrs --format=pax --numeric-owner -cf {} -C src .",
            tar_path.display()
        ),
        dir.path(),
    );
    let tar = std::fs::read(&tar_path).unwrap();

    let gnu = dir.path().join("gnu");
    std::fs::create_dir(&gnu).unwrap();
    sh(
        &format!(
            "tar --xattrs --xattrs-include='*' --numeric-owner -xpf {} -C gnu",
            tar_path.display()
        ),
        dir.path(),
    );
    let ours = dir.path().join("ours");
    std::fs::create_dir(&ours).unwrap();
    let applied = apply_tar(
        &ours,
        &tar[..],
        &ApplyOptions {
            rootless: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(applied.diff_id, Some(ocikit_image::Digest::sha256(&tar)));
    assert_eq!(applied.uncompressed_bytes, tar.len() as u64);

    // Everything, the root included: names, types, modes, owners, sizes,
    // contents, targets, devices, xattrs, times, hardlink groups.
    let (expected, found) = (
        support::Snapshot::take(&gnu),
        support::Snapshot::take(&ours),
    );
    assert!(expected.nodes.len() > 15, "{:?}", expected.paths());
    if xattrs {
        assert_eq!(
            expected
                .get("a/file")
                .xattrs
                .get("user.test")
                .map(Vec::as_slice),
            Some(&b"value"[..])
        );
    }
    if let Some(difference) = expected.difference(&found) {
        panic!("GNU tar's extraction and ours differ:\n{difference}");
    }
}

fn layer_tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn apply_layer_checks_digest_and_diff_id_for_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let tar = layer_tar(&[("etc/os-release", b"ID=test\n"), ("bin/sh", b"#!")]);
    for codec in [
        Codec::gzip(),
        Codec::zstd(),
        Codec::new(ocikit_layout::codec::Compression::None),
    ] {
        let stored = layout.put_layer(&tar[..], codec).unwrap();
        let root = tempfile::tempdir().unwrap();
        let applied = apply_layer(
            &layout,
            &stored.descriptor,
            Some(&stored.diff_id),
            root.path(),
            &ApplyOptions::default(),
        )
        .unwrap();
        assert_eq!(applied.diff_id.as_ref(), Some(&stored.diff_id));
        assert_eq!(applied.uncompressed_bytes, tar.len() as u64);
        assert_eq!(
            std::fs::read(root.path().join("etc/os-release")).unwrap(),
            b"ID=test\n"
        );

        // A wrong DiffID is named.
        let wrong = ocikit_image::Digest::sha256(b"other");
        let root = tempfile::tempdir().unwrap();
        let err = apply_layer(
            &layout,
            &stored.descriptor,
            Some(&wrong),
            root.path(),
            &ApplyOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Codec(_)), "{err}");
        assert!(err.to_string().contains(&wrong.to_string()), "{err}");
        if stored.descriptor.media_type == ocikit_image::MediaType::ImageLayer {
            // An uncompressed layer's DiffID is its digest: a wrong one is
            // known before any entry is written.
            assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
        }

        // A blob corrupted on disk (same size) is a verification error.
        let path = layout.blob_path(&stored.descriptor.digest);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let root = tempfile::tempdir().unwrap();
        let err = apply_layer(
            &layout,
            &stored.descriptor,
            Some(&stored.diff_id),
            root.path(),
            &ApplyOptions::default(),
        )
        .unwrap_err();
        let text = err.to_string();
        // Whichever check sees it first: the blob digest, or the
        // compressed stream's own checksum.
        let named =
            matches!(err, Error::Layout(_)) && text.contains(&stored.descriptor.digest.to_string());
        assert!(
            named || text.contains("gzip") || text.contains("zstd") || text.contains("checksum"),
            "{text}"
        );
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
    }
}

#[test]
fn whiteouts_hide_lower_layers_only() {
    let root = tempfile::tempdir().unwrap();
    let options = ApplyOptions::default();
    let lower = layer_tar(&[
        ("a/keep", b"1"),
        ("a/gone", b"2"),
        ("d/x", b"3"),
        ("d/sub/y", b"4"),
        ("e/z", b"5"),
    ]);
    apply_tar(root.path(), &lower[..], &options).unwrap();
    // The opaque whiteout comes after this layer's own d/new: d/new stays.
    let upper = layer_tar(&[
        ("a/.wh.gone", b""),
        ("d/new", b"6"),
        ("d/.wh..wh..opq", b""),
        ("e/z", b"7"),
        (".wh.e", b""),
        (".wh.missing", b""),
    ]);
    apply_tar(root.path(), &upper[..], &options).unwrap();
    let found = support::Snapshot::take(root.path()).paths();
    assert_eq!(found, ["", "a", "a/keep", "d", "d/new", "e", "e/z"]);
    assert_eq!(std::fs::read(root.path().join("e/z")).unwrap(), b"7");
    for bad in [".wh.", "x/.wh..", "x/.wh..."] {
        let err = apply_tar(root.path(), &layer_tar(&[(bad, b"")])[..], &options).unwrap_err();
        assert!(
            matches!(err, Error::BadEntry { ref entry, .. } if entry == bad),
            "{err}"
        );
    }
}

#[test]
fn a_sparse_file_larger_than_max_bytes_is_refused() {
    // PAX sparse 1.0 claiming a petabyte: no data, all hole; the real size
    // counts against max_bytes like written bytes would.
    let mut map = b"0\n".to_vec();
    map.resize(512, 0);
    let entry = support::E::file("GNUSparseFile.1/big", &map)
        .pax("GNU.sparse.major", "1")
        .pax("GNU.sparse.minor", "0")
        .pax("GNU.sparse.name", "big")
        .pax("GNU.sparse.realsize", (1u64 << 50).to_string());
    let tar = support::rawtar::tar_of([entry]);
    let root = tempfile::tempdir().unwrap();
    let err = apply_tar(root.path(), &tar[..], &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                field: "max_bytes",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        support::Snapshot::take(root.path()).paths() == [""],
        "nothing written"
    );
    // Under the limit, the same map makes a file of holes.
    let small = support::E::file("GNUSparseFile.1/big", &map)
        .pax("GNU.sparse.major", "1")
        .pax("GNU.sparse.minor", "0")
        .pax("GNU.sparse.name", "big")
        .pax("GNU.sparse.realsize", "100000");
    apply_tar(
        root.path(),
        &support::rawtar::tar_of([small])[..],
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(root.path().join("big")).unwrap(),
        vec![0u8; 100000]
    );
}

/// Consecutive entries of one directory share its lookup; an entry in
/// between that replaces the directory (by a file, then by a new directory)
/// must not leave later entries writing into the old, unlinked one.
#[test]
fn entries_after_their_directory_is_replaced_land_in_the_new_one() {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |name: &str, kind: tar::EntryType, data: &[u8]| {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_mtime(1_700_000_000);
        builder.append_data(&mut header, name, data).unwrap();
    };
    add("d/", tar::EntryType::Directory, b"");
    add("d/one", tar::EntryType::Regular, b"1");
    add("d/two", tar::EntryType::Regular, b"2");
    add("d", tar::EntryType::Regular, b"now a file");
    add("d/three", tar::EntryType::Regular, b"3");
    add("d/four", tar::EntryType::Regular, b"4");
    add("e/", tar::EntryType::Directory, b"");
    add("e/five", tar::EntryType::Regular, b"5");
    add("e/.wh.gone", tar::EntryType::Regular, b"");
    add("e/six", tar::EntryType::Regular, b"6");
    let tar = builder.into_inner().unwrap();

    let root = tempfile::tempdir().unwrap();
    apply_tar(root.path(), &tar[..], &ApplyOptions::default()).unwrap();
    let mut found: Vec<String> = walk(root.path(), root.path());
    found.sort();
    assert_eq!(found, ["d/", "d/four", "d/three", "e/", "e/five", "e/six"]);
    assert_eq!(std::fs::read(root.path().join("d/three")).unwrap(), b"3");
    assert_eq!(std::fs::read(root.path().join("d/four")).unwrap(), b"4");
    assert_eq!(std::fs::read(root.path().join("e/six")).unwrap(), b"6");
}

/// The paths under `dir`, relative to `root`, directories with a slash.
fn walk(root: &Path, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let relative = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            out.push(format!("{relative}/"));
            out.extend(walk(root, &path));
        } else {
            out.push(relative);
        }
    }
    out
}
