//! Image manifests (image-spec manifest.md): one image for one platform, or
//! an artifact: a config descriptor, layer descriptors, and an optional subject.

use std::collections::BTreeMap;

use crate::descriptor::check_media_type;
use crate::validate::{Checker, Rule, Validate};
use crate::{Descriptor, Json, MediaType, Model};

ocikit_spec_core::model! {
    /// An image manifest (`application/vnd.oci.image.manifest.v1+json`).
    ///
    /// ```
    /// use ocikit_image::{Descriptor, ImageManifest, MediaType, Json, Validate};
    /// let config = Descriptor::for_bytes(MediaType::ImageConfig, b"{...}");
    /// let layer = Descriptor::for_bytes(MediaType::ImageLayerGzip, b"...");
    /// let m = ImageManifest { config, layers: vec![layer], ..Default::default() };
    /// m.validate().unwrap();
    /// let bytes = m.to_canonical_json();
    /// assert_eq!(ImageManifest::from_json(&bytes).unwrap(), m);
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ImageManifest ("an image manifest") {
        /// MUST be 2, for compatibility with older versions of Docker.
        schema_version: i64 => "schemaVersion" (required),

        /// When used, MUST be `application/vnd.oci.image.manifest.v1+json`.
        media_type: Option<MediaType> => "mediaType" (optional),

        /// The type of an artifact packaged with this manifest. MUST be set when
        /// `config.mediaType` is the empty media type.
        artifact_type: Option<MediaType> => "artifactType" (optional),

        /// The image configuration, or an artifact's config (possibly the empty descriptor).
        config: Descriptor => "config" (required),

        /// The layers, base layer first, in the order they are applied.
        layers: Vec<Descriptor> => "layers" (required),

        /// Another manifest this one refers to (image-spec 1.1 referrers).
        subject: Option<Descriptor> => "subject" (optional),

        /// Arbitrary metadata, following the annotation rules.
        annotations: BTreeMap<String, String> => "annotations" (default),
    }
}

impl Default for ImageManifest {
    /// An OCI manifest (`schemaVersion` 2, `mediaType` set) whose config is
    /// the empty descriptor and which has no layers yet.
    fn default() -> Self {
        ImageManifest {
            schema_version: 2,
            media_type: Some(MediaType::ImageManifest),
            artifact_type: None,
            config: Descriptor::empty_json(),
            layers: Vec::new(),
            subject: None,
            annotations: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }
}

impl ImageManifest {
    /// The artifact type as descriptor.md defines it for a descriptor of this
    /// manifest: `artifactType` if set, else the config's media type, unless
    /// that is a plain image config.
    pub fn effective_artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type
            .as_ref()
            .or(match &self.config.media_type {
                MediaType::ImageConfig | MediaType::DockerConfig => None,
                other => Some(other),
            })
    }
}

/// Checks `schemaVersion` and the document's own `mediaType`, and that none
/// of `forbidden` (fields of the other document type) is present.
pub(crate) fn check_header(
    c: &mut Checker,
    schema_version: i64,
    media_type: Option<&MediaType>,
    expected: &MediaType,
    extra: &BTreeMap<String, serde_json::Value>,
    forbidden: &[&'static str],
    other_kind: &str,
) {
    if schema_version != 2 {
        c.field("schemaVersion", |c| {
            c.error(
                Rule::SchemaVersion,
                format!("must be 2, found {schema_version}"),
            )
        });
    }
    match media_type {
        Some(mt) if mt == expected => {}
        Some(mt) => c.field("mediaType", |c| {
            c.error(
                Rule::DocumentMediaType,
                format!("must be {expected} when used, found {mt}"),
            )
        }),
        None => c.field("mediaType", |c| {
            c.warning(
                Rule::DocumentMediaType,
                format!("should be set to {expected}"),
            )
        }),
    }
    for &field in forbidden {
        if extra.contains_key(field) {
            c.field(field, |c| {
                c.error(
                    Rule::DocumentMediaType,
                    format!("belongs to an {other_kind}; a document with it is ambiguous and must be rejected (CVE-2021-41190)"),
                )
            });
        }
    }
}

impl Json for ImageManifest {
    const PRETTY_INDENT: &'static str = crate::document::PRETTY_INDENT;
    const MAP_MEMBERS: &'static [&'static str] = &["annotations"];
}

impl Model for ImageManifest {
    const MEDIA_TYPE: MediaType = MediaType::ImageManifest;
}

impl Validate for ImageManifest {
    type Rule = Rule;
    const KIND: &'static str = "image manifest";

    fn check_into(&self, c: &mut Checker) {
        check_header(
            c,
            self.schema_version,
            self.media_type.as_ref(),
            &MediaType::ImageManifest,
            &self.extra,
            &["manifests"],
            "image index",
        );
        if let Some(at) = &self.artifact_type {
            c.field("artifactType", |c| check_media_type(c, at));
        } else if self.config.media_type == MediaType::EmptyJson {
            c.field("artifactType", |c| {
                c.error(
                    Rule::ArtifactType,
                    "must be set when config.mediaType is application/vnd.oci.empty.v1+json",
                )
            });
        }
        c.nested("config", &self.config);
        c.field("layers", |c| {
            if self.layers.is_empty() {
                c.warning(
                    Rule::Layers,
                    "for portability, layers should have at least one entry (the spec's JSON schema requires one; the spec text only advises it)",
                );
            }
            for (i, layer) in self.layers.iter().enumerate() {
                c.index(i, |c| layer.check_into(c));
            }
        });
        if let Some(subject) = &self.subject {
            c.nested("subject", subject);
        }
        c.field("annotations", |c| {
            crate::annotations::check(c, &self.annotations)
        });
    }
}
