#![doc = include_str!("../README.md")]
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
//! The documents have the same shape as those of `ocikit-runtime-spec`,
//! from `ocikit-spec-core`: [`Json`] parses and writes, [`Validate`]
//! checks, a [`Report`] holds what a check found. Documents are plain
//! structs; members the spec does not define are kept in each struct's
//! `extra` map, so a read-modify-write loses nothing.
//!
//! **Parse.** [`Json::from_json`] accepts what the JSON types allow; an
//! error names the document, the JSON path of the failing member and the
//! position:
//!
//! ```
//! use ocikit_image::{ImageConfiguration, Json};
//! let bad = br#"{"architecture":"amd64","os":"linux","config":{"Labels":{"build":7}},"rootfs":{"type":"layers","diff_ids":[]}}"#;
//! let err = ImageConfiguration::from_json(bad).unwrap_err();
//! assert_eq!(err.path, r#"config.Labels["build"]"#);
//! assert_eq!(err.to_string(), r#"image config: config.Labels["build"]: invalid type: integer `7`, expected a string (line 1, column 66)"#);
//! ```
//!
//! **Validate.** [`Validate::validate`] checks every MUST of the spec: it
//! returns the warnings, or [`Invalid`] naming the document and each
//! broken rule with the path of its field. **Report.** [`Validate::check`]
//! gives every [`Violation`], errors (a broken MUST) and warnings (a
//! SHOULD not followed), each with its path, [`Rule`] and [`Severity`]:
//!
//! ```
//! use ocikit_image::{ImageManifest, Json, Rule, Validate};
//! let bad = br#"{"schemaVersion":3,"mediaType":"application/vnd.oci.image.manifest.v1+json",
//!   "config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,
//!             "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
//!   "layers":[],"manifests":[]}"#;
//! let manifest = ImageManifest::from_json(bad)?;
//! let err = manifest.validate().unwrap_err();
//! assert_eq!(err.to_string(), "\
//! image manifest is invalid:
//! schemaVersion: must be 2, found 3
//! manifests: belongs to an image index; a document with it is ambiguous and must be rejected (CVE-2021-41190)
//! artifactType: must be set when config.mediaType is application/vnd.oci.empty.v1+json");
//!
//! let report = manifest.check();
//! assert_eq!(report.errors().next().map(|v| v.rule), Some(Rule::SchemaVersion));
//! let warning = report.warnings().next().expect("no layers is a warning");
//! assert_eq!(warning.path, "layers");
//! # Ok::<(), ocikit_image::Error>(())
//! ```
//!
//! **Canonical JSON.** [`Json::to_canonical_json`] writes the bytes Go's
//! `encoding/json` writes for the same value (member order of the spec's
//! Go types, sorted map keys, `<`, `>`, `&` escaped), which containerd,
//! skopeo and umoci write: the same value always gives the same bytes,
//! and a document written by those tools keeps its bytes and its digest.
//! [`Json::to_pretty_json`] indents by four spaces, as `skopeo inspect`
//! prints. A [`Document`] keeps the exact bytes it was read from, for
//! digests:
//!
//! ```
//! use ocikit_image::{Descriptor, ImageManifest, Json, MediaType, Validate};
//! let config = Descriptor::for_bytes(MediaType::ImageConfig, br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
//! let layer = Descriptor::for_bytes(MediaType::ImageLayerGzip, b"\x1f\x8b...");
//! let m = ImageManifest { config, layers: vec![layer], ..Default::default() };
//! m.validate()?;                                  // every MUST, errors name the field
//! let bytes = m.to_canonical_json();              // same value, same bytes, every time
//! assert_eq!(ImageManifest::from_json(&bytes)?, m);
//! assert!(m.to_pretty_json().starts_with(b"{\n    \"schemaVersion\": 2,\n"));
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
pub use ocikit_spec_core::{Json, ParseError};
pub use platform::{Arch, Os, Platform};
pub use validate::{Checker, Invalid, Report, Rule, Severity, Validate, Violation};
