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
    // A second init refuses to overwrite, and says why.
    let out = run(&["init", l]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci: {l}: cannot create an image layout here: it already is an image layout (it has an oci-layout file)\n"
        )
    );
    // A directory with something else in it is named as not empty.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "hi").unwrap();
    let out = run(&["init", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).ends_with(": the directory is not empty (it has \"notes.txt\")\n"),
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
        support::assert_usage_error(args);
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
    ); // Refused before anything was written.
    let blobs = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(blobs, 0);
}

#[test]
fn gc_and_fsck() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("l");
    let l = layout.to_str().unwrap();
    assert!(
        run(&["new", &format!("{l}:keep"), "--platform", "linux/amd64"])
            .status
            .success()
    );
    assert!(
        run(&["new", &format!("{l}:drop"), "--platform", "linux/arm64"])
            .status
            .success()
    );
    assert!(run(&["rm", &format!("{l}:drop")]).status.success());

    // The dropped image's manifest and config are unreachable: a finding,
    // not damage.
    let out = run(&["fsck", l]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert_eq!(report.matches("unreachable: ").count(), 2, "{report}");
    assert!(
        report.ends_with("no damage: 2 reachable blobs, 325 bytes verified (2 findings above)\n"),
        "{report}"
    );

    // Young blobs survive the default grace; a dry run says what would go.
    let out = run(&["gc", l]);
    assert!(
        text(&out.stdout).starts_with("removed 0 blobs"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&["gc", l, "--grace", "0", "--dry-run"]);
    assert_eq!(text(&out.stdout).matches("would remove sha256:").count(), 2);
    let out = run(&["gc", l, "--grace", "0"]);
    assert_eq!(
        text(&out.stdout).matches("\nremoved 2 blobs").count(),
        1,
        "{}",
        text(&out.stdout)
    );
    let out = run(&["fsck", l]);
    assert_eq!(
        text(&out.stdout),
        format!("{l}: no damage: 2 reachable blobs, 325 bytes verified\n")
    );

    // Damage: the kept image's config is corrupted.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .replace("sha256:", "");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs/sha256").join(&manifest_digest)).unwrap(),
    )
    .unwrap();
    let config = manifest["config"]["digest"]
        .as_str()
        .unwrap()
        .replace("sha256:", "");
    std::fs::write(layout.join("blobs/sha256").join(&config), b"{}").unwrap();
    let out = run(&["fsck", l]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&config), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("1 problem that damage the layout"),
        "{}",
        text(&out.stderr)
    );
    // A config is a leaf for gc, so it still runs; a corrupt manifest,
    // whose references gc cannot know, makes it refuse.
    let out = run(&["gc", l, "--grace", "0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(layout.join("blobs/sha256").join(&manifest_digest), b"{}").unwrap();
    let out = run(&["gc", l, "--grace", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains(&manifest_digest),
        "{}",
        text(&out.stderr)
    );

    assert_eq!(run(&["gc", l, "--grace", "soon"]).status.code(), Some(2));
}

/// `oci new` of one tag from several processes at once: exactly one
/// creates it, the others fail saying it exists, and the layout holds the
/// tag once. Each process asks for its own platform, so the images differ
/// and a lost update would show.
#[test]
fn concurrent_news_of_one_tag_make_one_image() {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let l = l.to_str().unwrap();
    assert!(run(&["init", l]).status.success());
    let platforms = [
        "linux/amd64",
        "linux/arm64",
        "linux/arm/v7",
        "linux/ppc64le",
        "linux/s390x",
        "linux/riscv64",
        "linux/386",
        "linux/mips64le",
    ];
    for round in 0..5 {
        let image = format!("{l}:r{round}");
        let children: Vec<_> = platforms
            .iter()
            .map(|p| {
                support::oci()
                    .args(["new", &image, "--platform", p])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outcomes: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let won = outcomes.iter().filter(|o| o.status.success()).count();
        assert_eq!(won, 1, "round {round}: {won} processes created the tag");
        for lost in outcomes.iter().filter(|o| !o.status.success()) {
            assert_eq!(lost.status.code(), Some(1));
            assert!(
                text(&lost.stderr).contains("already exists"),
                "{}",
                text(&lost.stderr)
            );
        }
    }
    let tags = text(&run(&["ls", l]).stdout);
    assert_eq!(tags, "r0\nr1\nr2\nr3\nr4\n");
}

/// `oci gc` of a layout whose `blobs` is a symbolic link to a directory
/// elsewhere (umoci 0.4.7's gc removes the unreferenced files there):
/// exit 1 naming the link, and every file where it points stays.
#[test]
fn gc_refuses_a_linked_blobs_directory() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let l = layout.to_str().unwrap();
    assert!(run(&["new", &format!("{l}:v1")]).status.success());
    let elsewhere = dir.path().join("shared-blobs");
    std::fs::rename(layout.join("blobs"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, layout.join("blobs")).unwrap();
    let garbage = elsewhere.join("sha256").join("0".repeat(64));
    std::fs::write(&garbage, b"not referenced").unwrap();
    let before = std::fs::read_dir(elsewhere.join("sha256")).unwrap().count();

    let out = run(&["gc", l, "--grace", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci: {l}/blobs is a symbolic link to {}: refusing to remove unreachable blobs through it (only reads follow links out of a layout's own directories)\n",
            elsewhere.display()
        )
    );
    assert!(garbage.exists());
    assert_eq!(
        std::fs::read_dir(elsewhere.join("sha256")).unwrap().count(),
        before
    );
    // Reads follow the link.
    assert!(run(&["stat", &format!("{l}:v1")]).status.success());
}
