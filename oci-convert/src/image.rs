//! Appending a layer to an image: the layer's DiffID and a history entry go
//! into a new config (image-spec config.md, `rootfs` and `history`), the
//! layer's descriptor into a new manifest (manifest.md, `layers`), and a tag
//! in `index.json` moves to it (image-layout.md).

mod config_change;

pub use config_change::ConfigChange;

use ocikit_image::{
    Descriptor, Digest, History, ImageConfiguration, ImageManifest, MediaType, Platform, Validate,
};
use ocikit_layout::{Layout, StoredLayer};

use crate::{Error, Result};

/// An image being edited: the manifest and config of a base image (or of a
/// new, empty one), changed in memory and stored by [`ImageEdit::commit`].
///
/// ```
/// use ocikit_convert::ImageEdit;
/// use ocikit_image::History;
/// use ocikit_layout::{Layout, codec::Codec};
/// # let dir = tempfile::tempdir()?;
/// let layout = Layout::init(dir.path().join("l"))?;
/// let tar = vec![0u8; 1024]; // an empty tar archive
/// let layer = layout.put_layer(&tar[..], Codec::gzip())?;
///
/// let mut image = ImageEdit::scratch(&"linux/amd64".parse()?);
/// image.append_layer(&layer, History {
///     created: Some("2024-01-01T00:00:00Z".into()),
///     created_by: Some("an example".into()),
///     ..Default::default()
/// })?;
/// let v1 = image.commit(&layout, "v1")?;
///
/// // Later: the image tagged v1 plus one more layer, tagged v2.
/// let mut image = ImageEdit::open(&layout, "v1", None)?;
/// image.append_layer(&layer, History::default())?;
/// let v2 = image.commit(&layout, "v2")?;
/// let resolved = layout.resolve("v2", None)?;
/// assert_eq!(resolved.descriptor.digest, v2.digest);
/// assert_eq!(resolved.manifest.layers.len(), 2);
/// assert_ne!(v1.digest, v2.digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Everything of the base that the edit does not touch is kept as it was:
/// unknown fields of the config and manifest, the manifest's annotations,
/// the config's execution parameters. The same base, layers and history
/// (with its `created` time) give the same documents, byte for byte, hence
/// the same digests: nothing here reads the clock.
///
/// # Limitations
///
/// Only OCI image manifests are edited: a Docker schema 2 image must be
/// converted first, and a tag on an image index gives an image for one
/// platform, not a new index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEdit {
    /// The manifest of the new image; its `config` descriptor is replaced
    /// by [`ImageEdit::commit`].
    pub manifest: ImageManifest,
    /// The configuration of the new image.
    pub config: ImageConfiguration,
    /// What the edit started from, for messages: `tag "v1" (sha256:...)`.
    base: String,
    /// The layers appended here, which must be blobs of the layout that
    /// the edit is committed to.
    appended: Vec<Digest>,
    /// The tag the edit was opened from and the digest it named then: a
    /// commit to that tag moves it only if it still names that digest.
    /// Repack sets it to the tag its bundle came from.
    pub(crate) read: Option<(String, Digest)>,
}

impl ImageEdit {
    /// A new image for `platform`, with no layers and no history: the config
    /// has only the platform and an empty `rootfs` (`type` `layers`).
    pub fn scratch(platform: &Platform) -> ImageEdit {
        ImageEdit {
            manifest: ImageManifest::default(),
            config: ImageConfiguration::for_platform(platform),
            base: format!("a new {platform} image"),
            appended: Vec::new(),
            read: None,
        }
    }

    /// The image tagged `tag` in `layout`, as [`Layout::resolve`] finds it:
    /// when the tag names an image index, the manifest for `platform` (the
    /// host's when `None`) is chosen, and the edited image is that one
    /// manifest alone, not a new index.
    ///
    /// # Errors
    ///
    /// The errors of [`Layout::resolve`] and [`Layout::read_config`] (a
    /// missing tag is [`ocikit_layout::Error::TagNotFound`]);
    /// [`Error::UnsupportedImage`] for a Docker manifest, an artifact, or a
    /// config whose `rootfs.type` is not `layers`;
    /// [`Error::LayerCountMismatch`] when the manifest's layers and the
    /// config's `rootfs.diff_ids` differ in number.
    pub fn open(layout: &Layout, tag: &str, platform: Option<&Platform>) -> Result<ImageEdit> {
        let resolved = layout.resolve(tag, platform)?;
        let base = format!("tag {tag:?} ({})", resolved.descriptor.digest);
        let mut edit = ImageEdit::from_manifest(layout, &resolved.descriptor, base)?;
        // The descriptor index.json holds under the tag (an index's, when
        // the tag names one), as it was read.
        edit.read = resolved
            .chain
            .first()
            .map(|tagged| (tag.to_owned(), tagged.digest.clone()));
        Ok(edit)
    }

    /// The image whose manifest `descriptor` names, a blob of `layout`
    /// (an unpacked bundle remembers its image this way, whatever its tag
    /// names since).
    ///
    /// # Errors
    ///
    /// As [`ImageEdit::open`], without the tag's.
    pub fn open_manifest(layout: &Layout, descriptor: &Descriptor) -> Result<ImageEdit> {
        ImageEdit::from_manifest(layout, descriptor, format!("image {}", descriptor.digest))
    }

    fn from_manifest(layout: &Layout, descriptor: &Descriptor, base: String) -> Result<ImageEdit> {
        let unsupported = |reason: String| Error::UnsupportedImage {
            image: base.clone(),
            reason,
        };
        if descriptor.media_type != MediaType::ImageManifest {
            return Err(unsupported(format!(
                "its manifest is {}, not an OCI image manifest{}",
                descriptor.media_type,
                if descriptor.media_type.is_docker() {
                    " (import it with --to-oci to convert it)"
                } else {
                    ""
                }
            )));
        }
        let manifest = layout.read_manifest(descriptor)?.value().clone();
        if manifest.config.media_type != MediaType::ImageConfig {
            return Err(unsupported(format!(
                "its config is {}, not an OCI image config (an artifact, not an image)",
                manifest.config.media_type
            )));
        }
        let config = layout.read_config(&manifest.config)?.value().clone();
        if config.rootfs.typ != "layers" {
            return Err(unsupported(format!(
                "its config's rootfs.type is {:?}, not \"layers\"",
                config.rootfs.typ
            )));
        }
        let edit = ImageEdit {
            manifest,
            config,
            base,
            appended: Vec::new(),
            read: None,
        };
        edit.check_layer_count()?;
        Ok(edit)
    }

    /// Adds `history` for a change that adds no layer (a change of the
    /// execution parameters, say): `empty_layer` is set, and, when
    /// `history.created` is set, it also becomes the config's `created`.
    pub fn add_history(&mut self, mut history: History) {
        history.empty_layer = true;
        if let Some(created) = &history.created {
            self.config.created = Some(created.clone());
        }
        self.config.history.push(history);
    }

    /// Adds `layer` on top: its descriptor to the manifest's `layers`, its
    /// DiffID to the config's `rootfs.diff_ids`, and `history` to the
    /// config's `history` (with `empty_layer` false, since the layer is
    /// there). When `history.created` is set it also becomes the config's
    /// `created`; otherwise `created` is left as the base had it.
    ///
    /// # Errors
    ///
    /// [`Error::LayerMediaType`] when the layer's media type is not one of
    /// the OCI layer types (`application/vnd.oci.image.layer.v1.tar`,
    /// `...+gzip`, `...+zstd`); [`Error::LayerCountMismatch`] when the
    /// manifest and config were edited out of step.
    pub fn append_layer(&mut self, layer: &StoredLayer, mut history: History) -> Result<()> {
        let media_type = &layer.descriptor.media_type;
        if !matches!(
            media_type,
            MediaType::ImageLayer | MediaType::ImageLayerGzip | MediaType::ImageLayerZstd
        ) {
            return Err(Error::LayerMediaType {
                digest: layer.descriptor.digest.clone(),
                media_type: media_type.clone(),
            });
        }
        self.check_layer_count()?;
        history.empty_layer = false;
        if let Some(created) = &history.created {
            self.config.created = Some(created.clone());
        }
        self.manifest.layers.push(layer.descriptor.clone());
        self.config.rootfs.diff_ids.push(layer.diff_id.clone());
        self.config.history.push(history);
        self.appended.push(layer.descriptor.digest.clone());
        Ok(())
    }

    /// Stores the config and the manifest in `layout` and tags the manifest
    /// `tag` (moving the tag if it named another image; `tag` may be the one
    /// the edit started from). The tagged descriptor carries the config's
    /// platform. Returns the manifest's descriptor, as tagged.
    ///
    /// Both documents are checked with [`Validate::validate`] first, so an
    /// image that breaks a MUST of the spec (a `created` that is not RFC
    /// 3339, say) is never written.
    ///
    /// When `tag` is the tag the edit was opened from ([`ImageEdit::open`]),
    /// the edit is a read-modify-write of that tag: it is moved only if it
    /// still names what it named when the edit read it
    /// ([`Layout::tag_if`]), so of two edits of one tag made at once
    /// exactly one wins, and the other fails with
    /// [`ocikit_layout::Error::TagChanged`] instead of silently undoing the
    /// first (its config and manifest stay in the store, untagged, for gc).
    /// Another tag is moved whatever it names: the new image owes nothing
    /// to what it named, as when the edits run one after the other.
    ///
    /// # Errors
    ///
    /// [`ocikit_layout::Error::InvalidTag`] (before anything is written);
    /// [`Error::InvalidImage`]; [`Error::LayerCountMismatch`];
    /// [`ocikit_layout::Error::BlobNotFound`] when an appended layer is not a
    /// blob of `layout`; [`ocikit_layout::Error::TagChanged`] as said; the
    /// store's errors writing blobs and `index.json`.
    pub fn commit(&self, layout: &Layout, tag: &str) -> Result<Descriptor> {
        ocikit_layout::check_tag(tag)?;
        self.check_layer_count()?;
        if let Some(digest) = self.appended.iter().find(|d| !layout.has_blob(d)) {
            return Err(ocikit_layout::Error::BlobNotFound {
                digest: digest.clone(),
            }
            .into());
        }
        self.config
            .validate()
            .map_err(|source| self.invalid("config", source))?;
        let manifest = ImageManifest {
            config: layout.put_json(&self.config)?,
            ..self.manifest.clone()
        };
        // A manifest refused here leaves its config as an untagged blob,
        // which gc collects like any other.
        manifest
            .validate()
            .map_err(|source| self.invalid("manifest", source))?;
        let descriptor = layout
            .put_json(&manifest)?
            .with_platform(self.config.platform());
        move_tag(layout, tag, &descriptor, self.read.as_ref())?;
        Ok(descriptor)
    }

    fn check_layer_count(&self) -> Result<()> {
        let layers = self.manifest.layers.len();
        let diff_ids = self.config.rootfs.diff_ids.len();
        if layers == diff_ids {
            Ok(())
        } else {
            Err(Error::LayerCountMismatch {
                image: self.base.clone(),
                layers,
                diff_ids,
            })
        }
    }

    fn invalid(&self, document: &'static str, source: ocikit_image::Invalid) -> Error {
        Error::InvalidImage {
            image: self.base.clone(),
            document,
            source,
        }
    }
}

/// Tags `descriptor` as `tag`. When `read` names the same tag (what an
/// edit read there, and the digest it named), the tag is moved only if it
/// still names that digest ([`Layout::tag_if`]): the edit is a
/// read-modify-write of it. Another tag is moved whatever it names.
pub(crate) fn move_tag(
    layout: &Layout,
    tag: &str,
    descriptor: &Descriptor,
    read: Option<&(String, Digest)>,
) -> Result<()> {
    match read {
        Some((read, digest)) if read == tag => layout.tag_if(tag, descriptor, Some(digest))?,
        _ => layout.tag(tag, descriptor)?,
    }
    Ok(())
}
