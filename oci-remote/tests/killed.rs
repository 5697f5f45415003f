//! Pulls in child processes: one SIGKILLed at random moments leaves a
//! layout without damage and no tag to a partial image; one of a 256 MiB
//! blob keeps its peak resident memory small (measured as the child's
//! `VmHWM`).
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use ocikit_image::digester::Digester;
use ocikit_image::{Descriptor, ImageConfiguration, ImageManifest, Json, MediaType};
use ocikit_layout::{FsckOptions, Layout};
use ocikit_remote::{PullOptions, PushOptions, Reference};
use ocikit_test_support::children::{KilledOnDrop, ignored_test};
use ocikit_test_support::http::{Reply, Server};
use ocikit_test_support::registry::Registry;
use support::images;
use support::insecure_client as client;

const REFERENCE_VAR: &str = "OCIKIT_TEST_REFERENCE";
const LAYOUT_VAR: &str = "OCIKIT_TEST_LAYOUT";

/// Runs the ignored test `name` of this binary, pulling `reference` into
/// `layout`.
fn spawn_child(name: &str, reference: &str, layout: &Layout, stdout: Stdio) -> KilledOnDrop {
    let child = ignored_test(name)
        .env(REFERENCE_VAR, reference)
        .env(LAYOUT_VAR, layout.path())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    KilledOnDrop(child)
}

/// The pull a child does: the reference and layout its parent gave.
fn child_pull() -> ocikit_remote::Pulled {
    let reference: Reference = std::env::var(REFERENCE_VAR)
        .expect("run by a parent test")
        .parse()
        .unwrap();
    let layout = Layout::open(std::env::var(LAYOUT_VAR).unwrap()).unwrap();
    client(reference.registry())
        .pull(&reference, &layout, "v1", &PullOptions::default())
        .unwrap()
}

#[test]
#[ignore = "a child process of a_pull_killed_at_random_moments_leaves_no_damage_and_no_partial_tag"]
fn child_pull_to_be_killed() {
    child_pull();
}

/// Eight pulls of a 24 MiB image, each SIGKILLed after a random delay:
/// each layout has no damage (fsck), and either no tag or the whole image
/// under it; a last pull into each completes it.
#[test]
fn a_pull_killed_at_random_moments_leaves_no_damage_and_no_partial_tag() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[8 << 20, 8 << 20, 8 << 20, 1000], 20);
    let client = client(&registry.address);
    let remote: Reference = format!("{}/killed/app:v1", registry.address)
        .parse()
        .unwrap();
    client
        .push(&source, "v1", &remote, &PushOptions::default())
        .unwrap();
    let mut untagged = 0;
    for round in 0..8u64 {
        let target = Layout::init(dir.path().join(format!("target{round}"))).unwrap();
        let mut child = spawn_child(
            "child_pull_to_be_killed",
            &remote.to_string(),
            &target,
            Stdio::null(),
        );
        let delay = fastrand_millis(round) % 400;
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.0.kill();
        child.0.wait().unwrap();
        let report = target.fsck(&FsckOptions::default()).unwrap();
        assert_eq!(
            report.damage().count(),
            0,
            "round {round} (killed after {delay} ms): {report}"
        );
        match target.find_tag("v1") {
            Ok(tagged) => assert_eq!(tagged.digest, manifest.digest, "round {round}"),
            Err(_) => untagged += 1,
        }
        let pulled = client
            .pull(&remote, &target, "v1", &PullOptions::default())
            .unwrap();
        assert_eq!(pulled.descriptor.digest, manifest.digest);
        let report = target.fsck(&FsckOptions::default()).unwrap();
        assert_eq!(
            report.damage().count(),
            0,
            "round {round}, pulled again: {report}"
        );
    }
    assert!(
        untagged > 0,
        "no kill landed before the tag: the test proves nothing"
    );
}

/// A delay from the round and the clock, so that the rounds differ.
fn fastrand_millis(round: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    (u64::from(nanos) ^ (round * 0x9E37_79B9)) % 1000
}

#[test]
#[ignore = "a child process of a_256_mib_blob_is_pulled_in_bounded_memory"]
fn child_pull_reporting_memory() {
    child_pull();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    println!("{peak}");
}

/// The peak resident memory of a child pulling a 256 MiB blob, measured
/// as its `VmHWM` (debug build).
#[test]
fn a_256_mib_blob_is_pulled_in_bounded_memory() {
    const SIZE: u64 = 256 << 20;
    let chunk: Vec<u8> = images::random(1 << 20, 21);
    let mut digester = Digester::sha256();
    for _ in 0..(SIZE >> 20) {
        digester.update(&chunk);
    }
    let layer = Descriptor::new(MediaType::ImageLayer, digester.finish(), SIZE as i64);
    let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    config.rootfs.diff_ids.push(layer.digest.clone());
    let config_bytes = config.to_canonical_json();
    let config = Descriptor::for_bytes(MediaType::ImageConfig, &config_bytes);
    let manifest = ImageManifest {
        config: config.clone(),
        layers: vec![layer.clone()],
        ..Default::default()
    }
    .to_canonical_json();
    let server = Server::start(move |request| {
        if request.path.ends_with("/manifests/v1") {
            Reply::body(200, manifest.clone())
                .with("Content-Type", MediaType::ImageManifest.as_str())
        } else if request.path.ends_with(config.digest.as_str()) {
            Reply::body(200, config_bytes.clone())
        } else {
            Reply::Repeat {
                status: 200,
                headers: Vec::new(),
                chunk: chunk.clone(),
                total: SIZE,
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let target = Layout::init(dir.path().join("target")).unwrap();
    let reference = format!("{}/big/app:v1", server.address);
    let started = Instant::now();
    let child = spawn_child(
        "child_pull_reporting_memory",
        &reference,
        &target,
        Stdio::piped(),
    );
    let output = child_output(child);
    // libtest prints the test's name on the same line before it.
    let peak_kib: u64 = output
        .split_once("VmHWM:")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the child reported no peak: {output}"))
        .parse()
        .unwrap();
    assert!(target.has_blob(&layer.digest), "the blob was stored");
    assert!(
        peak_kib < 64 << 10,
        "peak RSS {peak_kib} KiB for a 256 MiB blob (limit 64 MiB), in {:?}",
        started.elapsed()
    );
    eprintln!(
        "a 256 MiB pull peaked at {peak_kib} KiB RSS in {:?}",
        started.elapsed()
    );
}

fn child_output(mut child: KilledOnDrop) -> String {
    use std::io::Read;
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "the child failed: {status}: {text}");
    text
}
