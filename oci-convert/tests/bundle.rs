//! Bundles: unpack writes a bundle runc can take (rootfs, a config.json
//! that validates, mode 0700) and refuses or cleans up what it must;
//! platforms are picked through nested indexes; progress reaches the total;
//! repack stores exactly the changes made (checked through umoci 0.4.7's
//! unpack) and nothing when there are none.

#![allow(clippy::unwrap_used)]

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ocikit_convert::{
    BuildOptions, ConfigChange, Error, IdMapping, ImageEdit, RepackOptions, UnpackOptions,
    build_layer, repack, unpack,
};
use ocikit_image::{Descriptor, ImageIndex, Json, MediaType, Platform, Validate};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;
use ocikit_layout::progress::{Progress, Status};
use ocikit_runtime_spec::Spec;
use ocikit_test_support::layouts::is_tag_changed;
use ocikit_test_support::peers;
use support::treecmp;

/// A layout with `v1`: one layer of the tree `make` fills, linux/amd64,
/// with Cmd and Env set.
fn image_of(dir: &Path, make: impl FnOnce(&Path)) -> Layout {
    let tree = dir.join("tree");
    fs::create_dir(&tree).unwrap();
    make(&tree);
    let layout = Layout::init(dir.join("layout")).unwrap();
    let layer = build_layer(&layout, &tree, Codec::gzip(), &BuildOptions::default()).unwrap();
    let mut image = ImageEdit::scratch(&"linux/amd64".parse().unwrap());
    image.append_layer(&layer, Default::default()).unwrap();
    image
        .change_config(&ConfigChange {
            env: vec!["PATH=/bin".into(), "GREETING=hello".into()],
            cmd: Some(vec!["/bin/sh".into(), "-c".into(), "true".into()]),
            working_dir: Some("/srv".into()),
            ..Default::default()
        })
        .unwrap();
    image.commit(&layout, "v1").unwrap();
    layout
}

/// Files for the repack tests: four to change or delete, one to keep.
fn small_tree(root: &Path) {
    fs::create_dir_all(root.join("etc/app")).unwrap();
    for (name, content) in [
        ("etc/app/one.conf", "one"),
        ("etc/app/two.conf", "two"),
        ("etc/hostname", "box"),
        ("srv.txt", "service"),
        ("keep.txt", "keep"),
    ] {
        fs::write(root.join(name), content).unwrap();
        support::set_mtime(&root.join(name), 1_600_000_000);
    }
}

fn options() -> UnpackOptions {
    UnpackOptions {
        rootless: !support::is_root(),
        ..UnpackOptions::default()
    }
}

#[test]
fn unpack_writes_a_bundle_runc_can_take() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), |t| {
        treecmp::sample_tree(t);
    });
    let bundle = dir.path().join("bundle");
    let unpacked = unpack(&layout, "v1", &bundle, &options()).unwrap();

    assert_eq!(
        fs::metadata(&bundle).unwrap().permissions().mode() & 0o7777,
        0o700
    );
    let rootfs = bundle.join("rootfs");
    assert_eq!(
        fs::metadata(&rootfs).unwrap().permissions().mode() & 0o7777,
        0o755
    );
    if support::is_root() {
        treecmp::assert_same(
            &treecmp::snapshot(&dir.path().join("tree")),
            &treecmp::snapshot(&rootfs),
            "the rootfs against the tree the layer was built from",
        );
    } else {
        assert_eq!(support::read(&rootfs.join("small.txt")), b"hello, layer\n");
    }

    let spec = Spec::from_json(&fs::read(bundle.join("config.json")).unwrap()).unwrap();
    assert_eq!(spec, unpacked.spec);
    spec.validate().unwrap();
    let process = spec.process.as_ref().unwrap();
    assert_eq!(process.args, ["/bin/sh", "-c", "true"]);
    assert_eq!(process.cwd, "/srv");
    assert!(process.env.contains(&"GREETING=hello".to_string()));
    assert_eq!(spec.root.as_ref().unwrap().path, "rootfs");

    let record = ocikit_convert::BundleRecord::load(&bundle).unwrap();
    assert_eq!(
        record.manifest.digest,
        layout.find_tag("v1").unwrap().digest
    );
    assert_eq!(record.manifest.digest, unpacked.manifest.digest);
    assert_eq!(unpacked.layers, 1);
}

#[test]
fn unpack_refuses_a_bundle_in_use_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), small_tree);
    for existing in ["rootfs", "config.json", "oci-bundle.json", "oci-baseline"] {
        let bundle = dir.path().join(format!("used-{existing}"));
        fs::create_dir(&bundle).unwrap();
        fs::write(bundle.join(existing), "mine").unwrap_or_else(|_| {
            fs::create_dir(bundle.join(existing)).unwrap();
        });
        let err = unpack(&layout, "v1", &bundle, &options()).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::Bundle { .. }) && message.contains(existing),
            "{message}"
        );
        assert_eq!(support::list(&bundle), [existing]);
    }
    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let err = unpack(&layout, "v1", &file, &options()).unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

#[test]
fn a_failed_unpack_removes_what_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), small_tree);
    // A second layer whose blob is corrupted after it was stored: the
    // first layer is applied before the second fails its digest.
    let extra = dir.path().join("extra");
    fs::create_dir(&extra).unwrap();
    fs::write(extra.join("later.txt"), vec![b'x'; 100_000]).unwrap();
    let layer = build_layer(&layout, &extra, Codec::None, &BuildOptions::default()).unwrap();
    let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
    image.append_layer(&layer, Default::default()).unwrap();
    image.commit(&layout, "v2").unwrap();
    let blob = layout.blob_path(&layer.descriptor.digest);
    let mut bytes = fs::read(&blob).unwrap();
    let last = bytes.len() - 2000;
    bytes[last] ^= 0xff;
    fs::set_permissions(&blob, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(&blob, &bytes).unwrap();

    let fresh = dir.path().join("fresh");
    let err = unpack(&layout, "v2", &fresh, &options()).unwrap_err();
    assert!(
        matches!(&err, Error::InLayer { index: 1, digest, .. } if *digest == layer.descriptor.digest),
        "{err}"
    );
    assert!(!fresh.exists(), "the bundle the unpack created is removed");

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    unpack(&layout, "v2", &empty, &options()).unwrap_err();
    assert!(
        support::list(&empty).is_empty(),
        "{:?}",
        support::list(&empty)
    );
    assert!(dir.path().join("tree/keep.txt").exists());
}

/// linux/amd64 and linux/arm64 images of different trees, in an index
/// inside an index, tagged `multi`.
fn multi_platform(dir: &Path) -> Layout {
    let layout = Layout::init(dir.join("layout")).unwrap();
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let tree = dir.join(arch);
        fs::create_dir(&tree).unwrap();
        fs::write(tree.join("arch"), arch).unwrap();
        let layer = build_layer(&layout, &tree, Codec::gzip(), &BuildOptions::default()).unwrap();
        let platform: Platform = format!("linux/{arch}").parse().unwrap();
        let mut image = ImageEdit::scratch(&platform);
        image.append_layer(&layer, Default::default()).unwrap();
        manifests.push(image.commit(&layout, arch).unwrap());
    }
    let inner = layout.put_json(&ImageIndex::new(manifests)).unwrap();
    let outer = layout.put_json(&ImageIndex::new(vec![inner])).unwrap();
    assert_eq!(outer.media_type, MediaType::ImageIndex);
    layout.tag("multi", &outer).unwrap();
    layout
}

#[test]
fn unpack_picks_the_platform_through_nested_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let layout = multi_platform(dir.path());
    for arch in ["amd64", "arm64"] {
        let bundle = dir.path().join(format!("bundle-{arch}"));
        let options = UnpackOptions {
            platform: Some(format!("linux/{arch}").parse().unwrap()),
            ..options()
        };
        let unpacked = unpack(&layout, "multi", &bundle, &options).unwrap();
        assert_eq!(
            fs::read(bundle.join("rootfs/arch")).unwrap(),
            arch.as_bytes()
        );
        assert_eq!(
            unpacked.manifest.digest,
            layout.find_tag(arch).unwrap().digest
        );
    }
    let bundle = dir.path().join("bundle-s390x");
    let options = UnpackOptions {
        platform: Some("linux/s390x".parse().unwrap()),
        ..options()
    };
    let err = unpack(&layout, "multi", &bundle, &options).unwrap_err();
    assert!(err.to_string().contains("s390x"), "{err}");
    assert!(!bundle.exists());
}

#[test]
fn unpack_refuses_an_image_for_another_os() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    let layer = build_layer(&layout, &tree, Codec::gzip(), &BuildOptions::default()).unwrap();
    let mut image = ImageEdit::scratch(&"windows/amd64".parse().unwrap());
    image.append_layer(&layer, Default::default()).unwrap();
    image.commit(&layout, "win").unwrap();
    let options = UnpackOptions {
        platform: Some("windows/amd64".parse().unwrap()),
        ..options()
    };
    let bundle = dir.path().join("bundle");
    let err = unpack(&layout, "win", &bundle, &options).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, Error::OsMismatch { .. })
            && message.contains("\"windows\"")
            && message.contains("\"linux\""),
        "{message}"
    );
    assert!(!bundle.exists());
}

#[test]
fn unpack_reports_progress_of_every_layer_up_to_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), |t| {
        treecmp::sample_tree(t);
    });
    let extra = dir.path().join("extra");
    fs::create_dir(&extra).unwrap();
    fs::write(extra.join("more"), vec![7u8; 3 << 20]).unwrap();
    let layer = build_layer(&layout, &extra, Codec::None, &BuildOptions::default()).unwrap();
    let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
    image.append_layer(&layer, Default::default()).unwrap();
    image.commit(&layout, "v2").unwrap();
    let manifest = layout.resolve("v2", None).unwrap().manifest;
    let total: u64 = manifest.layers.iter().map(|l| l.size as u64).sum();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let progress = Progress::new(move |s: &Status<'_>| {
        log.lock()
            .unwrap()
            .push((s.task.to_string(), s.bytes, s.total_bytes, s.entries));
    });
    let options = UnpackOptions {
        progress,
        ..options()
    };
    let unpacked = unpack(&layout, "v2", &dir.path().join("bundle"), &options).unwrap();
    let seen = seen.lock().unwrap();
    // The 3 MiB file alone is reported in several steps.
    assert!(seen.len() > 12, "{} reports", seen.len());
    let tasks: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(tasks.first(), Some(&"unpack layer 1/2"));
    assert_eq!(tasks.last(), Some(&"unpack layer 2/2"));
    assert!(seen.iter().all(|s| s.2 == Some(total)));
    assert!(
        seen.windows(2)
            .all(|w| w[0].1 <= w[1].1 && w[0].3 <= w[1].3),
        "counts only grow: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(last.1, total);
    assert_eq!(last.3, unpacked.entries);
}

/// The changes of the repack tests: three files changed (content, mode,
/// both), one deleted, one added.
fn change(rootfs: &Path) {
    fs::write(rootfs.join("etc/app/one.conf"), "one, changed").unwrap();
    fs::set_permissions(
        rootfs.join("etc/hostname"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    fs::write(rootfs.join("srv.txt"), "service, changed").unwrap();
    fs::remove_file(rootfs.join("etc/app/two.conf")).unwrap();
}

#[test]
fn repack_stores_exactly_the_changes_and_umoci_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), small_tree);
    let bundle = dir.path().join("bundle");
    unpack(&layout, "v1", &bundle, &options()).unwrap();
    change(&bundle.join("rootfs"));
    let repacked = repack(&bundle, &layout, "v2", &RepackOptions::default()).unwrap();
    let layer = repacked.layer.unwrap();

    let tar = layout
        .read_blob(&layer.descriptor, 1 << 20)
        .map(|gz| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2_free_gunzip(&gz), &mut out).unwrap();
            out
        })
        .unwrap();
    let mut names = treecmp::tar_names(&tar);
    names.sort();
    assert_eq!(
        names,
        [
            "etc/",
            "etc/app/",
            "etc/app/.wh.two.conf",
            "etc/app/one.conf",
            "etc/hostname",
            "srv.txt"
        ]
    );

    let new = layout.resolve("v2", None).unwrap();
    assert_eq!(new.descriptor.digest, repacked.descriptor.digest);
    assert_eq!(new.manifest.layers.len(), 2);
    let config = layout.read_config(&new.manifest.config).unwrap();
    let history = config.history.last().unwrap();
    assert!(!history.empty_layer);
    assert_eq!(history.created_by.as_deref(), Some("oci-convert repack"));

    if !peers::require_tool("umoci") {
        return;
    }
    let before = treecmp::snapshot(&treecmp::umoci_unpack(
        layout.path(),
        "v1",
        &dir.path().join("umoci-v1"),
    ));
    let after = treecmp::snapshot(&treecmp::umoci_unpack(
        layout.path(),
        "v2",
        &dir.path().join("umoci-v2"),
    ));
    treecmp::assert_same(
        &treecmp::snapshot(&bundle.join("rootfs")),
        &after,
        "umoci's unpack of the repacked image against our changed rootfs",
    );
    let mut changed: Vec<String> = before
        .paths()
        .into_iter()
        .chain(after.paths())
        .filter(|p| before.nodes.get(Path::new(p)) != after.nodes.get(Path::new(p)))
        .collect();
    changed.sort();
    changed.dedup();
    assert_eq!(
        changed,
        [
            "etc/app/one.conf",
            "etc/app/two.conf",
            "etc/hostname",
            "srv.txt"
        ],
        "exactly the three changed files and the deleted one differ"
    );
}

/// gunzip with the same codec the layout uses, so this test needs no
/// compression crate of its own.
fn flate2_free_gunzip(gz: &[u8]) -> impl std::io::Read + '_ {
    ocikit_layout::codec::Decoder::new(gz, ocikit_layout::codec::Compression::Gzip).unwrap()
}

#[test]
fn repack_of_an_unchanged_rootfs_adds_no_layer_and_a_second_repack_only_the_new_changes() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), small_tree);
    let bundle = dir.path().join("bundle");
    unpack(&layout, "v1", &bundle, &options()).unwrap();
    let blobs = layout.list_blobs().unwrap().len();

    let same = repack(&bundle, &layout, "same", &RepackOptions::default()).unwrap();
    assert!(same.layer.is_none());
    assert_eq!(
        same.descriptor.digest,
        layout.find_tag("v1").unwrap().digest
    );
    assert_eq!(
        layout.find_tag("same").unwrap().digest,
        same.descriptor.digest
    );
    assert_eq!(layout.list_blobs().unwrap().len(), blobs, "no blob written");

    change(&bundle.join("rootfs"));
    let options = RepackOptions {
        codec: Codec::None,
        ..RepackOptions::default()
    };
    repack(&bundle, &layout, "v2", &options).unwrap();
    fs::write(bundle.join("rootfs/keep.txt"), "kept, then changed").unwrap();
    let v3 = repack(&bundle, &layout, "v3", &options).unwrap();
    let layer = v3.layer.unwrap();
    let tar = layout.read_blob(&layer.descriptor, 1 << 20).unwrap();
    assert_eq!(treecmp::tar_names(&tar), ["keep.txt"]);
    let image = layout.resolve("v3", None).unwrap();
    assert_eq!(image.manifest.layers.len(), 3);

    let again = repack(&bundle, &layout, "v4", &options).unwrap();
    assert!(again.layer.is_none());
    assert_eq!(again.descriptor.digest, image.descriptor.digest);
}

/// Two bundles of `v1`, each changed, repacked into `v1` at once: exactly
/// one wins; the other fails with `TagChanged` (the tag no longer names
/// the image its bundle was unpacked from), keeps its bundle as it was,
/// fails again on a second try (the winner's layer would be dropped
/// otherwise), and can still be repacked into another tag.
#[test]
fn repacks_into_one_tag_at_once_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), small_tree);
    let v1 = layout.find_tag("v1").unwrap();
    let bundles: Vec<_> = ["a", "b"]
        .iter()
        .map(|name| {
            let bundle = dir.path().join(name);
            unpack(&layout, "v1", &bundle, &options()).unwrap();
            fs::write(bundle.join("rootfs").join(name), *name).unwrap();
            bundle
        })
        .collect();
    let records: Vec<_> = bundles
        .iter()
        .map(|b| fs::read(b.join("oci-bundle.json")).unwrap())
        .collect();
    let barrier = std::sync::Barrier::new(bundles.len());
    let results: Vec<_> = std::thread::scope(|s| {
        let threads: Vec<_> = bundles
            .iter()
            .map(|bundle| {
                let (layout, barrier) = (&layout, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    repack(bundle, layout, "v1", &RepackOptions::default())
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let winner = results.iter().position(Result::is_ok).unwrap();
    let loser = 1 - winner;
    let won = results[winner].as_ref().unwrap().descriptor.clone();
    assert_eq!(layout.find_tag("v1").unwrap().digest, won.digest);
    let err = results[loser].as_ref().unwrap_err();
    assert!(
        matches!(err, Error::Layout(e) if is_tag_changed(e, "v1", &v1.digest, &won.digest)),
        "{err:?}"
    );
    assert_eq!(
        fs::read(bundles[loser].join("oci-bundle.json")).unwrap(),
        records[loser],
        "the loser's bundle is left as it was"
    );
    let again = repack(&bundles[loser], &layout, "v1", &RepackOptions::default());
    assert!(
        matches!(
            again,
            Err(Error::Layout(ocikit_layout::Error::TagChanged { .. }))
        ),
        "{again:?}"
    );
    assert_eq!(layout.find_tag("v1").unwrap().digest, won.digest);
    let mine = repack(&bundles[loser], &layout, "mine", &RepackOptions::default()).unwrap();
    assert_eq!(
        layout.find_tag("mine").unwrap().digest,
        mine.descriptor.digest
    );

    // The winner's bundle now belongs to the new v1: it repacks on top.
    fs::write(bundles[winner].join("rootfs/more"), "more").unwrap();
    let next = repack(&bundles[winner], &layout, "v1", &RepackOptions::default()).unwrap();
    let image = layout.resolve("v1", None).unwrap();
    assert_eq!(image.descriptor.digest, next.descriptor.digest);
    assert_eq!(
        image.manifest.layers.len(),
        3,
        "v1's layer, the winner's, more"
    );
}

#[test]
fn repack_refuses_what_unpack_did_not_make() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), small_tree);
    let plain = dir.path().join("plain");
    fs::create_dir_all(plain.join("rootfs")).unwrap();
    let err = repack(&plain, &layout, "v2", &RepackOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::Bundle { .. }) && err.to_string().contains("oci-bundle.json"),
        "{err}"
    );

    let bundle = dir.path().join("mapped");
    let options = UnpackOptions {
        uid_map: vec![IdMapping::new(0, 0, 65536)],
        ..options()
    };
    unpack(&layout, "v1", &bundle, &options).unwrap();
    let err = repack(&bundle, &layout, "v2", &RepackOptions::default()).unwrap_err();
    assert!(err.to_string().contains("uid or gid maps"), "{err}");
    assert!(layout.find_tag("v2").is_err(), "nothing is tagged");

    let bundle = dir.path().join("ok");
    unpack(&layout, "v1", &bundle, &self::options()).unwrap();
    let err = repack(&bundle, &layout, "bad tag!", &RepackOptions::default()).unwrap_err();
    assert!(err.to_string().contains("bad tag!"), "{err}");
}

#[test]
fn the_record_survives_a_round_trip_and_refuses_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let layout = image_of(dir.path(), small_tree);
    let bundle = dir.path().join("bundle");
    let options = UnpackOptions {
        uid_map: vec![IdMapping::new(0, 100_000, 65536)],
        gid_map: vec![IdMapping::new(0, 200_000, 10)],
        rootless: true,
        ..options()
    };
    unpack(&layout, "v1", &bundle, &options).unwrap();
    let record = ocikit_convert::BundleRecord::load(&bundle).unwrap();
    assert_eq!(record.uid_map, options.uid_map);
    assert_eq!(record.gid_map, options.gid_map);
    assert!(record.rootless);
    let descriptor: &Descriptor = &record.manifest;
    assert_eq!(descriptor.media_type, MediaType::ImageManifest);
    let v1 = layout.find_tag("v1").unwrap().digest;
    assert_eq!(record.tag, Some(("v1".to_owned(), v1)));

    for (content, expected) in [
        ("not json", "not JSON"),
        ("{}", "no \"manifest\""),
        (r#"{"manifest": {"mediaType": 1}}"#, "\"manifest\""),
        (
            &format!(
                r#"{{"manifest": {}, "uidMappings": [{{"containerID": 0}}]}}"#,
                String::from_utf8(ocikit_image::Json::to_canonical_json(descriptor)).unwrap()
            ),
            "hostID",
        ),
        (
            &format!(
                r#"{{"manifest": {}, "tag": {{"name": "v1", "digest": "sha256:00"}}}}"#,
                String::from_utf8(ocikit_image::Json::to_canonical_json(descriptor)).unwrap()
            ),
            "\"tag\": \"digest\"",
        ),
        (
            &format!(
                r#"{{"manifest": {}, "tag": "v1"}}"#,
                String::from_utf8(ocikit_image::Json::to_canonical_json(descriptor)).unwrap()
            ),
            "\"tag\"",
        ),
    ] {
        fs::write(bundle.join("oci-bundle.json"), content).unwrap();
        let err = ocikit_convert::BundleRecord::load(&bundle).unwrap_err();
        assert!(err.to_string().contains(expected), "{content}: {err}");
    }
}
