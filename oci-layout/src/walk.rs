//! The reachability walk that gc, fsck and referrers share: from every
//! descriptor in `index.json` through image indexes and manifests to the
//! blobs they reference (image-spec image-layout.md "index.json file",
//! image-index.md `manifests` and `subject`, manifest.md `config`, `layers`
//! and `subject`).

use std::collections::{HashSet, VecDeque};
use std::io;

use ocikit_image::{Descriptor, Digest, Document, ImageIndex, ImageManifest, MediaType};

use crate::{Error, Layout, MAX_DOCUMENT_SIZE};

/// One descriptor the walk reached, and the first chain of references that
/// reached it.
#[derive(Debug)]
pub(crate) struct Reached {
    /// The descriptor, as the referring document gives it.
    pub descriptor: Descriptor,
    /// The references followed, such as `index.json manifests[0] -> layers[2]`.
    pub path: String,
    /// Whether it was reached as some document's `subject`.
    pub is_subject: bool,
}

/// What the walk found at a reached descriptor.
#[derive(Debug)]
pub(crate) enum Found {
    /// A blob that is not an index or manifest; present, not read.
    Leaf,
    /// An image index or Docker manifest list, read and verified.
    Index(Box<Document<ImageIndex>>),
    /// An image manifest (OCI or Docker schema 2), read and verified.
    Manifest(Box<Document<ImageManifest>>),
    /// The blob is not in the layout.
    Missing,
    /// The blob is there but could not be read, verified or parsed.
    Unreadable(Error),
}

/// How a descriptor is followed: an unknown media type is a leaf, never an
/// error (image-index.md: an unknown media type MUST be ignored, not refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Index,
    Manifest,
    Leaf,
}

fn kind(media_type: &MediaType) -> Kind {
    if media_type.is_index() {
        Kind::Index
    } else if media_type.is_manifest() {
        Kind::Manifest
    } else {
        Kind::Leaf
    }
}

/// Walks everything reachable from `index` (the content of `index.json`),
/// breadth first, calling `visit` once for each (digest, kind) reached, and
/// returns the digests reached, present or not.
///
/// The walk is iterative with a visited set, so depth costs no stack and a
/// cycle (impossible between honest digests) ends. It is keyed by digest
/// *and* kind: a digest reached once as a layer and once as a manifest is
/// read as a manifest too, so a crafted layout cannot hide references.
pub(crate) fn walk(
    layout: &Layout,
    index: &ImageIndex,
    mut visit: impl FnMut(&Reached, &Found),
) -> HashSet<Digest> {
    let mut seen: HashSet<(Digest, Kind)> = HashSet::new();
    let mut queue = VecDeque::new();
    let mut push = |queue: &mut VecDeque<Reached>, d: &Descriptor, path: String, subject| {
        if seen.insert((d.digest.clone(), kind(&d.media_type))) {
            queue.push_back(Reached {
                descriptor: d.clone(),
                path,
                is_subject: subject,
            });
        }
    };
    let root = Layout::INDEX_FILE;
    for (i, d) in index.manifests.iter().enumerate() {
        push(&mut queue, d, format!("{root} manifests[{i}]"), false);
    }
    if let Some(d) = &index.subject {
        push(&mut queue, d, format!("{root} subject"), true);
    }
    let mut reached = HashSet::new();
    while let Some(at) = queue.pop_front() {
        reached.insert(at.descriptor.digest.clone());
        let found = read(layout, &at.descriptor);
        let mut child = |d: &Descriptor, step: String, subject: bool| {
            push(&mut queue, d, format!("{} -> {step}", at.path), subject);
        };
        match &found {
            Found::Index(index) => {
                for (i, d) in index.manifests.iter().enumerate() {
                    child(d, format!("manifests[{i}]"), false);
                }
                if let Some(d) = &index.subject {
                    child(d, "subject".into(), true);
                }
            }
            Found::Manifest(manifest) => {
                child(&manifest.config, "config".into(), false);
                for (i, d) in manifest.layers.iter().enumerate() {
                    child(d, format!("layers[{i}]"), false);
                }
                if let Some(d) = &manifest.subject {
                    child(d, "subject".into(), true);
                }
            }
            Found::Leaf | Found::Missing | Found::Unreadable(_) => {}
        }
        visit(&at, &found);
    }
    reached
}

/// Reads a document through the verified, size-limited reader, or checks
/// that a leaf blob is there.
fn read(layout: &Layout, descriptor: &Descriptor) -> Found {
    let kind = kind(&descriptor.media_type);
    if kind == Kind::Leaf {
        return leaf(layout, &descriptor.digest);
    }
    let bytes = match layout.read_blob(descriptor, MAX_DOCUMENT_SIZE) {
        Ok(bytes) => bytes,
        Err(Error::BlobNotFound { .. }) => return Found::Missing,
        Err(e) => return Found::Unreadable(e),
    };
    let parsed = if kind == Kind::Index {
        Document::from_bytes(bytes).map(|d| Found::Index(Box::new(d)))
    } else {
        Document::from_bytes(bytes).map(|d| Found::Manifest(Box::new(d)))
    };
    parsed.unwrap_or_else(|source| {
        Found::Unreadable(Error::Document {
            what: format!("blob {}", descriptor.digest),
            source,
        })
    })
}

/// Whether a blob that is not followed is there, as a regular file.
fn leaf(layout: &Layout, digest: &Digest) -> Found {
    let path = layout.blob_path(digest);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => Found::Leaf,
        Ok(_) => Found::Unreadable(Error::Io {
            action: "read",
            path,
            source: io::Error::other("not a regular file"),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Found::Missing,
        Err(e) => Found::Unreadable(Error::io("stat", path)(e)),
    }
}

/// Whether a descriptor's media type makes the walk read it as a document.
pub(crate) fn is_document(media_type: &MediaType) -> bool {
    kind(media_type) != Kind::Leaf
}
