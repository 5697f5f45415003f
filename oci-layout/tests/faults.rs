//! Faults injected under the layout store: a full disk (a 1 MiB tmpfs), a
//! read-only layout (the tmpfs remounted read-only: root ignores mode
//! bits), blobs deleted or corrupted between resolve and read, a broken
//! `index.json`, a lock holder killed with SIGKILL, and a writer killed in
//! the middle of a large blob. Each gives an error naming the path or
//! digest and what was wrong, or recovers; none damages what was already
//! stored: after each fault every earlier tag resolves, its blobs read and
//! verify, fsck finds no damage, and no temporary file is left that gc
//! does not clear.
//!
//! The tmpfs tests need root (`mount`): without it they are skipped with a
//! notice `cargo test` shows, except under CI, where they fail
//! (ocikit_test_support::skip). Child processes are this binary run
//! again on the `#[ignore]`d `child_*` tests.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use ocikit_image::{Descriptor, MediaType};
use ocikit_layout::{Error, FsckOptions, GcOptions, Layout};
use ocikit_test_support::children::{KilledOnDrop, ignored_test};
use ocikit_test_support::layouts::{layer_tar, small_image};
use ocikit_test_support::skip;
use support::Rng;

const LAYOUT_VAR: &str = "OCI_LAYOUT_FAULTS_LAYOUT";

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts it; `None` (after a skip notice) when it cannot be mounted
    /// outside CI, a panic under CI.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let status = if skip::is_root() {
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())
                .and_then(|s| s.success().then_some(()).ok_or(s.to_string()))
        } else {
            Err("not root".to_string())
        };
        match status {
            Ok(()) => Some(Tmpfs { dir }),
            Err(why) => {
                skip::required(format_args!("cannot mount a tmpfs ({why}; it needs root)"));
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// A blob's descriptor and its verified bytes.
type Blob = (Descriptor, Vec<u8>);

/// What was stored before a fault: the tags and their blobs' bytes.
struct Stored {
    tags: Vec<(String, Vec<Blob>)>,
    index_json: Vec<u8>,
}

/// Records every tag of `layout` with the verified bytes of its manifest,
/// config and layers.
fn record(layout: &Layout) -> Stored {
    let tags = layout
        .list_tags()
        .unwrap()
        .into_iter()
        .map(|tag| {
            let resolved = layout.resolve(&tag, None).unwrap();
            let mut blobs = vec![
                resolved.descriptor.clone(),
                resolved.manifest.config.clone(),
            ];
            blobs.extend(resolved.manifest.layers.iter().cloned());
            let blobs = blobs
                .into_iter()
                .map(|d| {
                    let bytes = read_verified(layout, &d).unwrap();
                    (d, bytes)
                })
                .collect();
            (tag, blobs)
        })
        .collect();
    Stored {
        tags,
        index_json: fs::read(layout.index_path()).unwrap(),
    }
}

fn read_verified(layout: &Layout, d: &Descriptor) -> Result<Vec<u8>, String> {
    let mut reader = layout.open_blob(d).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| format!("blob {}: {e}", d.digest))?;
    Ok(bytes)
}

/// The temporary files of the layout (`.tmp-*` in its root and `blobs/`).
fn temp_files(layout: &Layout) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in [layout.path().to_path_buf(), layout.blobs_path()] {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                found.push(entry.path());
            }
        }
    }
    found
}

/// Everything recorded is still there: each tag resolves to the same
/// blobs, which read and verify to the same bytes; fsck finds no damage;
/// no temporary file is left.
#[track_caller]
fn assert_intact(layout: &Layout, stored: &Stored, what: &str) {
    for (tag, blobs) in &stored.tags {
        let resolved = layout
            .resolve(tag, None)
            .unwrap_or_else(|e| panic!("{what}: tag {tag}: {e}"));
        assert_eq!(resolved.descriptor, blobs[0].0, "{what}: tag {tag}");
        for (d, bytes) in blobs {
            let read = read_verified(layout, d).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(&read, bytes, "{what}: blob {}", d.digest);
        }
    }
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    assert_eq!(report.damage().count(), 0, "{what}: fsck:\n{report}");
    assert_eq!(
        temp_files(layout),
        Vec::<PathBuf>::new(),
        "{what}: stray temp files"
    );
}

/// `err` is an I/O error with `errno`, whose message names `path_part`.
#[track_caller]
fn assert_io(err: &Error, errno: i32, text: &str, path_part: &str) -> String {
    let msg = err.to_string();
    match err {
        Error::Io { source, .. } => assert_eq!(source.raw_os_error(), Some(errno), "{msg}"),
        other => panic!("expected an I/O error ({text}), got {other:?}"),
    }
    assert!(msg.contains(text), "{msg:?} should say {text:?}");
    assert!(msg.contains(path_part), "{msg:?} should name {path_part:?}");
    msg
}

const ENOSPC: i32 = 28;
const EROFS: i32 = 30;

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// On a full disk, put_blob, put_layer, put_bytes and tag fail with ENOSPC
/// naming the file they were writing; nothing stored before is damaged,
/// no temporary file stays, `index.json` keeps its bytes; once space is
/// freed, writes work again.
#[test]
fn a_full_disk_fails_writes_by_name_and_damages_nothing() {
    let Some(tmpfs) = Tmpfs::mount("1m") else {
        return;
    };
    let layout = Layout::init(tmpfs.path().join("l")).unwrap();
    small_image(&layout, "v1", "full disk");
    let stored = record(&layout);

    // Too large for the disk: each write fails midway.
    let big = random(2 << 20, 7);
    let err = layout
        .put_blob(MediaType::ImageLayer, &big[..])
        .unwrap_err();
    let msg = assert_io(&err, ENOSPC, "No space left on device", "/blobs/.tmp-blob-");
    eprintln!("put_blob: {msg}");
    assert_intact(&layout, &stored, "after put_blob");
    let tar = layer_tar(&[("big", &big)]);
    let err = layout
        .put_layer(&tar[..], ocikit_layout::codec::Codec::None)
        .unwrap_err();
    assert_io(&err, ENOSPC, "No space left on device", "/blobs");
    assert_intact(&layout, &stored, "after put_layer");

    // A disk full to the last block: a small blob and a tag fail too.
    let filler = tmpfs.path().join("filler");
    let mut file = fs::File::create(&filler).unwrap();
    let chunk = [0xa5u8; 4096];
    loop {
        match file.write_all(&chunk) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(ENOSPC) => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    drop(file);
    let manifest = layout.find_tag("v1").unwrap();
    let err = layout
        .put_bytes(MediaType::ImageLayer, &[1u8; 8192])
        .unwrap_err();
    assert_io(&err, ENOSPC, "No space left on device", "/blobs/.tmp-blob-");
    let err = layout.tag("v2", &manifest).unwrap_err();
    // Named by the file being replaced (the temporary name means nothing to
    // a user), and no temporary file is left beside it.
    let msg = assert_io(
        &err,
        ENOSPC,
        "No space left on device",
        "write the temporary file for ",
    );
    assert!(
        msg.ends_with("/l/index.json: No space left on device (os error 28)"),
        "{msg}"
    );
    assert!(
        !fs::read_dir(layout.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".tmp-")),
        "a temporary file was left in the layout"
    );
    eprintln!("tag: {msg}");
    assert_eq!(fs::read(layout.index_path()).unwrap(), stored.index_json);
    assert_intact(&layout, &stored, "after tag on a full disk");

    // Space again: writes work.
    fs::remove_file(&filler).unwrap();
    let d = layout
        .put_bytes(MediaType::ImageLayer, &random(256 << 10, 9))
        .unwrap();
    assert!(layout.has_blob(&d.digest));
    layout.tag("v2", &manifest).unwrap();
    assert_eq!(
        layout.resolve("v2", None).unwrap().descriptor.digest,
        manifest.digest
    );
    assert_intact(&layout, &stored, "after space was freed");
}

/// A layout on a read-only file system: every read works (resolve, blob
/// reads, fsck, tags, a gc dry run, which needs no lock there since
/// nothing can change the layout); writes fail with EROFS naming the file
/// they were to create or remove (a blob's temporary file, `index.json`'s
/// replacement, the garbage blob gc would remove).
#[test]
fn a_read_only_layout_reads_and_refuses_writes_by_name() {
    let Some(tmpfs) = Tmpfs::mount("4m") else {
        return;
    };
    let layout = Layout::init(tmpfs.path().join("l")).unwrap();
    small_image(&layout, "v1", "read only");
    let stored = record(&layout);
    let manifest = layout.find_tag("v1").unwrap();
    let garbage = layout.put_bytes(MediaType::ImageLayer, b"garbage").unwrap();
    let now = GcOptions {
        grace: Duration::ZERO,
        ..GcOptions::default()
    };
    // A layout never locked before has no lock files either.
    fs::remove_file(layout.path().join(Layout::LOCK_FILE)).ok();
    tmpfs.remount("ro");

    let layout = Layout::open(layout.path()).unwrap();
    assert_intact(&layout, &stored, "read-only");
    assert_eq!(layout.list_tags().unwrap(), ["v1"]);

    let err = layout.put_bytes(MediaType::ImageLayer, b"x").unwrap_err();
    assert_io(&err, EROFS, "Read-only file system", "/blobs/.tmp-blob-");
    let err = layout.tag("v2", &manifest).unwrap_err();
    assert_io(&err, EROFS, "Read-only file system", "/l/index.json");
    let dry = layout
        .gc(&GcOptions {
            dry_run: true,
            ..now.clone()
        })
        .unwrap();
    assert_eq!(dry.removed.len(), 1, "{dry:?}");
    assert_eq!(dry.removed[0].digest, garbage.digest);
    let err = layout.gc(&now).unwrap_err();
    let blob = layout.blob_path(&garbage.digest);
    assert_io(&err, EROFS, "Read-only file system", blob.to_str().unwrap());
    assert!(layout.has_blob(&garbage.digest));

    tmpfs.remount("rw");
    assert_intact(&layout, &stored, "read-write again");
    layout.tag("v2", &manifest).unwrap();
}

/// A blob deleted, or rewritten with other content, after the tag was
/// resolved: each read ends with an error naming the digest (not in the
/// layout; a size mismatch; a digest mismatch, also when the content
/// changes under an open reader), never a panic and never wrong bytes.
/// Putting the right bytes back recovers.
#[test]
fn a_blob_deleted_or_corrupted_after_resolve_is_named_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    small_image(&layout, "v1", "vanishing");
    let stored = record(&layout);
    let resolved = layout.resolve("v1", None).unwrap();
    let layer = resolved.manifest.layers[0].clone();
    let config = resolved.manifest.config.clone();
    let layer_bytes = fs::read(layout.blob_path(&layer.digest)).unwrap();
    let config_bytes = fs::read(layout.blob_path(&config.digest)).unwrap();

    // Deleted.
    fs::remove_file(layout.blob_path(&layer.digest)).unwrap();
    let err = layout.open_blob(&layer).unwrap_err();
    assert!(matches!(err, Error::BlobNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("blob {} is not in the layout", layer.digest)
    );

    // One byte longer than its descriptor.
    let mut longer = config_bytes.clone();
    longer.push(b'\n');
    fs::write(layout.blob_path(&config.digest), &longer).unwrap();
    let err = layout.read_config(&config).unwrap_err();
    assert!(matches!(err, Error::Verify(_)), "{err:?}");
    let msg = err.to_string();
    for part in [
        config.digest.to_string(),
        config.size.to_string(),
        longer.len().to_string(),
    ] {
        assert!(msg.contains(&part), "{msg:?} should name {part}");
    }

    // Same size, one byte changed.
    let mut flipped = config_bytes.clone();
    flipped[0] ^= 0x20;
    fs::write(layout.blob_path(&config.digest), &flipped).unwrap();
    let err = layout.read_config(&config).unwrap_err();
    assert!(matches!(err, Error::Verify(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&config.digest.to_string()) && msg.contains("hashes to"),
        "{msg}"
    );

    // Changed under an open reader: the reader fails at its end.
    fs::write(layout.blob_path(&config.digest), &config_bytes).unwrap();
    let mut reader = layout.open_blob(&config).unwrap();
    fs::write(layout.blob_path(&config.digest), &flipped).unwrap();
    let mut read = Vec::new();
    let err = reader.read_to_end(&mut read).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    assert!(
        err.to_string().contains(&config.digest.to_string()),
        "{err}"
    );

    // fsck names both; putting the bytes back recovers.
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    let named: Vec<_> = report
        .damage()
        .filter_map(|p| p.digest().cloned())
        .collect();
    assert!(
        named.contains(&layer.digest) && named.contains(&config.digest),
        "{report}"
    );
    fs::write(layout.blob_path(&config.digest), &config_bytes).unwrap();
    fs::write(layout.blob_path(&layer.digest), &layer_bytes).unwrap();
    assert_intact(&layout, &stored, "after the blobs were restored");
}

/// `index.json` truncated, empty, not JSON, or JSON of the wrong shape:
/// reads, resolve and fsck name `index.json` and what is wrong; tagging,
/// untagging and gc refuse rather than replace it (with an empty index
/// they would drop every tag), so its bytes stay as they were for a person
/// to repair. Written back, the layout works again.
#[test]
fn a_broken_index_json_is_named_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let manifest = small_image(&layout, "v1", "broken index");
    let stored = record(&layout);
    let good = stored.index_json.clone();
    let cases: [(&str, Vec<u8>, &str); 6] = [
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "EOF while parsing",
        ),
        (
            "empty",
            Vec::new(),
            "the file is empty (0 bytes), expected a JSON object",
        ),
        (
            "blank",
            b"\n\n".to_vec(),
            "the file is empty (2 bytes), expected a JSON object",
        ),
        (
            "not JSON",
            b"<html>gateway timeout</html>".to_vec(),
            "expected value",
        ),
        (
            "manifests not a list",
            br#"{"schemaVersion":2,"manifests":5}"#.to_vec(),
            "manifests",
        ),
        ("null", b"null".to_vec(), "expected"),
    ];
    for (case, bytes, expected) in cases {
        fs::write(layout.index_path(), &bytes).unwrap();
        let layout = Layout::open(layout.path()).unwrap();
        let errors = [
            layout.index().unwrap_err(),
            layout.resolve("v1", None).unwrap_err(),
            layout.tag("v2", &manifest).unwrap_err(),
            layout.untag("v1").unwrap_err(),
            layout.gc(&GcOptions::default()).unwrap_err(),
        ];
        for err in errors {
            assert!(matches!(err, Error::Document { .. }), "{case}: {err:?}");
            let msg = err.to_string();
            eprintln!("{case}: {msg}");
            assert!(
                msg.starts_with("index.json: image index: "),
                "{case}: {msg}"
            );
            assert!(
                msg.contains(expected),
                "{case}: {msg:?} should say {expected:?}"
            );
        }
        let report = layout.fsck(&FsckOptions::default()).unwrap();
        assert!(
            report.to_string().contains("index.json"),
            "{case}: fsck should name index.json:\n{report}"
        );
        assert_eq!(
            fs::read(layout.index_path()).unwrap(),
            bytes,
            "{case}: replaced"
        );
        assert!(temp_files(&layout).is_empty(), "{case}");
    }
    fs::write(layout.index_path(), &good).unwrap();
    assert_intact(&layout, &stored, "after index.json was written back");
}

/// Runs the ignored test `name` of this binary in a child process working
/// on `layout`.
fn spawn_child(name: &str, layout: &Layout) -> KilledOnDrop {
    let child = ignored_test(name)
        .env(LAYOUT_VAR, layout.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    KilledOnDrop(child)
}

fn child_layout() -> Layout {
    Layout::open(std::env::var(LAYOUT_VAR).expect("run by a parent test")).unwrap()
}

/// Waits (up to a minute) for `ready` to hold, failing if the child ends.
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended before {what}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no {what} within a minute"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[ignore = "a child process of a_lock_held_by_a_killed_process_is_released"]
fn child_lock_holder() {
    let layout = child_layout();
    let _lock = layout.lock_index().unwrap();
    fs::write(layout.path().join("holder-ready"), b"").unwrap();
    std::thread::sleep(Duration::from_secs(600));
}

/// A process that holds the index lock and is SIGKILLed: while it lives,
/// the lock is held (a non-blocking attempt fails with WouldBlock); once
/// it is dead, the kernel has released it and the next tag proceeds. The
/// lock file has no content (no pid, nothing to go stale): only the flock.
#[test]
fn a_lock_held_by_a_killed_process_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let manifest = small_image(&layout, "v1", "stale lock");
    let stored = record(&layout);
    let mut guard = spawn_child("child_lock_holder", &layout);
    let child = &mut guard.0;
    let ready = layout.path().join("holder-ready");
    wait_for(child, "the child took the lock", || ready.exists());
    let lock_path = layout.path().join(Layout::LOCK_FILE);
    let probe = fs::OpenOptions::new().write(true).open(&lock_path).unwrap();
    assert!(
        matches!(probe.try_lock(), Err(fs::TryLockError::WouldBlock)),
        "the child should hold the index lock"
    );
    child.kill().unwrap(); // SIGKILL: no destructor runs
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(9), "{status}");
    probe.try_lock().unwrap();
    probe.unlock().unwrap();
    assert_eq!(
        fs::metadata(&lock_path).unwrap().len(),
        0,
        "the lock file holds nothing"
    );
    fs::remove_file(&ready).unwrap();
    layout.tag("v2", &manifest).unwrap();
    assert_eq!(layout.list_tags().unwrap(), ["v1", "v2"]);
    assert_intact(&layout, &stored, "after the lock holder was killed");
}

#[test]
#[ignore = "a child process of a_writer_killed_mid_blob_leaves_no_blob_and_gc_clears_its_temp_file"]
fn child_big_writer() {
    let layout = child_layout();
    let mut writer = layout.blob_writer().unwrap();
    let chunk = random(1 << 20, 11);
    for _ in 0..4096 {
        writer.write_all(&chunk).unwrap();
        writer.flush().unwrap();
    }
    panic!("the parent should have killed this writer long before 4 GiB");
}

/// A writer SIGKILLed while writing a large blob: no file appears under
/// any digest name (the blob set is what it was), its partial temporary
/// file stays in `blobs/` as fsck's and gc's known kind of garbage; gc
/// leaves it while it is younger than `TEMP_FILE_MAX_AGE` (a writer may
/// still be at work) and removes it once older, after which the layout is
/// as before.
#[test]
fn a_writer_killed_mid_blob_leaves_no_blob_and_gc_clears_its_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    small_image(&layout, "v1", "crash");
    let stored = record(&layout);
    let mut blobs_before = layout.list_blobs().unwrap();
    blobs_before.sort();
    let mut guard = spawn_child("child_big_writer", &layout);
    let child = &mut guard.0;
    wait_for(child, "8 MiB written", || {
        temp_files(&layout)
            .iter()
            .any(|p| fs::metadata(p).is_ok_and(|m| m.len() >= 8 << 20))
    });
    child.kill().unwrap();
    child.wait().unwrap();

    let mut blobs_after = layout.list_blobs().unwrap();
    blobs_after.sort();
    assert_eq!(
        blobs_after, blobs_before,
        "a partial blob appeared under a digest"
    );
    let temps = temp_files(&layout);
    assert_eq!(temps.len(), 1, "{temps:?}");
    let temp = temps[0].clone();
    assert!(temp.starts_with(layout.blobs_path()), "{temp:?}");
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    assert_eq!(report.damage().count(), 0, "{report}");

    let gc = layout.gc(&GcOptions::default()).unwrap();
    assert!(gc.removed_temp_files.is_empty() && temp.exists(), "{gc:?}");
    // Eight days later (past TEMP_FILE_MAX_AGE): fsck calls it stale and gc
    // removes it.
    let old = SystemTime::now() - Duration::from_secs(8 * 24 * 3600);
    fs::File::options()
        .write(true)
        .open(&temp)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    assert!(
        report.to_string().contains("stale temporary file"),
        "{report}"
    );
    let gc = layout.gc(&GcOptions::default()).unwrap();
    assert_eq!(gc.removed_temp_files, std::slice::from_ref(&temp));
    assert!(!temp.exists());
    assert_intact(&layout, &stored, "after gc");
    assert!(layout.fsck(&FsckOptions::default()).unwrap().is_clean());
}
