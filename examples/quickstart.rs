//! Quickstart: build the documents of a small image in memory with
//! `oci-image`, validate them, and show what validation says about a
//! hostile manifest; then store the image in an image layout on disk with
//! `oci-layout` (a gzip layer, a tag), resolve it and check the layout;
//! then, with `oci-convert`, build a layer from a small tree, unpack the
//! image into a root directory, change the tree and store the change as a
//! new layer with a whiteout. Run with
//! `cargo run --release --example quickstart`.
//!
//! The image has one layer, the empty tar archive (two 512-byte zero blocks),
//! so every digest printed here is reproducible on any machine.

use oci_convert::{ApplyOptions, Baseline, BuildOptions, ImageEdit, MtimePolicy, Ownership};
use oci_image::annotations::REF_NAME;
use oci_image::{
    ContainerConfig, Descriptor, Document, History, ImageConfiguration, ImageIndex, ImageManifest,
    MediaType, Model, Platform, Validate,
};
use oci_layout::codec::Codec;
use oci_layout::{FsckOptions, Layout};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The layer: an uncompressed tar archive with no entries.
    let layer = vec![0u8; 1024];
    let layer_descriptor = Descriptor::for_bytes(MediaType::ImageLayer, &layer);

    // The config: platform, execution parameters, and the layer's diff ID
    // (for an uncompressed layer, the digest of the blob itself).
    let platform: Platform = "linux/amd64".parse()?;
    let mut config = ImageConfiguration::for_platform(&platform);
    config.created = Some("1970-01-01T00:00:00Z".into());
    config.config = Some(ContainerConfig {
        env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
        cmd: vec!["/bin/sh".into()],
        working_dir: Some("/".into()),
        ..Default::default()
    });
    config.rootfs.diff_ids.push(layer_descriptor.digest.clone());
    config.history.push(History {
        created: config.created.clone(),
        created_by: Some("oci-toolkit quickstart".into()),
        ..Default::default()
    });
    config.validate()?;
    let config = Document::new(config);

    // The manifest ties config and layers together; the index names it.
    let manifest = Document::new(ImageManifest {
        config: config.descriptor(),
        layers: vec![layer_descriptor.clone()],
        ..Default::default()
    });
    manifest.validate()?;
    let mut entry = manifest.descriptor().with_platform(platform);
    entry.annotations.insert(REF_NAME.into(), "latest".into());
    let index = Document::new(ImageIndex::new(vec![entry]));
    index.validate()?;

    println!("An image with one empty layer, built in memory:\n");
    println!(
        "  layer     {}  {:>5} bytes",
        layer_descriptor.digest, layer_descriptor.size
    );
    println!(
        "  config    {}  {:>5} bytes",
        config.digest(),
        config.bytes().len()
    );
    println!(
        "  manifest  {}  {:>5} bytes",
        manifest.digest(),
        manifest.bytes().len()
    );
    println!("  chain ID  {}", config.chain_ids()[0]);
    println!(
        "\nindex.json:\n  {}",
        String::from_utf8_lossy(index.bytes())
    );

    // The same bytes parse back to the same value, and serialise to the same bytes.
    let again = ImageManifest::from_json(manifest.bytes())?;
    assert_eq!(again.to_canonical_json(), manifest.bytes().as_ref());

    // A manifest that also claims to be an index (CVE-2021-41190), with a
    // negative size and a malformed env entry in its config: every broken
    // rule is reported with the path of its field.
    let hostile = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":-7,
                  "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":32654,
                   "digest":"sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0",
                   "urls":["not a url"]}],
        "manifests":[]}"#;
    println!("\nA hostile manifest is rejected:");
    match ImageManifest::from_json(hostile)?.validate() {
        Ok(_) => return Err("the hostile manifest validated".into()),
        Err(e) => println!("  {}", e.to_string().replace('\n', "\n  ")),
    }
    let bad_digest =
        br#"{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"digest":"sha256:ABC"}"#;
    match Descriptor::from_json(bad_digest) {
        Ok(_) => return Err("the malformed digest parsed".into()),
        Err(e) => println!("  {e}"),
    }

    store_in_a_layout(&layer, config.value().clone())
}

/// The same image in an image layout on disk, with its layer gzipped in
/// one pass that computes the blob digest and the diff ID together.
fn store_in_a_layout(
    layer: &[u8],
    mut config: ImageConfiguration,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("oci-quickstart-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(dir.clone());
    let layout = Layout::init(&dir)?;
    let stored = layout.put_layer(layer, Codec::gzip())?;
    config.rootfs.diff_ids = vec![stored.diff_id.clone()];
    let manifest = ImageManifest {
        config: layout.put_json(&config)?,
        layers: vec![stored.descriptor.clone()],
        ..Default::default()
    };
    let manifest = layout.put_json(&manifest)?.with_platform(config.platform());
    layout.tag("latest", &manifest)?;

    let resolved = layout.resolve("latest", Some(&"linux/amd64".parse()?))?;
    let report = layout.fsck(&FsckOptions {
        verify_diff_ids: true,
    })?;
    println!(
        "
The image stored in an image layout ({}):",
        dir.display()
    );
    println!(
        "  layer     {}  {:>5} bytes (gzip; diff ID {})",
        stored.descriptor.digest, stored.descriptor.size, stored.diff_id
    );
    println!(
        "  manifest  {}  {:>5} bytes, tagged {:?}",
        resolved.descriptor.digest,
        resolved.descriptor.size,
        layout.list_tags()?
    );
    println!(
        "  fsck: {} reachable blobs, {} bytes verified, {} problems",
        report.reachable,
        report.verified_bytes,
        report.problems.len()
    );
    if !report.is_clean() {
        return Err(format!("fsck found problems:\n{report}").into());
    }
    layers(&layout, &dir)
}

/// Layers with `oci-convert`: a layer built from a tree made here, the
/// image unpacked into a root directory, a change stored as a new layer.
fn layers(layout: &Layout, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // Owners and times fixed, so that the digests are the same everywhere.
    let options = BuildOptions {
        ownership: Ownership::Fixed { uid: 0, gid: 0 },
        normalise_modes: true,
        mtime: MtimePolicy::Fixed(0),
        ..BuildOptions::default()
    };
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("etc"))?;
    std::fs::create_dir_all(tree.join("usr/bin"))?;
    std::fs::write(tree.join("etc/os-release"), "ID=quickstart\n")?;
    std::fs::write(tree.join("etc/motd"), "Welcome.\n")?;
    std::fs::write(tree.join("usr/bin/hello"), "#!/bin/sh\necho hello\n")?;
    std::os::unix::fs::symlink("usr/bin", tree.join("bin"))?;
    let built = oci_convert::build_layer(layout, &tree, Codec::gzip(), &options)?;
    let history = |what: &str| History {
        created: Some("1970-01-01T00:00:00Z".into()),
        created_by: Some(what.into()),
        ..Default::default()
    };
    let mut image = ImageEdit::open(layout, "latest", None)?;
    image.append_layer(&built, history("quickstart: build tree/"))?;
    let v2 = image.commit(layout, "v2")?;
    println!("\nLayers with oci-convert:");
    println!(
        "  built a layer from tree/ (3 files, 3 directories, a symlink): {} (diff ID {}); tagged v2 = {}",
        built.descriptor.digest, built.diff_id, v2.digest
    );

    // Unpack: each layer applied in order, its digest and diff ID checked.
    let root = dir.join("rootfs");
    std::fs::create_dir(&root)?;
    let resolved = layout.resolve("v2", None)?;
    let config = layout.read_config(&resolved.manifest.config)?;
    for (layer, diff_id) in resolved.manifest.layers.iter().zip(&config.rootfs.diff_ids) {
        oci_convert::apply_layer(
            layout,
            layer,
            Some(diff_id),
            &root,
            &ApplyOptions::default(),
        )?;
    }
    println!(
        "  unpacked v2: bin -> {}, etc/os-release says {:?}",
        std::fs::read_link(root.join("bin"))?.display(),
        std::fs::read_to_string(root.join("etc/os-release"))?.trim()
    );

    // Repack: a baseline of the unpacked tree, a change, the diff as a layer.
    let baseline = Baseline::record(&root)?;
    std::fs::remove_file(root.join("etc/motd"))?;
    std::fs::write(root.join("etc/hostname"), "quickstart\n")?;
    let changes = oci_convert::diff(&root, &baseline)?;
    let change = oci_convert::diff_layer(layout, &root, &baseline, Codec::gzip(), &options)?
        .ok_or("the tree changed, yet the diff is empty")?;
    let mut image = ImageEdit::open(layout, "v2", None)?;
    image.append_layer(
        &change,
        history("quickstart: rm etc/motd, add etc/hostname"),
    )?;
    let v3 = image.commit(layout, "v3")?;
    println!(
        "  changed the root: added {:?}, modified {:?}, deleted {:?} (a whiteout); tagged v3 = {}",
        changes.added, changes.modified, changes.deleted, v3.digest
    );

    // The new image, unpacked afresh, has exactly the change.
    let again = dir.join("rootfs-v3");
    std::fs::create_dir(&again)?;
    let resolved = layout.resolve("v3", None)?;
    for layer in &resolved.manifest.layers {
        oci_convert::apply_layer(layout, layer, None, &again, &ApplyOptions::default())?;
    }
    if again.join("etc/motd").exists() || !again.join("etc/hostname").exists() {
        return Err("v3 unpacked without the change".into());
    }
    println!("  unpacked v3: etc/motd is gone, etc/hostname is there");
    Ok(())
}

/// Removes the example's layout directory however `main` ends.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
