//! Layer apply semantics (image-spec layer.md, Changesets, Whiteouts and
//! Opaque Whiteout): one test per rule, with lower layers applied first and
//! the result checked on disk (names, types, modes, owners, times, xattrs,
//! inodes). Also the replacing rules, the order metadata is written in,
//! extended attributes, rootless ownership, the overlayfs whiteout form,
//! limits, and what an apply reports.

#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::Path;

use ocikit_convert::{Applied, ApplyOptions, Error, IdMapping, Limits, Warning, WhiteoutMode};
use support::rawtar::tar_of;
use support::{
    E, Tar, as_root, both_modes, exists, expect_err_naming, list, lstat, mode, read, rootless,
    whiteout_files, xattr,
};

/// Applies `layers` in order onto a fresh root and returns it.
#[track_caller]
fn applied(layers: &[Vec<u8>], options: &ApplyOptions) -> (tempfile::TempDir, Vec<Applied>) {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let report = ocikit_convert::apply_tar(dir.path(), &layer[..], options)
            .unwrap_or_else(|e| panic!("layer {i}: {e}"));
        reports.push(report);
    }
    assert_eq!(
        whiteout_files(dir.path()),
        Vec::<std::path::PathBuf>::new(),
        "no .wh. file may be left on disk"
    );
    (dir, reports)
}

/// [`applied`] as root and rootless, each root handed to `check`.
fn each_mode(layers: &[Vec<u8>], check: impl Fn(&str, &Path)) {
    for (label, options) in both_modes() {
        let (dir, _) = applied(layers, &options);
        check(label, dir.path());
    }
}

fn base() -> Vec<u8> {
    tar_of([
        E::file("file1", b"1"),
        E::dir("a/"),
        E::file("a/file2", b"2"),
        E::file("a/file3", b"3"),
        E::dir("b/"),
        E::dir("b/sub/"),
        E::file("b/sub/deep", b"d"),
        E::dir("c/"),
        E::file("c/file3", b"c3"),
        E::symlink("s", "a/file2"),
    ])
}

// Whiteouts (layer.md "Whiteouts").

#[test]
fn a_whiteout_removes_the_named_file_of_a_lower_layer() {
    // The example of layer.md.
    let upper = tar_of([
        E::file(".wh.file1", b""),
        E::file("a/.wh.file2", b""),
        E::file(".wh.b", b""),
        E::file("file4", b"4"),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(list(root), ["a", "c", "file4", "s"], "{label}");
        assert_eq!(list(&root.join("a")), ["file3"], "{label}");
        assert_eq!(read(&root.join("c/file3")), b"c3");
    });
}

#[test]
fn a_whiteout_of_a_symlink_removes_the_symlink_not_its_target() {
    let upper = tar_of([E::file(".wh.s", b"")]);
    each_mode(&[base(), upper], |label, root| {
        assert!(!exists(&root.join("s")), "{label}");
        assert_eq!(read(&root.join("a/file2")), b"2", "{label}");
    });
}

#[test]
fn a_whiteout_for_a_missing_path_does_nothing() {
    let upper = tar_of([
        E::file(".wh.nothere", b""),
        E::file("a/.wh.nothere", b""),
        E::file("nodir/.wh.x", b""),
    ]);
    for (label, options) in both_modes() {
        let dir = tempfile::tempdir().unwrap();
        ocikit_convert::apply_tar(dir.path(), &base()[..], &options).unwrap();
        let before = support::Snapshot::take(dir.path()).without("");
        let result = ocikit_convert::apply_tar(dir.path(), &upper[..], &options);
        result.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(whiteout_files(dir.path()).is_empty(), "{label}");
        let after = support::Snapshot::take(dir.path()).without("");
        let after_known = support::Snapshot {
            nodes: after
                .nodes
                .into_iter()
                .filter(|(p, _)| !p.starts_with("nodir"))
                .collect(),
        };
        if let Some(diff) = before.difference(&after_known) {
            panic!("{label}: a whiteout of nothing changed the root:\n{diff}");
        }
    }
}

#[test]
fn a_whiteout_does_not_remove_what_the_same_layer_wrote() {
    // Before or after the entry, in the same layer: the entry stays.
    let upper = tar_of([
        E::file("new", b"new"),
        E::file(".wh.new", b""),
        E::file(".wh.file1", b""),
        E::file("file1", b"again"),
        E::file("a/file2", b"replaced"),
        E::file("a/.wh.file2", b""),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(read(&root.join("new")), b"new", "{label}");
        assert_eq!(read(&root.join("file1")), b"again", "{label}");
        assert_eq!(read(&root.join("a/file2")), b"replaced", "{label}");
    });
}

#[test]
fn whiteout_names_without_a_base_name_are_errors() {
    for name in [".wh.", ".wh..", ".wh...", "a/.wh.", "a/.wh..", "a/.wh..."] {
        for (label, options) in both_modes() {
            let (dir, _) = applied(&[base()], &options);
            let result =
                ocikit_convert::apply_tar(dir.path(), &tar_of([E::file(name, b"")])[..], &options);
            let msg = expect_err_naming(result, name);
            assert_eq!(
                list(&dir.path().join("a")),
                ["file2", "file3"],
                "{label}: {msg}"
            );
            assert!(whiteout_files(dir.path()).is_empty(), "{label}");
        }
    }
}

#[test]
fn a_whiteout_removes_a_whole_lower_directory() {
    let upper = tar_of([E::file(".wh.b", b""), E::file("c/.wh.file3", b"")]);
    each_mode(&[base(), upper], |label, root| {
        assert!(!exists(&root.join("b")), "{label}");
        assert!(lstat(&root.join("c")).is_dir(), "{label}: c stays, emptied");
        assert_eq!(list(&root.join("c")), Vec::<String>::new(), "{label}");
    });
}

#[test]
fn a_whiteout_entry_is_never_left_on_disk_even_with_a_pax_name() {
    let upper = Tar::new()
        .add(E::file("x", b"").pax("path", "a/.wh.file3"))
        .gnu_long_name(format!("{}/.wh.none", "d".repeat(120)))
        .add(E::file("y", b""))
        .finish();
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(list(&root.join("a")), ["file2"], "{label}");
        assert!(
            !exists(&root.join("x")) && !exists(&root.join("y")),
            "{label}"
        );
    });
}

// Opaque whiteouts (layer.md "Opaque Whiteout").

#[test]
fn an_opaque_whiteout_before_the_new_entries_hides_every_lower_child() {
    let upper = tar_of([
        E::dir("b/"),
        E::file("b/.wh..wh..opq", b""),
        E::dir("b/sub/"),
        E::file("b/sub/new", b"n"),
        E::file("b/top", b"t"),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(list(&root.join("b")), ["sub", "top"], "{label}");
        assert_eq!(
            list(&root.join("b/sub")),
            ["new"],
            "{label}: deep is of the lower layer"
        );
    });
}

#[test]
fn an_opaque_whiteout_after_the_new_entries_hides_only_lower_children() {
    // The second example of layer.md, the whiteout last.
    let lower = tar_of([
        E::dir("a/"),
        E::dir("a/b/"),
        E::dir("a/b/c/"),
        E::file("a/b/c/bar", b"bar"),
        E::file("a/keep-not", b""),
    ]);
    let upper = tar_of([
        E::dir("a/"),
        E::dir("a/b/"),
        E::dir("a/b/c/"),
        E::file("a/b/c/foo", b"foo"),
        E::file("a/.wh..wh..opq", b""),
    ]);
    each_mode(&[lower, upper], |label, root| {
        assert_eq!(list(&root.join("a")), ["b"], "{label}");
        assert_eq!(list(&root.join("a/b/c")), ["foo"], "{label}");
        assert_eq!(read(&root.join("a/b/c/foo")), b"foo");
    });
}

#[test]
fn an_opaque_whiteout_without_its_directory_entry_empties_the_directory() {
    let upper = tar_of([E::file("a/.wh..wh..opq", b"")]);
    each_mode(&[base(), upper], |label, root| {
        assert!(lstat(&root.join("a")).is_dir(), "{label}");
        assert_eq!(list(&root.join("a")), Vec::<String>::new(), "{label}");
        assert_eq!(list(root), ["a", "b", "c", "file1", "s"], "{label}");
    });
}

#[test]
fn an_opaque_whiteout_keeps_what_the_same_layer_wrote_deeper() {
    // Entries written before the opaque whiteout, at several depths, stay;
    // lower content merged into a directory this layer re-declared goes.
    let upper = tar_of([
        E::dir("b/sub/"),
        E::file("b/sub/mine", b"m"),
        E::file("b/.wh..wh..opq", b""),
        E::file("b/late", b"l"),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(list(&root.join("b")), ["late", "sub"], "{label}");
        assert_eq!(list(&root.join("b/sub")), ["mine"], "{label}");
    });
}

#[test]
fn an_opaque_whiteout_at_the_root_hides_every_lower_file() {
    let upper = tar_of([E::file(".wh..wh..opq", b""), E::file("only", b"o")]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(list(root), ["only"], "{label}");
    });
}

#[test]
fn explicit_whiteouts_before_sibling_directories_then_new_content() {
    let upper = tar_of([
        E::file(".wh.a", b""),
        E::file(".wh.b", b""),
        E::dir("a/"),
        E::file("a/new", b"n"),
        E::dir("b/").mode(0o700),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(list(&root.join("a")), ["new"], "{label}");
        assert_eq!(list(&root.join("b")), Vec::<String>::new(), "{label}");
        assert_eq!(mode(&root.join("b")), 0o700, "{label}");
    });
}

// Overlayfs whiteouts.

#[test]
fn overlayfs_mode_writes_character_devices_and_the_opaque_xattr() {
    if !support::require_root() {
        return;
    }
    let upper = tar_of([
        E::file(".wh.file1", b""),
        E::file("a/.wh.file2", b""),
        E::file("b/.wh..wh..opq", b""),
        E::file(".wh.gone", b""),
    ]);
    let options = ApplyOptions {
        whiteouts: WhiteoutMode::Overlayfs,
        ..as_root()
    };
    let (dir, _) = applied(&[base(), upper], &options);
    let root = dir.path();
    for name in ["file1", "a/file2", "gone"] {
        let meta = lstat(&root.join(name));
        assert!(meta.file_type().is_char_device(), "{name}: {meta:?}");
        assert_eq!(
            (
                rustix::fs::major(meta.rdev()),
                rustix::fs::minor(meta.rdev())
            ),
            (0, 0)
        );
    }
    assert_eq!(
        xattr(&root.join("b"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    // In overlayfs form the lower content stays: the mount hides it.
    assert_eq!(read(&root.join("a/file3")), b"3");
}

#[test]
fn overlayfs_mode_keeps_what_the_same_layer_wrote() {
    if !support::require_root() {
        return;
    }
    // A whiteout hides lower layers only, in overlayfs form too: the file
    // this layer wrote before its whiteout stays, and no device replaces it.
    let upper = tar_of([
        E::file("new", b"mine"),
        E::file(".wh.new", b""),
        E::dir("d/"),
        E::file("d/f", b"f"),
        E::file(".wh.d", b""),
    ]);
    let options = ApplyOptions {
        whiteouts: WhiteoutMode::Overlayfs,
        ..as_root()
    };
    let (dir, _) = applied(&[upper], &options);
    assert_eq!(read(&dir.path().join("new")), b"mine");
    assert_eq!(read(&dir.path().join("d/f")), b"f");
}

#[test]
fn overlayfs_opaque_marker_survives_its_directory_entry() {
    // The opaque whiteout may come before its directory's own entry; the
    // entry's metadata must not drop the marker this layer set (a merge
    // drops only what lower layers left).
    if !support::require_root() {
        return;
    }
    let options = ApplyOptions {
        whiteouts: WhiteoutMode::Overlayfs,
        ..as_root()
    };
    let upper = tar_of([
        E::file("b/.wh..wh..opq", b""),
        E::dir("b/").mode(0o750).xattr("user.kept", b"k"),
        E::dir("c/"),
        E::file("c/.wh..wh..opq", b""),
    ]);
    let (dir, _) = applied(&[base(), upper], &options);
    for d in ["b", "c"] {
        assert_eq!(
            xattr(&dir.path().join(d), "trusted.overlay.opaque").as_deref(),
            Some(&b"y"[..]),
            "{d}"
        );
    }
    assert_eq!(
        xattr(&dir.path().join("b"), "user.kept").as_deref(),
        Some(&b"k"[..])
    );
    assert_eq!(mode(&dir.path().join("b")), 0o750);
}

#[test]
fn overlayfs_mode_rootless_uses_the_user_xattr() {
    let upper = tar_of([E::file("b/.wh..wh..opq", b"")]);
    let options = ApplyOptions {
        whiteouts: WhiteoutMode::Overlayfs,
        ..rootless()
    };
    let (dir, _) = applied(&[base(), upper], &options);
    assert_eq!(
        xattr(&dir.path().join("b"), "user.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    assert_eq!(xattr(&dir.path().join("b"), "trusted.overlay.opaque"), None);
}

#[test]
fn overlayfs_mode_works_for_an_unprivileged_user() {
    // Linux lets anyone make the 0:0 whiteout device (since 5.8), and
    // user.overlay.opaque is the rootless opaque marker.
    if !support::unprivileged() {
        return;
    }
    let upper = tar_of([
        E::file(".wh.file1", b""),
        E::file("b/.wh..wh..opq", b""),
        E::file("b/new", b"n"),
    ]);
    let options = ApplyOptions {
        whiteouts: WhiteoutMode::Overlayfs,
        ..rootless()
    };
    let (dir, _) = applied(&[base(), upper], &options);
    let root = dir.path();
    let meta = lstat(&root.join("file1"));
    assert!(meta.file_type().is_char_device(), "{meta:?}");
    assert_eq!(meta.rdev(), 0);
    assert_eq!(
        xattr(&root.join("b"), "user.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    assert_eq!(read(&root.join("b/new")), b"n");
}

// Replacing what a lower layer (or this one) wrote.

#[test]
fn a_directory_over_a_directory_merges_and_takes_the_new_metadata() {
    let upper = tar_of([
        E::dir("a/").mode(0o710).owner(5, 6).mtime(77),
        E::file("a/new", b"n"),
    ]);
    for (label, options) in both_modes() {
        let (dir, _) = applied(&[base(), upper.clone()], &options);
        let a = dir.path().join("a");
        assert_eq!(list(&a), ["file2", "file3", "new"], "{label}");
        assert_eq!(mode(&a), 0o710, "{label}");
        assert_eq!(lstat(&a).mtime(), 77, "{label}");
        if label == "as root" {
            assert_eq!((lstat(&a).uid(), lstat(&a).gid()), (5, 6));
        }
    }
}

#[test]
fn a_merged_directory_takes_the_new_xattrs_only() {
    let lower = tar_of([E::dir("d/").xattr("user.a", b"1").xattr("user.b", b"2")]);
    let upper = tar_of([E::dir("d/").xattr("user.b", b"new")]);
    each_mode(&[lower, upper], |label, root| {
        let d = root.join("d");
        assert_eq!(xattr(&d, "user.a"), None, "{label}");
        assert_eq!(xattr(&d, "user.b").as_deref(), Some(&b"new"[..]), "{label}");
    });
}

#[test]
fn anything_but_a_directory_over_a_directory_replaces_it() {
    let upper = tar_of([
        E::file("a", b"now a file"),
        E::symlink("b", "c"),
        E::fifo("c"),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(read(&root.join("a")), b"now a file", "{label}");
        assert!(lstat(&root.join("b")).file_type().is_symlink(), "{label}");
        assert!(lstat(&root.join("c")).file_type().is_fifo(), "{label}");
    });
}

#[test]
fn a_directory_over_a_file_or_symlink_replaces_it() {
    let upper = tar_of([E::dir("file1/").mode(0o750), E::dir("s/").mode(0o705)]);
    each_mode(&[base(), upper], |label, root| {
        assert!(lstat(&root.join("file1")).is_dir(), "{label}");
        assert_eq!(mode(&root.join("file1")), 0o750, "{label}");
        assert!(lstat(&root.join("s")).is_dir(), "{label}");
        assert_eq!(mode(&root.join("s")), 0o705, "{label}");
        // The symlink's old target is untouched.
        assert_eq!(mode(&root.join("a/file2")), 0o644, "{label}");
    });
}

#[test]
fn a_symlink_to_a_directory_is_replaced_by_a_directory_not_followed() {
    let lower = tar_of([
        E::dir("real/"),
        E::file("real/x", b"x"),
        E::symlink("d", "real"),
    ]);
    let upper = tar_of([E::dir("d/").mode(0o700), E::file("d/y", b"y")]);
    each_mode(&[lower, upper], |label, root| {
        assert!(lstat(&root.join("d")).is_dir(), "{label}");
        assert_eq!(list(&root.join("d")), ["y"], "{label}");
        assert_eq!(list(&root.join("real")), ["x"], "{label}");
        assert_eq!(mode(&root.join("real")), 0o755, "{label}");
    });
}

#[test]
fn files_symlinks_fifos_and_links_replace_each_other() {
    let upper = tar_of([
        E::symlink("file1", "elsewhere"),
        E::file("s", b"was a symlink"),
        E::fifo("a/file2"),
        E::hardlink("a/file3", "c/file3"),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(
            std::fs::read_link(root.join("file1")).unwrap(),
            Path::new("elsewhere")
        );
        assert_eq!(read(&root.join("s")), b"was a symlink", "{label}");
        assert!(
            lstat(&root.join("a/file2")).file_type().is_fifo(),
            "{label}"
        );
        assert_eq!(
            lstat(&root.join("a/file3")).ino(),
            lstat(&root.join("c/file3")).ino()
        );
        assert_eq!(read(&root.join("a/file3")), b"c3", "{label}");
    });
}

#[test]
fn a_file_over_a_hardlinked_file_does_not_write_through_the_link() {
    let lower = tar_of([E::file("f", b"original"), E::hardlink("g", "f")]);
    let upper = tar_of([E::file("g", b"new")]);
    each_mode(&[lower, upper], |label, root| {
        assert_eq!(read(&root.join("f")), b"original", "{label}");
        assert_eq!(read(&root.join("g")), b"new", "{label}");
        assert_ne!(lstat(&root.join("f")).ino(), lstat(&root.join("g")).ino());
    });
}

#[test]
fn a_file_where_a_parent_directory_is_needed_is_replaced_by_a_directory() {
    let upper = tar_of([E::file("file1/child", b"c")]);
    each_mode(&[base(), upper], |label, root| {
        assert!(lstat(&root.join("file1")).is_dir(), "{label}");
        assert_eq!(read(&root.join("file1/child")), b"c", "{label}");
        assert_eq!(mode(&root.join("file1")), 0o755, "{label}");
    });
}

#[test]
fn a_symlink_used_as_a_parent_is_followed_inside_the_root() {
    // The merged-/usr layout: lib -> usr/lib (or /usr/lib) stays a symlink
    // and what a later layer puts under lib/ lands in usr/lib/.
    let lower = tar_of([
        E::dir("usr/"),
        E::dir("usr/lib/"),
        E::symlink("lib", "usr/lib"),
        E::symlink("lib64", "/usr/lib"),
    ]);
    let upper = tar_of([E::file("lib/a.so", b"a"), E::file("lib64/b.so", b"b")]);
    each_mode(&[lower, upper], |label, root| {
        assert!(lstat(&root.join("lib")).file_type().is_symlink(), "{label}");
        assert!(
            lstat(&root.join("lib64")).file_type().is_symlink(),
            "{label}"
        );
        assert_eq!(list(&root.join("usr/lib")), ["a.so", "b.so"], "{label}");
    });
}

#[test]
fn a_whiteout_through_another_spelling_spares_what_this_layer_wrote() {
    // lib -> usr/lib: what the layer wrote as lib/new is usr/lib/new, and a
    // whiteout naming usr/lib/ must treat it as this layer's.
    let lower = tar_of([
        E::dir("usr/"),
        E::dir("usr/lib/"),
        E::file("usr/lib/old", b"old"),
        E::symlink("lib", "usr/lib"),
    ]);
    let upper = tar_of([
        E::file("lib/new", b"new"),
        E::file("lib/new2", b"new2"),
        E::file("usr/lib/.wh.new2", b""),
        E::file("usr/lib/.wh..wh..opq", b""),
    ]);
    each_mode(&[lower, upper], |label, root| {
        assert_eq!(list(&root.join("usr/lib")), ["new", "new2"], "{label}");
    });
}

#[test]
fn a_directory_entry_after_its_children_sets_its_metadata() {
    let upper = tar_of([
        E::file("late/f", b"f"),
        E::dir("late/").mode(0o700).mtime(10).owner(3, 3),
    ]);
    for (label, options) in both_modes() {
        let (dir, _) = applied(std::slice::from_ref(&upper), &options);
        let late = dir.path().join("late");
        assert_eq!(list(&late), ["f"], "{label}");
        assert_eq!(mode(&late), 0o700, "{label}");
        assert_eq!(lstat(&late).mtime(), 10, "{label}");
        if label == "as root" {
            assert_eq!((lstat(&late).uid(), lstat(&late).gid()), (3, 3));
        }
    }
}

#[test]
fn implied_parent_directories_are_created_0755() {
    let upper = tar_of([E::file("x/y/z/file", b"f").mode(0o600)]);
    for (label, options) in both_modes() {
        // Whatever the process umask, the implied parents are 0755.
        let (dir, _) = applied(std::slice::from_ref(&upper), &options);
        for d in ["x", "x/y", "x/y/z"] {
            let p = dir.path().join(d);
            assert!(lstat(&p).is_dir(), "{label}: {d}");
            assert_eq!(mode(&p), 0o755, "{label}: {d}");
        }
        assert_eq!(mode(&dir.path().join("x/y/z/file")), 0o600, "{label}");
    }
}

// Metadata and its order.

#[test]
fn modes_are_exact_whatever_the_umask() {
    let upper = tar_of([
        E::file("f777", b"").mode(0o777),
        E::file("f000", b"").mode(0o000),
        E::dir("d777/").mode(0o777),
        E::dir("sticky/").mode(0o1777),
        E::fifo("p").mode(0o666),
    ]);
    each_mode(&[upper], |label, root| {
        assert_eq!(mode(&root.join("f777")), 0o777, "{label}");
        assert_eq!(mode(&root.join("f000")), 0o000, "{label}");
        assert_eq!(mode(&root.join("d777")), 0o777, "{label}");
        assert_eq!(mode(&root.join("sticky")), 0o1777, "{label}");
        assert_eq!(mode(&root.join("p")), 0o666, "{label}");
    });
}

#[test]
fn setuid_and_setgid_bits_survive_the_chown() {
    let upper = tar_of([
        E::file("suid", b"#!").mode(0o4755).owner(1000, 1000),
        E::file("sgid", b"#!").mode(0o2755).owner(0, 50),
        E::dir("sgdir/").mode(0o2775).owner(1000, 1000),
        E::file("both", b"").mode(0o6711).owner(12, 13),
    ]);
    for (label, options) in both_modes() {
        let (dir, _) = applied(std::slice::from_ref(&upper), &options);
        let root = dir.path();
        assert_eq!(mode(&root.join("suid")), 0o4755, "{label}");
        assert_eq!(mode(&root.join("sgid")), 0o2755, "{label}");
        assert_eq!(mode(&root.join("sgdir")), 0o2775, "{label}");
        assert_eq!(mode(&root.join("both")), 0o6711, "{label}");
        if label == "as root" {
            let m = lstat(&root.join("suid"));
            assert_eq!((m.uid(), m.gid()), (1000, 1000));
            let m = lstat(&root.join("both"));
            assert_eq!((m.uid(), m.gid()), (12, 13));
        }
    }
}

#[test]
fn owners_are_set_as_root_for_every_kind() {
    if !support::require_root() {
        return;
    }
    let upper = tar_of([
        E::file("f", b"").owner(1, 2),
        E::dir("d/").owner(3, 4),
        E::symlink("s", "f").owner(5, 6),
        E::fifo("p").owner(7, 8),
        E::chardev("c", 1, 3).owner(9, 10),
        E::file("big", b"").owner(70000, 65534),
    ]);
    let (dir, _) = applied(&[upper], &as_root());
    for (name, owner) in [
        ("f", (1, 2)),
        ("d", (3, 4)),
        ("s", (5, 6)),
        ("p", (7, 8)),
        ("c", (9, 10)),
        ("big", (70000, 65534)),
    ] {
        let m = lstat(&dir.path().join(name));
        assert_eq!((m.uid(), m.gid()), owner, "{name}");
    }
}

#[test]
fn large_owners_from_pax_records_and_base_256_fields_are_honoured() {
    // Ids over 2097151 do not fit the 7 octal digits of a ustar field:
    // Go's archive/tar (umoci, buildah) writes them as pax uid/gid records
    // with a zero field, GNU tar as base-256 fields. OpenShift's ids, such
    // as 1000680000, are in that range.
    if !support::require_root() {
        return;
    }
    let upper = tar_of([
        E::file("pax", b"")
            .pax("uid", "1000680000")
            .pax("gid", "3000001"),
        E::dir("paxdir/")
            .pax("uid", "4000000")
            .pax("gid", "4000001"),
        E::file("base256", b"").owner(1_000_680_000, 3_000_001),
    ]);
    let (dir, _) = applied(std::slice::from_ref(&upper), &as_root());
    for (name, owner) in [
        ("pax", (1_000_680_000, 3_000_001)),
        ("paxdir", (4_000_000, 4_000_001)),
        ("base256", (1_000_680_000, 3_000_001)),
    ] {
        let m = lstat(&dir.path().join(name));
        assert_eq!((m.uid(), m.gid()), owner, "{name}");
    }
    // Rootless records the same owner.
    let (dir, _) = applied(&[upper], &rootless());
    let recorded = xattr(&dir.path().join("pax"), "user.rootlesscontainers").unwrap();
    let mut expected = vec![0x08];
    for value in [1_000_680_000u32, 3_000_001] {
        let mut v = value;
        while v >= 0x80 {
            expected.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        expected.push(v as u8);
        if value == 1_000_680_000 {
            expected.push(0x10);
        }
    }
    assert_eq!(recorded, expected);
}

#[test]
fn an_old_style_entry_named_with_a_trailing_slash_is_a_directory() {
    // Pre-POSIX archives (type NUL) mark directories by the trailing slash
    // alone; Go's archive/tar (hence umoci 0.4.7) and GNU tar 1.34 read
    // such an entry as a directory.
    let mut old = E::raw(0, "old/").mode(0o750);
    old.gnu = true;
    let upper = tar_of([old, E::file("old/f", b"f")]);
    each_mode(&[upper], |label, root| {
        assert!(lstat(&root.join("old")).is_dir(), "{label}");
        assert_eq!(mode(&root.join("old")), 0o750, "{label}");
    });
}

#[test]
fn mode_fields_with_file_type_bits_are_masked() {
    // Some writers put the file type in the mode field (0100755 for a
    // regular file, 040755 for a directory).
    let upper = tar_of([
        E::file("f", b"").mode(0o100755),
        E::dir("d/").mode(0o040750),
    ]);
    each_mode(&[upper], |label, root| {
        assert_eq!(mode(&root.join("f")), 0o755, "{label}");
        assert!(lstat(&root.join("d")).is_dir(), "{label}");
        assert_eq!(mode(&root.join("d")), 0o750, "{label}");
    });
}

#[test]
fn times_are_set_and_a_directory_keeps_its_time_after_its_children() {
    let upper = tar_of([
        E::dir("d/").mtime(1000),
        E::dir("d/e/").mtime(1100),
        E::file("d/e/f", b"x").mtime(2000),
        E::file("d/g", b"x").mtime(3000),
        E::symlink("d/e/s", "f").mtime(4000),
        E::fifo("d/p").mtime(5000),
    ]);
    each_mode(&[upper], |label, root| {
        assert_eq!(lstat(&root.join("d")).mtime(), 1000, "{label}");
        assert_eq!(lstat(&root.join("d/e")).mtime(), 1100, "{label}");
        assert_eq!(lstat(&root.join("d/e/f")).mtime(), 2000, "{label}");
        assert_eq!(lstat(&root.join("d/g")).mtime(), 3000, "{label}");
        assert_eq!(
            lstat(&root.join("d/e/s")).mtime(),
            4000,
            "{label}: a symlink's own time"
        );
        assert_eq!(lstat(&root.join("d/p")).mtime(), 5000, "{label}");
    });
}

#[test]
fn a_directory_keeps_its_time_when_a_later_layer_entry_adds_to_it_after_a_whiteout() {
    let upper = tar_of([
        E::dir("a/").mtime(4242),
        E::file("a/.wh.file2", b""),
        E::file("a/n", b""),
    ]);
    each_mode(&[base(), upper], |label, root| {
        assert_eq!(lstat(&root.join("a")).mtime(), 4242, "{label}");
    });
}

#[test]
fn a_directory_the_layer_does_not_list_keeps_its_lower_time() {
    // The layer changes children of a/ and c/ without an entry for either
    // directory: their times stay those of the lower layer (as umoci
    // keeps them), not the time of the apply.
    let lower = tar_of([
        E::dir("a/").mtime(1000),
        E::file("a/old", b"").mtime(1000),
        E::dir("c/").mtime(2000),
        E::file("c/old", b""),
        E::dir("o/").mtime(3000),
        E::file("o/old", b""),
    ]);
    let upper = tar_of([
        E::file("a/.wh.old", b""),
        E::file("a/new", b""),
        E::file("c/old", b"rewritten"),
        E::file("o/.wh..wh..opq", b""),
    ]);
    each_mode(&[lower, upper], |label, root| {
        assert_eq!(lstat(&root.join("a")).mtime(), 1000, "{label}: a/");
        assert_eq!(lstat(&root.join("c")).mtime(), 2000, "{label}: c/");
        assert_eq!(lstat(&root.join("o")).mtime(), 3000, "{label}: o/");
    });
}

#[test]
fn a_directory_reached_through_a_symlink_keeps_its_lower_time() {
    // lib -> usr/lib: a layer writing lib/new changes usr/lib, which it does
    // not list; usr/lib keeps its time (umoci 0.4.7 does), and so does the
    // symlink.
    let lower = tar_of([
        E::dir("usr/").mtime(1000),
        E::dir("usr/lib/").mtime(1000),
        E::file("usr/lib/old", b"o").mtime(1000),
        E::symlink("lib", "usr/lib").mtime(1000),
        E::symlink("abs", "/usr/lib").mtime(1000),
    ]);
    let upper = tar_of([
        E::file("lib/new", b"n").mtime(2000),
        E::file("abs/.wh.old", b""),
    ]);
    each_mode(&[lower, upper], |label, root| {
        assert_eq!(list(&root.join("usr/lib")), ["new"], "{label}");
        assert_eq!(
            lstat(&root.join("usr/lib")).mtime(),
            1000,
            "{label}: usr/lib"
        );
        assert_eq!(
            lstat(&root.join("lib")).mtime(),
            1000,
            "{label}: the symlink lib"
        );
        assert_eq!(
            lstat(&root.join("abs")).mtime(),
            1000,
            "{label}: the symlink abs"
        );
    });
}

#[test]
fn a_symlink_entry_never_changes_the_mode_of_its_target() {
    let upper = tar_of([
        E::file("target", b"t").mode(0o640),
        E::dir("tdir/").mode(0o750),
        E::symlink("s", "target").mode(0o700).owner(9, 9),
        E::symlink("sd", "tdir").mode(0o777),
    ]);
    for (label, options) in both_modes() {
        let (dir, _) = applied(std::slice::from_ref(&upper), &options);
        let root = dir.path();
        assert_eq!(mode(&root.join("target")), 0o640, "{label}");
        assert_eq!(mode(&root.join("tdir")), 0o750, "{label}");
        let t = lstat(&root.join("target"));
        // The layer says 0:0: as root that is chowned, rootless the file
        // stays the process's.
        let expected = if options.rootless {
            (
                rustix::process::geteuid().as_raw(),
                rustix::process::getegid().as_raw(),
            )
        } else {
            (0, 0)
        };
        assert_eq!((t.uid(), t.gid()), expected, "{label}: owner of the target");
        if label == "as root" {
            let s = lstat(&root.join("s"));
            assert_eq!((s.uid(), s.gid()), (9, 9), "lchown of the symlink itself");
        }
    }
}

// Extended attributes.

#[test]
fn user_xattrs_are_written_and_selinux_labels_dropped() {
    let upper = tar_of([
        E::file("f", b"")
            .xattr("user.one", b"1")
            .xattr("user.bin", [0u8, 255, 1])
            .xattr("security.selinux", b"system_u:object_r:bin_t:s0"),
        E::dir("d/").xattr("user.dir", b"d"),
    ]);
    for (label, options) in both_modes() {
        let (dir, reports) = applied(std::slice::from_ref(&upper), &options);
        let root = dir.path();
        assert_eq!(
            xattr(&root.join("f"), "user.one").as_deref(),
            Some(&b"1"[..]),
            "{label}"
        );
        assert_eq!(
            xattr(&root.join("f"), "user.bin").as_deref(),
            Some(&[0u8, 255, 1][..])
        );
        assert_eq!(
            xattr(&root.join("d"), "user.dir").as_deref(),
            Some(&b"d"[..]),
            "{label}"
        );
        assert_eq!(xattr(&root.join("f"), "security.selinux"), None, "{label}");
        assert!(
            reports[0].warnings.contains(&Warning::XattrDropped {
                name: "security.selinux".into()
            }),
            "{label}: {:?}",
            reports[0].warnings
        );
    }
}

#[test]
fn a_binary_xattr_value_with_a_newline_is_written() {
    // A pax record is length-prefixed, so its value may hold any byte,
    // newlines included (security.capability values are binary; GNU tar
    // and Go's archive/tar read them). Splitting records at newlines
    // refuses such a layer.
    let value = [0x01u8, 0x0a, 0x00, 0xff, b'\n', b'x'];
    let upper = tar_of([E::file("f", b"").xattr("user.bin", value)]);
    for (label, options) in both_modes() {
        let (dir, _) = applied(std::slice::from_ref(&upper), &options);
        assert_eq!(
            xattr(&dir.path().join("f"), "user.bin").as_deref(),
            Some(&value[..]),
            "{label}"
        );
    }
}

#[test]
fn trusted_xattrs_are_written_as_root_and_dropped_rootless() {
    if !support::require_root() {
        return;
    }
    let upper = tar_of([E::file("f", b"")
        .xattr("trusted.t", b"v")
        .xattr("user.u", b"u")]);
    let (dir, _) = applied(std::slice::from_ref(&upper), &as_root());
    assert_eq!(
        xattr(&dir.path().join("f"), "trusted.t").as_deref(),
        Some(&b"v"[..])
    );
    let (dir, reports) = applied(&[upper], &rootless());
    assert_eq!(xattr(&dir.path().join("f"), "trusted.t"), None);
    assert_eq!(
        xattr(&dir.path().join("f"), "user.u").as_deref(),
        Some(&b"u"[..])
    );
    assert!(
        reports[0].warnings.contains(&Warning::XattrDropped {
            name: "trusted.t".into()
        }),
        "{:?}",
        reports[0].warnings
    );
}

// Rootless ownership.

#[test]
fn rootless_records_the_owner_in_the_rootlesscontainers_xattr() {
    let upper = tar_of([
        E::file("f", b"").owner(1000, 2000),
        E::file("uid-only", b"").owner(1000, 0),
        E::file("gid-only", b"").owner(0, 7),
        E::file("root", b"").owner(0, 0),
        E::dir("d/").owner(33, 33),
    ]);
    let (dir, _) = applied(&[upper], &rootless());
    let root = dir.path();
    let me = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    for name in ["f", "uid-only", "gid-only", "root", "d"] {
        let m = lstat(&root.join(name));
        assert_eq!((m.uid(), m.gid()), me, "{name}: rootless must not chown");
    }
    let attr = |n: &str| xattr(&root.join(n), "user.rootlesscontainers");
    // protobuf: field 1 (uid) and 2 (gid) as varints, zero fields left out.
    assert_eq!(
        attr("f").as_deref(),
        Some(&[0x08, 0xe8, 0x07, 0x10, 0xd0, 0x0f][..])
    );
    assert_eq!(attr("uid-only").as_deref(), Some(&[0x08, 0xe8, 0x07][..]));
    assert_eq!(attr("gid-only").as_deref(), Some(&[0x10, 0x07][..]));
    assert_eq!(attr("root"), None, "0:0 needs no attribute");
    assert_eq!(attr("d").as_deref(), Some(&[0x08, 33, 0x10, 33][..]));
}

#[test]
fn rootless_skips_devices_with_a_warning() {
    let upper = tar_of([
        E::chardev("dev/null", 1, 3),
        E::blockdev("dev/loop0", 7, 0),
        E::fifo("dev/fifo"),
    ]);
    let (dir, reports) = applied(&[upper], &rootless());
    assert_eq!(list(&dir.path().join("dev")), ["fifo"]);
    for name in ["dev/null", "dev/loop0"] {
        assert!(
            reports[0]
                .warnings
                .iter()
                .any(|w| matches!(w, Warning::DeviceSkipped { entry } if entry == Path::new(name))),
            "{name}: {:?}",
            reports[0].warnings
        );
    }
}

#[test]
fn rootless_skips_a_hardlink_to_a_skipped_device() {
    // The device was skipped, so a second name for it has nothing to link
    // to: skipped as well (with the device's warning), not a failed layer.
    let upper = tar_of([
        E::chardev("dev/null", 1, 3),
        E::hardlink("dev/null-again", "dev/null"),
        E::file("after", b"a"),
    ]);
    let (dir, _) = applied(&[upper], &rootless());
    assert_eq!(list(dir.path()), ["after", "dev"]);
    assert_eq!(list(&dir.path().join("dev")), Vec::<String>::new());
}

#[test]
fn rootless_removes_and_writes_into_read_only_directories() {
    // Read-only directories are common (Go's module cache is 0555 all the
    // way down); a later layer deleting them, or writing into one, must
    // work for an unprivileged apply too, where permissions bind.
    if !support::unprivileged() {
        return;
    }
    let lower = tar_of([
        E::dir("cache/").mode(0o555),
        E::dir("cache/mod/").mode(0o555),
        E::file("cache/mod/f", b"f").mode(0o444),
        E::dir("ro/").mode(0o555),
        E::file("ro/old", b"o").mode(0o444),
        E::dir("ro/sub/").mode(0o500),
        E::file("ro/sub/x", b"x").mode(0o400),
    ]);
    let upper = tar_of([
        E::file(".wh.cache", b""),
        E::file("ro/new", b"n"),
        E::file("ro/.wh.old", b""),
        E::file("ro/sub/x", b"replaced"),
    ]);
    let (dir, _) = applied(&[lower, upper], &rootless());
    let root = dir.path();
    assert!(!exists(&root.join("cache")));
    assert_eq!(list(&root.join("ro")), ["new", "sub"]);
    assert_eq!(mode(&root.join("ro")), 0o555);
    assert_eq!(mode(&root.join("ro/sub")), 0o500);
    // The test's temporary directory must be removable afterwards.
    for d in ["ro", "ro/sub"] {
        support::set_mode(&root.join(d), 0o755);
    }
}

#[test]
fn an_unprivileged_apply_writes_into_a_read_only_root() {
    // The root's own mode comes from the layers' "./" entries and may be
    // read-only too.
    if !support::unprivileged() {
        return;
    }
    let lower = tar_of([E::dir("./").mode(0o555), E::file("old", b"o"), E::dir("d/")]);
    let upper = tar_of([
        E::file("new", b"n"),
        E::file(".wh.old", b""),
        E::file(".wh.d", b""),
    ]);
    let (dir, _) = applied(&[lower, upper], &rootless());
    assert_eq!(list(dir.path()), ["new"]);
    assert_eq!(mode(dir.path()), 0o555);
    support::set_mode(dir.path(), 0o755);
}

#[test]
fn an_unprivileged_apply_of_xattrs_on_read_only_files_does_not_fail() {
    // Linux checks write permission for user.* attributes, so a 0444 file
    // refuses them once its mode is set. Writing them first keeps them;
    // umoci 0.4.7 drops them ("harmless EPERM"); failing the layer is
    // neither.
    if !support::unprivileged() {
        return;
    }
    let upper = tar_of([
        E::file("ro", b"r")
            .mode(0o444)
            .owner(1000, 1000)
            .xattr("user.a", b"1"),
        E::file("none", b"").mode(0o000).xattr("user.b", b"2"),
        E::dir("rodir/").mode(0o555).xattr("user.c", b"3"),
    ]);
    let (dir, reports) = applied(&[upper], &rootless());
    let root = dir.path();
    assert_eq!(mode(&root.join("ro")), 0o444);
    assert_eq!(mode(&root.join("none")), 0o000);
    assert_eq!(mode(&root.join("rodir")), 0o555);
    // Reading user.* attributes needs read permission in turn.
    for name in ["ro", "none", "rodir"] {
        support::set_mode(&root.join(name), 0o755);
    }
    for (name, attr, value) in [
        ("ro", "user.a", b"1"),
        ("none", "user.b", b"2"),
        ("rodir", "user.c", b"3"),
    ] {
        let written = xattr(&root.join(name), attr).as_deref() == Some(&value[..]);
        let dropped = reports[0]
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::XattrDropped { name } if name == attr));
        assert!(
            written || dropped,
            "{name}: {attr} neither written nor reported dropped"
        );
    }
}

#[test]
fn an_unprivileged_apply_of_file_capabilities_drops_them_with_a_warning() {
    // Images carry security.capability (ping, newuidmap); only a
    // privileged process may set it. umoci's rootless unpack goes on
    // without it; so must we, saying so.
    if !support::unprivileged() {
        return;
    }
    // VFS_CAP_REVISION_2, permitted CAP_NET_RAW (bit 13), effective.
    let cap = [
        0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let upper = tar_of([
        E::file("ping", b"elf")
            .mode(0o755)
            .xattr("security.capability", cap),
        E::file("after", b"a"),
    ]);
    let (dir, reports) = applied(&[upper], &rootless());
    assert_eq!(read(&dir.path().join("ping")), b"elf");
    assert_eq!(read(&dir.path().join("after")), b"a");
    assert!(
        reports[0].warnings.iter().any(|w| matches!(
            w,
            Warning::XattrDropped { name } if name == "security.capability"
        )),
        "{:?}",
        reports[0].warnings
    );
}

#[test]
fn a_failed_unprivileged_apply_leaves_read_only_directories_read_only() {
    // The write permission an unprivileged apply lends a read-only
    // directory is taken back even when a later entry fails the layer.
    if !support::unprivileged() {
        return;
    }
    let lower = tar_of([E::dir("ro/").mode(0o555), E::file("ro/old", b"o")]);
    let upper = tar_of([
        E::file("ro/new", b"n"),
        E::file("ro/.wh.old", b""),
        E::file("ro/../../evil", b"x"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    ocikit_convert::apply_tar(dir.path(), &lower[..], &rootless()).unwrap();
    let result = ocikit_convert::apply_tar(dir.path(), &upper[..], &rootless());
    expect_err_naming(result, "ro/../../evil");
    assert_eq!(mode(&dir.path().join("ro")), 0o555);
    support::set_mode(&dir.path().join("ro"), 0o755);
}

#[test]
fn devices_are_created_as_root() {
    if !support::require_root() {
        return;
    }
    let upper = tar_of([
        E::chardev("null", 1, 3).mode(0o666),
        E::blockdev("loop", 7, 3).mode(0o660),
    ]);
    let (dir, _) = applied(&[upper], &as_root());
    let c = lstat(&dir.path().join("null"));
    assert!(c.file_type().is_char_device());
    assert_eq!(
        (rustix::fs::major(c.rdev()), rustix::fs::minor(c.rdev())),
        (1, 3)
    );
    assert_eq!(c.mode() & 0o7777, 0o666);
    let b = lstat(&dir.path().join("loop"));
    assert!(b.file_type().is_block_device());
    assert_eq!(
        (rustix::fs::major(b.rdev()), rustix::fs::minor(b.rdev())),
        (7, 3)
    );
}

#[test]
fn id_mappings_apply_to_owners_and_an_unmapped_id_is_an_error() {
    if !support::require_root() {
        return;
    }
    let map = vec![IdMapping::new(0, 100_000, 65536)];
    let options = ApplyOptions {
        uid_map: map.clone(),
        gid_map: map.clone(),
        ..as_root()
    };
    let upper = tar_of([E::file("f", b"").owner(1000, 2000), E::dir("d/")]);
    let (dir, _) = applied(&[upper], &options);
    let m = lstat(&dir.path().join("f"));
    assert_eq!((m.uid(), m.gid()), (101_000, 102_000));
    let m = lstat(&dir.path().join("d"));
    assert_eq!((m.uid(), m.gid()), (100_000, 100_000));
    // Rootless records the mapped owner.
    let options = ApplyOptions {
        uid_map: map.clone(),
        gid_map: map,
        ..rootless()
    };
    let (dir, _) = applied(&[tar_of([E::file("f", b"").owner(1, 0)])], &options);
    let attr = xattr(&dir.path().join("f"), "user.rootlesscontainers").unwrap();
    assert_eq!(attr, [0x08, 0xa1, 0x8d, 0x06, 0x10, 0xa0, 0x8d, 0x06]); // 100001, 100000
    let dir = tempfile::tempdir().unwrap();
    let result = ocikit_convert::apply_tar(
        dir.path(),
        &tar_of([E::file("unmapped", b"").owner(70_000, 0)])[..],
        &options,
    );
    expect_err_naming(result, "unmapped");
}

// Entry kinds and headers.

#[test]
fn hardlinks_share_an_inode_and_symlink_targets_are_verbatim() {
    let upper = tar_of([
        E::file("f", b"data").mode(0o600),
        E::hardlink("h1", "f"),
        E::hardlink("sub/h2", "./f"),
        E::symlink("s1", "/absolute/dangling"),
        E::symlink("s2", "../../rel"),
        E::symlink("s3", "f"),
    ]);
    each_mode(&[upper], |label, root| {
        let ino = lstat(&root.join("f")).ino();
        assert_eq!(lstat(&root.join("h1")).ino(), ino, "{label}");
        assert_eq!(lstat(&root.join("sub/h2")).ino(), ino, "{label}");
        assert_eq!(lstat(&root.join("f")).nlink(), 3, "{label}");
        for (s, t) in [
            ("s1", "/absolute/dangling"),
            ("s2", "../../rel"),
            ("s3", "f"),
        ] {
            assert_eq!(
                std::fs::read_link(root.join(s)).unwrap(),
                Path::new(t),
                "{label}"
            );
        }
    });
}

#[test]
fn names_and_targets_are_bytes_not_utf8() {
    use std::os::unix::ffi::OsStrExt as _;
    let name: &[u8] = b"caf\xe9-\xff";
    let upper = tar_of([
        E::dir(b"d\xfe/"),
        E::file([b"d\xfe/".as_slice(), name].concat(), b"latin-1"),
        E::symlink(b"s\x80", b"../\xc3\x28"),
        E::file(b"d\xfe/.wh.nothing\xff", b""),
    ]);
    each_mode(&[upper], |label, root| {
        let dir = root.join(std::ffi::OsStr::from_bytes(b"d\xfe"));
        assert_eq!(
            read(&dir.join(std::ffi::OsStr::from_bytes(name))),
            b"latin-1",
            "{label}"
        );
        let link = root.join(std::ffi::OsStr::from_bytes(b"s\x80"));
        assert_eq!(
            std::fs::read_link(link).unwrap().as_os_str().as_bytes(),
            b"../\xc3\x28",
            "{label}"
        );
    });
}

#[test]
fn pax_and_gnu_long_names_and_links_are_honoured() {
    let long_dir = "l".repeat(120);
    let long_file = format!("{long_dir}/{}", "f".repeat(130));
    let tar = Tar::new()
        .pax_global(&[("comment", b"global, ignored")])
        .add(E::dir(format!("{long_dir}/")))
        .add(E::file(&long_file, b"pax"))
        .gnu_long_name(format!("{long_dir}/{}", "g".repeat(140)))
        .add(E::file("short-gnu", b"gnu"))
        .gnu_long_link(&long_file)
        .add(E::hardlink("hl", "placeholder"))
        .add(E::symlink("sl", "x").pax("linkpath", &long_file))
        .add(E::file("renamed", b"r").pax("path", "pax-name"))
        .finish();
    each_mode(&[tar], |label, root| {
        assert_eq!(read(&root.join(&long_file)), b"pax", "{label}");
        assert_eq!(
            read(&root.join(format!("{long_dir}/{}", "g".repeat(140)))),
            b"gnu"
        );
        assert_eq!(
            lstat(&root.join("hl")).ino(),
            lstat(&root.join(&long_file)).ino()
        );
        assert_eq!(
            std::fs::read_link(root.join("sl")).unwrap(),
            Path::new(&long_file)
        );
        assert_eq!(read(&root.join("pax-name")), b"r", "{label}");
        assert_eq!(
            list(root),
            ["hl", long_dir.as_str(), "pax-name", "sl"],
            "{label}"
        );
    });
}

/// The content of the sparse fixtures: 1 MiB of holes with "hello" at
/// 500000 and "end" appended (fixtures/README.md).
fn sparse_content() -> Vec<u8> {
    let mut content = vec![0u8; 1 << 20];
    content[500_000..500_005].copy_from_slice(b"hello");
    content.extend_from_slice(b"end");
    content
}

#[test]
fn a_gnu_sparse_file_is_written_whole() {
    // Built into the binary: the unprivileged re-run may not read the
    // source tree.
    let tar = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sparse-gnu.tar"
    ))
    .to_vec();
    each_mode(&[tar], |label, root| {
        assert_eq!(list(root), ["sparse"], "{label}");
        assert!(
            read(&root.join("sparse")) == sparse_content(),
            "{label}: content"
        );
    });
}

#[test]
fn a_pax_sparse_file_is_written_whole_under_its_real_name() {
    // GNU tar's default sparse format (PAX 1.0: GNU.sparse.name and a map
    // before the data), as Go's archive/tar reads it too.
    use std::os::unix::fs::MetadataExt as _;
    let tar = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sparse-pax.tar"
    ));
    for (label, options) in both_modes() {
        let dir = tempfile::tempdir().unwrap();
        ocikit_convert::apply_tar(dir.path(), &tar[..], &options)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(list(dir.path()), ["sparse"], "{label}");
        let path = dir.path().join("sparse");
        assert!(read(&path) == sparse_content(), "{label}: content");
        // The holes stay holes: two 4 KiB blocks of data, not 1 MiB.
        assert!(
            lstat(&path).blocks() * 512 < 64 * 1024,
            "{label}: {:?}",
            lstat(&path)
        );
    }
}

#[test]
fn an_unknown_entry_type_is_an_error_naming_the_entry() {
    for (label, options) in both_modes() {
        let dir = tempfile::tempdir().unwrap();
        let result =
            ocikit_convert::apply_tar(dir.path(), &tar_of([E::raw(b'Q', "odd")])[..], &options);
        let msg = expect_err_naming(result, "odd");
        eprintln!("{label}: {msg}");
    }
}

// Limits and reports.

#[test]
fn max_entries_counts_every_header_and_is_exact() {
    let tar = (0..10)
        .fold(Tar::new(), |t, i| t.add(E::file(format!("f{i}"), b"")))
        .finish();
    let at = |max_entries| ApplyOptions {
        limits: Limits {
            max_entries,
            ..Limits::none()
        },
        ..ApplyOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let report = ocikit_convert::apply_tar(dir.path(), &tar[..], &at(10)).unwrap();
    assert_eq!(report.entries, 10);
    let dir = tempfile::tempdir().unwrap();
    match ocikit_convert::apply_tar(dir.path(), &tar[..], &at(9)) {
        Err(Error::LimitExceeded {
            field: "max_entries",
            limit: 9,
            ..
        }) => {}
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

#[test]
fn max_bytes_counts_the_uncompressed_stream() {
    let tar = tar_of([E::file("f", vec![9u8; 10_000])]);
    let at = |max_bytes| ApplyOptions {
        limits: Limits {
            max_bytes,
            ..Limits::none()
        },
        ..ApplyOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let report = ocikit_convert::apply_tar(dir.path(), &tar[..], &at(tar.len() as u64)).unwrap();
    assert_eq!(report.uncompressed_bytes, tar.len() as u64);
    let dir = tempfile::tempdir().unwrap();
    match ocikit_convert::apply_tar(dir.path(), &tar[..], &at(5_000)) {
        Err(Error::LimitExceeded {
            field: "max_bytes", ..
        }) => {}
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

#[test]
fn apply_layer_checks_the_diff_id_and_reports_it() {
    use ocikit_layout::codec::Codec;
    let dir = tempfile::tempdir().unwrap();
    let layout = ocikit_layout::Layout::init(dir.path().join("l")).unwrap();
    for codec in [Codec::None, Codec::gzip(), Codec::zstd()] {
        let stored = layout.put_layer(&base()[..], codec).unwrap();
        let root = tempfile::tempdir().unwrap();
        let report = ocikit_convert::apply_layer(
            &layout,
            &stored.descriptor,
            Some(&stored.diff_id),
            root.path(),
            &ApplyOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{codec:?}: {e}"));
        assert_eq!(report.diff_id.as_ref(), Some(&stored.diff_id), "{codec:?}");
        assert_eq!(
            report.uncompressed_bytes, stored.uncompressed_size,
            "{codec:?}"
        );
        assert_eq!(read(&root.path().join("c/file3")), b"c3");
        // The DiffID of another layer: an error.
        let other = layout
            .put_layer(&tar_of([E::file("x", b"")])[..], Codec::None)
            .unwrap();
        let root = tempfile::tempdir().unwrap();
        let result = ocikit_convert::apply_layer(
            &layout,
            &stored.descriptor,
            Some(&other.diff_id),
            root.path(),
            &ApplyOptions::default(),
        );
        let msg = result.expect_err("a wrong DiffID was accepted").to_string();
        assert!(
            msg.contains(&other.diff_id.to_string()) || msg.contains(&stored.diff_id.to_string()),
            "{msg}"
        );
    }
}

#[test]
fn apply_layer_reads_past_the_end_of_archive_for_the_diff_id() {
    // GNU tar pads archives to 10 KiB records, so zeros follow the two end
    // blocks; the DiffID covers every byte of the stream, so apply must
    // read them all before checking it.
    use ocikit_layout::codec::Codec;
    let dir = tempfile::tempdir().unwrap();
    let layout = ocikit_layout::Layout::init(dir.path().join("l")).unwrap();
    let mut padded = base();
    padded.resize(padded.len().div_ceil(10240) * 10240 + 10240, 0);
    for codec in [Codec::None, Codec::gzip(), Codec::zstd()] {
        let stored = layout.put_layer(&padded[..], codec).unwrap();
        assert_eq!(stored.uncompressed_size, padded.len() as u64);
        let root = tempfile::tempdir().unwrap();
        let report = ocikit_convert::apply_layer(
            &layout,
            &stored.descriptor,
            Some(&stored.diff_id),
            root.path(),
            &ApplyOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{codec:?}: {e}"));
        assert_eq!(report.uncompressed_bytes, padded.len() as u64, "{codec:?}");
        assert_eq!(report.diff_id.as_ref(), Some(&stored.diff_id), "{codec:?}");
        assert_eq!(read(&root.path().join("c/file3")), b"c3");
    }
}

#[test]
fn a_root_that_is_missing_or_not_a_directory_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    for root in [&missing, &file] {
        let result = ocikit_convert::apply_tar(root, &base()[..], &ApplyOptions::default());
        let msg = result
            .expect_err("applied onto a non-directory")
            .to_string();
        assert!(msg.contains(&root.display().to_string()), "{msg}");
    }
    assert!(!exists(&missing), "the root is not created");
}

#[test]
fn every_rule_holds_for_an_unprivileged_user() {
    // The suite again as uid 65534: the rootless halves, with permissions
    // binding. Tests named "unprivileged" re-run themselves already.
    support::rerun_suite_as_nobody("the whiteout suite", "unprivileged");
}
