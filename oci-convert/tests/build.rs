//! Layer build: determinism, options, the order and form of the entries
//! (GNU tar's view), and a round trip through umoci 0.4.7's unpack.

#![allow(clippy::unwrap_used)]

mod support;

use std::fs;

use ocikit_convert::{
    ApplyOptions, BuildOptions, MtimePolicy, Ownership, apply_tar, build_layer, write_layer_tar,
};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;
use ocikit_test_support::bytes::{difference, sha256};
use ocikit_test_support::layouts::image_of;
use ocikit_test_support::{peers, skip};
use support::treecmp;

fn tar_of(dir: &std::path::Path, options: &BuildOptions) -> Vec<u8> {
    let mut out = Vec::new();
    let stats = write_layer_tar(dir, &mut out, options).unwrap();
    assert_eq!(stats.bytes, out.len() as u64);
    out
}

#[test]
fn two_builds_give_the_same_bytes_and_one_byte_changes_the_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    treecmp::sample_tree(&src);
    let layout = Layout::init(tmp.path().join("layout")).unwrap();
    let options = BuildOptions::default();

    let first = tar_of(&src, &options);
    let second = tar_of(&src, &options);
    assert!(
        first == second,
        "{}",
        difference("first", &first, "second", &second)
    );
    let a = build_layer(&layout, &src, Codec::gzip(), &options).unwrap();
    let b = build_layer(&layout, &src, Codec::gzip(), &options).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.diff_id.to_string(), sha256(&first));
    let blob = fs::read(
        layout
            .blobs_path()
            .join("sha256")
            .join(a.descriptor.digest.encoded()),
    )
    .unwrap();
    assert_eq!(a.descriptor.digest.to_string(), sha256(&blob));

    // Same size, same mtime, one byte different.
    let path = src.join("nested/a/b/deep.txt");
    fs::write(&path, b"Deep\n").unwrap();
    support::set_mtime(&path, 1_600_000_000);
    let c = build_layer(&layout, &src, Codec::gzip(), &options).unwrap();
    assert_ne!(c.diff_id, a.diff_id);
    assert_ne!(c.descriptor.digest, a.descriptor.digest);
}

#[test]
fn gzip_and_zstd_blobs_have_the_diff_id_of_the_plain_tar() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    treecmp::sample_tree(&src);
    let layout = Layout::init(tmp.path().join("layout")).unwrap();
    let options = BuildOptions::default();
    let tar = tar_of(&src, &options);
    for codec in [Codec::None, Codec::gzip(), Codec::zstd()] {
        let layer = build_layer(&layout, &src, codec, &options).unwrap();
        assert_eq!(layer.diff_id.to_string(), sha256(&tar), "{codec:?}");
        assert_eq!(layer.uncompressed_size, tar.len() as u64);
        assert_eq!(layer.descriptor.media_type, codec.layer_media_type());
        let blob = fs::read(
            layout
                .blobs_path()
                .join("sha256")
                .join(layer.descriptor.digest.encoded()),
        )
        .unwrap();
        assert_eq!(layer.descriptor.size, blob.len() as i64);
    }
}

#[test]
fn gnu_tar_lists_the_entries_in_walk_order() {
    if !peers::require_tool("tar") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let xattrs = treecmp::sample_tree(&src);
    let options = BuildOptions {
        mtime: MtimePolicy::Clamp(1_600_000_050),
        ..BuildOptions::default()
    };
    let listing = peers::gnu_tar_listing(&tar_of(&src, &options));
    // Directories were made now; clamped, they show the clamp time.
    let t = "2020-09-13 12:26:40"; // 1600000000
    let c = "2020-09-13 12:27:30"; // 1600000050, the clamp
    let big = 1536 * 1024;
    let expected = vec![
        format!("-rw-r--r-- 0/0 {big} {t} big.bin"),
        format!("-rw-r--r-- 0/0 0 {t} empty"),
        format!("prw-r--r-- 0/0 0 {t} fifo"),
        format!("-rw-r--r-- 0/0 15 {t} hard1"),
        format!("drwxr-xr-x 0/0 0 {c} links/"),
        format!("lrwxrwxrwx 0/0 0 {c} links/abs -> /etc/passwd"),
        format!("lrwxrwxrwx 0/0 0 {c} links/dangling -> nowhere/at/all"),
        format!("lrwxrwxrwx 0/0 0 {c} links/rel -> ../small.txt"),
        format!("drwxr-xr-x 0/0 0 {c} nested/"),
        format!("drwxr-x--- 0/0 0 {c} nested/a/"),
        format!("drwxr-xr-x 0/0 0 {c} nested/a/b/"),
        format!("-rw-r--r-- 0/0 5 {t} nested/a/b/deep.txt"),
        format!("hrw-r--r-- 0/0 0 {t} nested/hard2 link to hard1"),
        format!("-rw-r--r-- 1234/1234 5 {t} owned"),
        format!("-rwsr-xr-x 0/0 10 {t} setuid"),
        format!("-rw-r--r-- 0/0 13 {t} small.txt"),
    ];
    assert_eq!(listing, expected, "xattrs on the file system: {xattrs}");
}

#[test]
fn options_set_times_owners_and_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    treecmp::sample_tree(&src);
    support::set_mode(&src.join("small.txt"), 0o664);
    support::set_mode(&src.join("empty"), 0o700);
    let options = BuildOptions {
        ownership: Ownership::Fixed { uid: 0, gid: 0 },
        normalise_modes: true,
        mtime: MtimePolicy::Fixed(42),
        xattrs: false,
        ..Default::default()
    };
    let tar = tar_of(&src, &options);
    let mut archive = tar::Archive::new(&tar[..]);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let h = entry.header().clone();
        assert_eq!(h.mtime().unwrap(), 42, "{name}");
        assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0), "{name}");
        let want = match name.as_str() {
            "empty" => 0o755,
            "setuid" => 0o4755,
            n if n.ends_with('/') => 0o755,
            n if n.starts_with("links/") => 0o777,
            _ => 0o644,
        };
        assert_eq!(h.mode().unwrap(), want, "{name}");
        assert!(
            entry.pax_extensions().unwrap().is_none(),
            "{name}: no xattrs asked for"
        );
    }

    let clamped = BuildOptions {
        mtime: MtimePolicy::Clamp(1_600_000_050),
        ..BuildOptions::default()
    };
    let tar = tar_of(&src, &clamped);
    let mut archive = tar::Archive::new(&tar[..]);
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mtime = entry.header().mtime().unwrap();
        let want = if name.starts_with("links/") || name.ends_with('/') {
            1_600_000_050
        } else {
            1_600_000_000
        };
        assert_eq!(mtime, want, "{name}");
    }
}

#[test]
fn xattrs_are_written_and_the_rootless_owner_is_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    if !treecmp::user_xattrs_work(&src) {
        skip::notice("the temp file system refuses user xattrs");
        return;
    }
    let file = src.join("f");
    fs::write(&file, b"x").unwrap();
    let flags = rustix::fs::XattrFlags::empty();
    rustix::fs::setxattr(&file, "user.test", b"\x00\xffbinary", flags).unwrap();
    // uid 1000, gid 1001, as a rootless unpack records them.
    rustix::fs::setxattr(
        &file,
        "user.rootlesscontainers",
        b"\x08\xe8\x07\x10\xe9\x07",
        flags,
    )
    .unwrap();
    fs::hard_link(&file, src.join("g")).unwrap();
    let tar = tar_of(&src, &BuildOptions::default());
    let mut archive = tar::Archive::new(&tar[..]);
    let mut entries = archive.entries().unwrap();
    let mut entry = entries.next().unwrap().unwrap();
    assert_eq!(
        (entry.header().uid().unwrap(), entry.header().gid().unwrap()),
        (1000, 1001)
    );
    let records: Vec<(String, Vec<u8>)> = entry
        .pax_extensions()
        .unwrap()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.key().unwrap().to_owned(), e.value_bytes().to_vec())
        })
        .collect();
    assert_eq!(
        records,
        [(
            "SCHILY.xattr.user.test".to_owned(),
            b"\x00\xffbinary".to_vec()
        )]
    );
    // The second link carries the owner but not the attributes again.
    drop(entry);
    let mut link = entries.next().unwrap().unwrap();
    assert_eq!(link.header().entry_type(), tar::EntryType::Link);
    assert_eq!(
        (link.header().uid().unwrap(), link.header().gid().unwrap()),
        (1000, 1001)
    );
    assert!(link.pax_extensions().unwrap().is_none());
}

#[test]
fn a_whiteout_name_on_disk_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("d")).unwrap();
    fs::write(tmp.path().join("d/.wh.x"), b"").unwrap();
    let err = write_layer_tar(tmp.path(), Vec::new(), &BuildOptions::default()).unwrap_err();
    assert!(
        matches!(err, ocikit_convert::Error::Unrepresentable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("d/.wh.x"), "{err}");
}

#[test]
fn sockets_are_skipped_and_symlinked_dirs_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret"), b"s").unwrap();
    fs::create_dir(&src).unwrap();
    std::os::unix::fs::symlink(&outside, src.join("out")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(src.join("sock")).unwrap();
    let tar = tar_of(&src, &BuildOptions::default());
    assert_eq!(treecmp::tar_names(&tar), ["out"]);
}

#[test]
fn umoci_unpacks_our_layer_into_the_same_tree() {
    if !peers::require_tool("umoci") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let xattrs = treecmp::sample_tree(&src);
    let layout_path = tmp.path().join("layout");
    let layout = Layout::init(&layout_path).unwrap();
    let layer = build_layer(&layout, &src, Codec::gzip(), &BuildOptions::default()).unwrap();
    image_of(&layout, "v1", &[layer]);
    let rootfs = treecmp::umoci_unpack(&layout_path, "v1", &tmp.path().join("bundle"));
    let version = peers::version("umoci");
    treecmp::assert_same(
        &treecmp::snapshot(&src),
        &treecmp::snapshot(&rootfs),
        &format!("{version} unpack of our layer vs the source tree"),
    );
    if xattrs {
        let mut value = [0u8; 32];
        let n =
            rustix::fs::getxattr(rootfs.join("small.txt"), "user.test", &mut value[..]).unwrap();
        assert_eq!(&value[..n], b"value\0bin", "{version} kept the xattr");
    }
}

#[test]
fn our_apply_of_our_layer_gives_back_the_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let xattrs = treecmp::sample_tree(&src);
    let tar = tar_of(&src, &BuildOptions::default());
    let into = tmp.path().join("into");
    fs::create_dir(&into).unwrap();
    let options = ApplyOptions {
        rootless: false,
        ..ApplyOptions::default()
    };
    apply_tar(&into, &tar[..], &options).unwrap();
    treecmp::assert_same(
        &treecmp::snapshot(&src),
        &treecmp::snapshot(&into),
        "ocikit_convert::apply_tar of our layer vs the source tree",
    );
    if xattrs {
        let mut value = [0u8; 32];
        let n = rustix::fs::getxattr(into.join("small.txt"), "user.test", &mut value[..]).unwrap();
        assert_eq!(&value[..n], b"value\0bin");
    }
    // And building the applied tree gives the same layer again.
    assert!(
        tar_of(&into, &BuildOptions::default()) == tar,
        "rebuild after apply differs"
    );
}

#[test]
fn from_env_clamps_to_source_date_epoch_and_refuses_a_bad_one() {
    // The child run (below) checks; this process's environment is left
    // alone, as other tests run in parallel.
    if let Ok(expect) = std::env::var("OCI_CONVERT_TEST_EXPECT") {
        match expect.as_str() {
            "error" => {
                let err = BuildOptions::from_env().unwrap_err();
                assert!(err.to_string().contains("SOURCE_DATE_EPOCH"), "{err}");
            }
            expect => {
                let want = match expect {
                    "keep" => MtimePolicy::Keep,
                    secs => MtimePolicy::Clamp(secs.parse().unwrap()),
                };
                let options = BuildOptions::from_env().unwrap();
                assert_eq!(options.mtime, want);
                assert_eq!(options.ownership, Ownership::Keep);
            }
        }
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for (value, expect) in [
        (Some("1700000000"), "1700000000"),
        (Some("0"), "0"),
        (Some("soon"), "error"),
        (Some("-5"), "error"),
        (Some(""), "keep"),
        (None, "keep"),
    ] {
        let mut child = std::process::Command::new(&exe);
        child
            .args([
                "--exact",
                "from_env_clamps_to_source_date_epoch_and_refuses_a_bad_one",
                "--quiet",
            ])
            .env("OCI_CONVERT_TEST_EXPECT", expect);
        match value {
            Some(v) => child.env("SOURCE_DATE_EPOCH", v),
            None => child.env_remove("SOURCE_DATE_EPOCH"),
        };
        let out = child.output().unwrap();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "SOURCE_DATE_EPOCH={value:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_rootless_apply_then_a_build_gives_the_same_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    if !treecmp::sample_tree(&src) {
        skip::notice("the owners live in user xattrs, which the temp file system refuses");
        return;
    }
    let tar = tar_of(&src, &BuildOptions::default());
    let into = tmp.path().join("into");
    fs::create_dir(&into).unwrap();
    let options = ApplyOptions {
        rootless: true,
        ..ApplyOptions::default()
    };
    apply_tar(&into, &tar[..], &options).unwrap();
    // The owner 1234 is only in the attribute on disk...
    use std::os::unix::fs::MetadataExt as _;
    let me = rustix::process::geteuid().as_raw();
    assert_eq!(fs::metadata(into.join("owned")).unwrap().uid(), me);
    // ...and the build reads it back: the same bytes.
    let again = tar_of(&into, &BuildOptions::default());
    assert!(
        again == tar,
        "{}\n{:?}\n{:?}",
        difference("rebuilt", &again, "original", &tar),
        peers::gnu_tar_listing(&again),
        peers::gnu_tar_listing(&tar)
    );
}

#[test]
fn paths_longer_than_path_max_are_refused_by_build_and_kept_by_baseline() {
    use rustix::fs::{Mode, OFlags};
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    // 45 levels of 100-byte names: 4545 bytes, only reachable with *at.
    let part = "p".repeat(100);
    let mut dir =
        rustix::fs::open(&src, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
    for _ in 0..45 {
        rustix::fs::mkdirat(&dir, part.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        dir = rustix::fs::openat(
            &dir,
            part.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
    }
    let file = rustix::fs::openat(
        &dir,
        "leaf",
        OFlags::WRONLY | OFlags::CREATE,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    rustix::io::write(&file, b"deep").unwrap();

    // A layer entry that long could not be applied (apply refuses names
    // over PATH_MAX, as runtimes cannot reach them): build says so.
    let err =
        ocikit_convert::write_layer_tar(&src, Vec::new(), &BuildOptions::default()).unwrap_err();
    assert!(
        matches!(err, ocikit_convert::Error::Unrepresentable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("PATH_MAX"), "{err}");

    let baseline = ocikit_convert::Baseline::record(&src).unwrap();
    assert_eq!(baseline.len(), 46);
    let mut bytes = Vec::new();
    baseline.write_to(&mut bytes).unwrap();
    assert_eq!(
        ocikit_convert::Baseline::read_from(&bytes[..]).unwrap(),
        baseline
    );
}

#[test]
fn the_rootless_owner_record_gives_the_entry_its_owner() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    if !treecmp::user_xattrs_work(&src) {
        skip::notice("no user xattrs here");
        return;
    }
    // Records as umoci 0.4.7 writes them: uid 4294967295 ("unchanged": the
    // unpacking user, root in the container) with gid 5; and uid 1000, gid
    // left out (0).
    let noop_uid_gid_5: &[u8] = &[0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x05];
    let uid_1000: &[u8] = &[0x08, 0xe8, 0x07];
    for (name, record) in [("a", noop_uid_gid_5), ("b", uid_1000)] {
        fs::write(src.join(name), name).unwrap();
        rustix::fs::setxattr(
            src.join(name),
            "user.rootlesscontainers",
            record,
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
    }
    // On disk the files belong to someone else (the unpacking user of a
    // rootless unpack): the record, not the disk, gives the owner.
    if rustix::process::geteuid().is_root() {
        for name in ["a", "b"] {
            let id = (
                Some(rustix::fs::Uid::from_raw(1234)),
                Some(rustix::fs::Gid::from_raw(1234)),
            );
            rustix::fs::chown(src.join(name), id.0, id.1).unwrap();
        }
    }
    let tar = tar_of(&src, &BuildOptions::default());
    let mut archive = tar::Archive::new(&tar[..]);
    let mut owners = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let h = entry.header();
        owners.push((
            String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
            h.uid().unwrap(),
            h.gid().unwrap(),
        ));
        // The record itself is not carried into the layer.
        if let Some(records) = entry.pax_extensions().unwrap() {
            for record in records {
                assert!(
                    !record
                        .unwrap()
                        .key()
                        .unwrap()
                        .contains("rootlesscontainers")
                );
            }
        }
    }
    assert_eq!(owners, [("a".into(), 0, 5), ("b".into(), 1000, 0)]);
}
