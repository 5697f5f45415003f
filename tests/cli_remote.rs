//! The registry commands of `oci` (pull, push, copy, inspect, tags,
//! referrers, unpack from a registry) against Debian's docker-registry
//! (distribution 2.8.2, anonymous, plain http) started by each test, with
//! skopeo 1.9 on the other side both ways, and a scripted server for what
//! 2.8.2 lacks (the referrers API, `Warning` headers). Login and
//! credentials over TLS are in cli_login.rs.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Output;

use ocikit_image::{Digest, ImageIndex, Json, MediaType};
use ocikit_layout::{FsckOptions, Layout};
use ocikit_test_support::http::{Reply, Server};
use ocikit_test_support::peers;
use ocikit_test_support::registry::Registry;
use support::{assert_usage_error, blobs, build_image, on_a_terminal, run, succeeded, text};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Runs `oci ARGS --tls-verify=false` (every registry here is plain
/// http), expects exit 0 and nothing on stderr (not a terminal: no
/// progress), returns stdout.
#[track_caller]
fn ok(args: &[&str]) -> String {
    succeeded(&insecure(args))
}

/// `oci ARGS --tls-verify=false`.
fn insecure(args: &[&str]) -> Output {
    let mut args = args.to_vec();
    args.push("--tls-verify=false");
    run(&args)
}

/// Runs `oci ARGS --tls-verify=false`, expects exit 1 with one line on
/// stderr and nothing on stdout; returns the line.
#[track_caller]
fn fails(args: &[&str]) -> String {
    let out = insecure(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("oci: "), "{stderr}");
    assert_eq!(text(&out.stdout), "", "{args:?}");
    stderr
}

fn assert_clean(layout: &Path) {
    let report = Layout::open(layout)
        .unwrap()
        .fsck(&FsckOptions::default())
        .unwrap();
    assert!(report.is_clean(), "{report}");
}

/// The bytes of the blob `digest` in `layout`.
fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    let digest: Digest = digest.parse().unwrap();
    std::fs::read(layout.join("blobs/sha256").join(digest.encoded())).unwrap()
}

#[test]
fn push_pull_copy_inspect_tags_and_unpack_against_docker_registry() {
    if !peers::require_tool("skopeo") {
        return;
    }
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let source = path("source");
    let s = source.to_str().unwrap();
    let digest = build_image(dir.path(), &format!("{s}:v1"), b"pushed\n");
    let app = |tag: &str| registry.reference(&format!("team/app:{tag}"));

    // Push: the digest on stdout, nothing on stderr (not a terminal).
    assert_eq!(
        ok(&["push", &format!("{s}:v1"), &app("v1")]),
        format!("{digest}\n")
    );
    // skopeo reads what we pushed: the same manifest bytes, the same
    // digest in the layout it copies into.
    let raw = peers::skopeo(&["inspect", "--raw", "--tls-verify=false", &app("v1")]);
    assert_eq!(raw, blob(&source, &digest));
    let by_skopeo = path("by-skopeo");
    peers::skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &app("v1"),
        &format!("oci:{}:v1", by_skopeo.display()),
    ]);
    let copied = Layout::open(&by_skopeo).unwrap();
    assert_eq!(copied.find_tag("v1").unwrap().digest.as_str(), digest);

    // Tags, every one.
    ok(&["push", &format!("{s}:v1"), &app("v2")]);
    assert_eq!(ok(&["tags", &registry.reference("team/app")]), "v1\nv2\n");

    // Inspect: a summary as JSON; --raw, the bytes the registry holds.
    let report: serde_json::Value = serde_json::from_str(&ok(&["inspect", &app("v1")])).unwrap();
    let manifest = ocikit_image::ImageManifest::from_json(&raw).unwrap();
    assert_eq!(report["name"], format!("{}/team/app", registry.address));
    assert_eq!(report["tag"], "v1");
    assert_eq!(report["digest"], digest);
    assert_eq!(report["mediaType"], OCI_MANIFEST);
    assert_eq!(report["size"], raw.len());
    assert_eq!(report["architecture"], "amd64");
    assert_eq!(report["os"], "linux");
    assert!(
        report["created"].as_str().unwrap().ends_with('Z'),
        "{report}"
    );
    assert_eq!(report["labels"], serde_json::json!({}));
    assert_eq!(report["config"]["digest"], manifest.config.digest.as_str());
    assert_eq!(
        report["layers"][0]["digest"],
        manifest.layers[0].digest.as_str()
    );
    assert_eq!(report["layers"][0]["size"], manifest.layers[0].size);
    let out = insecure(&["inspect", "--raw", &app("v1")]);
    assert_eq!(out.stdout, raw);

    // Pull into a new layout: the tag, digest and media type, the same
    // blobs, a clean layout.
    let pulled = path("pulled");
    let p = pulled.to_str().unwrap();
    assert_eq!(
        ok(&["pull", &app("v1"), &format!("{p}:latest")]),
        format!("latest {digest} {OCI_MANIFEST}\n")
    );
    assert_eq!(blobs(&pulled), blobs(&source));
    assert_clean(&pulled);

    // Copy: registry to registry (mounted, see the terminal test),
    // layout to registry, registry to layout.
    let copy = registry.reference("other/copy:v1");
    assert_eq!(
        ok(&["copy", &app("v1"), &copy]),
        format!(
            "{}/other/copy:v1 {digest} {OCI_MANIFEST}\n",
            registry.address
        )
    );
    let raw_copy = peers::skopeo(&["inspect", "--raw", "--tls-verify=false", &copy]);
    assert_eq!(raw_copy, raw);
    assert_eq!(
        ok(&["copy", &format!("{s}:v1"), &app("v3")]),
        format!("{}/team/app:v3 {digest} {OCI_MANIFEST}\n", registry.address)
    );
    let back = path("back");
    let b = back.to_str().unwrap();
    assert_eq!(
        ok(&["copy", &copy, &format!("{b}:v1")]),
        format!("v1 {digest} {OCI_MANIFEST}\n")
    );
    assert_eq!(blobs(&back), blobs(&source));

    // Unpack from the registry: the bundle, and nothing else left beside it.
    let bundles = path("bundles");
    std::fs::create_dir(&bundles).unwrap();
    let bundle = bundles.join("b");
    assert_eq!(
        ok(&["unpack", &app("v1"), bundle.to_str().unwrap()]),
        format!("{digest}\n")
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/etc/hostname")).unwrap(),
        b"pushed\n"
    );
    let left: Vec<_> = std::fs::read_dir(&bundles)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["b"]);
}

#[test]
fn what_skopeo_pushes_oci_pulls_indexes_and_docker_manifests() {
    if !peers::require_tool("skopeo") {
        return;
    }
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let source = path("source");
    let s = source.to_str().unwrap();
    let amd64 = build_image(dir.path(), &format!("{s}:amd64"), b"amd64\n");
    let arm64 = {
        let tree = path("tree-arm64");
        std::fs::create_dir_all(&tree).unwrap();
        std::fs::write(tree.join("arm64"), "").unwrap();
        let image = format!("{s}:arm64");
        let out = run(&[
            "build",
            tree.to_str().unwrap(),
            &image,
            "--platform",
            "linux/arm64/v8",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    };
    // An index of both, made with the library (the tool makes none).
    let layout = Layout::open(&source).unwrap();
    let entries = ["amd64", "arm64"]
        .map(|tag| layout.resolve(tag, None).unwrap().descriptor)
        .to_vec();
    let index = layout.put_json(&ImageIndex::new(entries)).unwrap();
    layout.tag("multi", &index).unwrap();
    peers::skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &format!("oci:{s}:multi"),
        &registry.reference("multi:v1"),
    ]);

    // One platform: its manifest, tagged; every platform: the index.
    let pulled = path("pulled");
    let p = pulled.to_str().unwrap();
    let multi = registry.reference("multi:v1");
    assert_eq!(
        ok(&[
            "pull",
            &multi,
            &format!("{p}:arm"),
            "--platform",
            "linux/arm64"
        ]),
        format!("arm {arm64} {OCI_MANIFEST}\n")
    );
    assert_eq!(
        ok(&["pull", &multi, &format!("{p}:all"), "--all-platforms"]),
        format!(
            "all {} application/vnd.oci.image.index.v1+json\n",
            index.digest
        )
    );
    assert_clean(&pulled);
    // Inspect of an index: its manifests and platforms.
    let report: serde_json::Value = serde_json::from_str(&ok(&["inspect", &multi])).unwrap();
    assert_eq!(report["digest"], index.digest.as_str());
    assert_eq!(report["manifests"][0]["digest"], amd64);
    assert_eq!(report["manifests"][0]["platform"], "linux/amd64");
    assert_eq!(report["manifests"][1]["platform"], "linux/arm64/v8");

    // Docker v2s2, as skopeo writes it: stored as its bytes, with the
    // note; with --to-oci, converted, without it.
    let docker = registry.reference("docker:v1");
    peers::skopeo(&[
        "copy",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        &format!("oci:{s}:amd64"),
        &docker,
    ]);
    let raw = peers::skopeo(&["inspect", "--raw", "--tls-verify=false", &docker]);
    let docker_digest = Digest::sha256(&raw).to_string();
    // Inspect reads a Docker manifest and config as it reads OCI ones.
    let report: serde_json::Value = serde_json::from_str(&ok(&["inspect", &docker])).unwrap();
    assert_eq!(report["digest"], docker_digest);
    assert_eq!(report["mediaType"], DOCKER_MANIFEST);
    assert_eq!(
        report["config"]["mediaType"],
        "application/vnd.docker.container.image.v1+json"
    );
    assert_eq!(report["architecture"], "amd64");
    let out = insecure(&["pull", &docker, &format!("{p}:docker")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("docker {docker_digest} {DOCKER_MANIFEST}\n")
    );
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci pull: note: the manifests stay Docker-typed ({DOCKER_MANIFEST}): podman and skopeo's oci: transport will not find them; pull with --to-oci to convert them\n"
        )
    );
    assert_eq!(blob(&pulled, &docker_digest), raw);
    let converted = ok(&["pull", &docker, &format!("{p}:oci"), "--to-oci"]);
    assert!(converted.starts_with("oci sha256:"), "{converted}");
    assert!(
        converted.ends_with(&format!(" {OCI_MANIFEST}\n")),
        "{converted}"
    );
    assert_ne!(converted, format!("oci {docker_digest} {OCI_MANIFEST}\n"));

    // A Docker manifest list, as skopeo writes the index in v2s2: every
    // platform as its bytes (with the note, naming the list's type), one
    // platform as its Docker manifest, or all converted with --to-oci.
    let list = registry.reference("list:v1");
    peers::skopeo(&[
        "copy",
        "--all",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        &format!("oci:{s}:multi"),
        &list,
    ]);
    let raw_list = peers::skopeo(&["inspect", "--raw", "--tls-verify=false", &list]);
    let list_digest = Digest::sha256(&raw_list).to_string();
    let out = insecure(&["pull", &list, &format!("{p}:list"), "--all-platforms"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("list {list_digest} {DOCKER_LIST}\n")
    );
    assert!(
        text(&out.stderr).starts_with(&format!(
            "oci pull: note: the manifests stay Docker-typed ({DOCKER_LIST})"
        )),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(blob(&pulled, &list_digest), raw_list);
    let arm = insecure(&[
        "pull",
        &list,
        &format!("{p}:list-arm"),
        "--platform",
        "linux/arm64",
    ]);
    assert_eq!(arm.status.code(), Some(0), "{}", text(&arm.stderr));
    assert!(
        text(&arm.stdout).ends_with(&format!(" {DOCKER_MANIFEST}\n")),
        "{}",
        text(&arm.stdout)
    );
    let converted = ok(&[
        "pull",
        &list,
        &format!("{p}:list-oci"),
        "--all-platforms",
        "--to-oci",
    ]);
    assert!(
        converted.ends_with(" application/vnd.oci.image.index.v1+json\n"),
        "{converted}"
    );
    assert_clean(&pulled);
}

#[test]
fn transfers_draw_a_line_per_blob_and_a_summary_on_a_terminal_only() {
    if !peers::require_tools(&["script", "skopeo"]) {
        return;
    }
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    // A layer of a few MiB that does not compress, so that it reports
    // while it moves.
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    let noise: Vec<u8> = (0..6u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(tree.join("noise"), &noise).unwrap();
    let image = format!("{}:v1", path("source"));
    let out = run(&[
        "build",
        tree.to_str().unwrap(),
        &image,
        "--compression",
        "none",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let layout = Layout::open(path("source")).unwrap();
    let manifest = layout.resolve("v1", None).unwrap().manifest;
    let short = &manifest.layers[0].digest.encoded()[..12];
    let app = registry.reference("app:v1");

    let shown = on_a_terminal(&["push", &image, &app, "--tls-verify=false"]);
    assert!(shown.contains(&format!("upload {short} [")), "{shown:?}");
    assert!(shown.contains("B/s"), "{shown:?}");
    assert!(
        shown.contains(
            "oci push: 2 blobs uploaded (6.00 MiB), 0 already there, 0 mounted, 1 manifest, in "
        ),
        "{shown:?}"
    );
    let shown = on_a_terminal(&["push", &image, &app, "--tls-verify=false"]);
    assert!(
        shown.contains("oci push: 0 blobs uploaded (0 B), 2 already there, 0 mounted"),
        "{shown:?}"
    );

    let target = format!("{}:v1", path("pulled"));
    let shown = on_a_terminal(&["pull", &app, &target, "--tls-verify=false"]);
    assert!(shown.contains(&format!("download {short} [")), "{shown:?}");
    assert!(shown.contains(" MiB/6.00 MiB "), "{shown:?}");
    assert!(
        shown.contains("oci pull: 2 blobs fetched (6.00 MiB), 0 already present, in "),
        "{shown:?}"
    );
    assert!(shown.ends_with(&format!(
        "v1 {} {OCI_MANIFEST}\r\n",
        manifest_digest(&layout)
    )));
    let shown = on_a_terminal(&["pull", &app, &target, "--tls-verify=false"]);
    assert!(
        shown.contains("oci pull: 0 blobs fetched (0 B), 2 already present"),
        "{shown:?}"
    );
    // Within one registry, a copy mounts.
    let other = registry.reference("other:v1");
    let shown = on_a_terminal(&["copy", &app, &other, "--tls-verify=false"]);
    assert!(shown.contains(", 2 mounted, 1 manifest, in "), "{shown:?}");
    // Unpack from a registry shows its pull the same way.
    let shown = on_a_terminal(&["unpack", &app, &path("bundle"), "--tls-verify=false"]);
    assert!(shown.contains(&format!("download {short} [")), "{shown:?}");
    assert!(
        shown.contains("oci unpack: 2 blobs fetched (6.00 MiB), 0 already present, in "),
        "{shown:?}"
    );

    // --quiet: nothing but stdout.
    let shown = on_a_terminal(&[
        "pull",
        &app,
        &format!("{}:v1", path("quiet")),
        "--tls-verify=false",
        "--quiet",
    ]);
    assert_eq!(
        shown,
        format!("v1 {} {OCI_MANIFEST}\r\n", manifest_digest(&layout))
    );
    // Into a pipe: nothing on stderr (the other tests check every
    // command's stderr is empty).
    assert_eq!(
        ok(&["pull", &app, &format!("{}:v1", path("piped"))]),
        format!("v1 {} {OCI_MANIFEST}\n", manifest_digest(&layout))
    );
}

fn manifest_digest(layout: &Layout) -> String {
    layout.find_tag("v1").unwrap().digest.to_string()
}

#[test]
fn registry_failures_exit_1_naming_registry_repository_and_code() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("new");
    let t = format!("{}:v1", target.display());
    let line = fails(&["pull", &registry.reference("team/app:nope"), &t]);
    assert_eq!(
        line,
        format!(
            "oci: registry {}, repository team/app: fetch manifest nope: HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)\n",
            registry.address
        )
    );
    // The layout the pull would have made is not left behind.
    assert!(!target.exists());
    let line = fails(&["tags", &registry.reference("team/none")]);
    assert!(
        line.contains(&format!(
            "registry {}, repository team/none: list tags: HTTP 404 (NAME_UNKNOWN",
            registry.address
        )),
        "{line}"
    );
    let line = fails(&["inspect", &registry.reference("team/app:nope")]);
    assert!(line.contains("MANIFEST_UNKNOWN"), "{line}");
    // A pull into an existing layout keeps it.
    let existing = dir.path().join("existing");
    Layout::init(&existing).unwrap();
    fails(&[
        "pull",
        &registry.reference("team/app:nope"),
        &format!("{}:v1", existing.display()),
    ]);
    assert!(existing.join("index.json").exists());

    // Nothing listens there: the registry named.
    let nowhere = format!("127.0.0.1:{}", ocikit_test_support::registry::free_port());
    let line = fails(&["tags", &format!("docker://{nowhere}/app")]);
    assert!(
        line.starts_with(&format!(
            "oci: registry {nowhere}, repository app: list tags: "
        )),
        "{line}"
    );
    // A layout image that is not there: nothing sent.
    let line = fails(&[
        "push",
        &format!("{}:v1", dir.path().join("missing").display()),
        &registry.reference("app:v1"),
    ]);
    assert!(line.contains("not an image layout"), "{line}");
}

/// A bundle in the way is refused before anything is pulled: nothing
/// listens on port 1, and the error is the bundle's, not the registry's.
#[test]
fn unpack_of_a_reference_checks_the_bundle_before_the_pull() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    std::fs::create_dir_all(bundle.join("rootfs")).unwrap();
    let line = fails(&[
        "unpack",
        "docker://127.0.0.1:1/app:v1",
        bundle.to_str().unwrap(),
    ]);
    assert!(line.contains("it already holds rootfs"), "{line}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["b"]);
}

#[test]
fn usage_errors_exit_2() {
    let r = "docker://127.0.0.1:5000/app:v1";
    assert_usage_error(&["pull"]);
    assert_usage_error(&["pull", r]);
    assert_usage_error(&["pull", "127.0.0.1:5000/app:v1", "L:v1"]);
    assert_usage_error(&["pull", "docker://127.0.0.1:5000/App:v1", "L:v1"]);
    assert_usage_error(&["pull", r, "no-tag"]);
    assert_usage_error(&[
        "pull",
        r,
        "L:v1",
        "--platform",
        "linux/arm64",
        "--all-platforms",
    ]);
    assert_usage_error(&["pull", r, "L:v1", "--tls-verify=maybe"]);
    assert_usage_error(&["pull", r, "L:v1", "--creds", "no-colon"]);
    assert_usage_error(&["pull", r, "L:v1", "--creds", ":password"]);
    assert_usage_error(&["push", "L:v1"]);
    assert_usage_error(&["push", "L:v1", "L2:v1"]);
    assert_usage_error(&["copy", "docker://", "L:v1"]);
    assert_usage_error(&["inspect"]);
    assert_usage_error(&["inspect", "L:v1"]);
    assert_usage_error(&["tags", "app"]);
    assert_usage_error(&["referrers", r, "--artifact-type"]);
    assert_usage_error(&["unpack", "docker://127.0.0.1:5000/a:b:c", "bundle"]);
    assert_usage_error(&["login"]);
    assert_usage_error(&["login", "127.0.0.1:5000", "--creds", "u:p", "-u", "u"]);
    assert_usage_error(&[
        "login",
        "127.0.0.1:5000",
        "--creds",
        "u:p",
        "--password-stdin",
    ]);
    assert_usage_error(&["logout"]);
    assert_usage_error(&["logout", "127.0.0.1:5000", "--creds", "u:p"]);
    assert_usage_error(&["login", "127.0.0.1:5000", "--password-stdin"]);
    // A --creds value refused is not shown: it may be a password.
    for creds in ["hunter2", ":hunter2"] {
        let out = run(&["pull", r, "L:v1", "--creds", creds]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            !text(&out.stderr).contains("hunter2"),
            "{}",
            text(&out.stderr)
        );
    }
    // --creds and --cert-dir are for one registry, and a copy between two
    // has two.
    let other = "docker://127.0.0.2:5000/app:v1";
    assert_usage_error(&["copy", r, other, "--creds", "u:p"]);
    assert_usage_error(&["copy", r, other, "--cert-dir", "/nonexistent"]);
    // Signatures name digests that --to-oci changes.
    assert_usage_error(&[
        "pull",
        r,
        "L:v1",
        "--to-oci",
        "--require-signature",
        "k.pub",
    ]);
}

/// What 2.8.2 does not do: the referrers API with pages and an
/// artifactType the registry did not filter by, the fallback tag of a
/// registry without it, and `Warning` headers.
#[test]
fn referrers_and_warnings_from_a_scripted_registry() {
    let subject = ocikit_image::Descriptor::for_bytes(MediaType::ImageManifest, b"{}");
    let subject_digest = subject.digest.to_string();
    let referrer = |n: u8, artifact_type: &str| {
        let mut d = ocikit_image::Descriptor::for_bytes(MediaType::ImageManifest, &[n]);
        d.artifact_type = Some(artifact_type.into());
        d
    };
    let page1 = ImageIndex::new(vec![referrer(1, "application/vnd.example.sig")]);
    let page2 = ImageIndex::new(vec![
        referrer(2, "application/vnd.example.sbom"),
        referrer(3, "application/vnd.example.sig"),
    ]);
    let fallback = ImageIndex::new(vec![referrer(4, "application/vnd.example.sig")]);
    let (page1, page2, fallback) = (
        page1.to_canonical_json(),
        page2.to_canonical_json(),
        fallback.to_canonical_json(),
    );
    let tag = format!("sha256-{}", subject.digest.encoded());
    let (d, t) = (subject_digest.clone(), tag.clone());
    let server = Server::start(move |request| {
        let path = request.path.as_str();
        let index = |bytes: &[u8]| {
            Reply::body(200, bytes.to_vec())
                .with("Content-Type", "application/vnd.oci.image.index.v1+json")
        };
        if path == "/v2/" {
            return Reply::status(200);
        }
        if path.starts_with(&format!("/v2/app/referrers/{d}")) {
            return if path.contains("page=2") {
                index(&page2)
            } else {
                index(&page1).with(
                    "Link",
                    format!("</v2/app/referrers/{d}?page=2>; rel=\"next\""),
                )
            };
        }
        if path == "/v2/app/manifests/v1" || path == "/v2/old/manifests/v1" {
            return Reply::body(200, b"{}".to_vec())
                .with("Content-Type", MediaType::ImageManifest.as_str())
                .with("Docker-Content-Digest", d.clone())
                .with("Warning", r#"299 - "this repository is deprecated""#);
        }
        if path == format!("/v2/old/manifests/{t}") {
            return index(&fallback).with(
                "Docker-Content-Digest",
                Digest::sha256(&fallback).to_string(),
            );
        }
        Reply::body(
            404,
            r#"{"errors":[{"code":"NOT_FOUND","message":"not here"}]}"#,
        )
    });
    let reference = |rest: &str| format!("docker://{}/{rest}", server.address);
    let warning = format!(
        "oci referrers: warning: registry {}: this repository is deprecated\n",
        server.address
    );
    let line = |n: u8, t: &str| format!("{} {t} {}\n", Digest::sha256([n]), 1);

    // By tag: resolved first (with the registry's warning, once), then
    // every page.
    let out = insecure(&["referrers", &reference("app:v1")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), warning);
    assert_eq!(
        text(&out.stdout),
        line(1, "application/vnd.example.sig")
            + &line(2, "application/vnd.example.sbom")
            + &line(3, "application/vnd.example.sig")
    );
    // Filtered here: the answer has no OCI-Filters-Applied.
    let by_digest = reference(&format!("app@{subject_digest}"));
    assert_eq!(
        ok(&[
            "referrers",
            &by_digest,
            "--artifact-type",
            "application/vnd.example.sig"
        ]),
        line(1, "application/vnd.example.sig") + &line(3, "application/vnd.example.sig")
    );
    // No referrers API: the fallback tag, said on stderr.
    let out = insecure(&["referrers", &reference(&format!("old@{subject_digest}"))]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), line(4, "application/vnd.example.sig"));
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci referrers: note: the registry has no referrers API; read from the tag {tag}\n"
        )
    );
    // Every command says the registry's warnings.
    let out = insecure(&["inspect", "--raw", &reference("app:v1")]);
    assert_eq!(out.stdout, b"{}");
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci inspect: warning: registry {}: this repository is deprecated\n",
            server.address
        )
    );
}
