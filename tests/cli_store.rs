//! The image-layout commands of `oci`: init, new, ls, stat, tag, rm, and
//! their failures (exit 1 with a message naming what was wrong, exit 2 for
//! usage errors).
#![allow(clippy::unwrap_used)]

mod support;

use support::{run, text};

#[test]
fn init_new_ls_stat_tag_rm() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let l = layout.to_str().unwrap();

    let out = run(&["init", l]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(layout.join("oci-layout").is_file());
    // A second init refuses to overwrite.
    let out = run(&["init", l]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["new", &format!("{l}:v1"), "--platform", "linux/arm64/v8"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["new", &format!("{l}:v1")]);
    assert_eq!(out.status.code(), Some(1), "a second new with the same tag");
    assert!(text(&out.stderr).contains("already exists"));

    let out = run(&["stat", &format!("{l}:v1")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stat = text(&out.stdout);
    assert!(stat.contains("platform  linux/arm64/v8\n"), "{stat}");
    assert!(stat.contains("layers    0\n"), "{stat}");

    let out = run(&["stat", &format!("{l}:v1"), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["config"]["architecture"], "arm64");
    assert_eq!(json["config"]["variant"], "v8");
    assert_eq!(json["manifest"]["layers"], serde_json::json!([]));
    let digest = json["descriptor"]["digest"].as_str().unwrap().to_owned();

    // The image was asked for arm64; stat for amd64 fails, naming both.
    let out = run(&["stat", &format!("{l}:v1"), "--platform", "linux/amd64"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("linux/amd64"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["tag", &format!("{l}:v1"), "latest"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&run(&["ls", l]).stdout), "latest\nv1\n");
    let out = run(&["stat", &format!("{l}:latest"), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["descriptor"]["digest"], digest.as_str());

    assert!(run(&["rm", &format!("{l}:v1")]).status.success());
    assert_eq!(text(&run(&["ls", l]).stdout), "latest\n");
    let out = run(&["rm", &format!("{l}:v1")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "oci: tag \"v1\" is not in the layout (tags: latest)\n"
    );
}

#[test]
fn failures_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let out = run(&["ls", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not an image layout"),
        "{}",
        text(&out.stderr)
    );

    for args in [
        &["ls"][..],
        &["ls", "a", "b"],
        &["stat", "no-colon"],
        &["new", "x:y", "--platform"],
        &["new", "x:y", "--platform", "linux"],
        &["tag", "x:y"],
        &["rm", "x:y", "--force"],
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("usage: oci"), "{args:?}");
    }

    let layout = dir.path().join("l");
    let l = layout.to_str().unwrap();
    assert!(run(&["init", l]).status.success());
    let out = run(&["new", &format!("{l}:bad tag")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid tag \"bad tag\""),
        "{}",
        text(&out.stderr)
    );
}
