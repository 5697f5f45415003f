//! The README's main command, `cargo run --release --example quickstart`:
//! it runs green and prints the same digests on every machine, because
//! everything it builds is deterministic.

#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use ocikit_test_support::{peers, skip};

#[test]
fn quickstart_runs_and_its_digests_are_reproducible() {
    let binary = support::build_example("quickstart");
    let out = Command::new(&binary).output().unwrap();
    let stdout = support::text(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        support::text(&out.stderr)
    );
    for line in [
        // The empty layer, gzipped, and the layer built from its tree.
        "layer     sha256:75eb48369c0d0b1260b7db5c5f831d5f8b1b9b322b64191c96cb147437e7f404",
        "sha256:4ee80d13acb0d89f85c7c32977fe796c77ed95e5c386e11935de2be15a9f81d4 (diff ID sha256:d96a49d66d87b173851abe38e19f320613b9cf067decb1a9e65e42bcd837dc31)",
        "unpacked v2 into bundle/: bin -> usr/bin, etc/os-release says \"ID=quickstart\"; config.json runs [\"/bin/sh\"] in / as 0:0",
        "added [\"etc/hostname\"], modified [\"etc\"], deleted [\"etc/motd\"] (a whiteout); repacked as v3 = sha256:dfa19065683535103a864f84852ee4aed17aa91b38b21f691fe9ea3b34c230c1",
        "unpacked v3: etc/motd is gone, etc/hostname is there",
        // The manifests and configs of latest and v2.
        "gc after removing the tags latest and v2: 4 blobs removed, 5 kept",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    // With docker-registry: v3 pushed to a registry on this machine and
    // pulled back, with the same digest. Without it, why nothing is pushed.
    if peers::require_tool("docker-registry") {
        let v3 = "sha256:dfa19065683535103a864f84852ee4aed17aa91b38b21f691fe9ea3b34c230c1";
        for line in [
            format!("/quickstart:v3: {v3} (4 blobs, 1131 bytes uploaded)"),
            format!("  pulled it back into a new layout: {v3} (4 blobs fetched), the same digest"),
        ] {
            assert!(stdout.contains(&line), "missing {line:?} in:\n{stdout}");
        }
    } else {
        assert!(
            stdout.contains("docker-registry is not installed, nothing is pushed"),
            "{stdout}"
        );
    }
    // As root with runc: the bundle runs, and a created container's state
    // parses. Without them the quickstart says why it does not run it.
    if peers::require_tool("runc") && skip::is_root() {
        for line in [
            "runc run: hello from quickstart in /etc (exited with status 0)",
            "runc create, then runc state: status created, pid ",
        ] {
            assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
        }
    } else {
        assert!(stdout.contains("the bundle is not run"), "{stdout}");
    }
}
