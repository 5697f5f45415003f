//! Quickstart: build the documents of a small image in memory with
//! `ocikit-image`, validate them, and show what validation says about a
//! hostile manifest; then store the image in an image layout on disk with
//! `ocikit-layout` (a gzip layer, a tag), resolve it and check the layout;
//! then, with `ocikit-convert`, build a layer from a small tree, unpack the
//! image into a runtime bundle, change its rootfs and repack the change as
//! a new layer with a whiteout, gc what no tag reaches, and, as root with
//! runc installed, run the bundle and read its state; finally, with
//! `ocikit-remote` and Debian's docker-registry installed, push the image
//! to a registry started on this machine and pull it back. Run with
//! `cargo run --release --example quickstart`.
//!
//! The image has one layer, the empty tar archive (two 512-byte zero blocks),
//! so every digest printed here is reproducible on any machine.

use ocikit_convert::{
    Baseline, BuildOptions, ConfigChange, ImageEdit, MtimePolicy, Ownership, RepackOptions,
    UnpackOptions,
};
use ocikit_image::annotations::REF_NAME;
use ocikit_image::{
    ContainerConfig, Descriptor, Document, History, ImageConfiguration, ImageIndex, ImageManifest,
    Json, MediaType, Platform, Validate,
};
use ocikit_layout::codec::Codec;
use ocikit_layout::{FsckOptions, GcOptions, Layout};
use ocikit_remote::{Client, ClientOptions, PullOptions, PushOptions, Reference, RegistryOptions};
use std::net::{TcpListener, TcpStream};
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

/// Layers and bundles with `ocikit-convert`: a layer built from a tree made
/// here, the image unpacked into a runtime bundle, a change repacked as a
/// new layer, gc, and, as root with runc installed, the bundle run.
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
    let built = ocikit_convert::build_layer(layout, &tree, Codec::gzip(), &options)?;
    let mut image = ImageEdit::open(layout, "latest", None)?;
    image.append_layer(&built, history("quickstart: build tree/"))?;
    let v2 = image.commit(layout, "v2")?;
    println!("\nLayers and bundles with ocikit-convert:");
    println!(
        "  built a layer from tree/ (3 files, 3 directories, a symlink): {} (diff ID {}); tagged v2 = {}",
        built.descriptor.digest, built.diff_id, v2.digest
    );

    // Unpack: each layer applied in order into bundle/rootfs, its digest
    // and diff ID checked; config.json from the image config.
    let bundle = dir.join("bundle");
    let unpacked = ocikit_convert::unpack(layout, "v2", &bundle, &UnpackOptions::default())?;
    let rootfs = bundle.join("rootfs");
    let process = unpacked
        .spec
        .process
        .as_ref()
        .ok_or("config.json has no process")?;
    let user = process.user.clone().unwrap_or_default();
    println!(
        "  unpacked v2 into bundle/: bin -> {}, etc/os-release says {:?}; config.json runs {:?} in {} as {}:{}",
        std::fs::read_link(rootfs.join("bin"))?.display(),
        std::fs::read_to_string(rootfs.join("etc/os-release"))?.trim(),
        process.args,
        process.cwd,
        user.uid.unwrap_or(0),
        user.gid.unwrap_or(0),
    );

    // Repack: the changes since the unpack, found by metadata, as a layer.
    std::fs::remove_file(rootfs.join("etc/motd"))?;
    std::fs::write(rootfs.join("etc/hostname"), "quickstart\n")?;
    let baseline = Baseline::load(&bundle.join(ocikit_convert::BASELINE_FILE))?;
    let changes = ocikit_convert::diff(&rootfs, &baseline)?;
    let repack_options = RepackOptions {
        build: options.clone(),
        history: Some(history("quickstart: rm etc/motd, add etc/hostname")),
        ..RepackOptions::default()
    };
    let v3 = ocikit_convert::repack(&bundle, layout, "v3", &repack_options)?;
    println!(
        "  changed the rootfs: added {:?}, modified {:?}, deleted {:?} (a whiteout); repacked as v3 = {}",
        changes.added, changes.modified, changes.deleted, v3.descriptor.digest
    );

    // The new image, unpacked afresh, has exactly the change.
    let again = dir.join("bundle-v3");
    ocikit_convert::unpack(layout, "v3", &again, &UnpackOptions::default())?;
    if again.join("rootfs/etc/motd").exists() || !again.join("rootfs/etc/hostname").exists() {
        return Err("v3 unpacked without the change".into());
    }
    println!("  unpacked v3: etc/motd is gone, etc/hostname is there");

    // gc: without the tags latest and v2, their manifests and configs are
    // unreachable (the layers are v3's too).
    layout.untag("latest")?;
    layout.untag("v2")?;
    let report = layout.gc(&GcOptions {
        grace: std::time::Duration::ZERO,
        ..GcOptions::default()
    })?;
    println!(
        "  gc after removing the tags latest and v2: {} blobs removed, {} kept",
        report.removed.len(),
        layout.list_blobs()?.len()
    );

    run_with_runc(layout, dir, &options)?;
    through_a_registry(layout, dir)
}

/// A history entry at the epoch, so that configs are reproducible.
fn history(what: &str) -> History {
    History {
        created: Some("1970-01-01T00:00:00Z".into()),
        created_by: Some(what.into()),
        ..Default::default()
    }
}

/// As root with runc installed: the host's `/bin/sh` and the libraries it
/// needs go into one more layer, the command is set in the image config,
/// and the unpacked bundle is run with `ocikit-runtime`'s driver over
/// runc: run, wait for the exit status, delete; then create and state,
/// which the driver reads into our `State` model.
fn run_with_runc(
    layout: &Layout,
    dir: &Path,
    options: &BuildOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    let Some(runc) = find_program("runc") else {
        println!("  runc: not installed, the bundle is not run (install Debian's runc to see it)");
        return Ok(());
    };
    if !rustix::process::geteuid().is_root() {
        println!("  runc: not root, the bundle is not run (run the quickstart as root to see it)");
        return Ok(());
    }
    let shell = dir.join("shell");
    copy_with_libraries(Path::new("/bin/sh"), &shell, "usr/bin/sh")?;
    let layer = ocikit_convert::build_layer(layout, &shell, Codec::gzip(), options)?;
    let mut image = ImageEdit::open(layout, "v3", None)?;
    image.append_layer(&layer, history("quickstart: the host's /bin/sh"))?;
    image.change_config(&ConfigChange {
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
        cmd: Some(vec![
            "read name < /etc/hostname; echo \"hello from $name in $PWD\"".into(),
        ]),
        working_dir: Some("/etc".into()),
        ..ConfigChange::default()
    })?;
    image.commit(layout, "run")?;
    let bundle = dir.join("bundle-run");
    ocikit_convert::unpack(layout, "run", &bundle, &UnpackOptions::default())?;

    // With ocikit-runtime's driver: the container's init is our child (a
    // subreaper), its output goes to a pipe whose read end we keep, and
    // its exit status comes back through a pidfd.
    ocikit_runtime::subreaper::enable()?;
    let runtime = ocikit_runtime::Runtime::new(&runc);
    let id = format!("oci-quickstart-{}", std::process::id());
    let (mut output, stdout) = std::io::pipe()?;
    let io = ocikit_runtime::ProcessIo {
        stdout: stdout.into(),
        ..Default::default()
    };
    let options = ocikit_runtime::CreateOptions {
        io,
        ..Default::default()
    };
    let mut init = runtime.run(&id, &bundle, options)?;
    // The driver has closed its copy of the write end: the pipe ends when
    // the container's process does.
    let mut said = String::new();
    std::io::Read::read_to_string(&mut output, &mut said)?;
    let status = init.wait()?;
    runtime.delete(&id)?;
    println!("  runc run: {} ({status})", said.trim());

    // A created container waits for `start`; its state, parsed as our
    // `State`, says so.
    let mut created = runtime.create(&id, &bundle, Default::default())?;
    let state = runtime.state(&id);
    runtime.force_delete(&id)?;
    // Killed by the forced delete: reaped here.
    created.wait_timeout(std::time::Duration::from_secs(10))?;
    let state = state?;
    println!(
        "  runc create, then runc state: status {}, pid {}, bundle {} (then runc delete)",
        state.status,
        state.pid.unwrap_or(0),
        state.bundle
    );
    Ok(())
}

/// `name` on the PATH, or in the sbin directories a non-login root shell
/// may lack.
fn find_program(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// With `ocikit-remote`: v3 pushed to a registry started here (Debian's
/// docker-registry, plain http on 127.0.0.1 and a free port, its storage
/// in `dir`), then pulled back into a new layout with the same digest.
fn through_a_registry(layout: &Layout, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let Some(program) = find_program("docker-registry") else {
        println!(
            "\nA registry: docker-registry is not installed, nothing is pushed (install Debian's docker-registry to see it)"
        );
        return Ok(());
    };
    let address = format!(
        "127.0.0.1:{}",
        TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()
    );
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\nhttp: {{addr: {address}}}\n",
            dir.join("registry").display()
        ),
    )?;
    let mut registry = KillOnDrop(
        std::process::Command::new(program)
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?,
    );
    let started = std::time::Instant::now();
    while TcpStream::connect(&address).is_err() {
        if registry.0.try_wait()?.is_some() || started.elapsed().as_secs() >= 30 {
            return Err(format!("docker-registry did not listen on {address}").into());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // Plain http on this machine: TLS is not verified, as with skopeo's
    // --tls-verify=false.
    let client = Client::new(ClientOptions::default().with_registry(
        &address,
        RegistryOptions {
            tls_verify: false,
            ..RegistryOptions::default()
        },
    ));
    let reference: Reference = format!("docker://{address}/quickstart:v3").parse()?;
    let pushed = client.push(layout, "v3", &reference, &PushOptions::default())?;
    let pulled_into = Layout::init(dir.join("pulled"))?;
    let pulled = client.pull(&reference, &pulled_into, "v3", &PullOptions::default())?;
    println!("\nA registry on this machine (docker-registry on {address}), with ocikit-remote:");
    println!(
        "  pushed v3 to {reference}: {} ({} blobs, {} bytes uploaded)",
        pushed.descriptor.digest, pushed.blobs_uploaded, pushed.bytes_uploaded
    );
    if pulled.descriptor.digest != pushed.descriptor.digest {
        return Err("the image pulled back has another digest".into());
    }
    println!(
        "  pulled it back into a new layout: {} ({} blobs fetched), the same digest",
        pulled.descriptor.digest, pulled.blobs_fetched
    );
    Ok(())
}

/// A child process killed and reaped however the quickstart ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Copies `program` to `tree/at`, and the shared libraries `ldd` lists for
/// it to the same paths under `tree`, so that it runs with `tree` as `/`.
fn copy_with_libraries(
    program: &Path,
    tree: &Path,
    at: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let copy = |from: &Path, to: &Path| -> std::io::Result<()> {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, to).map(|_| ())
    };
    copy(program, &tree.join(at))?;
    std::os::unix::fs::symlink("usr/bin", tree.join("bin"))?;
    let ldd = std::process::Command::new("ldd").arg(program).output()?;
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` or
        // `/lib64/ld-linux-x86-64.so.2 (0x...)`.
        let path = line.split("=>").last().unwrap_or("").trim();
        let path = path.split(" (").next().unwrap_or("");
        if let Some(relative) = path.strip_prefix('/') {
            copy(Path::new(path), &tree.join(relative))?;
        }
    }
    Ok(())
}

/// Removes the example's layout directory however `main` ends.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
