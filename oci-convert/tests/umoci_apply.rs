//! Our layer apply against `umoci unpack`, the peer, umoci 0.4.7: an image
//! is built with umoci from scripted changes to a rootfs (files, nested
//! directories, deletions that become whiteouts, hardlinks, symlinks,
//! xattrs, setuid bits, a FIFO, a device, owners, a file replaced by a
//! directory and a directory by a symlink), plus crafted layers with opaque
//! and explicit whiteouts added with `umoci raw add-layer`; then, for every
//! tag, umoci unpacks it, we apply the layers of its manifest in order into
//! one root, and the two trees must be equal in names, types, modes,
//! owners, sizes, times, link targets, device numbers, contents, hardlink
//! groups and user xattrs.

#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::{PermissionsExt as _, lchown, symlink};
use std::path::{Path, PathBuf};

use ocikit_convert::ApplyOptions;
use ocikit_test_support::bytes::sha256_hex;
use ocikit_test_support::peers::{self, umoci};
use support::rawtar::tar_of;
use support::{E, Snapshot, as_root, lstat, rootless};

/// The image under construction: the layout, and the bundle umoci
/// unpacked the last tag into.
struct Image {
    dir: tempfile::TempDir,
    tag: usize,
}

impl Image {
    fn layout(&self) -> PathBuf {
        self.dir.path().join("layout")
    }

    fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }

    fn rootfs(&self) -> PathBuf {
        self.bundle().join("rootfs")
    }

    fn image(&self, tag: usize) -> String {
        format!("{}:t{tag}", self.layout().display())
    }

    /// `umoci init` and `umoci new`, then an unpack of the empty image.
    fn new() -> Image {
        let image = Image {
            dir: tempfile::tempdir().unwrap(),
            tag: 0,
        };
        umoci(&["init", "--layout", image.layout().to_str().unwrap()]);
        umoci(&["new", "--image", &image.image(0)]);
        image.unpack();
        image
    }

    fn unpack(&self) {
        let _ = std::fs::remove_dir_all(self.bundle());
        umoci(&[
            "unpack",
            "--image",
            &self.image(self.tag),
            self.bundle().to_str().unwrap(),
        ]);
    }

    /// Runs `change` on the rootfs and repacks it as the next tag.
    fn repack(&mut self, change: impl FnOnce(&Path)) {
        change(&self.rootfs());
        let next = self.tag + 1;
        umoci(&[
            "repack",
            "--refresh-bundle",
            "--image",
            &self.image(next),
            self.bundle().to_str().unwrap(),
        ]);
        self.tag = next;
    }

    /// Adds `tar` verbatim as the next layer, and unpacks the result so
    /// that later [`Image::repack`]s start from it.
    fn add_layer(&mut self, tar: &[u8]) {
        let path = self.dir.path().join(format!("layer{}.tar", self.tag + 1));
        std::fs::write(&path, tar).unwrap();
        let next = self.tag + 1;
        umoci(&[
            "raw",
            "add-layer",
            "--image",
            &self.image(self.tag),
            "--tag",
            &format!("t{next}"),
            path.to_str().unwrap(),
        ]);
        self.tag = next;
        self.unpack();
    }
}

fn write(path: &Path, content: &[u8], mode: u32) {
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    rustix::fs::lsetxattr(path, name, value, rustix::fs::XattrFlags::empty()).unwrap();
}

fn mknod(path: &Path, kind: rustix::fs::FileType, mode: u32, dev: (u32, u32)) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        kind,
        rustix::fs::Mode::from_raw_mode(mode),
        rustix::fs::makedev(dev.0, dev.1),
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Pseudo-random bytes, so that a large file's content is checked.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The first layer: every kind of entry.
fn everything(r: &Path) {
    for d in [
        "etc",
        "usr/bin",
        "usr/lib/deep/deeper",
        "data/nested/deep",
        "srv",
        "tmp",
    ] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    write(&r.join("etc/hosts"), b"127.0.0.1 localhost\n", 0o644);
    write(&r.join("etc/shadow"), b"root:*:1::::::\n", 0o600);
    write(&r.join("etc/empty"), b"", 0o644);
    write(&r.join("usr/bin/tool"), b"#!/bin/sh\necho tool\n", 0o4755);
    write(&r.join("usr/bin/group-tool"), b"#!/bin/sh\n", 0o2711);
    std::fs::hard_link(r.join("usr/bin/tool"), r.join("usr/bin/tool-link")).unwrap();
    std::fs::hard_link(r.join("usr/bin/tool"), r.join("srv/tool-link2")).unwrap();
    write(
        &r.join("usr/lib/deep/deeper/lib.so"),
        &noise(200_000, 7),
        0o755,
    );
    symlink("../etc/hosts", r.join("usr/hosts-rel")).unwrap();
    symlink("/etc/hosts", r.join("usr/hosts-abs")).unwrap();
    symlink("nowhere/at/all", r.join("dangling")).unwrap();
    symlink("lib/deep", r.join("usr/deep-dir-link")).unwrap();
    mknod(&r.join("fifo"), rustix::fs::FileType::Fifo, 0o620, (0, 0));
    mknod(
        &r.join("null"),
        rustix::fs::FileType::CharacterDevice,
        0o666,
        (1, 3),
    );
    set_xattr(&r.join("etc/hosts"), "user.test", b"value");
    set_xattr(&r.join("usr/lib"), "user.dir-attr", b"\x00\x01binary");
    lchown(r.join("data"), Some(1000), Some(2000)).unwrap();
    write(&r.join("data/owned"), b"mine\n", 0o640);
    lchown(r.join("data/owned"), Some(1000), Some(1000)).unwrap();
    lchown(r.join("usr/hosts-rel"), Some(33), Some(33)).unwrap();
    write(&r.join("data/nested/deep/f"), b"deep\n", 0o644);
    std::fs::set_permissions(r.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::set_permissions(r.join("srv"), std::fs::Permissions::from_mode(0o750)).unwrap();
}

/// The second layer: deletions, modifications, and type changes.
fn changes(r: &Path) {
    std::fs::remove_file(r.join("etc/shadow")).unwrap(); // .wh.shadow
    std::fs::remove_dir_all(r.join("data/nested")).unwrap(); // .wh.nested
    write(&r.join("etc/empty"), b"not empty any more\n", 0o644);
    std::fs::set_permissions(
        r.join("usr/bin/group-tool"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    lchown(r.join("etc/hosts"), Some(5), Some(6)).unwrap();
    set_xattr(&r.join("etc/hosts"), "user.test", b"changed");
    set_xattr(&r.join("etc/hosts"), "user.more", b"added");
    // A file replaced by a directory.
    std::fs::remove_file(r.join("usr/hosts-abs")).unwrap();
    std::fs::create_dir(r.join("usr/hosts-abs")).unwrap();
    write(&r.join("usr/hosts-abs/inside"), b"i\n", 0o644);
    // A directory replaced by a symlink.
    std::fs::remove_dir_all(r.join("usr/lib/deep")).unwrap();
    symlink("../bin", r.join("usr/lib/deep")).unwrap();
    // One name of a hardlink group removed, one added.
    std::fs::remove_file(r.join("srv/tool-link2")).unwrap();
    std::fs::hard_link(r.join("usr/bin/tool"), r.join("tmp/tool-link3")).unwrap();
    write(&r.join("data/added"), b"added\n", 0o600);
}

/// A crafted layer with opaque whiteouts, before and after new entries.
fn opaque_layer() -> Vec<u8> {
    tar_of([
        E::dir("usr/").mtime(1_600_000_000),
        E::file("usr/.wh..wh..opq", b""),
        E::dir("usr/bin/").mtime(1_600_000_001),
        E::file("usr/bin/fresh", b"fresh\n")
            .mode(0o755)
            .mtime(1_600_000_002),
        E::dir("data/").owner(1000, 2000).mtime(1_600_000_003),
        E::file("data/late", b"late\n").mtime(1_600_000_004),
        E::file("data/.wh..wh..opq", b""),
    ])
}

/// A crafted layer with explicit whiteouts before sibling directories of
/// the same names (layer.md: "whiteout files appear before sibling
/// directory entries").
fn explicit_layer() -> Vec<u8> {
    tar_of([
        E::file(".wh.srv", b""),
        E::file(".wh.etc", b""),
        E::dir("etc/").mode(0o700).mtime(1_600_000_010),
        E::file("etc/hosts", b"new hosts\n").mtime(1_600_000_011),
        E::dir("srv/").mtime(1_600_000_012),
        E::file("tmp/.wh.tool-link3", b""),
    ])
}

/// The last layer, by umoci again: over what the crafted layers left.
fn after_crafted(r: &Path) {
    std::fs::remove_dir_all(r.join("usr/bin")).unwrap();
    symlink("/usr/local/bin", r.join("usr/bin")).unwrap();
    std::fs::remove_file(r.join("dangling")).unwrap();
    std::fs::create_dir(r.join("dangling")).unwrap();
    write(&r.join("srv/new"), b"n\n", 0o644);
    std::fs::hard_link(r.join("srv/new"), r.join("etc/new-link")).unwrap();
}

/// Builds the image and returns it with its last tag unpacked by umoci.
fn build() -> Image {
    let mut image = Image::new();
    image.repack(everything);
    image.repack(changes);
    image.add_layer(&opaque_layer());
    image.add_layer(&explicit_layer());
    image.repack(after_crafted);
    image
}

/// Applies the layers of tag `t{tag}` that `root` lacks (those after the
/// first `done`) with ours.
fn apply_upto(image: &Image, tag: usize, done: usize, root: &Path, options: &ApplyOptions) {
    let layout = ocikit_layout::Layout::open(image.layout()).unwrap();
    let resolved = layout.resolve(&format!("t{tag}"), None).unwrap();
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    assert_eq!(resolved.manifest.layers.len(), tag, "one layer per tag");
    for (i, layer) in resolved.manifest.layers.iter().enumerate().skip(done) {
        ocikit_convert::apply_layer(
            &layout,
            layer,
            Some(&config.rootfs.diff_ids[i]),
            root,
            options,
        )
        .unwrap_or_else(|e| panic!("t{tag}, layer {i} ({}): {e}", layer.digest));
    }
}

/// What is compared: everything but xattrs outside `user.`, and the root
/// directory itself only when `with_root` (when every layer has a root
/// entry, as umoci's own layers do; otherwise its metadata is the caller's).
fn comparable(root: &Path, with_root: bool) -> Snapshot {
    let snapshot = Snapshot::take(root).keep_xattrs(|name| name.starts_with("user."));
    if with_root {
        snapshot
    } else {
        snapshot.without("")
    }
}

/// For every tag of the image, `umoci unpack` (with `umoci_flags`) and our
/// apply of the same layers onto the root of the previous tag must give
/// equal trees; `adjust` removes the known, documented divergences from
/// umoci's tree. Returns our last tree.
fn compare_every_tag(
    image: &Image,
    umoci_flags: &[&str],
    options: &ApplyOptions,
    with_root: bool,
    adjust: impl Fn(Snapshot) -> Snapshot,
) -> (tempfile::TempDir, Snapshot) {
    let version = peers::version("umoci");
    let ours = tempfile::tempdir().unwrap();
    let mut last = Snapshot::default();
    let mut failures = Vec::new();
    for tag in 1..=image.tag {
        let theirs = image
            .dir
            .path()
            .join(format!("theirs{}-t{tag}", umoci_flags.join("")));
        let mut args = vec!["unpack"];
        args.extend_from_slice(umoci_flags);
        let name = image.image(tag);
        args.extend_from_slice(&["--image", &name, theirs.to_str().unwrap()]);
        umoci(&args);
        apply_upto(image, tag, tag - 1, ours.path(), options);
        let a = adjust(comparable(&theirs.join("rootfs"), with_root));
        let b = comparable(ours.path(), with_root);
        // Every tag is compared, so that one difference does not hide the
        // next layer's.
        if let Some(diff) = a.difference(&b) {
            failures.push(format!("t{tag}: `umoci {}`:\n{diff}", args.join(" ")));
        }
        last = b;
    }
    assert!(
        failures.is_empty(),
        "our apply ({options:?}) differs from umoci ({version}); left is umoci's:\n{}",
        failures.join("\n")
    );
    (ours, last)
}

#[test]
fn our_apply_equals_umoci_unpack_at_every_layer() {
    // The image itself needs root: chown, mknod.
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let image = build();
    let (ours, b) = compare_every_tag(&image, &[], &as_root(), true, |s| s);
    // The comparison covers what it claims to: spot checks of the last tree.
    let n = |p: &str| b.get(p);
    assert_eq!(n("etc/hosts").content, Some(sha256_hex(b"new hosts\n")));
    assert_eq!(
        n("usr/bin").target.as_deref(),
        Some(Path::new("/usr/local/bin"))
    );
    assert!(n("fifo").kind == support::Kind::Fifo && n("null").rdev == Some((1, 3)));
    assert_eq!(
        (n("data").uid, n("data").gid, n("data").mode),
        (1000, 2000, 0o755)
    );
    assert_eq!(n("data/late").mtime, Some((1_600_000_004, 0)));
    assert_eq!(support::list(&ours.path().join("data")), ["late"]);
    assert_eq!(n("srv/new").link_group, n("etc/new-link").link_group);
    assert!(n("srv/new").link_group.is_some());
    assert_eq!(n("tmp").mode, 0o1777);
    assert!(
        !b.nodes.contains_key(Path::new("usr/lib")),
        "usr/lib went with the opaque whiteout"
    );
    assert!(
        !b.nodes.contains_key(Path::new("usr/local")),
        "a whiteout creates no parent"
    );
}

#[test]
fn our_rootless_apply_equals_umoci_rootless_unpack_at_every_layer() {
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let image = build();
    // umoci writes an empty file in place of a device when rootless; we
    // skip the device with a warning.
    let (_ours, b) = compare_every_tag(&image, &["--rootless"], &rootless(), true, |s| {
        s.without("null")
    });
    assert!(!b.nodes.contains_key(Path::new("null")));
    let data = b.get("data");
    assert_eq!((data.uid, data.gid), (0, 0));
    assert_eq!(
        data.xattrs
            .get("user.rootlesscontainers")
            .map(Vec::as_slice),
        Some(&[0x08, 0xe8, 0x07, 0x10, 0xd0, 0x0f][..])
    );
}

#[test]
fn writes_through_symlinked_directories_equal_umoci_unpack() {
    // Merged-/usr layouts: entries and whiteouts that reach usr/lib through
    // lib -> usr/lib and abs -> /usr/lib, crafted and added verbatim.
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let mut image = Image::new();
    image.add_layer(&tar_of([
        E::dir("usr/").mtime(1000),
        E::dir("usr/lib/").mtime(1000),
        E::file("usr/lib/old", b"o").mtime(1000),
        E::file("usr/lib/old2", b"o2").mtime(1000),
        E::symlink("lib", "usr/lib").mtime(1000),
        E::symlink("abs", "/usr/lib").mtime(1000),
    ]));
    // No implied directories: those get the time of the unpack, in umoci
    // and in ours.
    image.add_layer(&tar_of([
        E::file("lib/new", b"n").mtime(2000),
        E::file("lib/.wh.old", b""),
    ]));
    image.repack(|r| {
        std::fs::remove_file(r.join("usr/lib/old2")).unwrap();
        write(&r.join("usr/lib/added"), b"a\n", 0o644);
    });
    compare_every_tag(&image, &[], &as_root(), false, |s| s);
}

#[test]
fn a_merged_directory_takes_the_new_metadata_as_umoci_unpack_does() {
    // A directory over a directory keeps its content and takes the new
    // entry's mode, owner, times and xattrs: the old xattrs go.
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let mut image = Image::new();
    image.add_layer(&tar_of([
        E::dir("d/")
            .mode(0o700)
            .owner(1000, 1000)
            .mtime(1000)
            .xattr("user.a", b"1")
            .xattr("user.b", b"2"),
        E::file("d/f", b"f").mtime(1000).xattr("user.c", b"3"),
    ]));
    image.add_layer(&tar_of([E::dir("d/")
        .mode(0o755)
        .mtime(2000)
        .xattr("user.b", b"new")]));
    let (_ours, b) = compare_every_tag(&image, &[], &as_root(), false, |s| s);
    let d = b.get("d");
    assert_eq!((d.mode, d.uid, d.mtime), (0o755, 0, Some((2000, 0))));
    assert_eq!(d.xattrs.keys().collect::<Vec<_>>(), ["user.b"]);
}

#[test]
fn crafted_headers_and_replacements_equal_umoci_unpack() {
    // Header forms umoci's own writer does not use (pax times with
    // nanoseconds, long names by pax and GNU records, binary xattr values;
    // not a global header, which umoci 0.4.7 refuses as an unknown type)
    // and replacements across layers (hardlinks to lower
    // files, a FIFO by a file, a file by a directory, a directory with
    // content by a symlink), read by both unpackers.
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let long_dir = "l".repeat(90);
    let long = format!("{long_dir}/{}", "n".repeat(60));
    let mut image = Image::new();
    image.add_layer(
        &support::Tar::new()
            .add(E::dir("./").mtime(999))
            .add(E::dir("a/").mode(0o750).mtime(1000))
            .add(
                E::file("a/f", b"f\n")
                    .pax("mtime", "1600000000.123456789")
                    .xattr("user.bin", [0u8, b'\n', 0xff]),
            )
            .add(
                E::file("a/g", b"g\n")
                    .mode(0o4755)
                    .owner(12, 34)
                    .mtime(1001),
            )
            .add(E::dir("a/sub/").mtime(1002))
            .add(E::file("a/sub/inner", b"i\n").mtime(1003))
            .add(E::fifo("a/pipe").mtime(1004))
            .add(E::file("a/file-to-dir", b"x\n").mtime(1005))
            .add(E::dir(format!("{long_dir}/")).mtime(1006))
            .add(E::file(&long, b"long\n").mtime(1007))
            .add(E::symlink("a/longlink", &long).mtime(1008))
            .gnu_long_name(format!("{long_dir}/{}", "g".repeat(70)))
            .add(E::file("ignored", b"gnu\n").mtime(1009))
            .add(E::dir("sticky/").mode(0o1777).mtime(1010))
            .finish(),
    );
    image.add_layer(&tar_of([
        E::dir("./").mtime(1999),
        E::hardlink("hl", "a/f"),
        E::hardlink("a/g", "a/f"),
        E::file("a/pipe", b"now a file\n").mtime(2000),
        E::dir("a/file-to-dir/").mode(0o700).mtime(2001),
        E::symlink("a/sub", "../sticky").mtime(2002),
        E::file("a/.wh.longlink", b""),
        E::dir("a/").mode(0o755).mtime(2003),
    ]));
    for (flags, options) in [(&[][..], as_root()), (&["--rootless"][..], rootless())] {
        let (_ours, b) = compare_every_tag(&image, flags, &options, true, |s| s);
        assert_eq!(b.get("a/f").mtime, Some((1_600_000_000, 123_456_789)));
        assert_eq!(b.get("a/g").link_group, b.get("hl").link_group);
        assert!(b.get("hl").link_group.is_some());
    }
}

#[test]
fn our_mapped_apply_equals_umoci_mapped_unpack_at_every_layer() {
    // Ids shifted by 100000, as a user namespace would see them.
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let image = build();
    let map = vec![ocikit_convert::IdMapping::new(0, 100_000, 65536)];
    let options = ApplyOptions {
        uid_map: map.clone(),
        gid_map: map,
        ..as_root()
    };
    let flags = ["--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"];
    let (_ours, b) = compare_every_tag(&image, &flags, &options, true, |s| s);
    let data = b.get("data");
    assert_eq!((data.uid, data.gid), (101_000, 102_000));
    assert_eq!((b.get("").uid, b.get("etc/hosts").gid), (100_000, 100_000));
}

/// A small seeded generator (xorshift64) for the random image below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Every path under `root` (not `root` itself), symlinks not followed.
fn paths(root: &Path) -> Vec<PathBuf> {
    Snapshot::take(root)
        .without("")
        .nodes
        .keys()
        .cloned()
        .collect()
}

/// One random change to the tree at `r`: something made, removed,
/// replaced, chmodded, chowned or given an xattr, with names from a small
/// set so that they collide across layers.
fn random_change(r: &Path, rng: &mut Rng) {
    const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];
    let all = paths(r);
    let dirs: Vec<PathBuf> = std::iter::once(PathBuf::new())
        .chain(all.iter().filter(|p| lstat(&r.join(p)).is_dir()).cloned())
        .collect();
    let files: Vec<&PathBuf> = all.iter().filter(|p| lstat(&r.join(p)).is_file()).collect();
    let new = dirs[rng.below(dirs.len())].join(rng.pick(&NAMES));
    let at = r.join(&new);
    let free = !support::exists(&at);
    match rng.below(10) {
        0 | 1 if free => {
            let len = rng.below(3000);
            let content: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            write(
                &at,
                &content,
                *rng.pick(&[0o644, 0o600, 0o755, 0o4755, 0o2711]),
            );
        }
        2 if free => {
            std::fs::create_dir(&at).unwrap();
            std::fs::set_permissions(
                &at,
                std::fs::Permissions::from_mode(*rng.pick(&[0o755, 0o700, 0o1777, 0o2750])),
            )
            .unwrap();
        }
        3 if free => {
            let target = match rng.below(3) {
                0 => format!("../{}", rng.pick(&NAMES)),
                1 => format!("/{}", rng.pick(&NAMES)),
                _ => rng.pick(&NAMES).to_string(),
            };
            symlink(target, &at).unwrap();
        }
        4 if free && !files.is_empty() => {
            std::fs::hard_link(r.join(files[rng.below(files.len())]), &at).unwrap();
        }
        5 if free => mknod(&at, rustix::fs::FileType::Fifo, 0o640, (0, 0)),
        6 if !all.is_empty() => {
            let victim = r.join(&all[rng.below(all.len())]);
            if lstat(&victim).is_dir() {
                std::fs::remove_dir_all(&victim).unwrap();
            } else {
                std::fs::remove_file(&victim).unwrap();
            }
        }
        7 if !all.is_empty() => {
            let p = r.join(&all[rng.below(all.len())]);
            if !lstat(&p).file_type().is_symlink() {
                let mode = *rng.pick(&[0o755, 0o700, 0o644, 0o4755, 0o1777]);
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
        8 if !all.is_empty() => {
            let p = r.join(&all[rng.below(all.len())]);
            let id = *rng.pick(&[0u32, 1, 1000, 65534]);
            lchown(&p, Some(id), Some(*rng.pick(&[0u32, 5, 1000]))).unwrap();
        }
        9 if !all.is_empty() => {
            let p = r.join(&all[rng.below(all.len())]);
            let meta = lstat(&p);
            if meta.is_file() || meta.is_dir() {
                let name = format!("user.{}", rng.pick(&NAMES));
                set_xattr(&p, &name, format!("v{}", rng.next() % 100).as_bytes());
            }
        }
        _ => {}
    }
}

/// umoci 0.4.7 records owner id 0 of a rootless file as 4294967295 ("not
/// changed": the unpacking user, who stands for root) where we leave the
/// field out (0); both mean root. Rewrites umoci's records our way, so the
/// comparison sees real differences only.
fn zero_for_noop(mut snapshot: Snapshot) -> Snapshot {
    fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
        let mut value = 0u64;
        for (i, &b) in bytes.iter().enumerate().take(10) {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some((value, &bytes[i + 1..]));
            }
        }
        None
    }
    for node in snapshot.nodes.values_mut() {
        let Some(value) = node.xattrs.get("user.rootlesscontainers") else {
            continue;
        };
        let (mut ids, mut rest) = ([0u64; 2], value.as_slice());
        while let Some((&key, tail)) = rest.split_first() {
            let Some((v, tail)) = varint(tail) else { break };
            if matches!(key, 0x08 | 0x10) {
                ids[usize::from(key >> 4)] = if v == u64::from(u32::MAX) { 0 } else { v };
            }
            rest = tail;
        }
        let mut out = Vec::new();
        for (key, mut v) in [(0x08u8, ids[0]), (0x10, ids[1])] {
            if v == 0 {
                continue;
            }
            out.push(key);
            while v >= 0x80 {
                out.push((v as u8 & 0x7f) | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        if out.is_empty() {
            node.xattrs.remove("user.rootlesscontainers");
        } else {
            node.xattrs.insert("user.rootlesscontainers".into(), out);
        }
    }
    snapshot
}

#[test]
fn random_images_equal_umoci_unpack_at_every_layer() {
    // umoci as the oracle: images of four layers of random changes, made
    // by umoci repack, unpacked by both at every tag, as root and
    // rootless. (Seeds 1 to 300 were run once: no difference; 8 of them
    // skipped, umoci unable to unpack its own image.)
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    for seed in 1u64..=16 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut image = Image::new();
        for _ in 0..4 {
            image.repack(|r| {
                for _ in 0..25 {
                    random_change(r, &mut rng);
                }
            });
        }
        // umoci repack can write a layer umoci unpack refuses (a whiteout
        // under a directory it turned into a symlink loop): no oracle then.
        let probe = image.dir.path().join("probe");
        let last = image.image(image.tag);
        let unpacked = peers::command("umoci")
            .args(["unpack", "--image", &last, probe.to_str().unwrap()])
            .output()
            .unwrap();
        if !unpacked.status.success() {
            eprintln!(
                "seed {seed}: umoci cannot unpack its own image, skipped: {}",
                String::from_utf8_lossy(&unpacked.stderr).trim()
            );
            continue;
        }
        for (flags, options) in [(&[][..], as_root()), (&["--rootless"][..], rootless())] {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                compare_every_tag(&image, flags, &options, true, zero_for_noop)
            }));
            if let Err(panic) = result {
                let layout = image.dir.keep();
                eprintln!("seed {seed}: kept the image at {}", layout.display());
                std::panic::resume_unwind(panic);
            }
        }
    }
}
