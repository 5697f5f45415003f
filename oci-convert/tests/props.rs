//! Property tests of layer build, diff and apply (image-spec layer.md):
//! a random tree built into a layer and applied into an empty root gives
//! the same tree, and a random sequence of edits of an unpacked tree,
//! diffed against its baseline and applied onto a copy of the original,
//! gives the edited tree (but for hardlinks between a name the diff
//! carries and one it does not, which it writes as copies by design). Trees hold odd names (any byte but `/` and NUL,
//! names longer than ustar's 100 bytes), directories, files of random sizes
//! (0 included), symlinks with odd targets, hardlinks, FIFOs, modes with
//! the setuid, setgid and sticky bits, owners (as root) and mtimes.
//!
//! `PROPTEST_CASES` sets the number of cases of each test (default 64).
#![allow(clippy::unwrap_used)]

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use ocikit_convert::{ApplyOptions, Baseline, BuildOptions};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use support::{Snapshot, is_root};

/// The number of cases of each property: `PROPTEST_CASES`, else 64.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        max_shrink_time: 60_000,
        // A failure prints its minimal input; keep the case as a named
        // test here rather than in a regressions file beside the source.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------- trees

/// A file name: short and plain, any bytes but `/` and NUL, or longer than
/// the 100 bytes of a ustar name field. Never `.`, `..` or a `.wh.` name
/// (which a layer cannot carry as a file).
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[a-z]{1,6}".prop_map(String::into_bytes),
        3 => prop::collection::vec(
            (1u8..=255).prop_filter("no slash", |b| *b != b'/'),
            1..16
        ),
        1 => (100usize..180).prop_map(|n| vec![b'n'; n]),
    ]
    .prop_filter("not a dot name or whiteout", |n| {
        n != b"." && n != b".." && !n.starts_with(b".wh.")
    })
}

/// File content: empty, small, or past a few tar blocks.
fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        3 => prop::collection::vec(any::<u8>(), 0..600),
        1 => (0usize..40_000).prop_map(|n| (0..n).map(|i| (i * 7 % 251) as u8).collect()),
    ]
}

/// A symlink target: a path of plain names, or odd bytes (no NUL).
fn target() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "(/|\\.\\./)?[a-z]{1,5}(/[a-z]{1,5}){0,3}".prop_map(String::into_bytes),
        prop::collection::vec(1u8..=255, 1..40),
    ]
}

/// What one node of a random tree is.
#[derive(Debug, Clone)]
enum NodeSpec {
    File(Vec<u8>),
    Dir,
    Symlink(Vec<u8>),
    /// A second name for the n-th regular file made so far.
    Hardlink(usize),
    Fifo,
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    prop_oneof![
        5 => content().prop_map(NodeSpec::File),
        3 => Just(NodeSpec::Dir),
        2 => target().prop_map(NodeSpec::Symlink),
        1 => any::<usize>().prop_map(NodeSpec::Hardlink),
        1 => Just(NodeSpec::Fifo),
    ]
}

/// Metadata given to a node after the tree is made.
#[derive(Debug, Clone)]
struct Meta {
    mode: u32,
    owner: (u32, u32),
    mtime: i64,
}

fn meta() -> impl Strategy<Value = Meta> {
    let owner = prop::sample::select(vec![0u32, 1, 1000, 65534, 4_000_000]);
    (0u32..0o10000, owner.clone(), owner, 0i64..4_000_000_000).prop_map(
        |(mode, uid, gid, mtime)| Meta {
            mode,
            owner: (uid, gid),
            mtime,
        },
    )
}

/// A random tree: nodes placed in order, each in one of the directories
/// made before it.
#[derive(Debug, Clone)]
struct TreeSpec {
    nodes: Vec<(usize, Vec<u8>, NodeSpec, Meta)>,
}

fn tree() -> impl Strategy<Value = TreeSpec> {
    prop::collection::vec((any::<usize>(), name(), node_spec(), meta()), 0..28)
        .prop_map(|nodes| TreeSpec { nodes })
}

fn join(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(OsStr::from_bytes(name))
}

/// Makes `spec` under the existing, empty directory `root`.
fn make_tree(root: &Path, spec: &TreeSpec) {
    let mut dirs = vec![root.to_path_buf()];
    let mut files: Vec<PathBuf> = Vec::new();
    let mut made: Vec<(PathBuf, Meta, bool)> = Vec::new();
    for (parent, name, node, meta) in &spec.nodes {
        let path = join(&dirs[parent % dirs.len()], name);
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        let is_dir = matches!(node, NodeSpec::Dir);
        match node {
            NodeSpec::File(content) => {
                std::fs::write(&path, content).unwrap();
                files.push(path.clone());
            }
            NodeSpec::Dir => {
                std::fs::create_dir(&path).unwrap();
                dirs.push(path.clone());
            }
            NodeSpec::Symlink(target) => {
                std::os::unix::fs::symlink(OsStr::from_bytes(target), &path).unwrap();
            }
            NodeSpec::Hardlink(n) => {
                if files.is_empty() {
                    continue;
                }
                std::fs::hard_link(&files[n % files.len()], &path).unwrap();
                // A hardlink shares its metadata; leave it to the first name.
                continue;
            }
            NodeSpec::Fifo => mkfifo(&path),
        }
        made.push((path, meta.clone(), is_dir));
    }
    // Owners, then modes (chown clears setuid), then times; directories
    // last and deepest first, since a change inside one touches its mtime.
    made.sort_by_key(|(path, _, is_dir)| (*is_dir, std::cmp::Reverse(path.components().count())));
    for (path, meta, is_dir) in &made {
        set_meta(path, meta, *is_dir);
    }
}

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

/// Sets owner (as root), mode and mtime (whole seconds: a layer keeps no
/// nanoseconds) of `path`, never through a symlink.
fn set_meta(path: &Path, meta: &Meta, is_dir: bool) {
    let symlink = std::fs::symlink_metadata(path).unwrap().is_symlink();
    if is_root() {
        let (uid, gid) = meta.owner;
        std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
    }
    if !symlink {
        let mut mode = meta.mode;
        if is_dir && !is_root() {
            mode |= 0o700; // so that the test itself can still walk it
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    support::set_mtime(path, meta.mtime);
}

/// Options for the apply: as root when the tests run as root, else
/// rootless.
fn apply_options() -> ApplyOptions {
    ApplyOptions {
        rootless: !is_root(),
        ..ApplyOptions::default()
    }
}

/// The snapshot to compare: everything under `dir` but `dir` itself (a
/// layer does not carry the root's own metadata), mtimes in whole seconds
/// (a layer built with the default options keeps no nanoseconds), and
/// without the owner record of a rootless apply.
fn snapshot(dir: &Path) -> Snapshot {
    let mut snap = Snapshot::take(dir)
        .without("")
        .keep_xattrs(|name| name != "user.rootlesscontainers");
    for node in snap.nodes.values_mut() {
        if let Some((secs, _)) = node.mtime {
            node.mtime = Some((secs, 0));
        }
    }
    snap
}

fn same_tree(expected: &Path, found: &Path, what: &str) -> Result<(), TestCaseError> {
    compare(snapshot(expected), snapshot(found), what)
}

fn compare(left: Snapshot, right: Snapshot, what: &str) -> Result<(), TestCaseError> {
    match left.difference(&right) {
        None => Ok(()),
        Some(diff) => Err(TestCaseError::fail(format!(
            "{what}: the trees differ (left: expected, right: found):\n{diff}"
        ))),
    }
}

/// As [`same_tree`], but a hardlink group of `expected` may be split in
/// `found`: write_diff_tar writes a new name of a file the layer does not
/// otherwise carry as a copy, never as a link to a lower layer's path (its
/// documented choice: the layer does not depend on what is below). Names
/// linked in `found` must still be linked in `expected`.
fn same_tree_but_links(expected: &Path, found: &Path, what: &str) -> Result<(), TestCaseError> {
    let (mut left, mut right) = (snapshot(expected), snapshot(found));
    for (path, node) in &right.nodes {
        if let Some(label) = &node.link_group {
            let want = left.nodes.get(path).and_then(|n| n.link_group.as_ref());
            let label_there = left.nodes.get(label).and_then(|n| n.link_group.as_ref());
            prop_assert!(
                want.is_some() && want == label_there,
                "{what}: {} and {} are linked, but not in the edited tree",
                path.display(),
                label.display()
            );
        }
    }
    for node in left.nodes.values_mut().chain(right.nodes.values_mut()) {
        node.link_group = None;
    }
    compare(left, right, what)
}

fn codec() -> impl Strategy<Value = Codec> {
    prop::sample::select(vec![Codec::None, Codec::gzip(), Codec::zstd()])
}

// ---------------------------------------------------------------- build, apply

proptest! {
    #![proptest_config(config())]

    /// A tree built into a layer (deterministically: twice the same bytes,
    /// whose sha256 is the stored layer's DiffID) and applied into an empty
    /// root is the same tree: names, types, modes, owners, contents, link
    /// targets, hardlink groups and mtimes.
    #[test]
    fn built_layer_applies_to_the_same_tree(spec in tree(), codec in codec()) {
        let dir = tempfile::tempdir().unwrap();
        let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
        std::fs::create_dir(&src).unwrap();
        std::fs::create_dir(&dst).unwrap();
        make_tree(&src, &spec);

        let options = BuildOptions::default();
        let mut tar = Vec::new();
        ocikit_convert::write_layer_tar(&src, &mut tar, &options).unwrap();
        let mut again = Vec::new();
        ocikit_convert::write_layer_tar(&src, &mut again, &options).unwrap();
        prop_assert!(tar == again, "two builds of the same tree differ");

        let layout = Layout::init(dir.path().join("layout")).unwrap();
        let layer = ocikit_convert::build_layer(&layout, &src, codec, &options).unwrap();
        prop_assert_eq!(&layer.diff_id, &ocikit_image::Digest::sha256(&tar));
        let applied = ocikit_convert::apply_layer(
            &layout, &layer.descriptor, Some(&layer.diff_id), &dst, &apply_options(),
        ).unwrap();
        prop_assert_eq!(applied.diff_id.as_ref(), Some(&layer.diff_id));
        same_tree(&src, &dst, "build then apply")?;
    }
}

// ---------------------------------------------------------------- edits

/// One change to an unpacked tree. Indices pick among the paths there at
/// that moment (modulo their number); an edit the file system refuses
/// (a name taken, a directory renamed into itself) is skipped.
#[derive(Debug, Clone)]
enum Edit {
    AddFile(usize, Vec<u8>, Vec<u8>),
    AddDir(usize, Vec<u8>),
    AddSymlink(usize, Vec<u8>, Vec<u8>),
    AddHardlink(usize, usize, Vec<u8>),
    Modify(usize, Vec<u8>),
    Chmod(usize, u32),
    Chown(usize, u32),
    Touch(usize, i64),
    Delete(usize),
    DirToFile(usize, Vec<u8>),
    FileToDir(usize, Vec<u8>),
    /// Remove a directory and make a new, empty one of the same name.
    ReplaceDir(usize),
    Rename(usize, usize, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    let i = any::<usize>;
    prop_oneof![
        (i(), name(), content()).prop_map(|(d, n, c)| Edit::AddFile(d, n, c)),
        (i(), name()).prop_map(|(d, n)| Edit::AddDir(d, n)),
        (i(), name(), target()).prop_map(|(d, n, t)| Edit::AddSymlink(d, n, t)),
        (i(), i(), name()).prop_map(|(f, d, n)| Edit::AddHardlink(f, d, n)),
        (i(), content()).prop_map(|(f, c)| Edit::Modify(f, c)),
        (i(), 0u32..0o10000).prop_map(|(p, m)| Edit::Chmod(p, m)),
        (i(), prop::sample::select(vec![0u32, 7, 1000])).prop_map(|(p, u)| Edit::Chown(p, u)),
        (i(), 0i64..4_000_000_000).prop_map(|(p, t)| Edit::Touch(p, t)),
        i().prop_map(Edit::Delete),
        (i(), content()).prop_map(|(d, c)| Edit::DirToFile(d, c)),
        (i(), name()).prop_map(|(f, n)| Edit::FileToDir(f, n)),
        i().prop_map(Edit::ReplaceDir),
        (i(), i(), name()).prop_map(|(p, d, n)| Edit::Rename(p, d, n)),
    ]
}

/// The paths under `root` (not `root` itself), sorted, with whether each
/// is a directory and whether a regular file.
fn paths(root: &Path) -> Vec<(PathBuf, bool, bool)> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                pending.push(path.clone());
            }
            out.push((path, meta.is_dir(), meta.is_file()));
        }
    }
    out.sort();
    out
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

/// Applies `edit` to the tree at `root`; `Err` is an edit the file
/// system refused, which changes nothing that matters.
fn apply_edit(root: &Path, edit: &Edit) -> std::io::Result<()> {
    let all = paths(root);
    let any: Vec<PathBuf> = all.iter().map(|(p, _, _)| p.clone()).collect();
    let mut dirs: Vec<PathBuf> = vec![root.to_path_buf()];
    dirs.extend(all.iter().filter(|(_, d, _)| *d).map(|(p, _, _)| p.clone()));
    let subdirs = &dirs[1..];
    let files: Vec<PathBuf> = all
        .iter()
        .filter(|(_, _, f)| *f)
        .map(|(p, _, _)| p.clone())
        .collect();
    let none = || std::io::Error::other("nothing to pick");
    match edit {
        Edit::AddFile(d, name, content) => {
            let path = join(&pick(&dirs, *d).ok_or_else(none)?, name);
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            std::fs::write(path, content)
        }
        Edit::AddDir(d, name) => {
            std::fs::create_dir(join(&pick(&dirs, *d).ok_or_else(none)?, name))
        }
        Edit::AddSymlink(d, name, target) => std::os::unix::fs::symlink(
            OsStr::from_bytes(target),
            join(&pick(&dirs, *d).ok_or_else(none)?, name),
        ),
        Edit::AddHardlink(f, d, name) => std::fs::hard_link(
            pick(&files, *f).ok_or_else(none)?,
            join(&pick(&dirs, *d).ok_or_else(none)?, name),
        ),
        Edit::Modify(f, content) => std::fs::write(pick(&files, *f).ok_or_else(none)?, content),
        Edit::Chmod(p, mode) => {
            let path = pick(&any, *p).ok_or_else(none)?;
            if std::fs::symlink_metadata(&path)?.is_symlink() {
                return Ok(());
            }
            let mut mode = *mode;
            if std::fs::symlink_metadata(&path)?.is_dir() && !is_root() {
                mode |= 0o700;
            }
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        }
        Edit::Chown(p, uid) => {
            if !is_root() {
                return Ok(());
            }
            std::os::unix::fs::lchown(pick(&any, *p).ok_or_else(none)?, Some(*uid), None)
        }
        Edit::Touch(p, secs) => {
            support::set_mtime(&pick(&any, *p).ok_or_else(none)?, *secs);
            Ok(())
        }
        Edit::Delete(p) => {
            let path = pick(&any, *p).ok_or_else(none)?;
            if std::fs::symlink_metadata(&path)?.is_dir() {
                std::fs::remove_dir_all(path)
            } else {
                std::fs::remove_file(path)
            }
        }
        Edit::DirToFile(d, content) => {
            let path = pick(subdirs, *d).ok_or_else(none)?;
            std::fs::remove_dir_all(&path)?;
            std::fs::write(path, content)
        }
        Edit::FileToDir(f, child) => {
            let path = pick(&files, *f).ok_or_else(none)?;
            std::fs::remove_file(&path)?;
            std::fs::create_dir(&path)?;
            std::fs::write(join(&path, child), b"in a new directory\n")
        }
        Edit::ReplaceDir(d) => {
            // The new directory is made while the old one still exists, so
            // it cannot reuse its inode number.
            let path = pick(subdirs, *d).ok_or_else(none)?;
            let old = root.join(".replaced");
            std::fs::rename(&path, &old)?;
            std::fs::create_dir(&path)?;
            std::fs::remove_dir_all(old)
        }
        Edit::Rename(p, d, name) => {
            let from = pick(&any, *p).ok_or_else(none)?;
            let to = join(&pick(&dirs, *d).ok_or_else(none)?, name);
            if to.starts_with(&from) || std::fs::symlink_metadata(&to).is_ok() {
                return Ok(());
            }
            std::fs::rename(from, to)
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// A tree unpacked from a layer, edited at random, diffed against the
    /// baseline recorded at unpack time and stored as a layer (whiteouts
    /// for deletions, opaque whiteouts for replaced directories): that
    /// layer applied onto another unpack of the same original gives the
    /// edited tree (a hardlink group may be split, see
    /// [`same_tree_but_links`]).
    #[test]
    fn diff_reapplied_gives_the_edited_tree(
        spec in tree(),
        edits in prop::collection::vec(edit(), 1..14),
        via_layout in any::<bool>(),
        codec in codec(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let [src, work, copy] = ["src", "work", "copy"].map(|n| dir.path().join(n));
        for d in [&src, &work, &copy] {
            std::fs::create_dir(d).unwrap();
        }
        make_tree(&src, &spec);
        let mut base = Vec::new();
        ocikit_convert::write_layer_tar(&src, &mut base, &BuildOptions::default()).unwrap();
        for root in [&work, &copy] {
            ocikit_convert::apply_tar(root, &base[..], &apply_options()).unwrap();
        }
        let baseline = Baseline::record(&work).unwrap();

        let mut done = 0;
        for edit in &edits {
            done += usize::from(apply_edit(&work, edit).is_ok());
        }
        let changes = ocikit_convert::diff(&work, &baseline).unwrap();
        if via_layout {
            let layout = Layout::init(dir.path().join("layout")).unwrap();
            match ocikit_convert::diff_layer(&layout, &work, &baseline, codec, &BuildOptions::default()).unwrap() {
                Some(layer) => {
                    ocikit_convert::apply_layer(
                        &layout, &layer.descriptor, Some(&layer.diff_id), &copy, &apply_options(),
                    ).unwrap();
                }
                None => prop_assert!(changes.is_empty(), "diff_layer found no change, diff did: {changes:?}"),
            }
        } else {
            let mut layer = Vec::new();
            ocikit_convert::write_diff_tar(&work, &changes, &mut layer, &BuildOptions::default()).unwrap();
            ocikit_convert::apply_tar(&copy, &layer[..], &apply_options()).unwrap();
        }
        same_tree_but_links(&work, &copy, &format!("{done} of {} edits, changes {changes:?}", edits.len()))?;
    }
}

/// The case the diff property first found: a directory replaced by a new,
/// empty one. Its layer must carry the opaque whiteout (layer.md, Opaque
/// Whiteout) although nothing inside it is new, or the lower layer's
/// contents survive the apply.
#[test]
fn replaced_empty_directory_hides_lower_contents() {
    let dir = tempfile::tempdir().unwrap();
    let [src, work, copy] = ["src", "work", "copy"].map(|n| dir.path().join(n));
    for d in [&src, &work, &copy] {
        std::fs::create_dir(d).unwrap();
    }
    std::fs::create_dir(src.join("z")).unwrap();
    std::fs::write(src.join("z/a"), b"a").unwrap();
    let mut base = Vec::new();
    ocikit_convert::write_layer_tar(&src, &mut base, &BuildOptions::default()).unwrap();
    for root in [&work, &copy] {
        ocikit_convert::apply_tar(root, &base[..], &apply_options()).unwrap();
    }
    let baseline = Baseline::record(&work).unwrap();
    apply_edit(&work, &Edit::ReplaceDir(0)).unwrap();
    let changes = ocikit_convert::diff(&work, &baseline).unwrap();
    assert_eq!(changes.opaque, [Path::new("z")], "{changes:?}");
    let mut layer = Vec::new();
    ocikit_convert::write_diff_tar(&work, &changes, &mut layer, &BuildOptions::default()).unwrap();
    let names: Vec<String> = tar::Archive::new(&layer[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["z/", "z/.wh..wh..opq"]);
    ocikit_convert::apply_tar(&copy, &layer[..], &apply_options()).unwrap();
    assert!(support::list(&copy.join("z")).is_empty());
}
