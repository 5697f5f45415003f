//! Symbolic links in a layout's own directories (`blobs`, `blobs/<alg>`,
//! the lock files): reads follow them, since a blob directory shared
//! between layouts is a real setup; whatever writes or removes refuses
//! them, naming the link and its target, so that gc, the rollback of a
//! failed import or copy, and the blob writers never act outside the
//! layout's own directory tree (the crate's `# Security` section).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use ocikit_image::{Descriptor, Digest, MediaType};
use ocikit_layout::{Error, FsckOptions, GcOptions, Layout};
use ocikit_test_support::bytes::sha256;
use ocikit_test_support::layouts::layer_tar;

const MONTH: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Which directory of the layout is a link out of it.
#[derive(Debug, Clone, Copy)]
enum Linked {
    /// `blobs` -> a directory holding `sha256/`.
    Blobs,
    /// `blobs/sha256` -> a directory of digest-named files.
    Algorithm,
}

/// A layout holding one tagged image (`v1`), whose `blobs` or
/// `blobs/sha256` was moved out of it and linked back, and, in the
/// directory linked to, files no tag reaches: digest-named blobs and a
/// temporary file, all a month old, so that any gc would take them.
struct Setup {
    _dir: tempfile::TempDir,
    layout: Layout,
    /// The link inside the layout and the directory it points to.
    link: PathBuf,
    target: PathBuf,
    /// Where the unreferenced digest-named files are.
    outside_blobs: PathBuf,
    /// Their digests.
    garbage: Vec<Digest>,
    manifest: Descriptor,
}

fn setup(linked: Linked) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let manifest =
        ocikit_test_support::layouts::build_image(&layout, "v1", &[layer_tar(&[("f", b"live")])]);
    let (link, target, outside_blobs) = match linked {
        Linked::Blobs => {
            let target = dir.path().join("shared-blobs");
            (layout.blobs_path(), target.clone(), target.join("sha256"))
        }
        Linked::Algorithm => {
            let target = dir.path().join("shared-sha256");
            (layout.blobs_path().join("sha256"), target.clone(), target)
        }
    };
    fs::rename(&link, &target).unwrap();
    symlink(&target, &link).unwrap();
    let mut garbage = Vec::new();
    for i in 0..3 {
        let content = format!("nobody references blob {i}\n");
        let digest: Digest = sha256(content.as_bytes()).parse().unwrap();
        let path = outside_blobs.join(digest.encoded());
        fs::write(&path, &content).unwrap();
        backdate(&path);
        garbage.push(digest);
    }
    // A temporary file a crashed writer left, where gc looks for them.
    let temp = match linked {
        Linked::Blobs => target.join(".tmp-blob-1-0-00000000"),
        Linked::Algorithm => outside_blobs.join(".tmp-blob-1-0-00000000"),
    };
    fs::write(&temp, b"half a blob").unwrap();
    backdate(&temp);
    Setup {
        _dir: dir,
        layout,
        link,
        target,
        outside_blobs,
        garbage,
        manifest,
    }
}

fn backdate(path: &Path) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - MONTH)
        .unwrap();
}

/// Every file under `dir` (recursively, links not followed) with its bytes
/// and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                todo.push(path);
            } else {
                let bytes = fs::read(&path).unwrap_or_default();
                files.insert(path, (bytes, meta.modified().unwrap()));
            }
        }
    }
    files
}

/// The error names the link and where it points, and says why.
fn assert_names_the_link(err: &Error, setup: &Setup, what: &str) {
    let msg = err.to_string();
    assert!(
        msg.contains(&setup.link.display().to_string())
            && msg.contains(&setup.target.display().to_string())
            && msg.contains("symbolic link"),
        "{what}: {msg}"
    );
    assert!(
        matches!(err, Error::SymlinkRefused { path, target, .. }
            if *path == setup.link && *target == setup.target),
        "{what}: {err:?}"
    );
}

fn no_grace(dry_run: bool) -> GcOptions {
    GcOptions {
        grace: Duration::ZERO,
        dry_run,
    }
}

/// The case of issue 15: gc of a layout whose `blobs` (or `blobs/sha256`)
/// is a link to another directory. umoci 0.4.7 (`umoci gc`), in the same
/// setup, removes the unreferenced digest-named files in the linked
/// `blobs` directory and exits 0; with `blobs/sha256` linked it skips the
/// directory and removes nothing, silently. Before our fix, gc did the
/// same as umoci with `blobs` linked.
#[test]
fn gc_refuses_a_linked_blobs_directory_and_removes_nothing() {
    for linked in [Linked::Blobs, Linked::Algorithm] {
        let s = setup(linked);
        let before = snapshot(&s.target);
        assert_eq!(
            before.len(),
            4 + 3,
            "{linked:?}: the image's 4 blobs and 3 more"
        );
        for dry_run in [true, false] {
            let err = s.layout.gc(&no_grace(dry_run)).unwrap_err();
            assert_names_the_link(&err, &s, &format!("{linked:?}, dry run {dry_run}"));
        }
        assert!(snapshot(&s.target) == before, "{linked:?}: a file changed");
        for digest in &s.garbage {
            assert!(s.outside_blobs.join(digest.encoded()).is_file());
        }

        // Reads follow the link: the image resolves, its blobs verify, and
        // fsck sees the same blobs gc would have judged.
        let resolved = s.layout.resolve("v1", None).unwrap();
        assert_eq!(resolved.descriptor.digest, s.manifest.digest);
        for layer in &resolved.manifest.layers {
            s.layout.read_blob(layer, 1 << 20).unwrap();
        }
        let report = s.layout.fsck(&FsckOptions::default()).unwrap();
        assert_eq!(report.damage().count(), 0, "{linked:?}: {report:?}");
        let mut unreachable: Vec<&Digest> = report
            .problems
            .iter()
            .filter_map(|p| match p {
                ocikit_layout::Problem::Unreachable { digest, .. } => Some(digest),
                _ => None,
            })
            .collect();
        unreachable.sort();
        let mut garbage: Vec<&Digest> = s.garbage.iter().collect();
        garbage.sort();
        assert_eq!(unreachable, garbage, "{linked:?}");
    }
}

/// Writing a blob, refreshing one and removing one through a linked
/// directory are refused too, and nothing appears or goes outside.
#[test]
fn writes_and_removals_refuse_a_linked_blobs_directory() {
    for linked in [Linked::Blobs, Linked::Algorithm] {
        let s = setup(linked);
        let before = snapshot(&s.target);
        let what = |op: &str| format!("{linked:?}: {op}");

        let err = s
            .layout
            .put_bytes(MediaType::ImageLayer, b"new content")
            .unwrap_err();
        assert_names_the_link(&err, &s, &what("put_bytes"));
        let err = s.layout.remove_blob(&s.garbage[0]).unwrap_err();
        assert_names_the_link(&err, &s, &what("remove_blob"));
        let err = s.layout.touch_blob(&s.manifest.digest).unwrap_err();
        assert_names_the_link(&err, &s, &what("touch_blob"));
        if let Linked::Blobs = linked {
            // The writer's temporary file would go into `blobs` itself.
            let err = s.layout.blob_writer().unwrap_err();
            assert_names_the_link(&err, &s, &what("blob_writer"));
        }
        assert!(snapshot(&s.target) == before, "{linked:?}: a file changed");
        // Tags live in index.json, in the layout's own directory: a tag on
        // a stored image still works.
        s.layout.tag("v2", &s.manifest).unwrap();
    }
}

/// A lock file that is a link: taking the lock would create (or open) a
/// file wherever the link points; it is refused by name instead.
#[test]
fn a_linked_lock_file_is_refused_and_nothing_is_created_outside() {
    for lock in [Layout::LOCK_FILE, Layout::BLOBS_LOCK_FILE] {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::init(dir.path().join("layout")).unwrap();
        let manifest = ocikit_test_support::layouts::small_image(&layout, "v1", "lock");
        let outside = dir.path().join("created-outside");
        let link = layout.path().join(lock);
        let _ = fs::remove_file(&link);
        symlink(&outside, &link).unwrap();

        let err = match lock {
            Layout::LOCK_FILE => layout.tag("v2", &manifest).unwrap_err(),
            _ => layout.gc(&no_grace(false)).unwrap_err(),
        };
        let msg = err.to_string();
        assert!(
            msg.contains(&link.display().to_string())
                && msg.contains(&outside.display().to_string())
                && matches!(err, Error::SymlinkRefused { .. }),
            "{lock}: {msg}"
        );
        assert!(!outside.exists(), "{lock}: a file was created outside");
    }
}

/// `blobs` swapped for a link to another directory, back and forth, while
/// gc runs again and again: each gc removes through the directory it
/// opened (and checked) or refuses, so the files the link reaches all
/// stay, whenever the swap happens.
#[test]
fn a_link_swapped_in_during_gc_removes_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let manifest = ocikit_test_support::layouts::small_image(&layout, "v1", "swap");
    let outside = dir.path().join("outside");
    fs::create_dir_all(outside.join("sha256")).unwrap();
    for i in 0..50 {
        let content = format!("outside {i}\n");
        let digest: Digest = sha256(content.as_bytes()).parse().unwrap();
        let path = outside.join("sha256").join(digest.encoded());
        fs::write(&path, &content).unwrap();
        backdate(&path);
    }
    let before = snapshot(&outside);
    let swap = layout.path().join("blobs-swap");
    symlink(&outside, &swap).unwrap();

    let stop = std::sync::atomic::AtomicBool::new(false);
    let blobs = layout.blobs_path();
    // Swaps the names of the real `blobs` and the link, atomically.
    let exchange = || {
        let (at, flags) = (rustix::fs::CWD, rustix::fs::RenameFlags::EXCHANGE);
        rustix::fs::renameat_with(at, &blobs, at, &swap, flags).unwrap();
    };
    let (mut runs, mut refused) = (0, 0);
    std::thread::scope(|scope| {
        let swapper = scope.spawn(|| {
            let mut swaps = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                exchange();
                swaps += 1;
            }
            swaps
        });
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(1500) {
            runs += 1;
            refused += usize::from(layout.gc(&no_grace(false)).is_err());
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(swapper.join().unwrap() > 100, "the swapper hardly ran");
    });
    if fs::symlink_metadata(&blobs).unwrap().is_symlink() {
        exchange();
    }
    assert!(runs > 10 && refused > 0, "{runs} runs, {refused} refused");
    assert!(
        snapshot(&outside) == before,
        "gc removed files through the link ({runs} runs)"
    );
    // And the layout lost nothing either.
    assert_eq!(
        layout.resolve("v1", None).unwrap().descriptor.digest,
        manifest.digest
    );
    assert!(layout.fsck(&FsckOptions::default()).unwrap().is_clean());
}
