//! `oci build`: a directory becomes a layer on a new image or on `--from`,
//! what `oci ls`/`oci stat` and umoci then see, reproducible digests under
//! SOURCE_DATE_EPOCH, and the failures (exit 1) and usage errors (exit 2).
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Output;

use ocikit_test_support::peers;
use support::{oci, run_dated as run, text};

/// The digest `oci build` printed, checked to be one line of one digest.
fn printed_digest(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let digest = stdout.strip_suffix('\n').unwrap_or_default().to_owned();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71 && !digest.contains('\n'),
        "{stdout:?}"
    );
    digest
}

/// A small tree: a directory, an executable, a file, a symlink.
fn make_tree(root: &Path) {
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("etc/hostname"), b"built\n").unwrap();
    std::fs::write(root.join("bin/hello"), b"#!/bin/sh\necho hello\n").unwrap();
    std::fs::set_permissions(
        root.join("bin/hello"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("hostname", root.join("etc/name")).unwrap();
}

#[test]
fn build_then_build_from_a_base() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    let more = dir.path().join("more");
    std::fs::create_dir_all(more.join("etc")).unwrap();
    std::fs::write(more.join("etc/motd"), b"second layer\n").unwrap();
    let layout = dir.path().join("layout");
    let (t, m, l) = (
        tree.to_str().unwrap(),
        more.to_str().unwrap(),
        layout.to_str().unwrap(),
    );

    // No layout yet: build creates it.
    let v1 = printed_digest(&run(&["build", t, &format!("{l}:v1")]));
    let v2 = printed_digest(&run(&[
        "build",
        m,
        &format!("{l}:v2"),
        "--from",
        "v1",
        "--compression",
        "none",
    ]));
    assert_ne!(v1, v2);
    assert_eq!(text(&run(&["ls", l]).stdout), "v1\nv2\n");

    // oci-image-tool (Debian's 1.0.0-rc1) finds both images valid. Checked
    // while the index has two entries: with three distinct images, its
    // --ref filter reports "descriptor retrieved by refs [name=v1] is not
    // unique" for some of the tags, a quirk of that version.
    if peers::require_tools(&["oci-image-tool"]) {
        for tag in ["v1", "v2"] {
            peers::oci_image_tool(&[
                "validate",
                "--type",
                "image",
                "--ref",
                &format!("name={tag}"),
                l,
            ]);
        }
    }

    let out = run(&["stat", &format!("{l}:v1")]);
    let stat = text(&out.stdout);
    assert!(stat.starts_with(&format!("manifest  {v1} (")), "{stat}");
    assert!(stat.contains("layers    1\n"), "{stat}");
    assert!(stat.contains("created   2023-11-14T22:13:20Z\n"), "{stat}");

    let out = run(&["stat", &format!("{l}:v2"), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["descriptor"]["digest"], v2.as_str());
    let layers = json["manifest"]["layers"].as_array().unwrap();
    let media_types: Vec<&str> = layers
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap())
        .collect();
    assert_eq!(
        media_types,
        [
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar"
        ]
    );
    assert_eq!(
        json["config"]["rootfs"]["diff_ids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let history: Vec<&str> = json["config"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["created_by"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        [format!("oci build {t}"), format!("oci build {m}")]
    );

    // --from the tag itself moves it; v1 now is the same image as v2,
    // since the inputs are the same.
    let moved = printed_digest(&run(&[
        "build",
        m,
        &format!("{l}:v1"),
        "--from",
        "v1",
        "--compression=none",
    ]));
    assert_eq!(moved, v2);
    assert_eq!(text(&run(&["ls", l]).stdout), "v1\nv2\n");

    // zstd, which umoci 0.4.7 cannot read, in an image of its own.
    printed_digest(&run(&[
        "build",
        m,
        &format!("{l}:z"),
        "--compression",
        "zstd",
    ]));
    let stat = text(&run(&["stat", &format!("{l}:z")]).stdout);
    assert!(
        stat.contains(" application/vnd.oci.image.layer.v1.tar+zstd (diff_id "),
        "{stat}"
    );

    // umoci gives both trees back.
    if !peers::require_tools(&["umoci"]) {
        return;
    }
    let peer = peers::version("umoci");
    let bundle = dir.path().join("bundle");
    peers::umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &format!("{l}:v2"),
        bundle.to_str().unwrap(),
    ]);
    let rootfs = bundle.join("rootfs");
    for (path, content) in [
        ("etc/hostname", &b"built\n"[..]),
        ("bin/hello", b"#!/bin/sh\necho hello\n"),
        ("etc/motd", b"second layer\n"),
    ] {
        assert_eq!(
            std::fs::read(rootfs.join(path)).unwrap(),
            content,
            "{peer}: {path}"
        );
    }
    let mode = std::fs::metadata(rootfs.join("bin/hello"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755, "{peer}");
    assert_eq!(
        std::fs::read_link(rootfs.join("etc/name")).unwrap(),
        Path::new("hostname"),
        "{peer}"
    );
}

#[test]
fn the_same_tree_builds_to_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    let t = tree.to_str().unwrap();
    let build = |layout: &str, epoch: &str| {
        let out = oci()
            .args([
                "build",
                t,
                &format!("{layout}:t"),
                "--platform",
                "linux/arm64",
            ])
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap();
        printed_digest(&out)
    };
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let first = build(a.to_str().unwrap(), "1700000000");
    // Touched since: times after SOURCE_DATE_EPOCH are clamped to it.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .append(true)
        .open(tree.join("etc/hostname"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(first, build(b.to_str().unwrap(), "1700000000"));
    assert_ne!(
        first,
        build(b.to_str().unwrap(), "1700000001"),
        "the created time is part of the image"
    );
    let out = run(&["stat", &format!("{}:t", a.display())]);
    assert!(
        text(&out.stdout).contains("platform  linux/arm64\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn failures_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    let t = tree.to_str().unwrap();
    let layout = dir.path().join("layout");
    let l = layout.to_str().unwrap();
    let image = format!("{l}:v1");

    for args in [
        &["build"][..],
        &["build", t],
        &["build", t, &image, "extra"],
        &["build", t, "no-colon"],
        &["build", t, &image, "--compression", "lz4"],
        &["build", t, &image, "--compression"],
        &["build", t, &image, "--platform", "linux"],
        &["build", t, &image, "--squash"],
    ] {
        support::assert_usage_error(args);
    }
    assert!(!layout.exists(), "a usage error writes nothing");

    // A missing DIR is named, and nothing is created.
    let missing = dir.path().join("missing");
    let out = run(&["build", missing.to_str().unwrap(), &image]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("oci: {}", missing.display())) && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(!layout.exists());

    let file = tree.join("etc/hostname");
    let out = run(&["build", file.to_str().unwrap(), &image]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("oci: {}: not a directory\n", file.display())
    );

    // An invalid tag is refused before the layout is created.
    let out = run(&["build", t, &format!("{l}:bad tag")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("invalid tag \"bad tag\""));
    assert!(!layout.exists());

    // --from needs an existing layout and tag.
    let out = run(&["build", t, &image, "--from", "base"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not an image layout"),
        "{}",
        text(&out.stderr)
    );
    printed_digest(&run(&["build", t, &image]));
    let out = run(&["build", t, &format!("{l}:v2"), "--from", "base"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "oci: tag \"base\" is not in the layout (tags: v1)\n"
    );

    // A bad SOURCE_DATE_EPOCH is a failure that names it.
    let out = oci()
        .args(["build", t, &image])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("SOURCE_DATE_EPOCH=\"yesterday\""),
        "{}",
        text(&out.stderr)
    );
    // One past the last second RFC 3339 can write: refused by name, no tag
    // moves.
    let out = oci()
        .args(["build", t, &image])
        .env("SOURCE_DATE_EPOCH", "253402300800")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "oci: 253402300800 seconds after 1970-01-01T00:00:00Z is later than \
         9999-12-31T23:59:59Z, the last time RFC 3339 can write\n"
    );
    assert_eq!(text(&run(&["ls", l]).stdout), "v1\n");
}
