//! gc: what is live and what is garbage, the grace period, dry runs, refusal
//! when what a manifest references cannot be known, and gc beside
//! concurrent writers (a thread and a separate process).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use ocikit_image::{
    Algorithm, Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, MediaType,
    Platform,
};
use ocikit_layout::{Error, FsckOptions, GcOptions, Layout};
use ocikit_test_support::layouts::{build_image, layer_tar, small_image};

const HOUR: Duration = Duration::from_secs(3600);

fn new_layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    (dir, layout)
}

/// No writer runs in these tests, so nothing needs a grace period.
fn now_gc() -> GcOptions {
    GcOptions {
        grace: Duration::ZERO,
        dry_run: false,
    }
}

/// Sets a file's modification time `by` in the past (tolerating a file gc
/// already removed): how these tests let time pass.
fn backdate(path: &Path, by: Duration) {
    if let Ok(file) = File::options().write(true).open(path) {
        file.set_modified(SystemTime::now() - by).unwrap();
    }
}

/// The digests of an image manifest and everything it references.
fn image_blobs(layout: &Layout, manifest: &Descriptor) -> Vec<Digest> {
    let m = layout.read_manifest(manifest).unwrap();
    let mut blobs = vec![manifest.digest.clone(), m.config.digest.clone()];
    blobs.extend(m.layers.iter().map(|l| l.digest.clone()));
    blobs
}

fn set(digests: impl IntoIterator<Item = Digest>) -> BTreeSet<Digest> {
    digests.into_iter().collect()
}

/// An artifact manifest whose subject is `subject`, stored (not tagged).
fn referrer(layout: &Layout, subject: &Descriptor, content: &[u8]) -> Descriptor {
    let empty = layout.put_bytes(MediaType::EmptyJson, b"{}").unwrap();
    let blob = layout
        .put_bytes("application/vnd.example.sbom.v1+json".into(), content)
        .unwrap();
    let manifest = ImageManifest {
        artifact_type: Some("application/vnd.example.sbom.v1".into()),
        config: empty,
        layers: vec![blob],
        subject: Some(subject.clone()),
        ..Default::default()
    };
    layout.put_json(&manifest).unwrap()
}

#[test]
fn gc_removes_exactly_the_unreachable_blobs() {
    let (_dir, layout) = new_layout();
    let platform: Platform = "linux/amd64".parse().unwrap();

    // Live: a tagged image, its tagged referrer, and a tagged index holding
    // an image and a nested index holding another, one with a sha512 layer.
    let a = small_image(&layout, "a", "a");
    let signature = referrer(&layout, &a, b"signed");
    layout.tag("a-sig", &signature).unwrap();
    let c = small_image(&layout, "c", "c");
    let mut writer = layout.blob_writer_with(&Algorithm::Sha512).unwrap();
    writer
        .write_all(&layer_tar(&[("d.txt", b"sha512 layer")]))
        .unwrap();
    let sha512_layer = writer.commit().unwrap().descriptor(MediaType::ImageLayer);
    let mut config = ImageConfiguration::for_platform(&platform);
    config.rootfs.diff_ids.push(sha512_layer.digest.clone());
    let d = ImageManifest {
        config: layout.put_json(&config).unwrap(),
        layers: vec![sha512_layer.clone()],
        ..Default::default()
    };
    let d = layout.put_json(&d).unwrap().with_platform(platform.clone());
    let inner = layout.put_json(&ImageIndex::new(vec![d.clone()])).unwrap();
    let outer = layout
        .put_json(&ImageIndex::new(vec![c.clone(), inner.clone()]))
        .unwrap();
    layout.untag("c").unwrap(); // c stays live through the index only
    layout.tag("multi", &outer).unwrap();

    // Garbage: an untagged image, an untagged referrer of a live image, a
    // sha512 blob nobody references.
    let b = small_image(&layout, "b", "b");
    let b_blobs = image_blobs(&layout, &b);
    layout.untag("b").unwrap();
    let stray_referrer = referrer(&layout, &a, b"not tagged");
    let mut writer = layout.blob_writer_with(&Algorithm::Sha512).unwrap();
    writer.write_all(b"sha512 garbage").unwrap();
    let sha512_garbage = writer.commit().unwrap().digest;
    let stray_layer = layout.read_manifest(&stray_referrer).unwrap().layers[0].clone();

    // Not blobs: never touched.
    let root = layout.path().to_path_buf();
    let unknown = [
        root.join("blobs/sha256/README"),
        root.join("blobs/stray"),
        root.join("blobs/other-alg-dir-file"),
        root.join("notes.txt"),
    ];
    for path in &unknown {
        fs::write(path, b"keep me").unwrap();
    }
    let in_flight = root.join("blobs/.tmp-blob-in-flight");
    fs::write(&in_flight, b"half a layer").unwrap();

    let mut live = BTreeSet::new();
    for image in [&a, &signature, &c, &d] {
        live.extend(image_blobs(&layout, image));
    }
    live.extend([inner.digest.clone(), outer.digest.clone()]);
    let mut garbage = set(b_blobs);
    garbage.extend([
        stray_referrer.digest.clone(),
        stray_layer.digest.clone(),
        sha512_garbage.clone(),
    ]);
    assert_eq!(
        set(layout.list_blobs().unwrap()),
        live.union(&garbage).cloned().collect(),
        "the test's own bookkeeping"
    );

    let report = layout.gc(&now_gc()).unwrap();
    let removed = set(report.removed.iter().map(|r| r.digest.clone()));
    assert_eq!(removed, garbage);
    assert_eq!(set(layout.list_blobs().unwrap()), live);
    assert!(report.removed.iter().any(|r| r.digest == sha512_garbage));
    assert!(layout.has_blob(&sha512_layer.digest));
    assert_eq!(report.reachable, live.len());
    assert_eq!(
        report.bytes_freed,
        report.removed.iter().map(|r| r.size).sum::<u64>()
    );
    let sizes: u64 = report.removed.iter().map(|r| r.size).sum();
    assert!(sizes > 0);
    for path in unknown.iter().chain([&in_flight]) {
        assert!(path.exists(), "{} was removed", path.display());
    }
    assert!(report.removed_temp_files.is_empty());

    // What is left is whole, and a second gc finds nothing.
    let fsck = layout.fsck(&FsckOptions::default()).unwrap();
    assert!(fsck.is_clean(), "{fsck}");
    assert!(layout.gc(&now_gc()).unwrap().removed.is_empty());
    layout.resolve("multi", Some(&platform)).unwrap();
}

#[test]
fn the_grace_period_keeps_young_blobs_and_temp_files_age_out_later() {
    let (_dir, layout) = new_layout();
    let old = layout.put_bytes(MediaType::ImageLayer, b"old").unwrap();
    let young = layout.put_bytes(MediaType::ImageLayer, b"young").unwrap();
    backdate(&layout.blob_path(&old.digest), 2 * HOUR);
    let blobs = layout.blobs_path();
    let crashed = blobs.join(".tmp-blob-1-2-crashed");
    let stalled = blobs.join(".tmp-blob-1-3-stalled");
    let crashed_index = layout.path().join(".tmp-write-1-4-crashed");
    for path in [&crashed, &stalled, &crashed_index] {
        fs::write(path, b"partial").unwrap();
    }
    backdate(&crashed, 8 * 24 * HOUR);
    backdate(&crashed_index, 8 * 24 * HOUR);
    backdate(&stalled, 2 * 24 * HOUR);

    let report = layout
        .gc(&GcOptions {
            grace: HOUR,
            dry_run: false,
        })
        .unwrap();
    assert_eq!(
        report.removed.iter().map(|r| &r.digest).collect::<Vec<_>>(),
        [&old.digest]
    );
    assert_eq!(report.kept_by_grace, 1);
    assert!(layout.has_blob(&young.digest));
    // Sorted by path: the root's `.tmp-*` before `blobs/`.
    assert_eq!(
        report.removed_temp_files,
        [crashed_index.clone(), crashed.clone()]
    );
    assert!(!crashed.exists() && !crashed_index.exists());
    assert!(stalled.exists(), "a temp file younger than a week is kept");

    // The default grace is a day: the hour-old blob is kept by it.
    backdate(&layout.blob_path(&young.digest), 2 * HOUR);
    let report = layout.gc(&GcOptions::default()).unwrap();
    assert!(report.removed.is_empty());
    assert_eq!(report.kept_by_grace, 1);
}

#[test]
fn a_dry_run_removes_nothing_and_lists_what_a_real_run_removes() {
    let (_dir, layout) = new_layout();
    small_image(&layout, "keep", "keep");
    for seed in ["x", "y"] {
        small_image(&layout, seed, seed);
        layout.untag(seed).unwrap();
    }
    let temp = layout.blobs_path().join(".tmp-blob-0-0-0");
    fs::write(&temp, b"crash").unwrap();
    backdate(&temp, 30 * 24 * HOUR);
    let before = set(layout.list_blobs().unwrap());

    let dry = layout
        .gc(&GcOptions {
            dry_run: true,
            ..now_gc()
        })
        .unwrap();
    assert!(dry.dry_run);
    assert_eq!(set(layout.list_blobs().unwrap()), before);
    assert!(temp.exists());
    assert_eq!(dry.removed.len(), 6, "two images of three blobs each");

    let real = layout.gc(&now_gc()).unwrap();
    assert!(!real.dry_run);
    assert_eq!(real.removed, dry.removed);
    assert_eq!(real.bytes_freed, dry.bytes_freed);
    assert_eq!(real.removed_temp_files, dry.removed_temp_files);
    assert_eq!(real.removed_temp_files, std::slice::from_ref(&temp));
    assert!(!temp.exists());
    assert_eq!(
        set(layout.list_blobs().unwrap()),
        before
            .difference(&set(dry.removed.iter().map(|r| r.digest.clone())))
            .cloned()
            .collect()
    );
}

/// A layout with a tagged image, a tagged index of two images, and garbage;
/// returns the index's second manifest (the one the tests break) and the garbage.
fn layout_to_break(layout: &Layout) -> (Descriptor, Vec<Digest>) {
    small_image(layout, "plain", "plain");
    let one = small_image(layout, "one", "one");
    let two = small_image(layout, "two", "two");
    layout.untag("one").unwrap();
    layout.untag("two").unwrap();
    let index = layout
        .put_json(&ImageIndex::new(vec![one, two.clone()]))
        .unwrap();
    layout.tag("both", &index).unwrap();
    let garbage = small_image(layout, "garbage", "garbage");
    let garbage_blobs = image_blobs(layout, &garbage);
    layout.untag("garbage").unwrap();
    (two, garbage_blobs)
}

fn assert_refused(layout: &Layout, broken: &Descriptor, garbage: &[Digest], why: &str) {
    let before = set(layout.list_blobs().unwrap());
    for dry_run in [true, false] {
        let err = layout
            .gc(&GcOptions {
                dry_run,
                ..now_gc()
            })
            .unwrap_err();
        match &err {
            Error::GcUnsafe { digest, path, .. } => {
                assert_eq!(digest, &broken.digest);
                assert_eq!(path, "index.json manifests[1] -> manifests[1]");
            }
            other => panic!("expected GcUnsafe, got {other}"),
        }
        let message = err.to_string();
        assert!(message.contains(why), "{message}");
        assert!(message.contains("nothing was removed"), "{message}");
    }
    assert_eq!(set(layout.list_blobs().unwrap()), before);
    assert!(garbage.iter().all(|d| layout.has_blob(d)));
}

#[test]
fn gc_refuses_to_run_when_a_referenced_manifest_is_missing() {
    let (_dir, layout) = new_layout();
    let (two, garbage) = layout_to_break(&layout);
    fs::remove_file(layout.blob_path(&two.digest)).unwrap();
    assert_refused(&layout, &two, &garbage, "it is not in the layout");
}

#[test]
fn gc_refuses_to_run_when_a_referenced_manifest_is_corrupt() {
    let (_dir, layout) = new_layout();
    let (two, garbage) = layout_to_break(&layout);
    let path = layout.blob_path(&two.digest);
    let mut bytes = fs::read(&path).unwrap();
    bytes[10] ^= 0x20;
    fs::write(&path, &bytes).unwrap();
    assert_refused(&layout, &two, &garbage, "content hashes to");
}

#[test]
fn gc_refuses_to_run_when_a_referenced_manifest_does_not_parse() {
    let (_dir, layout) = new_layout();
    let (_, garbage) = layout_to_break(&layout);
    // An index entry whose blob is there and verifies, but is not a manifest.
    let not_json = layout
        .put_bytes(MediaType::ImageManifest, b"not json at all")
        .unwrap();
    let index = layout.find_tag("both").unwrap();
    let mut entries = layout.read_index(&index).unwrap().manifests.clone();
    entries[1] = not_json.clone();
    let index = layout.put_json(&ImageIndex::new(entries)).unwrap();
    layout.tag("both", &index).unwrap();
    assert_refused(&layout, &not_json, &garbage, "image manifest");
}

#[test]
fn a_missing_subject_or_leaf_does_not_stop_gc() {
    let (_dir, layout) = new_layout();
    let a = small_image(&layout, "a", "a");
    let sig = referrer(&layout, &a, b"sig");
    layout.tag("sig", &sig).unwrap();
    layout.untag("a").unwrap();
    let garbage = layout.put_bytes(MediaType::ImageLayer, b"junk").unwrap();
    // The subject is still live through the tagged referrer; remove it by hand.
    for digest in image_blobs(&layout, &a) {
        fs::remove_file(layout.blob_path(&digest)).unwrap();
    }
    let report = layout.gc(&now_gc()).unwrap();
    assert_eq!(
        report.removed.iter().map(|r| &r.digest).collect::<Vec<_>>(),
        [&garbage.digest]
    );
    // A missing layer of a tagged image does not stop gc either.
    let b = small_image(&layout, "b", "b");
    let layer = layout.read_manifest(&b).unwrap().layers[0].clone();
    fs::remove_file(layout.blob_path(&layer.digest)).unwrap();
    layout.gc(&now_gc()).unwrap();
}

#[test]
fn a_zero_grace_loses_what_a_writer_has_not_tagged_yet() {
    // Why the grace period exists: a writer puts blobs, then tags. A gc
    // with no grace in between removes them, and the tag that follows
    // names an image whose blobs are gone.
    let (_dir, layout) = new_layout();
    let layer = layout.put_bytes(MediaType::ImageLayer, b"layer").unwrap();
    let report = layout.gc(&now_gc()).unwrap();
    assert_eq!(report.removed.len(), 1);
    assert!(!layout.has_blob(&layer.digest));

    // With a grace period longer than put-to-tag, the same blob is kept.
    let layer = layout.put_bytes(MediaType::ImageLayer, b"layer").unwrap();
    let report = layout
        .gc(&GcOptions {
            grace: HOUR,
            dry_run: false,
        })
        .unwrap();
    assert!(report.removed.is_empty());
    assert_eq!(report.kept_by_grace, 1);
    assert!(layout.has_blob(&layer.digest));
}

#[test]
fn reusing_an_old_blob_protects_it_again() {
    let (_dir, layout) = new_layout();
    let grace = GcOptions {
        grace: HOUR,
        dry_run: false,
    };
    // An old unreferenced blob that a writer is about to reference again,
    // by writing it (commit refreshes its time) or by finding it present.
    let written = layout.put_bytes(MediaType::ImageLayer, b"written").unwrap();
    let found = layout.put_bytes(MediaType::ImageLayer, b"found").unwrap();
    let path = layout.blob_path(&written.digest);
    let inode = std::os::unix::fs::MetadataExt::ino(&fs::metadata(&path).unwrap());
    for d in [&written, &found] {
        backdate(&layout.blob_path(&d.digest), 2 * HOUR);
    }
    assert_eq!(
        layout
            .gc(&GcOptions {
                dry_run: true,
                ..grace.clone()
            })
            .unwrap()
            .removed
            .len(),
        2
    );

    let again = layout.put_bytes(MediaType::ImageLayer, b"written").unwrap();
    assert_eq!(again, written);
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&fs::metadata(&path).unwrap()),
        inode,
        "refreshed, not rewritten"
    );
    assert!(layout.touch_blob(&found.digest).unwrap());
    let report = layout.gc(&grace).unwrap();
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(report.kept_by_grace, 2);

    // touch_blob says when a blob must be written after all.
    let gone = Digest::sha256(b"never stored");
    assert!(!layout.touch_blob(&gone).unwrap());
}

/// How many images each concurrent writer builds.
const ROUNDS: usize = 40;
/// The grace period of the concurrent test: longer than any writer's
/// put-to-tag window. Time passing beyond it is simulated by backdating.
const GRACE: Duration = HOUR;
/// Set, for the child process, to the layout the child writes to.
const CHILD_ENV: &str = "OCI_LAYOUT_GC_TEST_CHILD_LAYOUT";

/// A writer following the protocol: put blobs, put the manifest, tag. Each
/// image has a layer of its own and one of four base layers, used in turn,
/// and the writer keeps only its last two images tagged. Once an image is
/// untagged, its blobs are made older than the grace period: time passing
/// for a writer that will not use them again. A base layer comes round
/// again three images later, when it is unreachable and old, so the writer
/// re-uses blobs at the moment gc may be removing them.
fn writer(layout: &Layout, name: &str) {
    let tag = |i: usize| format!("{name}-{i}");
    for i in 0..ROUNDS {
        let base = layer_tar(&[("base.txt", format!("{name} base {}", i % 4).as_bytes())]);
        let own = layer_tar(&[("own.txt", format!("{name} image {i}").as_bytes())]);
        build_image(layout, &tag(i), &[base, own]);
        if i >= 2 {
            let old = layout.untag(&tag(i - 2)).unwrap();
            for digest in image_blobs(layout, &old) {
                backdate(&layout.blob_path(&digest), 2 * GRACE);
            }
        }
    }
}

/// The second writer of the concurrent test, in a process of its own: this
/// test does nothing unless the test below started it.
#[test]
fn concurrent_writer_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    writer(&Layout::open(path).unwrap(), "process");
}

#[test]
fn gc_beside_concurrent_writers_loses_nothing_referenced() {
    let (_dir, layout) = new_layout();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "concurrent_writer_child", "--nocapture"])
        .env(CHILD_ENV, layout.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let thread = {
        let layout = layout.clone();
        std::thread::spawn(move || writer(&layout, "thread"))
    };
    let options = GcOptions {
        grace: GRACE,
        dry_run: false,
    };
    let mut removed = 0;
    let mut runs = 0;
    // gc runs over and over until both writers are done: no timing is
    // asserted, the pause only lets taggers take the index lock.
    while !(thread.is_finished() && child.try_wait().unwrap().is_some()) || runs == 0 {
        removed += layout.gc(&options).unwrap().removed.len();
        runs += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    thread.join().unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "child writer failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child ran its writer"
    );

    // Every tag resolves and every reachable blob is there and verified.
    let platform: Platform = "linux/amd64".parse().unwrap();
    let tags = layout.list_tags().unwrap();
    let expected: Vec<String> = ["process", "thread"]
        .iter()
        .flat_map(|w| [ROUNDS - 2, ROUNDS - 1].map(|i| format!("{w}-{i}")))
        .collect();
    assert_eq!(tags, expected);
    for tag in &tags {
        layout.resolve(tag, Some(&platform)).unwrap();
    }
    let fsck = layout.fsck(&FsckOptions::default()).unwrap();
    assert_eq!(fsck.damage().count(), 0, "{fsck}");

    // Everything untagged is old by now: a last gc leaves a clean layout.
    removed += layout.gc(&options).unwrap().removed.len();
    let fsck = layout.fsck(&FsckOptions::default()).unwrap();
    assert!(fsck.is_clean(), "{fsck}");
    assert!(removed > 0);
    eprintln!("gc ran {runs} times beside the writers; {removed} blobs removed in all");
}

#[test]
fn a_writer_reusing_a_blob_waits_for_a_sweep_in_progress() {
    // gc holds blobs.lock exclusively while it sweeps; a commit that finds
    // its blob present refreshes it under the shared lock, so it cannot
    // slip between gc's look at the blob's age and its removal.
    let (_dir, layout) = new_layout();
    let blob = layout.put_bytes(MediaType::ImageLayer, b"shared").unwrap();
    let sweep = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(layout.path().join(Layout::BLOBS_LOCK_FILE))
        .unwrap();
    sweep.lock().unwrap(); // what gc holds while it sweeps
    let (done, finished) = std::sync::mpsc::channel();
    let writer = {
        let layout = layout.clone();
        std::thread::spawn(move || {
            let again = layout.put_bytes(MediaType::ImageLayer, b"shared").unwrap();
            done.send(again).unwrap();
        })
    };
    // Waiting can only make this pass late, never fail falsely.
    assert!(
        finished.recv_timeout(Duration::from_millis(300)).is_err(),
        "the commit went ahead during the sweep"
    );
    fs::remove_file(layout.blob_path(&blob.digest)).unwrap(); // the sweep removes it
    sweep.unlock().unwrap();
    assert_eq!(finished.recv().unwrap(), blob);
    writer.join().unwrap();
    assert!(layout.has_blob(&blob.digest), "the writer stored it again");
}

#[test]
fn a_manifest_also_referenced_as_a_plain_blob_is_still_followed() {
    // A crafted layout lists a manifest first under a layer media type (a
    // leaf), then as a manifest: the walk still reads it, so its layers live.
    let (_dir, layout) = new_layout();
    let image = small_image(&layout, "image", "image");
    let layers = image_blobs(&layout, &image);
    let mut as_layer = image.clone();
    as_layer.media_type = MediaType::ImageLayer;
    layout.untag("image").unwrap();
    layout.tag("a-leaf", &as_layer).unwrap();
    let index = layout.put_json(&ImageIndex::new(vec![image])).unwrap();
    layout.tag("b-index", &index).unwrap();
    assert!(layout.gc(&now_gc()).unwrap().removed.is_empty());
    assert!(layers.iter().all(|d| layout.has_blob(d)));
}
