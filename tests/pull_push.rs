//! examples/pull_push.rs, the README's registry example, against
//! docker-registry started here: layout -> registry -> layout with the
//! same digest, and what skopeo reads of what it pushed.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use ocikit_test_support::peers;
use ocikit_test_support::registry::{Registry, free_port};
use support::{build_example, text};

#[test]
fn pull_push_copies_through_a_registry_with_the_same_digest() {
    if !peers::require_tool("skopeo") {
        return;
    }
    let Some(registry) = Registry::start() else {
        return;
    };
    let example = build_example("pull_push");
    let out = Command::new(&example)
        .arg(&registry.address)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let digest = lines[0].strip_prefix("built    ").unwrap();
    let reference = registry.reference("ocikit-example/hello:v1");
    let name = reference.strip_prefix("docker://").unwrap();
    // Two blobs, the layer and the config; the manifest is not a blob.
    assert_eq!(
        lines[1..],
        [
            format!("pushed   {digest} to {name} (2 blobs uploaded, 0 already there)"),
            format!("pulled   {digest} (2 blobs fetched), fsck: 0 problems"),
            "the same digest both ways".to_owned(),
        ]
    );
    // What skopeo reads there is the manifest the example built.
    let raw = peers::skopeo(&["inspect", "--raw", "--tls-verify=false", &reference]);
    assert_eq!(ocikit_image::Digest::sha256(&raw).to_string(), digest);

    // A second run finds the blobs there.
    let again = text(
        &Command::new(&example)
            .arg(&registry.address)
            .output()
            .unwrap()
            .stdout,
    );
    assert!(
        again.contains("(0 blobs uploaded, 2 already there)"),
        "{again}"
    );

    // No registry there: exit 1, the registry named; no argument: exit 2.
    let nowhere = format!("127.0.0.1:{}", free_port());
    let out = Command::new(&example).arg(&nowhere).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(&format!("pull_push: registry {nowhere}")),
        "{}",
        text(&out.stderr)
    );
    let out = Command::new(&example).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "usage: pull_push HOST[:PORT]\n");
}
