//! Baseline and diff: a scripted set of edits gives exactly the expected
//! changes and layer entries, and the diff layer on top of the original
//! tree gives back the edited tree (through umoci 0.4.7's unpack, and
//! through our own apply).

#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use ocikit_convert::{
    ApplyOptions, Baseline, BuildOptions, Changes, apply_tar, build_layer, diff, diff_layer,
    write_diff_tar,
};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;
use ocikit_test_support::layouts::image_of;
use ocikit_test_support::peers;
use support::treecmp;

const T0: i64 = 1_600_000_000;

fn write(path: &Path, content: &str) {
    fs::write(path, content).unwrap();
    support::set_mtime(path, T0);
}

/// The tree T the edits start from.
fn make_t(root: &Path) {
    for dir in ["gonedir/sub", "dir2file", "opq/sub", "nested/deep"] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    for (name, content) in [
        ("keep.txt", "keep"),
        ("edit.txt", "aaaa"),
        ("mode.txt", "mode"),
        ("owner.txt", "owner"),
        ("gone.txt", "gone"),
        ("gonedir/y", "y"),
        ("gonedir/sub/x", "x"),
        ("dir2file/inner", "inner"),
        ("file2dir", "was a file"),
        ("flip", "flip1"),
        ("opq/old1", "old one"),
        ("opq/old2", "old two"),
        ("opq/sub/old3", "old three"),
        ("linksrc", "linked"),
        ("renfrom", "renamed"),
        ("nested/deep/file", "deep"),
    ] {
        write(&root.join(name), content);
    }
    std::os::unix::fs::symlink("keep.txt", root.join("sym")).unwrap();
    support::set_mtime(&root.join("sym"), T0);
}

/// The scripted edits.
fn edit(root: &Path) {
    let p = |rel: &str| root.join(rel);
    write(&p("added.txt"), "new");
    write(&p("nested/deep/new.txt"), "new deep");
    // Same size, mtime set back: only the ctime (and content) tell.
    let before = fs::metadata(p("edit.txt")).unwrap();
    fs::write(p("edit.txt"), "bbbb").unwrap();
    support::set_mtime(&p("edit.txt"), before.mtime());
    assert_eq!(fs::metadata(p("edit.txt")).unwrap().mtime(), before.mtime());
    support::set_mode(&p("mode.txt"), 0o600);
    std::os::unix::fs::chown(p("owner.txt"), Some(4321), Some(4321)).unwrap();
    fs::remove_file(p("gone.txt")).unwrap();
    fs::remove_dir_all(p("gonedir")).unwrap();
    fs::remove_dir_all(p("dir2file")).unwrap();
    write(&p("dir2file"), "now a file");
    fs::remove_file(p("file2dir")).unwrap();
    fs::create_dir(p("file2dir")).unwrap();
    write(&p("file2dir/child"), "child");
    // File -> directory -> file again: a new inode with the same content.
    fs::remove_file(p("flip")).unwrap();
    fs::create_dir(p("flip")).unwrap();
    fs::remove_dir(p("flip")).unwrap();
    write(&p("flip"), "flip1");
    // A new directory in place of the old one, keeping one old file (same
    // inode and metadata): the opaque whiteout hides the rest.
    fs::rename(p("opq"), p("opq.old")).unwrap();
    fs::create_dir(p("opq")).unwrap();
    fs::rename(p("opq.old/old1"), p("opq/old1")).unwrap();
    fs::remove_dir_all(p("opq.old")).unwrap();
    write(&p("opq/new1"), "new one");
    fs::hard_link(p("linksrc"), p("newlink")).unwrap();
    fs::rename(p("renfrom"), p("rento")).unwrap();
}

fn paths(list: &[PathBuf]) -> Vec<String> {
    list.iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

fn expected_changes() -> [Vec<&'static str>; 4] {
    [
        vec![
            "added.txt",
            "file2dir/child",
            "nested/deep/new.txt",
            "newlink",
            "opq/new1",
            "opq/old1",
            "rento",
        ],
        vec![
            "dir2file",
            "edit.txt",
            "file2dir",
            "flip",
            "linksrc",
            "mode.txt",
            "nested/deep",
            "owner.txt",
        ],
        vec!["gone.txt", "gonedir", "renfrom"],
        vec!["opq"],
    ]
}

/// T at `dir/t`, its baseline (saved and loaded back), then the edits.
fn edited_tree(dir: &Path) -> (PathBuf, Baseline) {
    let t = dir.join("t");
    make_t(&t);
    let baseline_path = dir.join("baseline");
    Baseline::record(&t).unwrap().save(&baseline_path).unwrap();
    let baseline = Baseline::load(&baseline_path).unwrap();
    edit(&t);
    (t, baseline)
}

fn diff_tar(t: &Path, changes: &Changes) -> Vec<u8> {
    let mut tar = Vec::new();
    let stats = write_diff_tar(t, changes, &mut tar, &BuildOptions::default()).unwrap();
    assert_eq!(stats.bytes, tar.len() as u64);
    tar
}

#[test]
fn the_scripted_edits_give_exactly_the_expected_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, baseline) = edited_tree(tmp.path());
    let changes = diff(&t, &baseline).unwrap();
    let found = [
        paths(&changes.added),
        paths(&changes.modified),
        paths(&changes.deleted),
        paths(&changes.opaque),
    ];
    assert_eq!(
        found,
        expected_changes().map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
    );
}

#[test]
fn the_diff_layer_has_whiteouts_first_parents_and_in_layer_hardlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, baseline) = edited_tree(tmp.path());
    let changes = diff(&t, &baseline).unwrap();
    let tar = diff_tar(&t, &changes);
    assert_eq!(
        treecmp::tar_names(&tar),
        [
            ".wh.gone.txt",
            ".wh.gonedir",
            ".wh.renfrom",
            "added.txt",
            "dir2file",
            "edit.txt",
            "file2dir/",
            "file2dir/child",
            "flip",
            "linksrc",
            "mode.txt",
            "nested/",
            "nested/deep/",
            "nested/deep/new.txt",
            "newlink",
            "opq/",
            "opq/.wh..wh..opq",
            "opq/new1",
            "opq/old1",
            "owner.txt",
            "rento",
        ]
    );
    let mut archive = tar::Archive::new(&tar[..]);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let h = entry.header().clone();
        let mut content = String::new();
        std::io::Read::read_to_string(&mut entry, &mut content).unwrap();
        match name.as_str() {
            "newlink" => {
                assert_eq!(h.entry_type(), tar::EntryType::Link);
                assert_eq!(h.link_name().unwrap().unwrap(), Path::new("linksrc"));
            }
            "edit.txt" => assert_eq!(content, "bbbb"),
            "owner.txt" => assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (4321, 4321)),
            "mode.txt" => assert_eq!(h.mode().unwrap(), 0o600),
            n if n.contains(".wh.") => {
                assert_eq!(h.entry_type(), tar::EntryType::Regular, "{n}");
                assert_eq!(h.size().unwrap(), 0, "{n}");
            }
            _ => {}
        }
    }
}

#[test]
fn a_new_link_to_a_file_outside_the_layer_carries_the_content() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("t");
    make_t(&t);
    let baseline = Baseline::record(&t).unwrap();
    fs::hard_link(t.join("keep.txt"), t.join("keep2")).unwrap();
    // Pretend keep.txt was not touched: list only the new link.
    let changes = Changes {
        added: vec![PathBuf::from("keep2")],
        ..Changes::default()
    };
    let tar = diff_tar(&t, &changes);
    let mut archive = tar::Archive::new(&tar[..]);
    let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(entry.header().entry_type(), tar::EntryType::Regular);
    let mut content = String::new();
    std::io::Read::read_to_string(&mut entry, &mut content).unwrap();
    assert_eq!(content, "keep");
    // And the real diff sees keep.txt changed too (its ctime moved).
    let changes = diff(&t, &baseline).unwrap();
    assert_eq!(paths(&changes.added), ["keep2"]);
    assert_eq!(paths(&changes.modified), ["keep.txt"]);
}

#[test]
fn an_unchanged_tree_gives_no_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("t");
    make_t(&t);
    let baseline = Baseline::record(&t).unwrap();
    // Reading files changes nothing that counts.
    for name in ["keep.txt", "nested/deep/file"] {
        fs::read(t.join(name)).unwrap();
    }
    let layout = Layout::init(tmp.path().join("layout")).unwrap();
    let before = layout.list_blobs().unwrap().len();
    assert_eq!(
        diff_layer(
            &layout,
            &t,
            &baseline,
            Codec::gzip(),
            &BuildOptions::default()
        )
        .unwrap(),
        None
    );
    assert_eq!(
        layout.list_blobs().unwrap().len(),
        before,
        "no blob written"
    );
    assert!(diff(&t, &baseline).unwrap().is_empty());
}

#[test]
fn a_path_gone_between_diff_and_write_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, baseline) = edited_tree(tmp.path());
    let changes = diff(&t, &baseline).unwrap();
    fs::remove_file(t.join("added.txt")).unwrap();
    let err = write_diff_tar(&t, &changes, Vec::new(), &BuildOptions::default()).unwrap_err();
    assert!(err.to_string().contains("added.txt"), "{err}");
}

#[test]
fn umoci_unpacks_base_plus_diff_into_the_edited_tree() {
    if !peers::require_tool("umoci") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("t");
    make_t(&t);
    let layout_path = tmp.path().join("layout");
    let layout = Layout::init(&layout_path).unwrap();
    let options = BuildOptions::default();
    let base = build_layer(&layout, &t, Codec::gzip(), &options).unwrap();
    let baseline = Baseline::record(&t).unwrap();
    edit(&t);
    let top = diff_layer(&layout, &t, &baseline, Codec::zstd(), &options)
        .unwrap()
        .unwrap();
    // zstd layers need umoci >= 0.4.8? Use gzip for the peer: 0.4.7 reads gzip only.
    let top_gz = diff_layer(&layout, &t, &baseline, Codec::gzip(), &options)
        .unwrap()
        .unwrap();
    assert_eq!(
        top.diff_id, top_gz.diff_id,
        "the codec does not change the tar"
    );
    image_of(&layout, "v2", &[base, top_gz]);
    let rootfs = treecmp::umoci_unpack(&layout_path, "v2", &tmp.path().join("bundle"));
    let version = peers::version("umoci");
    treecmp::assert_same(
        &treecmp::snapshot(&t),
        &treecmp::snapshot(&rootfs),
        &format!("{version} unpack of base + diff vs the edited tree"),
    );
}

#[test]
fn our_apply_of_the_diff_onto_a_fresh_t_gives_the_edited_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let (t, baseline) = edited_tree(tmp.path());
    let tar = diff_tar(&t, &diff(&t, &baseline).unwrap());
    let fresh = tmp.path().join("fresh");
    make_t(&fresh);
    let options = ApplyOptions {
        rootless: false,
        ..ApplyOptions::default()
    };
    let applied = apply_tar(&fresh, &tar[..], &options).unwrap();
    assert!(applied.warnings.is_empty(), "{:?}", applied.warnings);
    treecmp::assert_same(
        &treecmp::snapshot(&t),
        &treecmp::snapshot(&fresh),
        "ocikit_convert::apply_tar of the diff onto a fresh T vs the edited tree",
    );
}
