//! `oci-bundle.json`: which image a bundle was unpacked from (or last
//! repacked into) and how, so that a repack appends to that image.

use std::io::Write;
use std::path::Path;

use ocikit_image::{Descriptor, Digest, Json};
use serde_json::{Map, Value};

use super::RECORD_FILE;
use ocikit_layout::AtomicFile;

use crate::fsutil::read_up_to;
use crate::{Error, IdMapping, Result};

/// What a bundle remembers of its image.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BundleRecord {
    /// The image manifest whose layers the rootfs holds.
    pub manifest: Descriptor,
    /// Whether the rootfs was unpacked rootless (owners in
    /// `user.rootlesscontainers`).
    pub rootless: bool,
    /// The uid mapping the unpack applied (empty: identity).
    pub uid_map: Vec<IdMapping>,
    /// The gid mapping the unpack applied.
    pub gid_map: Vec<IdMapping>,
    /// The tag the unpack read (or the last repack wrote), with the digest
    /// it named then: a repack into that tag moves it only if it still
    /// names that digest, so that a change made to the tag meanwhile is
    /// not lost. `None` in a record written without it.
    pub tag: Option<(String, Digest)>,
}

/// The largest record read: a descriptor and two short maps.
const MAX_RECORD: u64 = 1 << 20;

impl BundleRecord {
    /// A record of `manifest` unpacked as `rootless` says, without id maps.
    pub fn new(manifest: Descriptor, rootless: bool) -> BundleRecord {
        BundleRecord {
            manifest,
            rootless,
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            tag: None,
        }
    }

    /// Reads the record of the bundle at `bundle`.
    ///
    /// # Errors
    ///
    /// [`Error::Bundle`] when the file is missing (the directory was not
    /// unpacked by [`unpack`](crate::unpack)) or malformed.
    pub fn load(bundle: &Path) -> Result<BundleRecord> {
        let path = bundle.join(RECORD_FILE);
        let bad = |reason: String| Error::Bundle {
            bundle: bundle.to_path_buf(),
            reason,
        };
        let read = std::fs::File::open(&path).and_then(|file| read_up_to(file, MAX_RECORD));
        let bytes = match read {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                return Err(bad(format!(
                    "{RECORD_FILE} is larger than {MAX_RECORD} bytes"
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(bad(format!(
                    "it has no {RECORD_FILE}: only a bundle made by unpack can be repacked"
                )));
            }
            Err(e) => return Err(bad(format!("cannot read {RECORD_FILE}: {e}"))),
        };
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("{RECORD_FILE} is not JSON: {e}")))?;
        let manifest = value
            .get("manifest")
            .ok_or_else(|| bad(format!("{RECORD_FILE} has no \"manifest\" descriptor")))?;
        let manifest = Descriptor::from_json(manifest.to_string().as_bytes())
            .map_err(|e| bad(format!("{RECORD_FILE}: \"manifest\": {e}")))?;
        let rootless = match value.get("rootless") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(bad(format!(
                    "{RECORD_FILE}: \"rootless\" is {other}, expected true or false"
                )));
            }
        };
        let map = |key: &str| -> Result<Vec<IdMapping>> {
            let Some(entries) = value.get(key) else {
                return Ok(Vec::new());
            };
            let entries = entries
                .as_array()
                .ok_or_else(|| bad(format!("{RECORD_FILE}: {key:?} is not an array")))?;
            entries
                .iter()
                .map(|entry| {
                    let field = |name: &str| {
                        entry
                            .get(name)
                            .and_then(Value::as_u64)
                            .and_then(|v| u32::try_from(v).ok())
                            .ok_or_else(|| {
                                bad(format!(
                                    "{RECORD_FILE}: {key:?}: {entry} lacks a 32-bit {name:?}"
                                ))
                            })
                    };
                    Ok(IdMapping::new(
                        field("containerID")?,
                        field("hostID")?,
                        field("size")?,
                    ))
                })
                .collect()
        };
        let tag = match value.get("tag") {
            None => None,
            Some(tag) => {
                let field = |name: &str| {
                    tag.get(name).and_then(Value::as_str).ok_or_else(|| {
                        bad(format!(
                            "{RECORD_FILE}: \"tag\" is {tag}, expected an object with a string {name:?}"
                        ))
                    })
                };
                let digest = field("digest")?
                    .parse()
                    .map_err(|e| bad(format!("{RECORD_FILE}: \"tag\": \"digest\": {e}")))?;
                Some((field("name")?.to_owned(), digest))
            }
        };
        Ok(BundleRecord {
            manifest,
            rootless,
            uid_map: map("uidMappings")?,
            gid_map: map("gidMappings")?,
            tag,
        })
    }

    /// Writes the record into `bundle`, atomically (a temporary file
    /// renamed over the old one).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, bundle: &Path) -> Result<()> {
        let mut object = Map::new();
        let manifest: Value =
            serde_json::from_slice(&self.manifest.to_canonical_json()).unwrap_or(Value::Null);
        object.insert("manifest".into(), manifest);
        object.insert("rootless".into(), Value::Bool(self.rootless));
        let map = |mappings: &[IdMapping]| {
            Value::Array(
                mappings
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "containerID": m.container_id,
                            "hostID": m.host_id,
                            "size": m.size,
                        })
                    })
                    .collect(),
            )
        };
        if !self.uid_map.is_empty() {
            object.insert("uidMappings".into(), map(&self.uid_map));
        }
        if !self.gid_map.is_empty() {
            object.insert("gidMappings".into(), map(&self.gid_map));
        }
        if let Some((name, digest)) = &self.tag {
            object.insert(
                "tag".into(),
                serde_json::json!({ "name": name, "digest": digest.to_string() }),
            );
        }
        let mut bytes = serde_json::to_vec_pretty(&Value::Object(object)).unwrap_or_default();
        bytes.push(b'\n');
        write_file(&bundle.join(RECORD_FILE), &bytes)
    }
}

/// Replaces the bundle file `path` (`config.json`, the record) with
/// `bytes`, crash-safe, mode 0644.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create_with_mode(path, 0o644)?;
    file.write_all(bytes).map_err(|source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(file.commit()?)
}
