//! `oci copy`: an image into a new layout (created), into an existing one,
//! within one layout, and the failures: exit codes 1 and 2 with messages
//! that name what is wrong, and no destination made for nothing.
#![allow(clippy::unwrap_used)]

mod support;

use support::{assert_usage_error, blobs, build_image, run, text};

#[test]
fn copies_into_a_new_layout_and_prints_the_tag_and_digest() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (src, dst) = (p("src"), p("dst"));
    let digest = build_image(dir.path(), &format!("{src}:v1"), b"copied\n");

    let out = run(&["copy", &format!("{src}:v1"), &format!("{dst}:stable")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("stable {digest} application/vnd.oci.image.manifest.v1+json\n")
    );
    // Not a terminal: no progress bar on stderr.
    assert_eq!(text(&out.stderr), "");
    assert_eq!(blobs(&src), blobs(&dst));
    let out = run(&["fsck", &dst]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = run(&["ls", &dst]);
    assert_eq!(text(&out.stdout), "stable\n");

    // Again into the same layout, and within one layout.
    let out = run(&[
        "copy",
        "--quiet",
        &format!("{src}:v1"),
        &format!("{dst}:v1"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["copy", &format!("{dst}:v1"), &format!("{dst}:v2")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&run(&["ls", &dst]).stdout), "stable\nv1\nv2\n");
    assert_eq!(blobs(&src), blobs(&dst));
}

#[test]
fn failures_exit_1_naming_what_is_wrong_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (src, dst) = (p("src"), p("dst"));
    build_image(dir.path(), &format!("{src}:v1"), b"copied\n");

    // No such tag: the message lists the tags; no destination appears.
    let out = run(&["copy", &format!("{src}:nope"), &format!("{dst}:v1")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\"nope\"") && stderr.contains("v1"),
        "{stderr}"
    );
    assert!(!std::path::Path::new(&dst).exists());

    // No such source layout.
    let out = run(&[
        "copy",
        &format!("{}:v1", p("missing")),
        &format!("{dst}:v1"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not an image layout"),
        "{}",
        text(&out.stderr)
    );
    assert!(!std::path::Path::new(&dst).exists());

    // A bad new tag.
    let out = run(&["copy", &format!("{src}:v1"), &format!("{dst}:a b")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid tag"),
        "{}",
        text(&out.stderr)
    );
    assert!(!std::path::Path::new(&dst).exists());

    // A corrupt layer: named, and the destination gets no tag and no blob.
    let layer = blobs(&src)
        .into_iter()
        .max_by_key(|(_, bytes)| bytes.len())
        .unwrap()
        .0;
    let path = dir.path().join("src/blobs/sha256").join(&layer);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(&["copy", &format!("{src}:v1"), &format!("{dst}:v1")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("sha256:{layer}")), "{stderr}");
    // The destination this copy created goes again.
    assert!(!std::path::Path::new(&dst).exists());
    // One that was there stays, without a tag or a blob of the copy.
    assert!(run(&["init", &dst]).status.success());
    let out = run(&["copy", &format!("{src}:v1"), &format!("{dst}:v1")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&run(&["ls", &dst]).stdout), "");
    assert!(blobs(&dst).is_empty());
}

#[test]
fn usage_errors_exit_2() {
    assert_usage_error(&["copy"]);
    assert_usage_error(&["copy", "only-one:v1"]);
    assert_usage_error(&["copy", "a:v1", "b:v1", "c:v1"]);
    assert_usage_error(&["copy", "no-tag", "b:v1"]);
    assert_usage_error(&["copy", "a:v1", "no-tag"]);
    assert_usage_error(&["copy", "--bogus", "a:v1", "b:v1"]);
}
