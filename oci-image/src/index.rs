//! Image indexes (image-spec image-index.md): a list of manifests, usually
//! one per platform, and the root of an image layout (`index.json`).

use std::collections::BTreeMap;

use crate::descriptor::check_media_type;
use crate::manifest::check_header;
use crate::validate::{Checker, Rule, Validate};
use crate::{Descriptor, Json, MediaType, Model, Platform};

ocikit_spec_core::model! {
    /// An image index (`application/vnd.oci.image.index.v1+json`).
    ///
    /// ```
    /// use ocikit_image::{Descriptor, ImageIndex, MediaType, Platform};
    /// let amd64 = Descriptor::for_bytes(MediaType::ImageManifest, b"a")
    ///     .with_platform("linux/amd64".parse().unwrap());
    /// let arm64 = Descriptor::for_bytes(MediaType::ImageManifest, b"b")
    ///     .with_platform("linux/arm64".parse().unwrap());
    /// let index = ImageIndex { manifests: vec![amd64, arm64.clone()], ..Default::default() };
    /// let wanted: Platform = "linux/arm64/v8".parse().unwrap();
    /// assert_eq!(index.find_manifest(&wanted), Some(&arm64));
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ImageIndex ("an image index") {
        /// MUST be 2, for compatibility with older versions of Docker.
        schema_version: i64 => "schemaVersion" (required),

        /// When used, MUST be `application/vnd.oci.image.index.v1+json`.
        media_type: Option<MediaType> => "mediaType" (optional),

        /// The type of an artifact, when the index is used for one.
        artifact_type: Option<MediaType> => "artifactType" (optional),

        /// The manifests (or nested indexes). The property MUST be present; the
        /// list MAY be empty. An unknown media type here MUST NOT be an error.
        manifests: Vec<Descriptor> => "manifests" (required),

        /// Another manifest this one refers to (image-spec 1.1 referrers).
        subject: Option<Descriptor> => "subject" (optional),

        /// Arbitrary metadata, following the annotation rules.
        annotations: BTreeMap<String, String> => "annotations" (default),
    }
}

impl Default for ImageIndex {
    /// An empty OCI index (`schemaVersion` 2, `mediaType` set, no manifests).
    fn default() -> Self {
        ImageIndex {
            schema_version: 2,
            media_type: Some(MediaType::ImageIndex),
            artifact_type: None,
            manifests: Vec::new(),
            subject: None,
            annotations: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }
}

impl ImageIndex {
    /// An index listing `manifests`.
    pub fn new(manifests: Vec<Descriptor>) -> Self {
        ImageIndex {
            manifests,
            ..Default::default()
        }
    }

    /// The manifest for `platform`: the best match among the entries that
    /// have a platform (an exact match first, then the closest one that
    /// `platform` can run; among equals the first, as image-index.md
    /// advises). Entries without a platform are not considered.
    pub fn find_manifest(&self, platform: &Platform) -> Option<&Descriptor> {
        let best = platform.select(self.manifests.iter().map(|d| d.platform.as_ref()))?;
        self.manifests.get(best)
    }

    /// The entries whose `org.opencontainers.image.ref.name` is `name`.
    pub fn find_ref<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Descriptor> + 'a {
        self.manifests
            .iter()
            .filter(move |d| d.ref_name() == Some(name))
    }
}

impl Json for ImageIndex {
    const PRETTY_INDENT: &'static str = crate::document::PRETTY_INDENT;
    const MAP_MEMBERS: &'static [&'static str] = &["annotations"];
}

impl Model for ImageIndex {
    const MEDIA_TYPE: MediaType = MediaType::ImageIndex;
}

impl Validate for ImageIndex {
    type Rule = Rule;
    const KIND: &'static str = "image index";

    fn check_into(&self, c: &mut Checker) {
        check_header(
            c,
            self.schema_version,
            self.media_type.as_ref(),
            &MediaType::ImageIndex,
            &self.extra,
            &["config", "layers"],
            "image manifest",
        );
        if let Some(at) = &self.artifact_type {
            c.field("artifactType", |c| check_media_type(c, at));
        }
        c.field("manifests", |c| {
            for (i, m) in self.manifests.iter().enumerate() {
                c.index(i, |c| m.check_into(c));
            }
        });
        if let Some(subject) = &self.subject {
            c.nested("subject", subject);
        }
        c.field("annotations", |c| {
            crate::annotations::check(c, &self.annotations)
        });
        // Two entries with the same ref name are ambiguous for a layout; that
        // is the layout's rule (a tag must resolve to one descriptor), so it
        // is reported as a warning here rather than an error.
        let mut seen = BTreeMap::new();
        for (i, m) in self.manifests.iter().enumerate() {
            let Some(name) = m.ref_name() else { continue };
            if let Some(&first) = seen.get(name) {
                c.field("manifests", |c| {
                    c.index(i, |c| {
                        c.warning(
                            Rule::Annotation,
                            format!("ref name {name:?} is also used by manifests[{first}]"),
                        )
                    })
                });
            } else {
                seen.insert(name, i);
            }
        }
    }
}
