//! Media types: the OCI ones (image-spec media-types.md) and the Docker v2.2
//! ones that OCI tools meet in practice, as an open enum.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a layer blob is compressed, as its media type says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain tar archive.
    None,
    /// gzip (RFC 1952).
    Gzip,
    /// zstd (RFC 8478).
    Zstd,
}

macro_rules! media_types {
    ($($(#[$doc:meta])* $variant:ident => $s:literal,)*) => {
        /// A media type, as found in a descriptor's `mediaType` or a document's own.
        ///
        /// The known OCI and Docker types are variants; anything else is
        /// [`MediaType::Other`], kept verbatim. The image-spec says an unknown
        /// media type MUST NOT be an error for implementations that store or
        /// copy content, so parsing never fails; [`MediaType::check_syntax`]
        /// tells whether a string complies with RFC 6838.
        ///
        /// ```
        /// use ocikit_image::{MediaType, media_type::Compression};
        /// let mt: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd".parse().unwrap();
        /// assert_eq!(mt, MediaType::ImageLayerZstd);
        /// assert!(mt.is_layer());
        /// assert_eq!(mt.compression(), Some(Compression::Zstd));
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum MediaType {
            $($(#[$doc])* $variant,)*
            /// Any other media type, kept verbatim.
            Other(String),
        }

        impl MediaType {
            /// Every known media type, in declaration order.
            pub const KNOWN: &'static [MediaType] = &[$(MediaType::$variant,)*];

            /// The media type string.
            pub fn as_str(&self) -> &str {
                match self {
                    $(MediaType::$variant => $s,)*
                    MediaType::Other(s) => s,
                }
            }

            fn from_known(s: &str) -> Option<MediaType> {
                match s {
                    $($s => Some(MediaType::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

media_types! {
    /// `application/vnd.oci.descriptor.v1+json`: a content descriptor (descriptor.md).
    Descriptor => "application/vnd.oci.descriptor.v1+json",
    /// `application/vnd.oci.layout.header.v1+json`: the `oci-layout` file (image-layout.md).
    LayoutHeader => "application/vnd.oci.layout.header.v1+json",
    /// `application/vnd.oci.image.index.v1+json`: an image index (image-index.md).
    ImageIndex => "application/vnd.oci.image.index.v1+json",
    /// `application/vnd.oci.image.manifest.v1+json`: an image manifest (manifest.md).
    ImageManifest => "application/vnd.oci.image.manifest.v1+json",
    /// `application/vnd.oci.image.config.v1+json`: an image configuration (config.md).
    ImageConfig => "application/vnd.oci.image.config.v1+json",
    /// `application/vnd.oci.image.layer.v1.tar`: a layer as a tar archive (layer.md).
    ImageLayer => "application/vnd.oci.image.layer.v1.tar",
    /// `application/vnd.oci.image.layer.v1.tar+gzip`: a gzip-compressed layer (layer.md, gzip media types).
    ImageLayerGzip => "application/vnd.oci.image.layer.v1.tar+gzip",
    /// `application/vnd.oci.image.layer.v1.tar+zstd`: a zstd-compressed layer (layer.md, zstd media types).
    ImageLayerZstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar`: a layer with
    /// distribution restrictions. Deprecated (layer.md, non-distributable layers).
    ImageLayerNonDistributable => "application/vnd.oci.image.layer.nondistributable.v1.tar",
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+gzip`: deprecated, as above, gzip-compressed.
    ImageLayerNonDistributableGzip => "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    /// `application/vnd.oci.image.layer.nondistributable.v1.tar+zstd`: deprecated, as above, zstd-compressed.
    ImageLayerNonDistributableZstd => "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    /// `application/vnd.oci.empty.v1+json`: the empty JSON object `{}` for
    /// unused descriptors (manifest.md, guidance for an empty descriptor).
    EmptyJson => "application/vnd.oci.empty.v1+json",
    /// `application/vnd.docker.distribution.manifest.list.v2+json`: Docker's
    /// manifest list, the counterpart of the image index.
    DockerManifestList => "application/vnd.docker.distribution.manifest.list.v2+json",
    /// `application/vnd.docker.distribution.manifest.v2+json`: Docker's image
    /// manifest, schema 2, the counterpart of the image manifest.
    DockerManifest => "application/vnd.docker.distribution.manifest.v2+json",
    /// `application/vnd.docker.distribution.manifest.v1+json`: Docker's legacy
    /// schema 1 manifest (recognised, not modelled).
    DockerManifestSchema1 => "application/vnd.docker.distribution.manifest.v1+json",
    /// `application/vnd.docker.distribution.manifest.v1+prettyjws`: Docker's
    /// signed schema 1 manifest (recognised, not modelled).
    DockerManifestSchema1Signed => "application/vnd.docker.distribution.manifest.v1+prettyjws",
    /// `application/vnd.docker.container.image.v1+json`: Docker's image
    /// configuration, the counterpart of the image config.
    DockerConfig => "application/vnd.docker.container.image.v1+json",
    /// `application/vnd.docker.image.rootfs.diff.tar.gzip`: a Docker layer,
    /// interchangeable with [`MediaType::ImageLayerGzip`].
    DockerLayerGzip => "application/vnd.docker.image.rootfs.diff.tar.gzip",
    /// `application/vnd.docker.image.rootfs.diff.tar`: an uncompressed Docker layer.
    DockerLayer => "application/vnd.docker.image.rootfs.diff.tar",
    /// `application/vnd.docker.image.rootfs.diff.tar.zstd`: a zstd-compressed Docker layer.
    DockerLayerZstd => "application/vnd.docker.image.rootfs.diff.tar.zstd",
    /// `application/vnd.docker.image.rootfs.foreign.diff.tar.gzip`: a Docker
    /// foreign layer, fetched from its `urls` rather than the registry.
    DockerForeignLayerGzip => "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    /// `application/vnd.docker.image.rootfs.foreign.diff.tar`: an uncompressed Docker foreign layer.
    DockerForeignLayer => "application/vnd.docker.image.rootfs.foreign.diff.tar",
    /// `application/vnd.docker.plugin.v1+json`: a Docker plugin configuration.
    DockerPluginConfig => "application/vnd.docker.plugin.v1+json",
}

impl MediaType {
    /// The layer media types that image-spec manifest.md says implementations
    /// MUST or SHOULD support, and their Docker counterparts: is this one of them?
    pub fn is_layer(&self) -> bool {
        self.compression().is_some()
    }

    /// The compression of a layer media type, or `None` when this is not a layer type.
    pub fn compression(&self) -> Option<Compression> {
        use MediaType::*;
        match self {
            ImageLayer | ImageLayerNonDistributable | DockerLayer | DockerForeignLayer => {
                Some(Compression::None)
            }
            ImageLayerGzip
            | ImageLayerNonDistributableGzip
            | DockerLayerGzip
            | DockerForeignLayerGzip => Some(Compression::Gzip),
            ImageLayerZstd | ImageLayerNonDistributableZstd | DockerLayerZstd => {
                Some(Compression::Zstd)
            }
            _ => None,
        }
    }

    /// An image index or a Docker manifest list.
    pub fn is_index(&self) -> bool {
        matches!(self, MediaType::ImageIndex | MediaType::DockerManifestList)
    }

    /// An image manifest (OCI, or Docker schema 2).
    pub fn is_manifest(&self) -> bool {
        matches!(self, MediaType::ImageManifest | MediaType::DockerManifest)
    }

    /// An image configuration (OCI, or Docker's).
    pub fn is_config(&self) -> bool {
        matches!(self, MediaType::ImageConfig | MediaType::DockerConfig)
    }

    /// A layer with distribution restrictions: the deprecated OCI
    /// non-distributable types and Docker's foreign layers.
    pub fn is_non_distributable(&self) -> bool {
        use MediaType::*;
        matches!(
            self,
            ImageLayerNonDistributable
                | ImageLayerNonDistributableGzip
                | ImageLayerNonDistributableZstd
                | DockerForeignLayer
                | DockerForeignLayerGzip
        )
    }

    /// One of Docker's media types rather than an OCI one.
    pub fn is_docker(&self) -> bool {
        self.as_str().starts_with("application/vnd.docker.")
    }

    /// A type whose content is JSON (`+json` suffix, RFC 6839), which the
    /// image-spec requires to follow I-JSON.
    pub fn is_json(&self) -> bool {
        self.as_str().ends_with("+json")
    }

    /// The OCI equivalent of a Docker type, for conversion: manifest list to
    /// index, manifest to manifest, config to config, layers to layers of the
    /// same compression (foreign layers to the deprecated non-distributable
    /// ones). Other types are returned unchanged.
    pub fn to_oci(&self) -> MediaType {
        use MediaType::*;
        match self {
            DockerManifestList => ImageIndex,
            DockerManifest => ImageManifest,
            DockerConfig => ImageConfig,
            DockerLayer => ImageLayer,
            DockerLayerGzip => ImageLayerGzip,
            DockerLayerZstd => ImageLayerZstd,
            DockerForeignLayer => ImageLayerNonDistributable,
            DockerForeignLayerGzip => ImageLayerNonDistributableGzip,
            other => other.clone(),
        }
    }

    /// Checks the media type against RFC 6838 section 4.2, as descriptor.md
    /// requires of `mediaType` and `artifactType`: `type "/" subtype`, each
    /// 1 to 127 characters, starting with a letter or digit, continuing with
    /// letters, digits and ``!#$&-^_.+``. Parameters (`; charset=...`) are not
    /// allowed here, matching the spec's JSON schema.
    pub fn check_syntax(s: &str) -> Result<(), String> {
        fn restricted_name(part: &str, which: &str) -> Result<(), String> {
            let bytes = part.as_bytes();
            let Some(&first) = bytes.first() else {
                return Err(format!("the {which} is empty"));
            };
            if bytes.len() > 127 {
                return Err(format!(
                    "the {which} is {} characters long, at most 127 are allowed",
                    bytes.len()
                ));
            }
            if !first.is_ascii_alphanumeric() {
                return Err(format!(
                    "the {which} must start with a letter or digit, found {:?}",
                    part.chars().next().unwrap_or_default()
                ));
            }
            if let Some(bad) = part
                .chars()
                .find(|&c| !(c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c)))
            {
                return Err(format!(
                    "the {which} contains {bad:?}, which RFC 6838 does not allow"
                ));
            }
            Ok(())
        }
        let Some((ty, subtype)) = s.split_once('/') else {
            return Err(format!("{s:?} is not of the form type/subtype"));
        };
        restricted_name(ty, "type")?;
        restricted_name(subtype, "subtype")
    }
}

impl FromStr for MediaType {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(MediaType::from(s))
    }
}

impl From<&str> for MediaType {
    fn from(s: &str) -> Self {
        MediaType::from_known(s).unwrap_or_else(|| MediaType::Other(s.to_owned()))
    }
}

impl From<String> for MediaType {
    fn from(s: String) -> Self {
        MediaType::from_known(&s).unwrap_or(MediaType::Other(s))
    }
}

impl AsRef<str> for MediaType {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for MediaType {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for MediaType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MediaType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a media type string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MediaType, E> {
                Ok(MediaType::from(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<MediaType, E> {
                Ok(MediaType::from(v))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_type_round_trips_through_its_string() {
        for mt in MediaType::KNOWN {
            assert_eq!(&MediaType::from(mt.as_str()), mt);
            assert_eq!(MediaType::check_syntax(mt.as_str()), Ok(()), "{mt}");
        }
        assert_eq!(MediaType::KNOWN.len(), 23);
    }

    #[test]
    fn unknown_types_are_kept_verbatim() {
        let mt = MediaType::from("application/vnd.example.sbom.v1+json");
        assert_eq!(
            mt,
            MediaType::Other("application/vnd.example.sbom.v1+json".into())
        );
        assert!(!mt.is_layer() && !mt.is_index() && mt.is_json());
        let json = serde_json::to_string(&mt).unwrap();
        assert_eq!(json, "\"application/vnd.example.sbom.v1+json\"");
        assert_eq!(serde_json::from_str::<MediaType>(&json).unwrap(), mt);
    }

    #[test]
    fn helpers_classify() {
        use MediaType::*;
        assert_eq!(ImageLayer.compression(), Some(Compression::None));
        assert_eq!(DockerLayerGzip.compression(), Some(Compression::Gzip));
        assert_eq!(
            ImageLayerNonDistributableZstd.compression(),
            Some(Compression::Zstd)
        );
        assert_eq!(ImageConfig.compression(), None);
        assert!(
            DockerManifestList.is_index() && ImageIndex.is_index() && !ImageManifest.is_index()
        );
        assert!(DockerManifest.is_manifest() && DockerConfig.is_config());
        assert!(
            DockerForeignLayerGzip.is_non_distributable() && !ImageLayerGzip.is_non_distributable()
        );
        assert!(DockerConfig.is_docker() && !ImageConfig.is_docker());
        assert_eq!(
            DockerForeignLayerGzip.to_oci(),
            ImageLayerNonDistributableGzip
        );
        assert_eq!(DockerManifestList.to_oci(), ImageIndex);
        assert_eq!(EmptyJson.to_oci(), EmptyJson);
    }

    #[test]
    fn rfc6838_syntax() {
        assert_eq!(
            MediaType::check_syntax("application/vnd.example+type"),
            Ok(())
        );
        assert_eq!(
            MediaType::check_syntax("application"),
            Err("\"application\" is not of the form type/subtype".into())
        );
        assert_eq!(
            MediaType::check_syntax("/json"),
            Err("the type is empty".into())
        );
        assert_eq!(
            MediaType::check_syntax("application/.json"),
            Err("the subtype must start with a letter or digit, found '.'".into())
        );
        assert_eq!(
            MediaType::check_syntax("text/plain; charset=utf-8"),
            Err("the subtype contains ';', which RFC 6838 does not allow".into())
        );
        let long = format!("application/{}", "a".repeat(128));
        assert_eq!(
            MediaType::check_syntax(&long),
            Err("the subtype is 128 characters long, at most 127 are allowed".into())
        );
        assert!(MediaType::check_syntax("a/b/c").is_err());
    }
}
