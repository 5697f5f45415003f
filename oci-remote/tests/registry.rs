//! Pull and push against Debian's docker-registry (distribution 2.8.2), and
//! both ways with skopeo (the versions are in the assertion messages).
#![allow(clippy::unwrap_used)]

mod support;

use ocikit_image::{Digest, MediaType};
use ocikit_layout::{FsckOptions, Layout};
use ocikit_remote::{Platforms, PullOptions, PushOptions, Reference};
use ocikit_test_support::peers;
use ocikit_test_support::registry::Registry;
use support::images;
use support::insecure_client as client;

fn skopeo(args: &[&str]) -> String {
    let output = peers::command("skopeo").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "skopeo {} ({}): {}",
        args.join(" "),
        peers::version("skopeo"),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The sha256 of what `skopeo inspect --raw` gives for `reference`.
fn skopeo_digest(reference: &str) -> Digest {
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", reference]);
    Digest::sha256(raw.as_bytes())
}

fn assert_clean(layout: &Layout) {
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    assert!(report.is_clean(), "{report}");
}

fn start() -> Option<Registry> {
    if !peers::require_tool("skopeo") {
        return None;
    }
    Registry::start()
}

#[test]
fn what_skopeo_pushes_we_pull_with_the_same_digests() {
    let Some(registry) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[1000, 70_000], 1);
    let index = images::multi_platform(&source, "multi", 2);
    let oci = |tag: &str| format!("oci:{}:{tag}", source.path().display());
    let one = registry.reference("team/one:v1");
    let multi = registry.reference("team/multi:v2");
    skopeo(&["copy", "--dest-tls-verify=false", &oci("v1"), &one]);
    skopeo(&[
        "copy",
        "--all",
        "--dest-tls-verify=false",
        &oci("multi"),
        &multi,
    ]);

    let client = client(&registry.address);
    let target = Layout::init(dir.path().join("target")).unwrap();
    let pulled = client
        .pull(
            &one.parse().unwrap(),
            &target,
            "one",
            &PullOptions::default(),
        )
        .unwrap();
    assert_eq!(pulled.digest, manifest.digest);
    assert_eq!(target.find_tag("one").unwrap().digest, manifest.digest);
    assert_eq!((pulled.blobs_fetched, pulled.blobs_present), (3, 0));
    assert!(!pulled.docker_manifests);

    let all = PullOptions {
        platforms: Platforms::All,
        ..Default::default()
    };
    let pulled = client
        .pull(&multi.parse().unwrap(), &target, "multi", &all)
        .unwrap();
    assert_eq!(pulled.descriptor.digest, index.digest);
    assert_eq!(pulled.descriptor.media_type, MediaType::ImageIndex);
    let arm = PullOptions {
        platforms: Platforms::Only("linux/arm64".parse().unwrap()),
        ..Default::default()
    };
    let pulled = client
        .pull(&multi.parse().unwrap(), &target, "arm", &arm)
        .unwrap();
    let arm64 = target.read_index(&index).unwrap().manifests[1].clone();
    assert_eq!(pulled.descriptor.digest, arm64.digest);
    assert_eq!(
        pulled.digest, index.digest,
        "the digest the reference resolved to"
    );
    assert_eq!(pulled.blobs_fetched, 0, "pulled with the index already");
    assert_clean(&target);
    // skopeo reads what we stored.
    let ours = format!("oci:{}:multi", target.path().display());
    assert_eq!(
        Digest::sha256(skopeo(&["inspect", "--raw", &ours]).as_bytes()),
        index.digest
    );
}

#[test]
fn docker_v2s2_manifests_are_kept_as_they_are_or_converted() {
    let Some(registry) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    images::image(&source, "v1", &[2000], 3);
    images::multi_platform(&source, "multi", 13);
    let remote = registry.reference("docker/app:v1");
    let list = registry.reference("docker/list:v1");
    let oci = |tag: &str| format!("oci:{}:{tag}", source.path().display());
    skopeo(&[
        "copy",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        &oci("v1"),
        &remote,
    ]);
    skopeo(&[
        "copy",
        "--all",
        "--format",
        "v2s2",
        "--dest-tls-verify=false",
        &oci("multi"),
        &list,
    ]);
    let registry_digest = skopeo_digest(&remote);

    let client = client(&registry.address);
    let docker = Layout::init(dir.path().join("docker")).unwrap();
    let reference: Reference = remote.parse().unwrap();
    let pulled = client
        .pull(&reference, &docker, "docker", &PullOptions::default())
        .unwrap();
    assert!(pulled.docker_manifests);
    assert_eq!(pulled.descriptor.media_type, MediaType::DockerManifest);
    assert_eq!(
        pulled.descriptor.digest, registry_digest,
        "the exact bytes are kept"
    );
    let all = PullOptions {
        platforms: Platforms::All,
        ..Default::default()
    };
    let list: Reference = list.parse().unwrap();
    let pulled_list = client.pull(&list, &docker, "list", &all).unwrap();
    assert_eq!(
        pulled_list.descriptor.media_type,
        MediaType::DockerManifestList
    );
    assert_clean(&docker);

    // Converted while pulling: what `oci import --to-oci`'s conversion
    // makes of the Docker documents, and nothing else stored.
    let converted = Layout::init(dir.path().join("converted")).unwrap();
    for (from, tag, docker_tag, platforms) in [
        (&reference, "oci", "docker", Platforms::Host),
        (&list, "list", "list", Platforms::All),
    ] {
        let options = PullOptions {
            to_oci: true,
            platforms,
            ..Default::default()
        };
        let pulled = client.pull(from, &converted, tag, &options).unwrap();
        assert!(!pulled.docker_manifests);
        let expected =
            ocikit_layout::archive::convert::to_oci(&docker, &docker.find_tag(docker_tag).unwrap())
                .unwrap();
        assert_eq!(pulled.descriptor.digest, expected.digest, "{tag}");
        assert!(!pulled.descriptor.media_type.is_docker());
    }
    let oci = converted.resolve("oci", None).unwrap();
    assert_eq!(oci.manifest.config.media_type, MediaType::ImageConfig);
    assert_clean(&converted);
}

#[test]
fn what_we_push_skopeo_copies_back_with_the_same_digests() {
    let Some(registry) = start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[1500, 90_000], 4);
    let index = images::multi_platform(&source, "multi", 5);
    let client = client(&registry.address);

    let one: Reference = registry.reference("pushed/one:v1").parse().unwrap();
    let pushed = client
        .push(&source, "v1", &one, &PushOptions::default())
        .unwrap();
    assert_eq!(pushed.descriptor.digest, manifest.digest);
    assert_eq!(
        (
            pushed.blobs_uploaded,
            pushed.blobs_existing,
            pushed.manifests_pushed
        ),
        (3, 0, 1)
    );
    let multi: Reference = registry.reference("pushed/multi:latest").parse().unwrap();
    let pushed = client
        .push(&source, "multi", &multi, &PushOptions::default())
        .unwrap();
    assert_eq!(pushed.manifests_pushed, 3);
    assert_eq!(
        skopeo_digest(&registry.reference("pushed/one:v1")),
        manifest.digest
    );
    assert_eq!(
        skopeo_digest(&registry.reference("pushed/multi:latest")),
        index.digest
    );

    // skopeo copies both back into a layout of its own, every digest kept.
    let back = dir.path().join("back");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &registry.reference("pushed/one:v1"),
        &format!("oci:{}:one", back.display()),
    ]);
    skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        &registry.reference("pushed/multi:latest"),
        &format!("oci:{}:multi", back.display()),
    ]);
    let back = Layout::open(&back).unwrap();
    assert_eq!(back.find_tag("one").unwrap().digest, manifest.digest);
    assert_eq!(back.find_tag("multi").unwrap().digest, index.digest);
    let mut ours = source.list_blobs().unwrap();
    let mut theirs = back.list_blobs().unwrap();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "every blob, by digest");

    // A reference with a tag and a digest: pushed under the tag, once the
    // digest is checked.
    let both: Reference = format!("{}/pushed/one:both@{}", registry.address, manifest.digest)
        .parse()
        .unwrap();
    client
        .push(&source, "v1", &both, &PushOptions::default())
        .unwrap();
    let head = client
        .head_manifest(&one.with_tag("both").unwrap())
        .unwrap();
    assert_eq!(head.map(|d| d.digest), Some(manifest.digest.clone()));
    let wrong = one.with_digest(index.digest.clone());
    let err = client
        .push(&source, "v1", &wrong, &PushOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("not this digest"), "{err}");

    // A second push finds everything there.
    let again = client
        .push(&source, "v1", &one, &PushOptions::default())
        .unwrap();
    assert_eq!((again.blobs_uploaded, again.blobs_existing), (0, 3));
}

#[test]
fn layout_to_registry_to_layout_keeps_every_digest() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let index = images::multi_platform(&source, "multi", 6);
    let client = client(&registry.address);
    let remote: Reference = registry.reference("round/trip:v1").parse().unwrap();
    client
        .push(&source, "multi", &remote, &PushOptions::default())
        .unwrap();
    let target = Layout::init(dir.path().join("target")).unwrap();
    let all = PullOptions {
        platforms: Platforms::All,
        ..Default::default()
    };
    let pulled = client.pull(&remote, &target, "multi", &all).unwrap();
    assert_eq!(pulled.descriptor.digest, index.digest);
    let mut a = source.list_blobs().unwrap();
    let mut b = target.list_blobs().unwrap();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_clean(&target);
    // By digest too.
    let by_digest = remote.with_digest(index.digest.clone());
    let again = client.pull(&by_digest, &target, "again", &all).unwrap();
    assert_eq!(
        (again.descriptor.digest.clone(), again.blobs_fetched),
        (index.digest, 0)
    );
}

#[test]
fn chunked_uploads_and_mounts_work_against_distribution() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[300_000, 10], 7);
    let client = client(&registry.address);
    let first: Reference = registry.reference("chunks/a:v1").parse().unwrap();
    let chunked = PushOptions {
        chunk_size: 64 << 10,
        ..Default::default()
    };
    client.push(&source, "v1", &first, &chunked).unwrap();
    let second: Reference = registry.reference("chunks/b:v1").parse().unwrap();
    let mount = PushOptions {
        mount_from: Some("chunks/a".into()),
        ..Default::default()
    };
    let pushed = client.push(&source, "v1", &second, &mount).unwrap();
    assert_eq!((pushed.blobs_mounted, pushed.blobs_uploaded), (3, 0));
    let target = Layout::init(dir.path().join("target")).unwrap();
    let pulled = client
        .pull(&second, &target, "v1", &PullOptions::default())
        .unwrap();
    assert_eq!(pulled.descriptor.digest, manifest.digest);
    assert_clean(&target);
}

#[test]
fn tags_catalog_head_and_delete() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[100], 8);
    let client = client(&registry.address);
    for tag in ["b", "a", "c"] {
        let remote: Reference = registry
            .reference(&format!("list/app:{tag}"))
            .parse()
            .unwrap();
        client
            .push(&source, "v1", &remote, &PushOptions::default())
            .unwrap();
    }
    client
        .push(
            &source,
            "v1",
            &registry.reference("list/other:x").parse().unwrap(),
            &PushOptions::default(),
        )
        .unwrap();
    let app: Reference = registry.reference("list/app").parse().unwrap();
    let mut tags = client.tags(&app, Some(2)).unwrap();
    tags.sort();
    assert_eq!(tags, ["a", "b", "c"]);
    let catalog = client.catalog(&registry.address, Some(1)).unwrap();
    assert_eq!(
        catalog,
        ["list/app", "list/other"],
        "the catalog's relative Link pages"
    );

    let head = client
        .head_manifest(&app.with_tag("a").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (head.digest.clone(), head.media_type.clone()),
        (manifest.digest.clone(), MediaType::ImageManifest)
    );
    assert_eq!(
        client
            .head_manifest(&app.with_tag("nope").unwrap())
            .unwrap(),
        None
    );
    let err = client.delete_manifest(&app).unwrap_err();
    assert!(
        err.to_string().contains("needs a reference by digest"),
        "{err}"
    );
    client
        .delete_manifest(&app.with_digest(manifest.digest.clone()))
        .unwrap();
    assert_eq!(
        client.head_manifest(&app.with_tag("a").unwrap()).unwrap(),
        None
    );
    let err = client
        .fetch_manifest(&app.with_tag("b").unwrap())
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(err.has_code("MANIFEST_UNKNOWN"), "{err}");
    assert!(
        err.to_string()
            .contains("repository list/app: fetch manifest b: HTTP 404 (MANIFEST_UNKNOWN"),
        "{err}"
    );
    let layer = source.read_manifest(&manifest).unwrap().layers[0]
        .digest
        .clone();
    client.delete_blob(&app, &layer).unwrap();
}

#[test]
fn referrers_without_the_api_go_to_the_fallback_tag_and_none_is_lost() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let subject = images::image(&source, "v1", &[100], 9);
    let client = client(&registry.address);
    let remote: Reference = registry.reference("refs/app:v1").parse().unwrap();
    client
        .push(&source, "v1", &remote, &PushOptions::default())
        .unwrap();
    let empty = source.put_bytes(MediaType::EmptyJson, b"{}").unwrap();
    let mut referrers = Vec::new();
    for (tag, artifact) in [
        ("sbom", "application/vnd.example.sbom"),
        ("sig", "application/vnd.example.sig"),
    ] {
        let mut manifest = ocikit_image::ImageManifest {
            artifact_type: Some(MediaType::from(artifact)),
            config: empty.clone(),
            subject: Some(subject.clone()),
            ..Default::default()
        };
        manifest
            .annotations
            .insert("org.example.kind".into(), tag.into());
        let descriptor = source.put_json(&manifest).unwrap();
        source.tag(tag, &descriptor).unwrap();
        let pushed = client
            .push(
                &source,
                tag,
                &remote.with_tag(tag).unwrap(),
                &PushOptions::default(),
            )
            .unwrap();
        assert_eq!(
            pushed.referrers_tags,
            [ocikit_remote::referrers_tag(&subject.digest)]
        );
        referrers.push(descriptor);
    }
    let by_digest = remote.with_digest(subject.digest.clone());
    let found = client.referrers(&by_digest, None).unwrap();
    assert!(
        found.from_fallback_tag,
        "distribution 2.8.2 has no referrers API"
    );
    let digests: Vec<_> = found.manifests.iter().map(|d| d.digest.clone()).collect();
    assert_eq!(
        digests,
        referrers
            .iter()
            .map(|d| d.digest.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        found.manifests[1].artifact_type,
        Some(MediaType::from("application/vnd.example.sig"))
    );
    assert_eq!(found.manifests[1].annotations["org.example.kind"], "sig");
    let sigs = client
        .referrers(
            &by_digest,
            Some(&MediaType::from("application/vnd.example.sig")),
        )
        .unwrap();
    assert_eq!(sigs.manifests.len(), 1);
    // Pushing one again adds no duplicate.
    client
        .push(
            &source,
            "sig",
            &remote.with_tag("sig").unwrap(),
            &PushOptions::default(),
        )
        .unwrap();
    assert_eq!(
        client.referrers(&by_digest, None).unwrap().manifests.len(),
        2
    );
}

#[test]
fn two_pulls_of_one_image_into_one_layout_at_once_both_succeed() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[1 << 20, 2 << 20, 300_000], 10);
    let client = client(&registry.address);
    let remote: Reference = registry.reference("twice/app:v1").parse().unwrap();
    client
        .push(&source, "v1", &remote, &PushOptions::default())
        .unwrap();
    let target = Layout::init(dir.path().join("target")).unwrap();
    std::thread::scope(|scope| {
        let pulls: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|tag| {
                let (client, remote, target) = (client.clone(), remote.clone(), target.clone());
                scope.spawn(move || {
                    client
                        .pull(&remote, &target, tag, &PullOptions::default())
                        .map(|pulled| pulled.descriptor.digest)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for pull in pulls {
            assert_eq!(pull.join().unwrap().unwrap(), manifest.digest);
        }
    });
    assert_eq!(target.list_tags().unwrap(), ["a", "b"]);
    assert_clean(&target);
}
