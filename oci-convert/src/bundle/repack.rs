//! Repack: the changes made to a bundle's rootfs since its unpack (or its
//! last repack) stored as one new layer on top of the bundle's image, with
//! a new config, manifest and tag.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use ocikit_image::{Descriptor, History};
use ocikit_layout::codec::Codec;
use ocikit_layout::{Layout, StoredLayer};

use super::{BASELINE_FILE, BundleRecord, ROOTFS_DIR};
use crate::image::move_tag;
use crate::{Baseline, BuildOptions, Error, ImageEdit, Result, diff_layer};

/// How a bundle is repacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepackOptions {
    /// The new layer's compression (by default gzip, with a worker thread
    /// per CPU: [`Codec::parallel`]).
    pub codec: Codec,
    /// How the layer's entries are written (times, modes, owners) and where
    /// progress is reported.
    pub build: BuildOptions,
    /// The history entry of the new layer; `None` gives one whose
    /// `created` is `SOURCE_DATE_EPOCH` or the current time and whose
    /// `created_by` says the layer came from a repack.
    pub history: Option<History>,
}

impl Default for RepackOptions {
    fn default() -> Self {
        RepackOptions {
            codec: Codec::gzip().parallel(),
            build: BuildOptions::default(),
            history: None,
        }
    }
}

/// What a repack did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Repacked {
    /// The manifest now tagged: a new one when a layer was added, the
    /// bundle's image as it was otherwise.
    pub descriptor: Descriptor,
    /// The new layer; `None` when the rootfs had not changed.
    pub layer: Option<StoredLayer>,
}

/// Stores the changes made to the rootfs of the bundle at `bundle` as a
/// new layer of its image in `layout`, and tags the result `tag`.
///
/// The changes are found by comparing the rootfs with the baseline the
/// unpack recorded ([`diff_layer`]): by metadata, without reading every
/// file. The new image is the bundle's own image (the manifest the unpack
/// resolved, whatever its tag names now) with one more layer, a history
/// entry, and a new config and manifest. An unchanged rootfs adds no layer:
/// `tag` then names the bundle's image as it is.
///
/// Afterwards the bundle belongs to the new image: its baseline is
/// recorded again, so a second repack stores only what changed since.
/// `config.json` is not read: the runtime configuration does not go back
/// into the image (see [`ImageEdit`] to change the image config).
///
/// ```
/// use ocikit_convert::{BuildOptions, ImageEdit, RepackOptions, UnpackOptions};
/// use ocikit_image::History;
/// use ocikit_layout::{Layout, codec::Codec};
/// # let dir = tempfile::tempdir()?;
/// # let layout = Layout::init(dir.path().join("image"))?;
/// # let tree = dir.path().join("tree");
/// # std::fs::create_dir_all(tree.join("etc"))?;
/// # std::fs::write(tree.join("etc/motd"), "hello\n")?;
/// # let layer = ocikit_convert::build_layer(&layout, &tree, Codec::gzip(), &BuildOptions::default())?;
/// # let mut image = ImageEdit::scratch(&"linux/amd64".parse()?);
/// # image.append_layer(&layer, History::default())?;
/// # image.commit(&layout, "v1")?;
/// // `layout` holds an image tagged v1 with one layer.
/// let bundle = dir.path().join("bundle");
/// ocikit_convert::unpack(&layout, "v1", &bundle, &UnpackOptions::default())?;
/// std::fs::write(bundle.join("rootfs/etc/motd"), "changed\n")?;
///
/// let repacked = ocikit_convert::repack(&bundle, &layout, "v1", &RepackOptions::default())?;
/// assert!(repacked.layer.is_some()); // one new layer, holding etc/motd only
/// let image = layout.resolve("v1", Some(&"linux/amd64".parse()?))?;
/// assert_eq!(image.manifest.layers.len(), 2);
///
/// // Nothing changed since: no layer, the tag stays where it is.
/// let again = ocikit_convert::repack(&bundle, &layout, "v1", &RepackOptions::default())?;
/// assert!(again.layer.is_none());
/// assert_eq!(again.descriptor.digest, repacked.descriptor.digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A repack into the tag the bundle was unpacked from (or last repacked
/// into), as its record names it, is a read-modify-write of that tag: the
/// tag is moved only if it still names what it named then
/// ([`Layout::tag_if`]). So a change made to the tag meanwhile (another
/// bundle's repack, an [`ImageEdit`]) is never silently undone: this
/// repack fails with [`ocikit_layout::Error::TagChanged`] instead, and the
/// bundle is left as it was (unpack the tag again to build on the change,
/// or repack into another tag). Any other tag is moved whatever it names.
///
/// # Errors
///
/// [`Error::Bundle`] when `bundle` was not made by
/// [`unpack`](crate::unpack), or was unpacked with id maps (their owners
/// would have to be mapped back, which is not done yet);
/// the errors of [`ImageEdit::open_manifest`], [`diff_layer`] and
/// [`ImageEdit::commit`] ([`ocikit_layout::Error::TagChanged`] among
/// them).
pub fn repack(
    bundle: &Path,
    layout: &Layout,
    tag: &str,
    options: &RepackOptions,
) -> Result<Repacked> {
    ocikit_layout::check_tag(tag)?;
    let record = BundleRecord::load(bundle)?;
    if !record.uid_map.is_empty() || !record.gid_map.is_empty() {
        return Err(Error::Bundle {
            bundle: bundle.to_path_buf(),
            reason: "it was unpacked with uid or gid maps, and repack cannot map owners back yet; unpack it without maps to repack it".into(),
        });
    }
    let baseline = Baseline::load(&bundle.join(BASELINE_FILE))?;
    let mut image = ImageEdit::open_manifest(layout, &record.manifest)?;
    image.read = record.tag.clone();
    let rootfs = bundle.join(ROOTFS_DIR);
    let Some(layer) = diff_layer(layout, &rootfs, &baseline, options.codec, &options.build)? else {
        move_tag(layout, tag, &record.manifest, record.tag.as_ref())?;
        BundleRecord {
            tag: Some((tag.to_owned(), record.manifest.digest.clone())),
            ..record.clone()
        }
        .save(bundle)?;
        return Ok(Repacked {
            descriptor: record.manifest,
            layer: None,
        });
    };
    let history = match &options.history {
        Some(history) => history.clone(),
        None => History {
            created: Some(created_now()?),
            created_by: Some("oci-convert repack".into()),
            ..History::default()
        },
    };
    image.append_layer(&layer, history)?;
    let descriptor = image.commit(layout, tag)?;

    Baseline::record(&rootfs)?.save(&bundle.join(BASELINE_FILE))?;
    BundleRecord {
        manifest: descriptor.clone(),
        tag: Some((tag.to_owned(), descriptor.digest.clone())),
        ..record
    }
    .save(bundle)?;
    Ok(Repacked {
        descriptor,
        layer: Some(layer),
    })
}

/// The time a new layer or config change is created at, in RFC 3339:
/// `SOURCE_DATE_EPOCH` when it is set (reproducible builds), else the
/// clock.
///
/// # Errors
///
/// [`Error::Layout`] holding
/// [`ocikit_layout::Error::InvalidSourceDateEpoch`] for a malformed variable;
/// [`Error::TimeOutOfRange`] past year 9999.
pub fn created_now() -> Result<String> {
    let seconds = match ocikit_layout::source_date_epoch()? {
        Some(epoch) => epoch,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    ocikit_image::time::format_rfc3339(seconds).ok_or(Error::TimeOutOfRange { seconds })
}
