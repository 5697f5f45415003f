//! Unpack: an image of a layout into a runtime bundle. The tag is resolved
//! (through nested indexes, for the platform asked), each layer applied in
//! order into `BUNDLE/rootfs`, `BUNDLE/config.json` written from the image
//! config, and the rootfs recorded for a later repack.

use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ocikit_image::{Descriptor, Json, Platform};
use ocikit_layout::Layout;
use ocikit_layout::progress::Progress;
use ocikit_runtime_spec::Spec;

use super::record::write_file;
use super::{BASELINE_FILE, BundleRecord, CONFIG_FILE, RECORD_FILE, ROOTFS_DIR};
use crate::conversion::{ConversionOptions, check_image, runtime_config};
use crate::{
    ApplyOptions, Baseline, Error, IdMapping, Limits, Result, Warning, WhiteoutMode, apply_layer,
};

/// How an image is unpacked into a bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct UnpackOptions {
    /// The platform to pick when the tag names an image index; `None`
    /// picks the host's.
    pub platform: Option<Platform>,
    /// Unpack without privileges: owners go into `user.rootlesscontainers`
    /// (see [`ApplyOptions::rootless`]) and `config.json` gets the rootless
    /// profile (a user namespace mapping the caller's ids). The default
    /// is `true` unless the process's effective uid is 0.
    pub rootless: bool,
    /// Uid mapping applied to the layers' owners (see
    /// [`ApplyOptions::uid_map`]).
    pub uid_map: Vec<IdMapping>,
    /// Gid mapping, as `uid_map`.
    pub gid_map: Vec<IdMapping>,
    /// Resource limits, for each layer.
    pub limits: Limits,
    /// `process.terminal` in `config.json`: `false` (the default) suits a
    /// runtime started without a TTY.
    pub terminal: bool,
    /// Where the unpack reports its progress: bytes of the layer blobs
    /// read, out of their total size, and tar entries read, under the task
    /// `unpack layer I/N`.
    pub progress: Progress,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        let apply = ApplyOptions::default();
        UnpackOptions {
            platform: None,
            rootless: apply.rootless,
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            limits: apply.limits,
            terminal: false,
            progress: Progress::none(),
        }
    }
}

/// What an unpack did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Unpacked {
    /// The image manifest unpacked.
    pub manifest: Descriptor,
    /// The runtime configuration written to `config.json`.
    pub spec: Spec,
    /// Layers applied.
    pub layers: usize,
    /// Tar entries read, over all layers.
    pub entries: u64,
    /// Bytes of the uncompressed layers, over all layers.
    pub uncompressed_bytes: u64,
    /// What the layers' applies skipped or dropped.
    pub warnings: Vec<Warning>,
}

/// Unpacks the image tagged `tag` in `layout` into the runtime bundle
/// `bundle`: `bundle/rootfs` holds its layers applied in order,
/// `bundle/config.json` the runtime configuration its config gives
/// ([`runtime_config`]), and two more files let [`repack`](crate::repack)
/// store changes to the rootfs as a new layer.
///
/// `bundle` is created (mode 0700, as the rootfs of a container is no one
/// else's business) when it does not exist; an existing directory is
/// used, and made 0700, when it holds none of the files an unpack writes.
/// When the unpack fails, what it created is removed again.
///
/// ```
/// use ocikit_convert::{ImageEdit, UnpackOptions, build_layer, unpack};
/// use ocikit_layout::{Layout, codec::Codec};
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir_all(dir.path().join("tree/etc"))?;
/// # std::fs::write(dir.path().join("tree/etc/motd"), "hello\n")?;
/// let layout = Layout::init(dir.path().join("layout"))?;
/// let layer = build_layer(&layout, &dir.path().join("tree"), Codec::gzip(), &Default::default())?;
/// let mut image = ImageEdit::scratch(&"linux/amd64".parse()?);
/// image.append_layer(&layer, Default::default())?;
/// image.config.config.get_or_insert_default().cmd = vec!["/bin/sh".into()];
/// image.commit(&layout, "v1")?;
///
/// let bundle = dir.path().join("bundle");
/// let unpacked = unpack(&layout, "v1", &bundle, &UnpackOptions::default())?;
/// assert_eq!(std::fs::read(bundle.join("rootfs/etc/motd"))?, b"hello\n");
/// assert_eq!(unpacked.spec.process.as_ref().map(|p| p.args.clone()), Some(vec!["/bin/sh".to_string()]));
/// assert!(bundle.join("config.json").is_file());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// Each layer is applied as [`apply_layer`] does, confined to the rootfs;
/// `/etc/passwd` and `/etc/group` are read inside the rootfs too. The
/// bundle directory is 0700 so that other users cannot reach setuid files
/// of the image through it.
///
/// # Errors
///
/// [`Error::Bundle`] when `bundle` is not a directory or already holds a
/// `rootfs`, `config.json` or the unpack's own files;
/// [`Error::UnsupportedImage`] for a manifest that is not an image
/// (an artifact); [`Error::OsMismatch`] for an image for another operating
/// system, and the other errors of [`runtime_config`] about the image
/// config, before any layer is applied;
/// [`Error::LayerCountMismatch`]; [`Error::InLayer`] wrapping what went
/// wrong in one layer (see [`apply_layer`]); the errors of
/// [`Layout::resolve`] and of [`runtime_config`]; [`Error::Io`].
pub fn unpack(
    layout: &Layout,
    tag: &str,
    bundle: &Path,
    options: &UnpackOptions,
) -> Result<Unpacked> {
    let created = prepare(bundle)?;
    let result = unpack_into(layout, tag, bundle, options);
    if result.is_err() {
        undo(bundle, created);
    }
    result
}

/// What [`prepare`] created, for [`undo`].
struct Created {
    /// The bundle directory itself (it did not exist).
    bundle: bool,
}

/// Checks that `bundle` may be unpacked into, as [`unpack`] does first:
/// it is missing, or a directory holding none of the names an unpack
/// writes ([`ROOTFS_DIR`], [`CONFIG_FILE`], [`RECORD_FILE`],
/// [`BASELINE_FILE`]). Whether it exists. For a caller with costly work to
/// do before the unpack (a pull), so that a bundle in the way is said
/// first.
///
/// # Errors
///
/// [`Error::Bundle`] naming what is in the way; [`Error::Io`] when it
/// cannot be inspected.
pub fn check_unpack_target(bundle: &Path) -> Result<bool> {
    let refuse = |reason: String| Error::Bundle {
        bundle: bundle.to_path_buf(),
        reason,
    };
    match std::fs::symlink_metadata(bundle) {
        Ok(meta) if meta.is_dir() => {
            for name in [ROOTFS_DIR, CONFIG_FILE, RECORD_FILE, BASELINE_FILE] {
                match std::fs::symlink_metadata(bundle.join(name)) {
                    Ok(_) => {
                        return Err(refuse(format!(
                            "it already holds {name}: unpack into a new or empty directory, or remove the old bundle first"
                        )));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io("inspect", bundle.join(name))(e)),
                }
            }
            Ok(true)
        }
        Ok(_) => Err(refuse(
            "it exists and is not a directory; expected a new or empty directory".into(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io("inspect", bundle.to_path_buf())(e)),
    }
}

/// Checks that `bundle` may be unpacked into ([`check_unpack_target`]),
/// and creates it (0700) when it does not exist, with an empty `rootfs`
/// (0755).
fn prepare(bundle: &Path) -> Result<Created> {
    let created = if check_unpack_target(bundle)? {
        std::fs::set_permissions(bundle, std::fs::Permissions::from_mode(0o700))
            .map_err(io("set the mode of", bundle.to_path_buf()))?;
        Created { bundle: false }
    } else {
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(bundle)
            .map_err(io("create", bundle.to_path_buf()))?;
        // The umask may have taken bits from 0700; none is added here.
        Created { bundle: true }
    };
    let rootfs = bundle.join(ROOTFS_DIR);
    if let Err(e) = std::fs::DirBuilder::new().mode(0o755).create(&rootfs) {
        undo(bundle, created);
        return Err(io("create", rootfs)(e));
    }
    // 0755 whatever the umask: the container's `/`.
    if let Err(e) = std::fs::set_permissions(&rootfs, std::fs::Permissions::from_mode(0o755)) {
        undo(bundle, created);
        return Err(io("set the mode of", rootfs)(e));
    }
    Ok(created)
}

/// The error of `action` on `path`, for `map_err`.
fn io(action: &'static str, path: PathBuf) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// Removes what a failed unpack left: the rootfs (confined: its symlinks
/// are not followed) and the files it wrote, and the bundle directory
/// when the unpack created it. Failures here are ignored: the unpack's
/// own error is the one worth reporting.
fn undo(bundle: &Path, created: Created) {
    if let Ok(dir) = crate::root::open_dir(rustix::fs::CWD, bundle) {
        let _ = crate::root::remove_tree(dir.as_fd(), ROOTFS_DIR.as_bytes());
    }
    for name in [CONFIG_FILE, RECORD_FILE, BASELINE_FILE] {
        let _ = std::fs::remove_file(bundle.join(name));
    }
    if created.bundle {
        let _ = std::fs::remove_dir(bundle);
    }
}

fn unpack_into(
    layout: &Layout,
    tag: &str,
    bundle: &Path,
    options: &UnpackOptions,
) -> Result<Unpacked> {
    let resolved = layout.resolve(tag, options.platform.as_ref())?;
    let image = format!("tag {tag:?} ({})", resolved.descriptor.digest);
    let unsupported = |reason: String| Error::UnsupportedImage {
        image: image.clone(),
        reason,
    };
    let manifest = &resolved.manifest;
    if !manifest.config.media_type.is_config() {
        return Err(unsupported(format!(
            "its config is {}, not an image config (an artifact, not an image)",
            manifest.config.media_type
        )));
    }
    let config = layout.read_config(&manifest.config)?;
    let conversion = ConversionOptions {
        rootless: options.rootless,
        terminal: options.terminal,
        ..ConversionOptions::default()
    };
    check_image(&config, &conversion)?;
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != manifest.layers.len() {
        return Err(Error::LayerCountMismatch {
            image,
            layers: manifest.layers.len(),
            diff_ids: diff_ids.len(),
        });
    }

    let rootfs = bundle.join(ROOTFS_DIR);
    let total: u64 = manifest
        .layers
        .iter()
        .map(|l| l.size_u64().unwrap_or(0))
        .sum();
    let mut apply = ApplyOptions {
        whiteouts: WhiteoutMode::Apply,
        rootless: options.rootless,
        uid_map: options.uid_map.clone(),
        gid_map: options.gid_map.clone(),
        limits: options.limits,
        progress: Progress::none(),
    };
    let (mut entries, mut uncompressed_bytes, mut warnings) = (0, 0, Vec::new());
    let mut bytes_before = 0;
    for (index, (layer, diff_id)) in manifest.layers.iter().zip(diff_ids).enumerate() {
        apply.progress = options.progress.step(
            format!("unpack layer {}/{}", index + 1, manifest.layers.len()),
            bytes_before,
            entries,
            Some(total),
            None,
        );
        let applied =
            apply_layer(layout, layer, Some(diff_id), &rootfs, &apply).map_err(|source| {
                Error::InLayer {
                    index,
                    digest: layer.digest.clone(),
                    source: Box::new(source),
                }
            })?;
        bytes_before += layer.size_u64().unwrap_or(0);
        entries += applied.entries;
        uncompressed_bytes += applied.uncompressed_bytes;
        warnings.extend(applied.warnings);
    }

    let spec = runtime_config(&config, &rootfs, &conversion)?;
    let mut json = spec.to_pretty_json();
    json.push(b'\n');
    write_file(&bundle.join(CONFIG_FILE), &json)?;

    Baseline::record(&rootfs)?.save(&bundle.join(BASELINE_FILE))?;
    BundleRecord {
        manifest: resolved.descriptor.clone(),
        rootless: options.rootless,
        uid_map: options.uid_map.clone(),
        gid_map: options.gid_map.clone(),
        tag: resolved
            .chain
            .first()
            .map(|tagged| (tag.to_owned(), tagged.digest.clone())),
    }
    .save(bundle)?;
    Ok(Unpacked {
        manifest: resolved.descriptor,
        spec,
        layers: manifest.layers.len(),
        entries,
        uncompressed_bytes,
        warnings,
    })
}
