//! Hostile layers (docs/ARCHITECTURE.md, "Hostile input"; image-spec
//! layer.md, Changesets): crafted tars that try to create, change or delete
//! something outside the root by every route a tar offers: `..` and
//! absolute names, symlinks (lower ones and ones written earlier in the
//! same layer), hardlinks, whiteouts, a root entry that is not a directory,
//! pax and GNU headers that rename an entry, and malformed or oversized
//! streams. Every case runs in a [`Sandbox`] whose tree beside the root is
//! compared byte for byte (and change time for change time) after the
//! apply; the apply must then have failed naming the entry, or have written
//! inside the root, where the test says. Each case runs as root and
//! rootless, and the whole suite again as uid 65534.

#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::time::Duration;

use ocikit_convert::{Applied, ApplyOptions, Error, Limits, Result};
use ocikit_test_support::bounds;
use ocikit_test_support::bytes::show;
use ocikit_test_support::peers;
use support::rawtar::tar_of;
use support::{E, Sandbox, Tar, both_modes, exists, expect_err_naming, lstat, read};

/// Applies `tar` in a fresh sandbox (lower content from `prepare`), once as
/// root and once rootless, and hands each result to `check`.
fn each_mode(prepare: impl Fn(&Path), tar: &[u8], check: impl Fn(&str, &Sandbox, Result<Applied>)) {
    for (label, options) in both_modes() {
        let sandbox = Sandbox::with_root(&prepare);
        let result = sandbox.apply(tar, &options);
        check(label, &sandbox, result);
    }
}

/// The case where the layer must be refused: an error naming `entry`.
fn refused(tar: &[u8], entry: &str) {
    refused_over(|_| {}, tar, entry);
}

fn refused_over(prepare: impl Fn(&Path), tar: &[u8], entry: &str) {
    each_mode(prepare, tar, |label, _, result| {
        let msg = expect_err_naming(result, entry);
        eprintln!("{label}: refused as expected: {msg}");
    });
}

/// The case where either outcome is safe: an error naming `entry`, or a
/// success after which `inside` holds (it checks where the write landed).
fn inside_or_refused(
    prepare: impl Fn(&Path),
    tar: &[u8],
    entry: &str,
    inside: impl Fn(&str, &Sandbox),
) {
    each_mode(prepare, tar, |label, sandbox, result| match result {
        Ok(_) => inside(label, sandbox),
        Err(err) => {
            let msg = err.to_string();
            assert!(
                msg.contains(entry),
                "{label}: the error should name {entry:?}: {msg}"
            );
        }
    });
}

/// Runs `f` on another thread and fails the test when it takes longer than
/// 30 s (a symlink loop must not hang the apply).
fn within_time<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the apply did not finish within 30 s (a loop?)")
}

/// A file must be a regular file with `content`.
#[track_caller]
fn assert_file(path: &Path, content: &[u8]) {
    let meta = lstat(path);
    assert!(
        meta.is_file(),
        "{} should be a regular file: {meta:?}",
        path.display()
    );
    assert_eq!(read(path), content, "content of {}", path.display());
}

/// The sandbox's outside directory as an absolute path, with no leading
/// "/" (how it appears when re-rooted inside the root).
fn rerooted(sandbox: &Sandbox, rel: &str) -> std::path::PathBuf {
    let abs = sandbox.outside.join(rel);
    sandbox.root.join(abs.strip_prefix("/").unwrap())
}

// The crafter itself: GNU tar must read what it writes.

#[test]
fn the_crafter_writes_tars_gnu_tar_lists() {
    if !peers::require_tool("tar") {
        return;
    }
    let long = format!("{}/file", "d".repeat(150));
    let tar = Tar::new()
        .pax_global(&[("comment", b"ignored")])
        .add(E::dir("dir/").mtime(5))
        .add(E::file("dir/file", b"hello").mode(0o4755).owner(12, 34))
        .add(E::symlink("dir/link", "../x"))
        .add(E::hardlink("dir/hard", "dir/file"))
        .add(E::file(&long, b"long"))
        .add(E::file("xa", b"").xattr("user.k", b"v"))
        .gnu_long_name(format!("{}/gnu", "g".repeat(120)))
        .add(E::file("short", b"gnu"))
        .add(E::chardev("null", 1, 3))
        .add(E::fifo("pipe"))
        .finish();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.tar");
    std::fs::write(&path, &tar).unwrap();
    let out = peers::run(peers::command("tar").arg("-tvf").arg(&path));
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 9, "{out}"); // GNU tar does not list the global header
    assert!(
        lines[0].starts_with("drwxr-xr-x 0/0") && lines[0].ends_with("dir/"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("-rwsr-xr-x 12/34")
            && lines[1].ends_with(" 5 2009-02-13 23:31 dir/file"),
        "{out}"
    );
    assert!(lines[2].ends_with("dir/link -> ../x"), "{out}");
    assert!(lines[3].ends_with("dir/hard link to dir/file"), "{out}");
    assert!(lines[4].ends_with(&long), "{out}");
    assert!(
        lines[6].ends_with(&format!("{}/gnu", "g".repeat(120))),
        "{out}"
    );
    assert!(
        lines[7].starts_with("crw-rw-rw- 0/0") && lines[7].contains("1,3"),
        "{out}"
    );
    assert!(lines[8].starts_with("prw-r--r--"), "{out}");
    // The tar crate reads the same names, the xattr included.
    let mut archive = tar::Archive::new(&tar[..]);
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        names.push(String::from_utf8_lossy(&entry.path_bytes()).into_owned());
        if let Some(ext) = entry.pax_extensions().unwrap() {
            for record in ext {
                let record = record.unwrap();
                if record.key().unwrap().starts_with("SCHILY") {
                    assert_eq!(record.key().unwrap(), "SCHILY.xattr.user.k");
                    assert_eq!(record.value_bytes(), b"v");
                }
            }
        }
    }
    assert_eq!(names[0], "pax_global_header");
    assert_eq!(names[5], long);
    assert_eq!(names[7], format!("{}/gnu", "g".repeat(120)));
}

// Names with `..` and absolute names.

#[test]
fn a_name_climbing_out_with_dotdot_is_refused() {
    for name in [
        "../evil",
        "../victim",
        "../../evil",
        "a/../../evil",
        "./../x",
        "a/b/../../../x",
        "a/./../../outside/file",
    ] {
        let tar = tar_of([E::file(name, b"pwned")]);
        each_mode(
            |_| {},
            &tar,
            |label, sandbox, result| {
                let msg = expect_err_naming(result, name);
                assert!(msg.contains("leaves the root"), "{label}: {msg}");
                assert!(!exists(&sandbox.dir.path().join("evil")));
            },
        );
    }
}

#[test]
fn every_entry_type_climbing_out_is_refused() {
    let setup = |root: &Path| support::write_file(&root.join("f"), b"inside", 0o644);
    for entry in [
        E::dir("../evildir/"),
        E::symlink("../evillink", "/etc/passwd"),
        E::hardlink("../evilhard", "f"),
        E::fifo("../evilfifo"),
        E::chardev("../evilnull", 1, 3),
        E::file("../.wh.victim", b""),
        E::file("a/../../.wh..wh..opq", b""),
    ] {
        let name = String::from_utf8(entry.name.clone()).unwrap();
        refused_over(setup, &tar_of([entry]), name.trim_end_matches('/'));
    }
}

#[test]
fn an_absolute_name_lands_inside_the_root() {
    let tar = tar_of([
        E::file("/abs/file", b"abs"),
        E::file("//abs2//x", b"abs2"),
        E::dir("/absdir/"),
        E::symlink("/abs/link", "/etc/passwd"),
    ]);
    each_mode(
        |_| {},
        &tar,
        |label, sandbox, result| {
            result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_file(&sandbox.at("abs/file"), b"abs");
            assert_file(&sandbox.at("abs2/x"), b"abs2");
            assert!(lstat(&sandbox.at("absdir")).is_dir());
            assert_eq!(
                std::fs::read_link(sandbox.at("abs/link")).unwrap(),
                Path::new("/etc/passwd")
            );
            assert!(!Path::new("/abs/file").exists() && !Path::new("/abs2").exists());
        },
    );
}

#[test]
fn an_absolute_name_pointing_at_the_sandbox_lands_inside_the_root() {
    // The name is the absolute path of outside/file on the host.
    // Each sandbox has its own path, so the tar is built per mode.
    for (label, options) in both_modes() {
        let sandbox = Sandbox::new();
        let name = sandbox.outside.join("file");
        let tar = tar_of([E::file(name.to_str().unwrap(), b"pwned")]);
        sandbox
            .apply(&tar, &options)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_file(&rerooted(&sandbox, "file"), b"pwned");
    }
}

#[test]
fn dotdot_inside_the_root_is_cleaned_lexically() {
    let tar = tar_of([E::file("a/../b", b"b"), E::file("c/d/../../e", b"e")]);
    each_mode(
        |_| {},
        &tar,
        |label, sandbox, result| {
            result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_file(&sandbox.at("b"), b"b");
            assert_file(&sandbox.at("e"), b"e");
            assert!(
                !exists(&sandbox.at("a")),
                "{label}: a/../b must not create a/"
            );
            assert!(
                !exists(&sandbox.at("c")),
                "{label}: c/d/../../e must not create c/"
            );
        },
    );
}

// Symlinks used as parents: resolved inside the root (chroot semantics).

#[test]
fn a_symlink_to_dotdot_outside_used_as_a_parent_stays_inside() {
    let tar = tar_of([
        E::symlink("link", "../outside"),
        E::file("link/file", b"pwned"),
        E::file("link/dir/nested", b"pwned"),
    ]);
    inside_or_refused(
        |_| {},
        &tar,
        "link/",
        |label, sandbox| {
            assert_file(&sandbox.at("outside/file"), b"pwned");
            assert_file(&sandbox.at("outside/dir/nested"), b"pwned");
            assert_eq!(
                std::fs::read_link(sandbox.at("link")).unwrap(),
                Path::new("../outside"),
                "{label}: the symlink is stored verbatim"
            );
        },
    );
}

#[test]
fn a_lower_symlink_to_dotdot_outside_used_as_a_parent_stays_inside() {
    let prepare =
        |root: &Path| std::os::unix::fs::symlink("../outside", root.join("link")).unwrap();
    let tar = tar_of([
        E::file("link/file", b"pwned"),
        E::dir("link/dir/").mode(0o777),
    ]);
    inside_or_refused(prepare, &tar, "link/", |_, sandbox| {
        assert_file(&sandbox.at("outside/file"), b"pwned");
        assert!(lstat(&sandbox.at("outside/dir")).is_dir());
    });
}

#[test]
fn a_symlink_to_an_absolute_host_path_used_as_a_parent_stays_inside() {
    for (label, options) in both_modes() {
        let sandbox = Sandbox::new();
        let target = sandbox.outside.to_str().unwrap().to_owned();
        for (i, tar) in [
            tar_of([E::symlink("abs", &target), E::file("abs/file", b"pwned")]),
            tar_of([
                E::symlink("abs2", &target),
                E::file("abs2/dir/nested", b"pwned"),
            ]),
            tar_of([E::symlink("abs3", &target), E::file("abs3/link", b"pwned")]),
        ]
        .iter()
        .enumerate()
        {
            match sandbox.apply(tar, &options) {
                Ok(_) => {
                    let expect = ["file", "dir/nested", "link"][i];
                    assert_file(&rerooted(&sandbox, expect), b"pwned");
                }
                Err(err) => assert!(err.to_string().contains("abs"), "{label}: {err}"),
            }
        }
    }
}

#[test]
fn a_symlink_to_host_root_used_as_a_parent_stays_inside() {
    let tag = format!("oci-convert-hostile-{}", std::process::id());
    for (link, target) in [("hostroot", "/"), ("up", "../../../../../../../..")] {
        let name = format!("{link}/tmp/{tag}-{link}");
        let tar = tar_of([E::symlink(link, target), E::file(&name, b"pwned")]);
        inside_or_refused(
            |_| {},
            &tar,
            &name,
            |_, sandbox| {
                assert_file(&sandbox.at(&format!("tmp/{tag}-{link}")), b"pwned");
            },
        );
        assert!(!Path::new("/tmp").join(format!("{tag}-{link}")).exists());
    }
}

#[test]
fn a_chain_of_symlinks_used_as_a_parent_stays_inside() {
    let tar = tar_of([
        E::symlink("a", "b"),
        E::symlink("b", "sub/c"),
        E::dir("sub/"),
        E::symlink("sub/c", "../../../outside"),
        E::file("a/file", b"pwned"),
    ]);
    inside_or_refused(
        |_| {},
        &tar,
        "a/file",
        |_, sandbox| {
            assert_file(&sandbox.at("outside/file"), b"pwned");
        },
    );
}

#[test]
fn a_symlink_to_dotdots_used_as_a_parent_stays_inside() {
    let tar = tar_of([
        E::dir("d/"),
        E::symlink("d/x", "../../.."),
        E::file("d/x/victim", b"pwned"),
    ]);
    inside_or_refused(
        |_| {},
        &tar,
        "d/x/victim",
        |_, sandbox| {
            assert_file(&sandbox.at("victim"), b"pwned");
        },
    );
}

#[test]
fn a_symlink_loop_used_as_a_parent_is_an_error_not_a_hang() {
    for tar in [
        tar_of([
            E::symlink("l1", "l2"),
            E::symlink("l2", "l1"),
            E::file("l1/file", b"x"),
        ]),
        tar_of([E::symlink("self", "self"), E::file("self/file", b"x")]),
        tar_of([E::symlink("deep", "deep/deep"), E::file("deep/x/y", b"x")]),
    ] {
        for (label, options) in both_modes() {
            let sandbox = Sandbox::new();
            let root = sandbox.root.clone();
            let tar2 = tar.clone();
            let result = within_time(move || ocikit_convert::apply_tar(&root, &tar2[..], &options));
            sandbox.check();
            let err = result.expect_err(label).to_string();
            assert!(
                err.contains("l1/file") || err.contains("self/file") || err.contains("deep/x/y"),
                "{label}: {err}"
            );
        }
    }
}

// The last component is never followed.

#[test]
fn a_file_over_a_symlink_pointing_outside_replaces_the_symlink() {
    for (label, options) in both_modes() {
        let sandbox = Sandbox::new();
        let abs = sandbox.outside.join("file");
        let tar = tar_of([
            E::symlink("rel", "../outside/file"),
            E::symlink("abs", abs.to_str().unwrap()),
            E::file("rel", b"pwned-rel").mode(0o777),
            E::file("abs", b"pwned-abs").owner(1234, 1234),
        ]);
        sandbox
            .apply(&tar, &options)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_file(&sandbox.at("rel"), b"pwned-rel");
        assert_file(&sandbox.at("abs"), b"pwned-abs");
    }
}

#[test]
fn a_file_over_a_lower_symlink_pointing_outside_replaces_the_symlink() {
    let prepare = |root: &Path| {
        std::os::unix::fs::symlink("../outside/file", root.join("f")).unwrap();
        std::os::unix::fs::symlink("../../outside/empty", root.join("g")).unwrap();
        std::os::unix::fs::symlink("../outside/dir/nested", root.join("h")).unwrap();
    };
    let tar = tar_of([E::file("f", b"pwned"), E::fifo("g"), E::hardlink("h", "f")]);
    each_mode(prepare, &tar, |label, sandbox, result| {
        result.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_file(&sandbox.at("f"), b"pwned");
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(
            &lstat(&sandbox.at("g")).file_type()
        ));
        assert_eq!(lstat(&sandbox.at("h")).ino(), lstat(&sandbox.at("f")).ino());
    });
}

#[test]
fn a_directory_over_a_symlink_pointing_outside_replaces_it_and_chmods_nothing_outside() {
    // Same layer and lower layer, relative and absolute targets: the mode,
    // owner and times of the directory entry must land on a new directory.
    for (label, options) in both_modes() {
        let sandbox = Sandbox::with_root(|root| {
            std::os::unix::fs::symlink("../outside/dir", root.join("lower")).unwrap();
        });
        let abs = sandbox.outside.join("dir");
        let tar = tar_of([
            E::symlink("same", "../outside/dir"),
            E::symlink("sameabs", abs.to_str().unwrap()),
            E::dir("lower/").mode(0o700).owner(4321, 4321).mtime(42),
            E::dir("same/").mode(0o1777).mtime(43),
            E::dir("sameabs/").mode(0o700).owner(7, 7).mtime(44),
        ]);
        sandbox
            .apply(&tar, &options)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        for (name, mode, mtime) in [
            ("lower", 0o700, 42),
            ("same", 0o1777, 43),
            ("sameabs", 0o700, 44),
        ] {
            let meta = lstat(&sandbox.at(name));
            assert!(meta.is_dir(), "{label}: {name} should now be a directory");
            assert_eq!(meta.mode() & 0o7777, mode, "{label}: {name}");
            assert_eq!(meta.mtime(), mtime, "{label}: {name}");
        }
    }
}

#[test]
fn a_symlink_entry_never_changes_its_target() {
    // A symlink's mode, owner, xattrs and times must not reach the target.
    for (label, options) in both_modes() {
        let sandbox = Sandbox::new();
        let abs = sandbox.outside.join("file");
        let tar = tar_of([
            E::symlink("s1", "../outside/file")
                .mode(0o600)
                .owner(99, 99)
                .mtime(5),
            E::symlink("s2", abs.to_str().unwrap())
                .mode(0o4777)
                .mtime(6)
                .xattr("user.evil", b"1"),
            E::symlink("s3", "../outside/dir").xattr("trusted.evil", b"1"),
        ]);
        match sandbox.apply(&tar, &options) {
            Ok(_) => {
                for name in ["s1", "s2", "s3"] {
                    assert!(
                        lstat(&sandbox.at(name)).file_type().is_symlink(),
                        "{label}: {name}"
                    );
                }
            }
            Err(err) => assert!(
                err.to_string().contains("s2") || err.to_string().contains("s3"),
                "{label}: {err}"
            ),
        }
    }
}

#[test]
fn xattrs_on_an_entry_replacing_a_symlink_land_on_the_new_file() {
    let prepare = |root: &Path| {
        std::os::unix::fs::symlink("../outside/file", root.join("f")).unwrap();
        std::os::unix::fs::symlink("../outside/dir", root.join("d")).unwrap();
    };
    let tar = tar_of([
        E::file("f", b"new").xattr("user.evil", b"1"),
        E::dir("d/").xattr("user.evil", b"2"),
    ]);
    each_mode(prepare, &tar, |label, sandbox, result| {
        result.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(
            support::xattr(&sandbox.at("f"), "user.evil").as_deref(),
            Some(&b"1"[..])
        );
        assert_eq!(
            support::xattr(&sandbox.at("d"), "user.evil").as_deref(),
            Some(&b"2"[..])
        );
    });
}

#[test]
fn directory_times_are_not_set_through_a_symlink_that_replaced_the_directory() {
    // Directory times are set at the end of the layer; by then the
    // directory may have been replaced by a symlink pointing outside.
    for (label, options) in both_modes() {
        let sandbox = Sandbox::new();
        let abs = sandbox.outside.join("dir");
        let tar = tar_of([
            E::dir("d/").mtime(7).mode(0o700),
            E::dir("e/").mtime(8).mode(0o700),
            E::symlink("d", "../outside/dir"),
            E::symlink("e", abs.to_str().unwrap()),
        ]);
        sandbox
            .apply(&tar, &options)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        for name in ["d", "e"] {
            assert!(
                lstat(&sandbox.at(name)).file_type().is_symlink(),
                "{label}: {name}"
            );
        }
    }
}

// Hardlinks.

#[test]
fn a_hardlink_to_a_target_outside_with_dotdot_is_refused() {
    for target in [
        "../outside/file",
        "../victim",
        "a/../../victim",
        "./../outside/dir/nested",
    ] {
        let tar = tar_of([E::file("a", b"x"), E::hardlink("hl", target)]);
        refused(&tar, "hl");
    }
}

#[test]
fn a_hardlink_to_an_absolute_host_path_resolves_inside_the_root() {
    // The target does not exist inside the root: an error, never a link to
    // the host's file.
    for (label, options) in both_modes() {
        let sandbox = Sandbox::new();
        let abs = sandbox.outside.join("file");
        for target in [abs.to_str().unwrap(), "/etc/passwd"] {
            let tar = tar_of([E::hardlink("hl", target)]);
            let msg = expect_err_naming(sandbox.apply(&tar, &options), "hl");
            eprintln!("{label}: {msg}");
            assert!(!exists(&sandbox.at("hl")));
        }
    }
    // And when it exists inside the root, the link is to that file.
    let tar = tar_of([
        E::dir("etc/"),
        E::file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
        E::hardlink("hl", "/etc/passwd"),
    ]);
    each_mode(
        |_| {},
        &tar,
        |label, sandbox, result| {
            result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(
                lstat(&sandbox.at("hl")).ino(),
                lstat(&sandbox.at("etc/passwd")).ino()
            );
            assert_ne!(
                lstat(&sandbox.at("hl")).ino(),
                lstat(Path::new("/etc/passwd")).ino()
            );
        },
    );
}

#[test]
fn a_hardlink_through_a_symlinked_parent_pointing_outside_stays_inside() {
    for (label, options) in both_modes() {
        let sandbox = Sandbox::new();
        let abs = sandbox.outside.to_str().unwrap().to_owned();
        for (i, tar) in [
            tar_of([E::symlink("l", "../outside"), E::hardlink("hl", "l/file")]),
            tar_of([E::symlink("m", &abs), E::hardlink("hm", "m/file")]),
            // The link's own parent is the symlink.
            tar_of([
                E::file("inside", b"inside"),
                E::symlink("n", "../outside"),
                E::hardlink("n/hn", "inside"),
            ]),
        ]
        .iter()
        .enumerate()
        {
            let name = ["hl", "hm", "n/hn"][i];
            match sandbox.apply(tar, &options) {
                Ok(_) => {
                    // Only the third can succeed: the link lands in
                    // root/outside/, linked to root/inside.
                    assert_eq!(i, 2, "{label}: {name} has no target inside the root");
                    assert_eq!(
                        lstat(&sandbox.at("outside/hn")).ino(),
                        lstat(&sandbox.at("inside")).ino()
                    );
                }
                Err(err) => assert!(err.to_string().contains(name), "{label}: {err}"),
            }
        }
    }
}

#[test]
fn a_hardlink_to_a_directory_is_refused() {
    refused(&tar_of([E::dir("d/"), E::hardlink("hl", "d")]), "hl");
    refused(&tar_of([E::dir("d/"), E::hardlink("hl", "d/")]), "hl");
    refused(&tar_of([E::hardlink("hl", ".")]), "hl");
    refused(&tar_of([E::hardlink("hl", "/")]), "hl");
    // A symlink to a directory resolved as a hardlink target: a link to
    // the symlink itself is harmless, a link to the directory is refused.
    let tar = tar_of([E::dir("d/"), E::symlink("s", "d"), E::hardlink("hl", "s")]);
    inside_or_refused(
        |_| {},
        &tar,
        "hl",
        |label, sandbox| {
            assert!(lstat(&sandbox.at("hl")).file_type().is_symlink(), "{label}");
        },
    );
}

#[test]
fn a_hardlink_to_a_missing_target_is_refused() {
    refused(&tar_of([E::hardlink("hl", "nothere")]), "hl");
    refused(&tar_of([E::hardlink("hl", "hl")]), "hl");
    // A dangling symlink as the target's parent.
    refused(
        &tar_of([E::symlink("dang", "nowhere"), E::hardlink("hl", "dang/x")]),
        "hl",
    );
}

#[test]
fn a_hardlink_to_a_symlink_pointing_outside_links_the_symlink_itself() {
    let tar = tar_of([E::symlink("s", "../outside/file"), E::hardlink("hl", "s")]);
    inside_or_refused(
        |_| {},
        &tar,
        "hl",
        |label, sandbox| {
            let meta = lstat(&sandbox.at("hl"));
            assert!(
                meta.file_type().is_symlink(),
                "{label}: hl should be the symlink"
            );
            assert_eq!(meta.ino(), lstat(&sandbox.at("s")).ino());
        },
    );
}

// Whiteouts.

#[test]
fn a_whiteout_under_a_symlink_pointing_outside_deletes_nothing_outside() {
    for (label, options) in both_modes() {
        let sandbox = Sandbox::with_root(|root| {
            std::os::unix::fs::symlink("../outside", root.join("rel")).unwrap();
        });
        let abs = sandbox.outside.to_str().unwrap().to_owned();
        std::os::unix::fs::symlink(&abs, sandbox.at("abs")).unwrap();
        let tars = [
            tar_of([E::file("rel/.wh.file", b"")]),
            tar_of([E::file("abs/.wh.file", b"")]),
            tar_of([E::file("rel/.wh.dir", b"")]),
            tar_of([E::file("abs/dir/.wh.nested", b"")]),
            tar_of([E::file("rel/.wh..wh..opq", b"")]),
            tar_of([E::file("abs/.wh..wh..opq", b"")]),
            tar_of([
                E::symlink("same", "../outside"),
                E::file("same/.wh.file", b""),
            ]),
            tar_of([
                E::symlink("same2", &abs),
                E::file("same2/.wh..wh..opq", b""),
            ]),
        ];
        for tar in &tars {
            if let Err(err) = sandbox.apply(tar, &options) {
                assert!(err.to_string().contains(".wh."), "{label}: {err}");
            }
        }
        assert!(support::whiteout_files(&sandbox.root).is_empty());
    }
}

#[test]
fn a_whiteout_of_a_symlink_pointing_outside_removes_only_the_symlink() {
    let prepare = |root: &Path| {
        std::os::unix::fs::symlink("../outside", root.join("l")).unwrap();
        std::os::unix::fs::symlink("../outside/file", root.join("f")).unwrap();
    };
    let tar = tar_of([E::file(".wh.l", b""), E::file(".wh.f", b"")]);
    each_mode(prepare, &tar, |label, sandbox, result| {
        result.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(
            !exists(&sandbox.at("l")) && !exists(&sandbox.at("f")),
            "{label}"
        );
    });
}

#[test]
fn a_whiteout_without_a_name_or_naming_dot_or_dotdot_is_refused() {
    for name in [".wh.", ".wh..", ".wh...", "a/.wh..", "a/.wh...", "a/.wh."] {
        let prepare = |root: &Path| {
            std::fs::create_dir(root.join("a")).unwrap();
            support::write_file(&root.join("a/keep"), b"keep", 0o644);
        };
        each_mode(
            prepare,
            &tar_of([E::file(name, b"")]),
            |label, sandbox, result| {
                expect_err_naming(result, name);
                assert_file(&sandbox.at("a/keep"), b"keep");
                let _ = label;
            },
        );
    }
}

#[test]
fn a_whiteout_climbing_out_is_refused() {
    for name in [
        "../.wh.victim",
        "../outside/.wh.file",
        "a/../../.wh.outside",
    ] {
        refused(&tar_of([E::file(name, b"")]), name);
    }
}

// The root entry.

#[test]
fn a_root_entry_that_is_not_a_directory_is_refused() {
    for name in ["./", ".", "/", ""] {
        for entry in [
            E::symlink(name, "../outside"),
            E::file(name, b"not a dir"),
            E::hardlink(name, "x"),
            E::fifo(name),
        ] {
            let tar = Tar::new()
                .add(entry)
                .add(E::file("./file", b"pwned"))
                .finish();
            each_mode(
                |_| {},
                &tar,
                |label, sandbox, result| {
                    assert!(result.is_err(), "{label}: root entry {name:?} accepted");
                    assert!(lstat(&sandbox.root).is_dir(), "{label}");
                },
            );
        }
    }
}

#[test]
fn a_root_entry_that_is_a_directory_is_accepted() {
    let tar = tar_of([E::dir("./").mode(0o755), E::file("./file", b"ok")]);
    each_mode(
        |_| {},
        &tar,
        |label, sandbox, result| {
            result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_file(&sandbox.at("file"), b"ok");
        },
    );
}

// Devices through a symlinked parent.

#[test]
fn a_device_under_a_symlink_pointing_outside_stays_inside() {
    let tar = tar_of([
        E::symlink("l", "../outside"),
        E::chardev("l/null", 1, 3),
        E::blockdev("l/dir/loop", 7, 0),
        E::fifo("l/fifo"),
    ]);
    inside_or_refused(
        |_| {},
        &tar,
        "l/",
        |label, sandbox| {
            assert!(exists(&sandbox.at("outside/fifo")), "{label}");
            if label == "as root" {
                assert!(exists(&sandbox.at("outside/null")), "{label}");
                assert!(exists(&sandbox.at("outside/dir/loop")), "{label}");
            }
        },
    );
}

// Headers that rename an entry.

#[test]
fn a_pax_path_climbing_out_is_refused_whatever_the_ustar_name() {
    let tar = tar_of([E::file("harmless", b"pwned").pax("path", "../evil")]);
    refused(&tar, "../evil");
    let tar = tar_of([E::dir("harmless/").pax("path", "a/../../evil")]);
    refused(&tar, "a/../../evil");
    let tar = tar_of([E::file("harmless", b"pwned").pax("path", "/../../evil")]);
    inside_or_refused(
        |_| {},
        &tar,
        "evil",
        |label, sandbox| {
            assert_file(&sandbox.at("evil"), b"pwned");
            assert!(!exists(&sandbox.at("harmless")), "{label}");
        },
    );
}

#[test]
fn a_pax_linkpath_climbing_out_is_refused() {
    let tar = tar_of([
        E::file("f", b"x"),
        E::hardlink("hl", "f").pax("linkpath", "../outside/file"),
    ]);
    refused(&tar, "hl");
    // A symlink's target is stored verbatim, even a hostile one.
    let tar = tar_of([E::symlink("s", "harmless").pax("linkpath", "../../../../etc/shadow")]);
    each_mode(
        |_| {},
        &tar,
        |label, sandbox, result| {
            result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(
                std::fs::read_link(sandbox.at("s")).unwrap(),
                Path::new("../../../../etc/shadow")
            );
        },
    );
}

#[test]
fn a_gnu_long_name_climbing_out_is_refused() {
    let tar = Tar::new()
        .gnu_long_name("../gnu-evil")
        .add(E::file("harmless", b"pwned"))
        .finish();
    refused(&tar, "../gnu-evil");
    let long = format!("{}{}", "a/".repeat(60), "../".repeat(62)) + "gnu-evil";
    let tar = Tar::new()
        .gnu_long_name(&long)
        .add(E::file("harmless", b"pwned"))
        .finish();
    refused(&tar, "gnu-evil");
    let tar = Tar::new()
        .add(E::file("f", b"x"))
        .gnu_long_link("../outside/file")
        .add(E::hardlink("hl", "f"))
        .finish();
    refused(&tar, "hl");
}

#[test]
fn a_long_pax_name_with_dotdot_in_the_middle_is_cleaned_or_refused() {
    let long = format!("{}{}", "d/".repeat(80), "../".repeat(80)) + "x";
    let tar = tar_of([E::file(&long, b"x")]);
    inside_or_refused(
        |_| {},
        &tar,
        "x",
        |_, sandbox| {
            assert_file(&sandbox.at("x"), b"x");
        },
    );
}

#[test]
fn a_global_pax_header_is_ignored_even_when_it_names_a_path() {
    let tar = Tar::new()
        .pax_global(&[("path", b"../evil"), ("linkpath", b"../outside/file")])
        .add(E::file("file", b"ok"))
        .add(E::hardlink("hl", "file"))
        .finish();
    each_mode(
        |_| {},
        &tar,
        |label, sandbox, result| {
            result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_file(&sandbox.at("file"), b"ok");
            assert_eq!(
                lstat(&sandbox.at("hl")).ino(),
                lstat(&sandbox.at("file")).ino()
            );
            assert_eq!(support::list(&sandbox.root), ["file", "hl"], "{label}");
        },
    );
}

#[test]
fn a_name_with_a_nul_byte_is_refused_or_cut() {
    // In a pax record the NUL is part of the value: refuse or cut there.
    let tar = tar_of([E::file("harmless", b"x").pax("path", b"a\0/../../../evil")]);
    inside_or_refused(
        |_| {},
        &tar,
        "a",
        |label, sandbox| {
            assert_eq!(support::list(&sandbox.root), ["a"], "{label}");
        },
    );
    // In the ustar field a NUL ends the name.
    let tar = tar_of([E::file(b"cut\0/../../evil", b"x")]);
    inside_or_refused(
        |_| {},
        &tar,
        "cut",
        |label, sandbox| {
            assert_eq!(support::list(&sandbox.root), ["cut"], "{label}");
        },
    );
}

// Malformed streams.

#[test]
fn an_unknown_entry_type_is_refused() {
    for kind in [b'Z', b'9', b'A', 0xff] {
        let tar = tar_of([E::raw(kind, "strange")]);
        refused(&tar, "strange");
    }
}

#[test]
fn a_truncated_stream_is_an_error() {
    let full = tar_of([E::file("a", b"first"), E::file("b", vec![7u8; 3000])]);
    for cut in [600, 1024 + 300, 1024 + 512 + 100, 1024 + 512 + 3000] {
        let tar = &full[..cut];
        each_mode(
            |_| {},
            tar,
            |label, _, result| {
                assert!(result.is_err(), "{label}: a tar cut at {cut} was accepted");
            },
        );
    }
}

#[test]
fn a_header_with_a_bad_checksum_is_an_error() {
    let mut tar = tar_of([E::file("a", b"x")]);
    tar[148] = b'7';
    each_mode(
        |_| {},
        &tar,
        |label, sandbox, result| {
            assert!(result.is_err(), "{label}");
            assert!(!exists(&sandbox.at("a")));
        },
    );
}

#[test]
fn a_huge_size_field_is_an_error_without_a_huge_allocation() {
    for size in [0o77777777777, 1 << 40, 1 << 62] {
        let tar = Tar::new()
            .add(E::file("big", b"tiny").size(size))
            .unfinished();
        for (label, options) in both_modes() {
            let sandbox = Sandbox::new();
            let root = sandbox.root.clone();
            let tar = tar.clone();
            let result = within_time(move || ocikit_convert::apply_tar(&root, &tar[..], &options));
            sandbox.check();
            assert!(result.is_err(), "{label}: size {size} accepted");
            // Only the 512 bytes of the stream can have been written.
            if let Ok(meta) = std::fs::symlink_metadata(sandbox.at("big")) {
                assert!(meta.len() <= 512, "{label}: {} bytes written", meta.len());
            }
        }
    }
    // A pax size record overriding the header's: the stream then is short.
    let tar = Tar::new()
        .add(E::file("big", b"tiny").pax("size", "1099511627776"))
        .finish();
    each_mode(
        |_| {},
        &tar,
        |label, _, result| {
            assert!(
                result.is_err(),
                "{label}: a pax size past the end was accepted"
            );
        },
    );
}

// Resource limits.

fn with_limits(limits: Limits) -> Vec<(&'static str, ApplyOptions)> {
    both_modes()
        .into_iter()
        .map(|(label, options)| (label, ApplyOptions { limits, ..options }))
        .collect()
}

#[test]
fn too_many_entries_stop_the_apply() {
    let tar = (0..500)
        .fold(Tar::new(), |t, i| t.add(E::file(format!("f{i}"), b"")))
        .finish();
    let limits = Limits {
        max_entries: 100,
        ..Limits::none()
    };
    for (label, options) in with_limits(limits) {
        let sandbox = Sandbox::new();
        match sandbox.apply(&tar, &options) {
            Err(Error::LimitExceeded { field, limit, .. }) => {
                assert_eq!((field, limit), ("max_entries", 100), "{label}");
            }
            other => panic!("{label}: expected LimitExceeded, got {other:?}"),
        }
        assert!(support::list(&sandbox.root).len() <= 100, "{label}");
    }
}

#[test]
fn too_many_bytes_stop_the_apply() {
    let tar = tar_of([
        E::file("a", vec![1u8; 64 << 10]),
        E::file("b", vec![2u8; 64 << 10]),
    ]);
    let limits = Limits {
        max_bytes: 80 << 10,
        ..Limits::none()
    };
    for (label, options) in with_limits(limits) {
        let sandbox = Sandbox::new();
        match sandbox.apply(&tar, &options) {
            Err(Error::LimitExceeded { field, .. }) => assert_eq!(field, "max_bytes", "{label}"),
            other => panic!("{label}: expected LimitExceeded, got {other:?}"),
        }
    }
}

#[test]
fn a_compression_bomb_stops_at_the_expansion_ratio() {
    use ocikit_layout::codec::Codec;
    let layout_dir = tempfile::tempdir().unwrap();
    let layout = ocikit_layout::Layout::init(layout_dir.path().join("l")).unwrap();
    let tar = tar_of([E::file("zeros", vec![0u8; 32 << 20])]);
    for codec in [Codec::gzip(), Codec::zstd()] {
        let stored = layout.put_layer(&tar[..], codec).unwrap();
        assert!(
            stored.descriptor.size < (32 << 20) / 200,
            "the bomb compresses well"
        );
        let limits = Limits {
            max_expansion_ratio: 50,
            ratio_grace_bytes: 1 << 20,
            ..Limits::none()
        };
        for (label, options) in with_limits(limits) {
            let sandbox = Sandbox::new();
            let result = ocikit_convert::apply_layer(
                &layout,
                &stored.descriptor,
                Some(&stored.diff_id),
                &sandbox.root,
                &options,
            );
            sandbox.check();
            match result {
                Err(Error::LimitExceeded { field, .. }) => {
                    assert_eq!(field, "max_expansion_ratio", "{label}");
                }
                Err(Error::InLayer { source, .. })
                    if matches!(
                        *source,
                        Error::LimitExceeded {
                            field: "max_expansion_ratio",
                            ..
                        }
                    ) => {}
                other => panic!("{label}, {codec:?}: expected LimitExceeded, got {other:?}"),
            }
        }
        // Without limits the same layer applies: the limit, not the layer,
        // stopped it.
        let options = ApplyOptions {
            limits: Limits::none(),
            ..ApplyOptions::default()
        };
        let sandbox = Sandbox::new();
        ocikit_convert::apply_layer(
            &layout,
            &stored.descriptor,
            Some(&stored.diff_id),
            &sandbox.root,
            &options,
        )
        .unwrap();
        assert_eq!(lstat(&sandbox.at("zeros")).len(), 32 << 20);
    }
}

#[test]
fn oversized_pax_and_gnu_headers_are_refused() {
    // A header's metadata is held in memory: a pax header or GNU long name
    // of 8 MiB must hit Limits::max_header_bytes, not the allocator.
    let big = vec![b'a'; 8 << 20];
    let pax = Tar::new()
        .add(E::file("f", b"x").pax("comment", &big))
        .finish();
    let gnu = Tar::new()
        .gnu_long_name(&big)
        .add(E::file("g", b"x"))
        .finish();
    for tar in [pax, gnu] {
        for (label, options) in both_modes() {
            let sandbox = Sandbox::new();
            match sandbox.apply(&tar, &options) {
                Err(Error::LimitExceeded { field, .. }) => {
                    assert_eq!(field, "max_header_bytes", "{label}");
                }
                other => panic!("{label}: expected LimitExceeded, got {other:?}"),
            }
            assert!(support::list(&sandbox.root).is_empty(), "{label}");
        }
    }
}

#[test]
fn overlayfs_whiteouts_under_a_symlink_pointing_outside_change_nothing_outside() {
    // In overlayfs form a whiteout is a device node and an opaque
    // directory an xattr: neither may be made through a symlink.
    for (label, base) in both_modes() {
        let options = ApplyOptions {
            whiteouts: ocikit_convert::WhiteoutMode::Overlayfs,
            ..base
        };
        let sandbox = Sandbox::with_root(|root| {
            std::os::unix::fs::symlink("../outside", root.join("rel")).unwrap();
            std::os::unix::fs::symlink("../outside/dir", root.join("reldir")).unwrap();
        });
        let abs = sandbox.outside.to_str().unwrap().to_owned();
        std::os::unix::fs::symlink(&abs, sandbox.at("abs")).unwrap();
        for tar in [
            tar_of([E::file("rel/.wh.file", b"")]),
            tar_of([E::file("abs/.wh.file", b"")]),
            tar_of([E::file("rel/.wh..wh..opq", b"")]),
            tar_of([E::file("abs/.wh..wh..opq", b"")]),
            tar_of([E::file("reldir/.wh..wh..opq", b"")]),
            tar_of([E::file("abs/dir/.wh.nested", b"")]),
            tar_of([
                E::symlink("same", "../outside/dir"),
                E::file("same/.wh..wh..opq", b""),
            ]),
        ] {
            if let Err(err) = sandbox.apply(&tar, &options) {
                assert!(err.to_string().contains(".wh."), "{label}: {err}");
            }
        }
        // And the opaque xattr is never set on the symlink's target (the
        // sandbox check covers xattrs; this names the attack).
        for name in ["trusted.overlay.opaque", "user.overlay.opaque"] {
            assert_eq!(support::xattr(&sandbox.outside, name), None, "{label}");
            assert_eq!(
                support::xattr(&sandbox.outside.join("dir"), name),
                None,
                "{label}"
            );
        }
    }
}

#[test]
fn symlinks_and_hardlinks_named_under_a_symlink_pointing_outside_stay_inside() {
    let tar = tar_of([
        E::file("target", b"t"),
        E::symlink("l", "../outside"),
        E::symlink("l/newlink", "/etc/passwd"),
        E::symlink("l/link", "replaced"),
        E::hardlink("l/dir/nested", "target"),
    ]);
    inside_or_refused(
        |_| {},
        &tar,
        "l/",
        |label, sandbox| {
            assert_eq!(
                std::fs::read_link(sandbox.at("outside/newlink")).unwrap(),
                Path::new("/etc/passwd"),
                "{label}"
            );
            assert_eq!(
                lstat(&sandbox.at("outside/dir/nested")).ino(),
                lstat(&sandbox.at("target")).ino(),
                "{label}"
            );
        },
    );
}

#[test]
fn the_sandbox_sees_every_kind_of_change_outside() {
    // The sentinel must be able to fail: each of these changes, made by
    // hand, has to be reported.
    type Change = (&'static str, fn(&Sandbox));
    let changes: [Change; 8] = [
        ("a new file beside the root", |s| {
            std::fs::write(s.dir.path().join("evil"), b"").unwrap()
        }),
        ("a chmod to the same mode", |s| {
            support::set_mode(&s.outside.join("file"), 0o640)
        }),
        ("a rewrite with the same content", |s| {
            std::fs::write(s.outside.join("file"), b"outside file\n").unwrap()
        }),
        ("an xattr", |s| {
            rustix::fs::setxattr(
                s.outside.join("dir"),
                "user.x",
                b"1",
                rustix::fs::XattrFlags::empty(),
            )
            .unwrap()
        }),
        ("a removed file", |s| {
            std::fs::remove_file(s.outside.join("dir/nested")).unwrap()
        }),
        ("a retargeted symlink", |s| {
            std::fs::remove_file(s.outside.join("link")).unwrap();
            std::os::unix::fs::symlink("empty", s.outside.join("link")).unwrap();
        }),
        ("a new hard link", |s| {
            std::fs::hard_link(s.outside.join("file"), s.dir.path().join("root/hl")).unwrap()
        }),
        ("a changed time", |s| {
            support::set_mtime(&s.outside.join("empty"), 1_000_000_000)
        }),
    ];
    for (what, change) in changes {
        let sandbox = Sandbox::new();
        change(&sandbox);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sandbox.check()));
        assert!(caught.is_err(), "the sandbox did not see {what}");
    }
    Sandbox::new().check();
}

#[test]
fn a_fifo_in_the_way_is_never_opened() {
    // Opening a FIFO blocks until a writer comes: every way a layer can
    // make the apply meet one must replace or refuse it, within time.
    let prepare = |root: &Path| {
        for name in ["p", "q", "r", "s", "t"] {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                root.join(name),
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o644),
                0,
            )
            .unwrap();
        }
    };
    let tar = tar_of([
        E::file("p", b"file over a fifo"),
        E::dir("q/"),
        E::file("r/child", b"a fifo as a parent"),
        E::file("s/.wh..wh..opq", b""),
        E::hardlink("t2", "t"),
        E::fifo("u").xattr("user.x", b"1"),
    ]);
    for (label, options) in both_modes() {
        let sandbox = Sandbox::with_root(prepare);
        let root = sandbox.root.clone();
        let tar = tar.clone();
        let result = within_time(move || ocikit_convert::apply_tar(&root, &tar[..], &options));
        sandbox.check();
        result.unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_file(&sandbox.at("p"), b"file over a fifo");
        assert!(lstat(&sandbox.at("q")).is_dir(), "{label}");
        assert_file(&sandbox.at("r/child"), b"a fifo as a parent");
        assert_eq!(
            lstat(&sandbox.at("t2")).ino(),
            lstat(&sandbox.at("t")).ino()
        );
    }
}

#[test]
fn odd_xattr_names_and_values_fail_cleanly() {
    for entry in [
        E::file("empty-name", b"").pax("SCHILY.xattr.", b"v"),
        E::file("no-namespace", b"").xattr("plain", b"v"),
        E::file("too-big", b"").xattr("user.big", vec![b'x'; 70_000]),
        E::file("nul-name", b"").pax(b"SCHILY.xattr.user.a\0b", b"v"),
    ] {
        let name = String::from_utf8(entry.name.clone()).unwrap();
        let tar = tar_of([entry]);
        each_mode(
            |_| {},
            &tar,
            |label, sandbox, result| match result {
                Ok(_) => assert!(exists(&sandbox.at(&name)), "{label}"),
                Err(err) => {
                    let msg = err.to_string();
                    assert!(
                        msg.contains(&name),
                        "{label}: the error should name {name:?}: {msg}"
                    );
                }
            },
        );
    }
}

// Malformed pax records and corrupted headers.

#[test]
fn malformed_pax_records_fail_cleanly() {
    let raw = |record: &[u8]| {
        let tar = Tar::new().add(E {
            data: record.to_vec(),
            ..E::raw(b'x', "././@PaxHeader")
        });
        tar.add(E::file("plain", b"p")).finish()
    };
    for record in [
        &b"0 path=../evil\n"[..],
        b"5 path=../evil\n",
        b"99999 path=../evil\n",
        b"abc path=../evil\n",
        b"17 path../evil\n",
        b"16 path=../evil",
        b"-16 path=../evil\n",
        b"+16 path=../evil\n",
        b"18446744073709551616 path=../evil\n",
        b"18446744073709551615 path=../evil\n",
        b" 16 path=../evil\n",
        b"16 path=../evil\n16 path=../evil\n",
        b"15 path=../evil\n", // one short
        b"17 path=../evil\n", // one long
        b"\n",
        b"",
        b"8 =..\n\n",
        b"25 SCHILY.xattr.=value\n",
    ] {
        let tar = raw(record);
        for (label, options) in both_modes() {
            let sandbox = Sandbox::new();
            let root = sandbox.root.clone();
            let tar = tar.clone();
            let result = within_time(move || ocikit_convert::apply_tar(&root, &tar[..], &options));
            sandbox.check();
            let shown = show(record);
            match result {
                // A record it could read and use: ../evil is refused.
                Err(err) => eprintln!("{label}: {shown}: {err}"),
                Ok(_) => assert_eq!(support::list(&sandbox.root), ["plain"], "{label}: {shown}"),
            }
        }
    }
}

#[test]
fn corrupted_headers_never_panic_hang_or_escape() {
    // A layer with every kind of entry, hostile names included, corrupted
    // at random in its header blocks: each variant must end in an error or
    // a root with everything inside it.
    let base = Tar::new()
        .add(E::dir("d/").mode(0o700))
        .add(E::file("d/f", b"data").xattr("user.a", b"1"))
        .add(E::symlink("up", "../outside"))
        .add(E::symlink("abs", "/"))
        .add(E::hardlink("d/h", "d/f"))
        .add(E::file("d/.wh.x", b""))
        .add(E::file("x", b"").pax("path", "a/b/c"))
        .gnu_long_name(format!("{}/g", "l".repeat(110)))
        .add(E::file("short", b"g"))
        .add(E::fifo("p"))
        .add(E::file(".wh..wh..opq", b""))
        .finish();
    let headers: Vec<usize> = (0..base.len() / 512)
        .filter(|i| {
            let block = &base[i * 512..i * 512 + 512];
            block[257..262] == *b"ustar"
        })
        .collect();
    assert!(headers.len() >= 10);
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut outcomes = [0usize; 2];
    for round in 0..400 {
        let mut tar = base.clone();
        for _ in 0..=(next() % 4) {
            let block = headers[(next() % headers.len() as u64) as usize];
            // The name, mode..mtime, type and link fields, or pax data.
            let at = block * 512 + (next() % 512) as usize;
            let at = if next() % 3 == 0 { at + 512 } else { at };
            let byte = match next() % 6 {
                0 => b'.',
                1 => b'/',
                2 => 0,
                3 => b'0' + (next() % 8) as u8,
                _ => next() as u8,
            };
            let last = tar.len() - 1;
            tar[at.min(last)] = byte;
        }
        // Fix the checksums half the time, so that the change is read.
        if round % 2 == 0 {
            for &block in &headers {
                let h = &mut tar[block * 512..block * 512 + 512];
                h[148..156].fill(b' ');
                let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
                h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            }
        }
        let options = if round % 4 < 2 {
            support::rootless()
        } else {
            ApplyOptions::default()
        };
        let sandbox = Sandbox::new();
        let root = sandbox.root.clone();
        let result = within_time(move || {
            std::panic::catch_unwind(|| ocikit_convert::apply_tar(&root, &tar[..], &options))
        });
        sandbox.check();
        let result = result.unwrap_or_else(|_| panic!("round {round}: the apply panicked"));
        outcomes[usize::from(result.is_ok())] += 1;
    }
    eprintln!(
        "corrupted headers: {} refused, {} applied",
        outcomes[0], outcomes[1]
    );
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn a_deep_tree_applies_and_is_whited_out_within_the_usual_fd_limit() {
    // 1500 levels (a 3000-byte name, under PATH_MAX): walking it one open
    // directory per level would need more descriptors than the usual soft
    // limit of 1024, which the test sets for itself, in a process of its
    // own so that the tests beside it keep theirs.
    if !bounds::in_own_process() {
        return;
    }
    let deep = "d/".repeat(1500);
    let lower = tar_of([E::file(format!("{deep}lower"), b"l")]);
    let upper = tar_of([
        E::file(format!("{deep}mine"), b"m"),
        E::file(".wh..wh..opq", b""),
    ]);
    let gone = tar_of([E::file(".wh.d", b"")]);
    let results = bounds::with_fd_limit(1024, || {
        let mut results = Vec::new();
        for (label, options) in both_modes() {
            let sandbox = Sandbox::new();
            let r1 = sandbox.apply(&lower, &options).map(|_| ());
            let r2 = sandbox.apply(&upper, &options).map(|_| ());
            let kept = exists(&sandbox.at(&format!("{deep}mine")));
            let lower_gone = !exists(&sandbox.at(&format!("{deep}lower")));
            let r3 = sandbox.apply(&gone, &options).map(|_| ());
            let all_gone = !exists(&sandbox.at("d"));
            results.push((label, r1, r2, kept, lower_gone, r3, all_gone));
        }
        results
    });
    // The names are 3000 bytes long: show the end of each message only.
    let short = |e: Error| {
        let msg = e.to_string();
        let cut = msg.len().saturating_sub(160);
        format!("...{}", msg.get(cut..).unwrap_or(&msg))
    };
    for (label, r1, r2, kept, lower_gone, r3, all_gone) in results {
        r1.unwrap_or_else(|e| panic!("{label}: the deep lower layer: {}", short(e)));
        r2.unwrap_or_else(|e| panic!("{label}: the opaque whiteout over it: {}", short(e)));
        assert!(
            kept && lower_gone,
            "{label}: kept {kept}, lower gone {lower_gone}"
        );
        r3.unwrap_or_else(|e| panic!("{label}: the whiteout of the tree: {}", short(e)));
        assert!(all_gone, "{label}");
    }
}

#[test]
fn every_case_holds_for_an_unprivileged_user() {
    // The suite again as uid 65534, where only the rootless half runs and
    // permissions bind (the child creates its own sandboxes).
    support::rerun_suite_as_nobody(
        "the hostile suite",
        "every_case_holds_for_an_unprivileged_user",
    );
}
