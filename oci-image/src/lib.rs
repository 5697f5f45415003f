//! Typed models of the [OCI image-spec](https://github.com/opencontainers/image-spec)
//! (v1.1): digests, media types, descriptors, manifests, indexes, image
//! configurations, platforms and the image-layout header, with validation
//! of every MUST of the spec.
//!
//! This crate is pure: no filesystem and no compression. The layout store
//! lives in `ocikit-layout`, layer handling in `ocikit-convert`.
//!
//! # A tour
//!
//! Digests are validated once, at the edge, and computed over exact bytes:
//!
//! ```
//! use ocikit_image::{Algorithm, Digest};
//! let digest: Digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a".parse()?;
//! assert_eq!(digest.algorithm(), Algorithm::Sha256);
//! assert_eq!(Digest::sha256(b"{}"), digest);
//! assert!("sha256:44136FA3".parse::<Digest>().is_err());
//! # Ok::<(), ocikit_image::Error>(())
//! ```
//!
//! Documents are plain structs. Parsing accepts what the JSON types allow;
//! [`Validate::validate`] checks the spec's rules and names each field that
//! breaks one:
//!
//! ```
//! use ocikit_image::{Descriptor, ImageManifest, MediaType, Model, Validate};
//! let config = Descriptor::for_bytes(MediaType::ImageConfig, br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
//! let layer = Descriptor::for_bytes(MediaType::ImageLayerGzip, b"\x1f\x8b...");
//! let m = ImageManifest { config, layers: vec![layer], ..Default::default() };
//! m.validate()?;                                  // every MUST, errors name the field
//! let bytes = m.to_canonical_json();              // same value, same bytes, every time
//!
//! let bad = br#"{"schemaVersion":3,"mediaType":"application/vnd.oci.image.manifest.v1+json",
//!   "config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,
//!             "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
//!   "layers":[],"manifests":[]}"#;
//! let err = ImageManifest::from_json(bad)?.validate().unwrap_err();
//! assert_eq!(err.to_string(), "\
//! schemaVersion: must be 2, found 3
//! manifests: belongs to an image index; a document with it is ambiguous and must be rejected (CVE-2021-41190)
//! artifactType: must be set when config.mediaType is application/vnd.oci.empty.v1+json");
//! # Ok::<(), ocikit_image::Error>(())
//! ```
//!
//! Content read from anywhere is verified as it streams, never past its size:
//!
//! ```
//! use std::io::Read;
//! use ocikit_image::{Digest, digester::VerifyingReader};
//! let blob = b"hello, world";
//! let mut reader = VerifyingReader::new(&blob[..], Digest::sha256(blob), blob.len() as u64)?;
//! let mut out = Vec::new();
//! reader.read_to_end(&mut out)?;                   // fails at EOF on a size or digest mismatch
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `blake3`: compute and verify BLAKE3 digests (registered on the spec's
//!   main branch). Without it, `blake3:` digests still parse and validate,
//!   but verifying content against them is [`Error::UnsupportedAlgorithm`].
//!
//! # Limitations
//!
//! - Docker schema 1 manifests are recognised by media type only.
//! - Validation covers the spec's rules on each document alone; rules that
//!   span documents (a manifest's media type against its descriptor, diff
//!   IDs against layers) belong to the store that holds them.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod annotations;
pub mod config;
pub mod descriptor;
pub mod digest;
pub mod digester;
mod document;
mod error;
pub mod index;
pub mod json;
pub mod layout;
pub mod manifest;
pub mod media_type;
pub mod platform;
pub mod time;
pub mod validate;

pub use config::{ContainerConfig, History, ImageConfiguration, RootFs};
pub use descriptor::Descriptor;
pub use digest::{Algorithm, Digest};
pub use document::{Document, Model};
pub use error::{Error, Result};
pub use index::ImageIndex;
pub use layout::ImageLayout;
pub use manifest::ImageManifest;
pub use media_type::MediaType;
pub use platform::{Arch, Os, Platform};
pub use validate::{Report, Rule, Severity, Validate, Violation};
