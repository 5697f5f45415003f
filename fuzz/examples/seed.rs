//! Writes the generated part of the fuzz corpora (`fuzz/corpus/<target>/`):
//! small layers made with ocikit-convert (a tree, a diff with whiteouts),
//! hostile tars that aim at the traps the `apply_layer` target sets, and
//! oci-archives and docker-archives exported with ocikit-layout. Deterministic:
//! the same sources give the same files.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed -- fuzz/corpus`

use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::Path;

use ocikit_convert::{Baseline, BuildOptions, MtimePolicy, Ownership};
use ocikit_image::{Descriptor, ImageConfiguration, ImageManifest, Json, MediaType};
use ocikit_layout::Layout;
use ocikit_layout::archive::{self, ExportOptions, Selection};
use ocikit_layout::codec::Codec;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    let out = std::env::args_os()
        .nth(1)
        .ok_or("usage: seed CORPUS_DIR (fuzz/corpus)")?;
    let out = Path::new(&out);
    let work = tempfile::tempdir()?;
    layers(&out.join("apply_layer"), work.path())?;
    archives(&out.join("archive_import"), work.path())?;
    let runtime = out.join("runtime_json");
    let spec = ocikit_runtime_spec::Spec::default_linux();
    write(&runtime, "default-linux.json", &spec.to_pretty_json())?;
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)?;
    Ok(())
}

fn options() -> BuildOptions {
    BuildOptions {
        ownership: Ownership::Fixed { uid: 0, gid: 0 },
        mtime: MtimePolicy::Fixed(1_700_000_000),
        ..BuildOptions::default()
    }
}

/// A small tree with one of each kind of entry a layer holds.
fn small_tree(dir: &Path) -> Result {
    std::fs::create_dir_all(dir.join("etc/sub"))?;
    std::fs::write(dir.join("etc/motd"), b"hello\n")?;
    std::fs::write(dir.join("etc/empty"), b"")?;
    std::fs::write(dir.join("etc/sub/exec"), b"#!/bin/sh\n")?;
    std::fs::set_permissions(
        dir.join("etc/sub/exec"),
        std::fs::Permissions::from_mode(0o4755),
    )?;
    std::fs::hard_link(dir.join("etc/motd"), dir.join("etc/motd.link"))?;
    symlink("../etc/motd", dir.join("etc/sub/rel"))?;
    symlink("/etc/motd", dir.join("abs"))?;
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )?;
    Ok(())
}

fn layers(out: &Path, work: &Path) -> Result {
    let tree = work.join("tree");
    small_tree(&tree)?;
    let mut tar = Vec::new();
    ocikit_convert::write_layer_tar(&tree, &mut tar, &options())?;
    write(out, "tree.tar", &tar)?;

    // A diff: a deletion (whiteout), a replaced directory (opaque), a change.
    let root = work.join("unpacked");
    std::fs::create_dir(&root)?;
    ocikit_convert::apply_tar(&root, &tar[..], &ocikit_convert::ApplyOptions::default())?;
    let baseline = Baseline::record(&root)?;
    std::fs::remove_file(root.join("etc/empty"))?;
    // Made while the old one exists, so that it is another inode: opaque.
    std::fs::rename(root.join("etc/sub"), root.join("old-sub"))?;
    std::fs::create_dir(root.join("etc/sub"))?;
    std::fs::remove_dir_all(root.join("old-sub"))?;
    std::fs::write(root.join("etc/sub/new"), b"new\n")?;
    std::fs::write(root.join("etc/motd"), b"changed\n")?;
    let changes = ocikit_convert::diff(&root, &baseline)?;
    let mut diff = Vec::new();
    ocikit_convert::write_diff_tar(&root, &changes, &mut diff, &options())?;
    write(out, "diff-whiteouts.tar", &diff)?;

    // Hostile entries, each aimed at a trap of the apply_layer target.
    let hostile: [(&str, Vec<Entry>); 9] = [
        ("dotdot.tar", vec![file("../sentinel", b"escaped")]),
        ("abs.tar", vec![file("/outside/file", b"escaped")]),
        (
            "through-trap-abs.tar",
            vec![file("trap-abs/file", b"escaped")],
        ),
        ("through-trap-up.tar", vec![file("trap-up/new", b"escaped")]),
        ("onto-trap-file.tar", vec![file("trap-file", b"replaced")]),
        ("hardlink-to-trap.tar", vec![link("ln", "trap-file")]),
        (
            "symlink-then-write.tar",
            vec![
                symlink_entry("evil", "../outside"),
                file("evil/file", b"escaped"),
            ],
        ),
        (
            "whiteout-through-trap.tar",
            vec![
                file("trap-sandbox/.wh.sentinel", b""),
                file("trap-up/.wh..wh..opq", b""),
            ],
        ),
        (
            "chmod-root.tar",
            vec![dir("./", 0o777), dir("trap-top/", 0o700)],
        ),
    ];
    for (name, entries) in hostile {
        write(out, name, &raw_tar(&entries)?)?;
    }
    Ok(())
}

enum Entry {
    File(&'static str, &'static [u8]),
    Dir(&'static str, u32),
    Link(&'static str, &'static str, tar::EntryType),
}

fn file(name: &'static str, content: &'static [u8]) -> Entry {
    Entry::File(name, content)
}
fn dir(name: &'static str, mode: u32) -> Entry {
    Entry::Dir(name, mode)
}
fn link(name: &'static str, target: &'static str) -> Entry {
    Entry::Link(name, target, tar::EntryType::Link)
}
fn symlink_entry(name: &'static str, target: &'static str) -> Entry {
    Entry::Link(name, target, tar::EntryType::Symlink)
}

/// A ustar stream with names written byte for byte (the tar crate's
/// `set_path` refuses `..`, which is the point here).
fn raw_tar(entries: &[Entry]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_ustar();
        let (name, content): (&str, &[u8]) = match entry {
            Entry::File(name, content) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(0o644);
                (name, content)
            }
            Entry::Dir(name, mode) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(*mode);
                (name, b"")
            }
            Entry::Link(name, target, kind) => {
                header.set_entry_type(*kind);
                header.set_mode(0o777);
                header.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
                (name, b"")
            }
        };
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(content.len() as u64);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, content)?;
    }
    Ok(builder.into_inner()?)
}

fn archives(out: &Path, work: &Path) -> Result {
    let layout = Layout::init(work.join("layout"))?;
    let tree = work.join("tree");
    let mut tar = Vec::new();
    ocikit_convert::write_layer_tar(&tree, &mut tar, &options())?;
    let layer = layout.put_layer(&tar[..], Codec::gzip())?;
    let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse()?);
    config.rootfs.diff_ids.push(layer.diff_id.clone());
    let config = layout.put_json(&config)?;
    let manifest = ImageManifest {
        config,
        layers: vec![layer.descriptor],
        ..Default::default()
    };
    let manifest: Descriptor = layout.put_json(&manifest)?;
    layout.tag(
        "v1",
        &manifest.clone().with_platform("linux/amd64".parse()?),
    )?;
    let export = ExportOptions {
        mtime: Some(0),
        ..ExportOptions::default()
    };
    let oci = archive::oci::export(&layout, &Selection::tag("v1"), &export, Vec::new())?;
    write(out, "image.oci-archive.tar", &oci)?;
    let docker =
        archive::docker::export(&layout, "v1", "example/image:v1", None, &export, Vec::new())?;
    write(out, "image.docker-archive.tar", &docker)?;

    // An empty image (no layer) and an artifact-style manifest with an
    // empty config, each alone in an oci-archive.
    let empty = Layout::init(work.join("empty"))?;
    let config = empty.put_json(&ImageConfiguration::for_platform(
        &"linux/arm64/v8".parse()?,
    ))?;
    let manifest = empty.put_json(&ImageManifest {
        config,
        ..Default::default()
    })?;
    empty.tag("empty", &manifest)?;
    let artifact_config = empty.put_bytes(MediaType::EmptyJson, b"{}")?;
    let artifact = empty.put_json(&ImageManifest {
        config: artifact_config,
        artifact_type: Some(MediaType::Other("application/vnd.example+type".into())),
        subject: Some(manifest),
        ..Default::default()
    })?;
    empty.tag("artifact", &artifact)?;
    // A blob nothing references: the import must not keep it.
    empty.put_bytes(MediaType::ImageLayer, b"garbage")?;
    let all = archive::oci::export(&empty, &Selection::All, &export, Vec::new())?;
    write(out, "two-images.oci-archive.tar", &all)?;
    Ok(())
}
