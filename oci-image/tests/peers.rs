//! Interop with the Go peers umoci and skopeo (image-spec image-layout.md,
//! image-index.md, manifest.md, config.md): the documents they write parse,
//! validate and re-serialise to the same bytes, and they read ours.
//!
//! `Json::to_canonical_json` writes what Go's `encoding/json` writes for the
//! image-spec Go types. Go tools frame that output in one of two ways (see
//! [`Framing`]), and each document is checked against the one its writer uses;
//! the one file a peer writes by hand (skopeo's `oci-layout`) is checked by
//! value. Everything is generated in a temporary directory with the real tools.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

use ocikit_image::{
    ContainerConfig, Descriptor, Digest, Document, History, ImageConfiguration, ImageIndex,
    ImageLayout, ImageManifest, Json, MediaType, Model, Platform, Rule, Severity, Validate,
    annotations,
};
use ocikit_test_support::bytes::{difference, show};
use ocikit_test_support::peers::{require_tools, skopeo, umoci, version};
use serde_json::json;

/// How a Go peer framed a JSON document it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `json.Marshal`: exactly the canonical bytes. skopeo writes what it
    /// creates itself (index.json, converted manifests and configs) this way.
    Marshal,
    /// `json.NewEncoder(w).Encode`: the canonical bytes and the `\n` that
    /// `Encode` always appends. umoci 0.4 writes every JSON blob
    /// (`casext.PutBlobJSON`), index.json and oci-layout this way.
    Encoder,
    /// Not encoding/json output but a string literal in the writer's Go
    /// source: only [`SKOPEO_OCI_LAYOUT`]. Checked by value, not by bytes.
    Literal,
}

/// The `oci-layout` file as containers/image (so skopeo) writes it: the
/// literal `{"imageLayoutVersion": "1.0.0"}` from `oci/layout/oci_dest.go`,
/// with a space after the colon, which no compact serialiser writes.
const SKOPEO_OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion": "1.0.0"}"#;

const NO_MEDIA_TYPE: &str = "mediaType (DocumentMediaType)";
const NO_LAYERS: &str = "layers (Layers)";

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

fn oci_ref(layout: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", layout.display())
}

fn umoci_ref(layout: &Path, tag: &str) -> String {
    format!("{}:{tag}", layout.display())
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The path of the blob `digest` in the layout at `layout` (image-layout.md, Blobs).
fn blob_path(layout: &Path, digest: &Digest) -> PathBuf {
    layout
        .join("blobs")
        .join(digest.algorithm().as_str())
        .join(digest.encoded())
}

/// Builds an image with umoci in `dir/umoci`, one tag per step: `empty`
/// (`umoci new`), `configured` (`umoci config`, with strings that need
/// escaping), `base` (`umoci repack` of a bundle with two files added: a
/// gzip layer, diff_ids and history) and `v1` (`umoci tag` of base); then
/// `umoci gc`.
fn umoci_image(dir: &Path) -> PathBuf {
    let layout = dir.join("umoci");
    let l = layout.to_str().expect("temporary paths are UTF-8");
    umoci(&["init", "--layout", l]);
    umoci(&["new", "--image", &umoci_ref(&layout, "empty")]);
    umoci(&[
        "config",
        "--image",
        &umoci_ref(&layout, "empty"),
        "--tag=configured",
        "--author=Dev <dev@example.com>",
        "--config.user=1000:1000",
        "--config.exposedports=8080/tcp",
        "--config.exposedports=53/udp",
        "--config.env=FOO=bar",
        "--config.env=QUOTED=\"a\\b\" </script>",
        "--config.entrypoint=/bin/sh",
        "--config.cmd=-c",
        "--config.cmd=echo hi & wait",
        "--config.volume=/data",
        "--config.volume=/cache",
        "--config.workingdir=/work",
        "--config.label=com.example=<a&b>",
        // Escapes on which every Go version agrees: \t, \n, \u0001 for other
        // controls, DEL and non-ASCII raw, U+2028 and U+2029 escaped.
        "--config.label=com.example.text=tab\tnewline\nctl\u{1}del\u{7f}é\u{2028}\u{2029}",
        "--config.stopsignal=SIGTERM",
        "--manifest.annotation=org.opencontainers.image.title=peer <test>",
        "--history.created_by=umoci config (peers test)",
        "--history.comment=a & b",
    ]);
    let bundle = dir.join("bundle");
    let b = bundle.to_str().expect("temporary paths are UTF-8");
    // --rootless works as root too, and keeps the test runnable without it.
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &umoci_ref(&layout, "configured"),
        b,
    ]);
    write(&bundle.join("rootfs/hello.txt"), b"hello\n");
    fs::create_dir(bundle.join("rootfs/etc")).expect("mkdir rootfs/etc");
    write(&bundle.join("rootfs/etc/motd"), b"made by umoci repack\n");
    umoci(&["repack", "--image", &umoci_ref(&layout, "base"), b]);
    umoci(&["tag", "--image", &umoci_ref(&layout, "base"), "v1"]);
    umoci(&["gc", "--layout", l]);
    layout
}

/// Parses `bytes` as a `T` and checks what holds for any peer document:
/// the [`Document`] keeps the exact bytes, the value survives a canonical
/// round-trip, and the canonical form is the same JSON value as the peer's
/// (nothing lost or added, whatever the order).
fn parse<T: Model + Debug + PartialEq>(what: &str, bytes: &[u8]) -> Document<T> {
    let doc = Document::<T>::from_bytes(bytes.to_vec())
        .unwrap_or_else(|e| panic!("{what}: cannot parse as {}: {e}\n{}", T::KIND, show(bytes)));
    assert_eq!(
        doc.bytes().as_ref(),
        bytes,
        "{what}: the Document must keep the exact bytes"
    );
    let canonical = doc.value().to_canonical_json();
    let again = T::from_json(&canonical)
        .unwrap_or_else(|e| panic!("{what}: our own output does not parse: {e}"));
    assert_eq!(
        &again,
        doc.value(),
        "{what}: the value must survive from_json(to_canonical_json())"
    );
    let theirs: serde_json::Value =
        serde_json::from_slice(bytes).expect("the peer's document is JSON");
    let ours: serde_json::Value = serde_json::from_slice(&canonical).expect("our document is JSON");
    assert_eq!(
        ours, theirs,
        "{what}: the canonical form must be the same JSON value as the peer's"
    );
    doc
}

/// [`parse`], then the strong check: the peer's bytes are our canonical
/// serialisation, framed as `json.Marshal` or `json.Encoder` frames it.
/// Returns the document and the framing found.
fn byte_exact<T: Model + Debug + PartialEq>(what: &str, bytes: &[u8]) -> (Document<T>, Framing) {
    let doc = parse::<T>(what, bytes);
    let canonical = doc.value().to_canonical_json();
    let framing = if bytes == canonical.as_slice() {
        Framing::Marshal
    } else if bytes.strip_suffix(b"\n") == Some(canonical.as_slice()) {
        Framing::Encoder
    } else {
        panic!(
            "{what}: to_canonical_json differs from the bytes the Go peer wrote (beyond json.Encoder's trailing newline)\n{}",
            difference("peer", bytes, "ours", &canonical)
        )
    };
    (doc, framing)
}

/// Validates `doc` (an error fails the test) and returns its warnings as
/// `path (Rule)`.
fn valid_with_warnings<T: Model>(what: &str, doc: &Document<T>) -> Vec<String> {
    let warnings = doc
        .validate()
        .unwrap_or_else(|e| panic!("{what}: the peer's document is invalid:\n{e}"));
    warnings
        .iter()
        .map(|v| format!("{} ({:?})", v.path, v.rule))
        .collect()
}

/// Checks the descriptor that points to `doc` against its bytes: size,
/// digest, and what [`Document::descriptor`] computes.
fn check_descriptor<T: Model>(what: &str, descriptor: &Descriptor, doc: &Document<T>) {
    descriptor
        .verify(doc.bytes())
        .unwrap_or_else(|e| panic!("{what}: the descriptor in the parent: {e}"));
    let ours = doc.descriptor();
    assert_eq!(
        (&descriptor.digest, descriptor.size),
        (&ours.digest, ours.size),
        "{what}: descriptor in the parent"
    );
    assert_eq!(
        doc.digest(),
        Digest::sha256(doc.bytes()),
        "{what}: Document::digest"
    );
}

/// One document met while walking a layout, for the tables the tests assert.
struct Seen {
    what: String,
    framing: Framing,
    warnings: Vec<String>,
}

impl Seen {
    fn line(&self) -> String {
        let warnings = if self.warnings.is_empty() {
            "none".to_owned()
        } else {
            self.warnings.join(", ")
        };
        format!("{}: {:?}; warnings: {warnings}", self.what, self.framing)
    }
}

/// Walks an image layout from `oci-layout` and `index.json` down every
/// descriptor, checking each JSON document byte-exact, valid, and matching
/// the descriptor that points to it; layer blobs are verified.
struct Walker<'a> {
    layout: &'a Path,
    peers: &'a str,
    seen: Vec<Seen>,
    blobs: BTreeSet<Digest>,
}

impl<'a> Walker<'a> {
    fn walk(layout: &'a Path, peers: &'a str) -> Self {
        let mut w = Walker {
            layout,
            peers,
            seen: Vec::new(),
            blobs: BTreeSet::new(),
        };
        let what = w.context("oci-layout");
        let bytes = read(&layout.join("oci-layout"));
        let (header, framing) = if bytes == SKOPEO_OCI_LAYOUT {
            (parse::<ImageLayout>(&what, &bytes), Framing::Literal)
        } else {
            byte_exact::<ImageLayout>(&what, &bytes)
        };
        let warnings = valid_with_warnings(&what, &header);
        w.seen.push(Seen {
            what: "oci-layout".into(),
            framing,
            warnings,
        });
        w.index("index.json", &read(&layout.join("index.json")), None);
        w
    }

    fn context(&self, what: &str) -> String {
        format!("[{}] {}: {what}", self.peers, self.layout.display())
    }

    fn blob(&mut self, digest: &Digest) -> Vec<u8> {
        self.blobs.insert(digest.clone());
        read(&blob_path(self.layout, digest))
    }

    fn lines(&self) -> Vec<String> {
        self.seen.iter().map(Seen::line).collect()
    }

    fn index(&mut self, what: &str, bytes: &[u8], parent: Option<&Descriptor>) {
        let ctx = self.context(what);
        let (index, framing) = byte_exact::<ImageIndex>(&ctx, bytes);
        if let Some(parent) = parent {
            check_descriptor(&ctx, parent, &index);
        }
        let warnings = valid_with_warnings(&ctx, &index);
        self.seen.push(Seen {
            what: what.into(),
            framing,
            warnings,
        });
        for (i, d) in index.manifests.iter().enumerate() {
            let child = match d.ref_name() {
                Some(name) => format!("{what} > {name}"),
                None => format!("{what} > manifests[{i}]"),
            };
            match &d.media_type {
                MediaType::ImageManifest => self.manifest(&child, d),
                MediaType::ImageIndex => {
                    let bytes = self.blob(&d.digest);
                    self.index(&child, &bytes, Some(d));
                }
                other => panic!("{}: unexpected media type {other}", self.context(&child)),
            }
        }
    }

    fn manifest(&mut self, what: &str, d: &Descriptor) {
        let ctx = self.context(what);
        let (manifest, framing) = byte_exact::<ImageManifest>(&ctx, &self.blob(&d.digest));
        check_descriptor(&ctx, d, &manifest);
        if let Some(own) = &manifest.media_type {
            assert_eq!(
                own, &d.media_type,
                "{ctx}: the manifest's mediaType and its descriptor's"
            );
        }
        let warnings = valid_with_warnings(&ctx, &manifest);
        self.seen.push(Seen {
            what: what.into(),
            framing,
            warnings,
        });

        let config_what = format!("{what} > config");
        let ctx = self.context(&config_what);
        assert_eq!(
            manifest.config.media_type,
            MediaType::ImageConfig,
            "{ctx}: media type"
        );
        let (config, framing) =
            byte_exact::<ImageConfiguration>(&ctx, &self.blob(&manifest.config.digest));
        check_descriptor(&ctx, &manifest.config, &config);
        assert_eq!(
            config.rootfs.diff_ids.len(),
            manifest.layers.len(),
            "{ctx}: one diff ID per layer"
        );
        let warnings = valid_with_warnings(&ctx, &config);
        self.seen.push(Seen {
            what: config_what,
            framing,
            warnings,
        });

        for (i, layer) in manifest.layers.iter().enumerate() {
            assert!(
                layer.media_type.is_layer(),
                "{ctx}: layers[{i}] has media type {}",
                layer.media_type
            );
            let bytes = self.blob(&layer.digest);
            layer
                .verify(&bytes)
                .unwrap_or_else(|e| panic!("{ctx}: layers[{i}]: {e}"));
        }
    }

    /// Every blob file of the layout is one the walk reached, and is named
    /// by the digest of its content (after a gc, nothing else is kept).
    fn assert_every_blob_reached(&self) {
        let dir = self.layout.join("blobs/sha256");
        let mut on_disk = BTreeSet::new();
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("blob names are UTF-8");
            let digest: Digest = format!("sha256:{name}")
                .parse()
                .expect("blob names are sha256 digests");
            digest
                .verify(read(&path))
                .unwrap_or_else(|e| panic!("{}: {e}", self.context(name)));
            on_disk.insert(digest);
        }
        assert_eq!(
            on_disk,
            self.blobs,
            "{}: blobs on disk and blobs reached from index.json",
            self.context("blobs")
        );
    }
}

/// The manifest and config tagged `tag` in the layout.
fn image(layout: &Path, tag: &str) -> (Document<ImageManifest>, Document<ImageConfiguration>) {
    let index = Document::<ImageIndex>::from_bytes(read(&layout.join("index.json")))
        .expect("index.json parses");
    let d = index
        .find_ref(tag)
        .next()
        .unwrap_or_else(|| panic!("{}: no tag {tag}", layout.display()))
        .clone();
    let manifest = Document::<ImageManifest>::from_bytes(read(&blob_path(layout, &d.digest)))
        .expect("manifest parses");
    let config = Document::from_bytes(read(&blob_path(layout, &manifest.config.digest)))
        .expect("config parses");
    (manifest, config)
}

/// Every document umoci writes while building an image, tagging it, and
/// collecting garbage is byte-for-byte our canonical form plus the newline
/// of `json.Encoder`, valid, and matches its descriptor.
#[test]
fn umoci_documents_round_trip_byte_exact() {
    if !require_tools(&["umoci"]) {
        return;
    }
    let peers = version("umoci");
    eprintln!("peer: {peers}");
    let dir = tempdir();
    let layout = umoci_image(dir.path());
    let walk = Walker::walk(&layout, &peers);

    // umoci 0.4 uses image-spec 1.0 Go types, which have no mediaType field
    // in manifests and indexes: a SHOULD of image-spec 1.1, so a warning.
    let no_media_type = format!("Encoder; warnings: {NO_MEDIA_TYPE}");
    assert_eq!(
        walk.lines(),
        [
            "oci-layout: Encoder; warnings: none".to_owned(),
            format!("index.json: {no_media_type}"),
            format!("index.json > empty: Encoder; warnings: {NO_MEDIA_TYPE}, {NO_LAYERS}"),
            "index.json > empty > config: Encoder; warnings: none".to_owned(),
            format!("index.json > configured: Encoder; warnings: {NO_MEDIA_TYPE}, {NO_LAYERS}"),
            "index.json > configured > config: Encoder; warnings: none".to_owned(),
            format!("index.json > base: {no_media_type}"),
            "index.json > base > config: Encoder; warnings: none".to_owned(),
            format!("index.json > v1: {no_media_type}"),
            "index.json > v1 > config: Encoder; warnings: none".to_owned(),
        ],
        "[{peers}] documents, framing and warnings"
    );
    walk.assert_every_blob_reached();

    // The values umoci was told to write are the values we read.
    let (base, config) = image(&layout, "base");
    let (v1, _) = image(&layout, "v1");
    assert_eq!(
        v1.digest(),
        base.digest(),
        "[{peers}] umoci tag points to the same manifest"
    );
    assert_eq!(
        base.annotations.get(annotations::TITLE).map(String::as_str),
        Some("peer <test>")
    );
    assert_eq!(base.layers.len(), 1);
    assert_eq!(base.layers[0].media_type, MediaType::ImageLayerGzip);
    assert_eq!(config.author.as_deref(), Some("Dev <dev@example.com>"));
    let cc = config.config.as_ref().expect("umoci config writes config");
    assert_eq!(cc.user.as_deref(), Some("1000:1000"));
    assert_eq!(
        cc.exposed_ports,
        BTreeSet::from(["53/udp".to_owned(), "8080/tcp".to_owned()])
    );
    assert_eq!(cc.env, ["FOO=bar", "QUOTED=\"a\\b\" </script>"]);
    assert_eq!(cc.entrypoint, ["/bin/sh"]);
    assert_eq!(cc.cmd, ["-c", "echo hi & wait"]);
    assert_eq!(
        cc.volumes,
        BTreeSet::from(["/cache".to_owned(), "/data".to_owned()])
    );
    assert_eq!(cc.working_dir.as_deref(), Some("/work"));
    assert_eq!(cc.labels["com.example"], "<a&b>");
    assert_eq!(
        cc.labels["com.example.text"],
        "tab\tnewline\nctl\u{1}del\u{7f}é\u{2028}\u{2029}"
    );
    assert_eq!(cc.stop_signal.as_deref(), Some("SIGTERM"));
    assert_eq!(config.rootfs.diff_ids.len(), 1);
    let history: Vec<_> = config
        .history
        .iter()
        .map(|h| (h.created_by.as_deref(), h.empty_layer))
        .collect();
    assert_eq!(
        history,
        [
            (Some("umoci config (peers test)"), true),
            (Some("umoci repack"), false)
        ]
    );
    assert_eq!(config.history[0].comment.as_deref(), Some("a & b"));
}

/// What the skopeo tests start from: umoci's image tagged `base`, with the
/// peers' versions for assertion messages.
struct Base {
    peers: String,
    dir: tempfile::TempDir,
    src: PathBuf,
    src_manifest: Document<ImageManifest>,
    src_config: Document<ImageConfiguration>,
}

/// The [`Base`] of the skopeo tests, or `None` (said loudly) when umoci or
/// skopeo is missing outside CI.
fn umoci_base_for_skopeo() -> Option<Base> {
    if !require_tools(&["umoci", "skopeo"]) {
        return None;
    }
    let peers = format!("{}, {}", version("umoci"), version("skopeo"));
    eprintln!("peers: {peers}");
    let dir = tempdir();
    let src = umoci_image(dir.path());
    let (src_manifest, src_config) = image(&src, "base");
    Some(Base {
        peers,
        dir,
        src,
        src_manifest,
        src_config,
    })
}

/// skopeo copies between OCI layouts: a plain copy keeps umoci's blobs and
/// writes index.json with `json.Marshal`; a copy that recompresses to zstd
/// writes a new manifest; `skopeo inspect --raw` gives the stored bytes.
#[test]
fn skopeo_oci_copies_round_trip_byte_exact() {
    let Some(Base {
        peers,
        dir,
        src,
        src_manifest,
        src_config,
    }) = umoci_base_for_skopeo()
    else {
        return;
    };

    let copy = dir.path().join("copy");
    skopeo(&["copy", &oci_ref(&src, "base"), &oci_ref(&copy, "copy")]);
    let walk = Walker::walk(&copy, &peers);
    assert_eq!(
        walk.lines(),
        [
            "oci-layout: Literal; warnings: none".to_owned(),
            // skopeo 1.9 writes index.json without mediaType too.
            format!("index.json: Marshal; warnings: {NO_MEDIA_TYPE}"),
            format!("index.json > copy: Encoder; warnings: {NO_MEDIA_TYPE}"),
            "index.json > copy > config: Encoder; warnings: none".to_owned(),
        ],
        "[{peers}] skopeo copy oci: -> oci:"
    );
    walk.assert_every_blob_reached();
    let (manifest, config) = image(&copy, "copy");
    assert_eq!(
        manifest.bytes(),
        src_manifest.bytes(),
        "[{peers}] a plain copy keeps the manifest's bytes"
    );
    assert_eq!(
        config.bytes(),
        src_config.bytes(),
        "[{peers}] a plain copy keeps the config's bytes"
    );

    let zstd = dir.path().join("zstd");
    skopeo(&[
        "copy",
        "--dest-compress-format",
        "zstd",
        &oci_ref(&src, "base"),
        &oci_ref(&zstd, "zstd"),
    ]);
    let walk = Walker::walk(&zstd, &peers);
    assert_eq!(
        walk.lines(),
        [
            "oci-layout: Literal; warnings: none".to_owned(),
            format!("index.json: Marshal; warnings: {NO_MEDIA_TYPE}"),
            // skopeo's own manifest, keeping the source's (absent) mediaType.
            format!("index.json > zstd: Marshal; warnings: {NO_MEDIA_TYPE}"),
            "index.json > zstd > config: Encoder; warnings: none".to_owned(),
        ],
        "[{peers}] skopeo copy --dest-compress-format zstd"
    );
    walk.assert_every_blob_reached();
    let (manifest, config) = image(&zstd, "zstd");
    assert_ne!(
        manifest.digest(),
        src_manifest.digest(),
        "[{peers}] skopeo wrote a new manifest"
    );
    assert_eq!(manifest.layers.len(), 1);
    assert_eq!(manifest.layers[0].media_type, MediaType::ImageLayerZstd);
    assert_eq!(
        manifest.config, src_manifest.config,
        "[{peers}] the config is unchanged"
    );
    assert_eq!(manifest.annotations, src_manifest.annotations);
    assert_eq!(config.bytes(), src_config.bytes());

    for (layout, tag) in [(&src, "base"), (&copy, "copy"), (&zstd, "zstd")] {
        let (manifest, config) = image(layout, tag);
        let raw = skopeo(&["inspect", "--raw", &oci_ref(layout, tag)]);
        assert!(
            raw == manifest.bytes().as_ref(),
            "[{peers}] skopeo inspect --raw {tag}: {}",
            difference("skopeo", &raw, "blob", manifest.bytes())
        );
        let raw = skopeo(&["inspect", "--config", "--raw", &oci_ref(layout, tag)]);
        assert!(
            raw == config.bytes().as_ref(),
            "[{peers}] skopeo inspect --config --raw {tag}: {}",
            difference("skopeo", &raw, "blob", config.bytes())
        );
    }
}

/// `skopeo inspect --config` prints the config as Go's
/// `json.MarshalIndent(config, "", "    ")` does, and a newline: the bytes
/// of `to_pretty_json`, whose four-space indent was chosen to match.
#[test]
fn skopeo_inspect_config_prints_our_pretty_form() {
    let Some(Base {
        peers,
        dir: _dir,
        src,
        src_config,
        ..
    }) = umoci_base_for_skopeo()
    else {
        return;
    };
    let printed = skopeo(&["inspect", "--config", &oci_ref(&src, "base")]);
    let mut ours = src_config.value().to_pretty_json();
    ours.push(b'\n');
    assert!(
        printed == ours,
        "[{peers}] skopeo inspect --config: {}",
        difference("skopeo", &printed, "ours", &ours)
    );
}

/// Docker schema 2 documents written by skopeo (`dir:` with `--format v2s2`,
/// and the manifest it makes for a `docker-archive:`) keep their bytes and
/// values, and OCI validation rejects exactly their media type; converting
/// the archive back to OCI writes byte-exact documents.
#[test]
fn skopeo_docker_documents_keep_bytes_and_values() {
    let Some(Base {
        peers,
        dir,
        src,
        src_manifest,
        src_config,
    }) = umoci_base_for_skopeo()
    else {
        return;
    };

    let d = dir.path().join("v2s2");
    skopeo(&[
        "copy",
        "--format",
        "v2s2",
        &oci_ref(&src, "base"),
        &format!("dir:{}", d.display()),
    ]);
    let what = format!("[{peers}] dir:v2s2/manifest.json");
    let manifest = docker_manifest(&what, &read(&d.join("manifest.json")));
    assert_eq!(manifest.config.media_type, MediaType::DockerConfig);
    assert_eq!(manifest.config.digest, src_manifest.config.digest);
    let layers: Vec<_> = manifest
        .layers
        .iter()
        .map(|l| (&l.media_type, &l.digest, l.size))
        .collect();
    let src_layer = &src_manifest.layers[0];
    assert_eq!(
        layers,
        [(
            &MediaType::DockerLayerGzip,
            &src_layer.digest,
            src_layer.size
        )]
    );
    // The config is umoci's, copied verbatim.
    let what = format!("[{peers}] dir:v2s2 config");
    let (config, framing) =
        byte_exact::<ImageConfiguration>(&what, &read(&d.join(manifest.config.digest.encoded())));
    assert_eq!(framing, Framing::Encoder, "{what}");
    check_descriptor(&what, &manifest.config, &config);
    assert_eq!(valid_with_warnings(&what, &config), Vec::<String>::new());
    assert_eq!(config.bytes(), src_config.bytes(), "{what}");
    src_layer
        .verify(&read(&d.join(src_layer.digest.encoded())))
        .expect("the layer is copied as is");

    let archive = dir.path().join("image.tar");
    let archive_ref = format!("docker-archive:{}", archive.display());
    skopeo(&[
        "copy",
        &oci_ref(&src, "base"),
        &format!("{archive_ref}:example.com/peers:v1"),
    ]);
    // skopeo makes this manifest up from the archive's manifest.json; its
    // layers are the uncompressed tars, whose digests are the diff IDs.
    let what = format!("[{peers}] skopeo inspect --raw {archive_ref}");
    let manifest = docker_manifest(&what, &skopeo(&["inspect", "--raw", &archive_ref]));
    assert_eq!(manifest.config.digest, src_manifest.config.digest, "{what}");
    let digests: Vec<_> = manifest.layers.iter().map(|l| &l.digest).collect();
    assert_eq!(
        digests,
        src_config.rootfs.diff_ids.iter().collect::<Vec<_>>(),
        "{what}"
    );
    let raw = skopeo(&["inspect", "--config", "--raw", &archive_ref]);
    assert!(
        raw == src_config.bytes().as_ref(),
        "[{peers}] the archive keeps umoci's config bytes: {}",
        difference("archive", &raw, "umoci", src_config.bytes())
    );

    let back = dir.path().join("back");
    skopeo(&["copy", &archive_ref, &oci_ref(&back, "back")]);
    let walk = Walker::walk(&back, &peers);
    assert_eq!(
        walk.lines(),
        [
            "oci-layout: Literal; warnings: none",
            // skopeo 1.9 writes index.json without mediaType (image-spec 1.0 types).
            "index.json: Marshal; warnings: mediaType (DocumentMediaType)",
            // Converting from Docker, skopeo writes manifest and config itself,
            // the config through image-spec's Go type and json.Marshal.
            "index.json > back: Marshal; warnings: none",
            "index.json > back > config: Marshal; warnings: none",
        ],
        "[{peers}] skopeo copy docker-archive: -> oci:"
    );
    walk.assert_every_blob_reached();
    let (manifest, config) = image(&back, "back");
    assert_eq!(manifest.media_type, Some(MediaType::ImageManifest));
    assert_eq!(
        config.value(),
        src_config.value(),
        "[{peers}] the config survives OCI -> Docker -> OCI"
    );
    assert_eq!(
        Some(config.bytes().as_ref()),
        src_config.bytes().strip_suffix(b"\n"),
        "[{peers}] skopeo's json.Marshal of the config is umoci's json.Encoder output without the newline"
    );
}

/// Checks a Docker schema 2 manifest that skopeo wrote. It cannot be byte
/// identical: docker/distribution's Go `Descriptor` writes `mediaType`,
/// `size`, `digest`, while image-spec's (and so ours) writes `mediaType`,
/// `digest`, `size`. The test shows that this order is the only difference.
fn docker_manifest(what: &str, bytes: &[u8]) -> Document<ImageManifest> {
    let doc = parse::<ImageManifest>(what, bytes);
    let mut expected = String::from_utf8(bytes.to_vec()).expect("manifests are UTF-8");
    for d in std::iter::once(&doc.config).chain(&doc.layers) {
        let theirs = format!(r#""size":{},"digest":"{}""#, d.size, d.digest);
        assert!(
            expected.contains(&theirs),
            "{what}: Docker's descriptor order size, digest"
        );
        expected = expected.replacen(
            &theirs,
            &format!(r#""digest":"{}","size":{}"#, d.digest, d.size),
            1,
        );
    }
    let canonical = doc.value().to_canonical_json();
    assert!(
        expected.as_bytes() == canonical,
        "{what}: with size and digest swapped, Docker's bytes must be our canonical form: {}",
        difference("docker (swapped)", expected.as_bytes(), "ours", &canonical)
    );
    assert_eq!(doc.media_type, Some(MediaType::DockerManifest));
    // OCI validation: the Docker media type is the one error (a document
    // must not claim another type, manifest.md mediaType).
    let report = doc.check();
    let found: Vec<_> = report
        .violations
        .iter()
        .map(|v| (v.path.as_str(), v.rule, v.severity))
        .collect();
    assert_eq!(
        found,
        [("mediaType", Rule::DocumentMediaType, Severity::Error)],
        "{what}: {report:?}"
    );
    assert!(doc.validate().is_err());
    doc
}

/// The reverse direction: a config, manifest and index made with our models
/// (reusing umoci's layer) are accepted by skopeo and umoci, which report
/// our values, return our bytes, unpack the image and keep our blobs in gc.
#[test]
fn peers_read_documents_we_write() {
    let Some(Base {
        peers,
        dir,
        src,
        src_manifest,
        src_config,
    }) = umoci_base_for_skopeo()
    else {
        return;
    };

    let platform: Platform = "linux/amd64".parse().expect("a platform");
    let mut config = ImageConfiguration::for_platform(&platform);
    config.created = Some("2024-05-06T07:08:09Z".into());
    config.author = Some("Ours <ours@example.com>".into());
    let env = vec!["PATH=/usr/bin:/bin".to_owned(), "OURS=<1 & 2>".to_owned()];
    let labels = BTreeMap::from([("org.example.ours".to_owned(), "<yes> & é".to_owned())]);
    config.config = Some(ContainerConfig {
        exposed_ports: BTreeSet::from(["9090/udp".to_owned()]),
        env: env.clone(),
        entrypoint: vec!["/bin/echo".into()],
        cmd: vec!["hi & bye".into()],
        working_dir: Some("/srv".into()),
        labels: labels.clone(),
        stop_signal: Some("SIGINT".into()),
        ..Default::default()
    });
    config.rootfs.diff_ids = src_config.rootfs.diff_ids.clone();
    config.history = vec![History {
        created: Some("2024-05-06T07:08:09Z".into()),
        created_by: Some("oci-image tests/peers.rs".into()),
        comment: Some("made with our models".into()),
        ..Default::default()
    }];
    config.validate().expect("our config is valid");
    let config = Document::new(config);
    let mut manifest_value = ImageManifest {
        config: config.descriptor(),
        layers: src_manifest.layers.clone(),
        ..Default::default()
    };
    manifest_value
        .annotations
        .insert(annotations::TITLE.into(), "ours <test>".into());
    manifest_value.validate().expect("our manifest is valid");
    let manifest = Document::new(manifest_value);
    let mut entry = manifest.descriptor();
    entry
        .annotations
        .insert(annotations::REF_NAME.into(), "ours".into());
    let index = Document::new(ImageIndex::new(vec![entry]));

    // Our documents in a copy of umoci's layout (which has the layer blob).
    let ours = dir.path().join("ours");
    copy_dir(&src, &ours);
    write(&blob_path(&ours, &config.digest()), config.bytes());
    write(&blob_path(&ours, &manifest.digest()), manifest.bytes());
    write(&ours.join("index.json"), index.bytes());

    let image_ref = oci_ref(&ours, "ours");
    let raw = skopeo(&["inspect", "--raw", &image_ref]);
    assert!(
        raw == manifest.bytes().as_ref(),
        "[{peers}] {}",
        difference("skopeo", &raw, "ours", manifest.bytes())
    );
    let raw = skopeo(&["inspect", "--config", "--raw", &image_ref]);
    assert!(
        raw == config.bytes().as_ref(),
        "[{peers}] {}",
        difference("skopeo", &raw, "ours", config.bytes())
    );
    let inspect: serde_json::Value = serde_json::from_slice(&skopeo(&["inspect", &image_ref]))
        .expect("skopeo inspect prints JSON");
    let layer = &src_manifest.layers[0];
    assert_eq!(
        (
            &inspect["Digest"],
            &inspect["Architecture"],
            &inspect["Os"],
            &inspect["Created"]
        ),
        (
            &json!(manifest.digest().as_str()),
            &json!("amd64"),
            &json!("linux"),
            &json!("2024-05-06T07:08:09Z")
        ),
        "[{peers}] skopeo inspect: {inspect}"
    );
    assert_eq!(
        inspect["Env"],
        json!(env),
        "[{peers}] skopeo inspect: {inspect}"
    );
    assert_eq!(
        inspect["Labels"],
        json!(labels),
        "[{peers}] skopeo inspect: {inspect}"
    );
    assert_eq!(
        inspect["Layers"],
        json!([layer.digest.as_str()]),
        "[{peers}] skopeo inspect: {inspect}"
    );

    let stat: serde_json::Value = serde_json::from_slice(&umoci(&[
        "stat",
        "--json",
        "--image",
        &umoci_ref(&ours, "ours"),
    ]))
    .expect("umoci stat --json prints JSON");
    let history = &stat["history"][0];
    assert_eq!(
        (
            &history["created_by"],
            &history["comment"],
            &history["diff_id"],
            &history["layer"]["digest"]
        ),
        (
            &json!("oci-image tests/peers.rs"),
            &json!("made with our models"),
            &json!(config.rootfs.diff_ids[0].as_str()),
            &json!(layer.digest.as_str())
        ),
        "[{peers}] umoci stat: {stat}"
    );

    // umoci turns our config into a runtime bundle, with our layer applied.
    let bundle = dir.path().join("ours-bundle");
    let b = bundle.to_str().expect("temporary paths are UTF-8");
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &umoci_ref(&ours, "ours"),
        b,
    ]);
    let runtime: serde_json::Value =
        serde_json::from_slice(&read(&bundle.join("config.json"))).expect("config.json");
    let process = &runtime["process"];
    assert_eq!(
        process["args"],
        json!(["/bin/echo", "hi & bye"]),
        "[{peers}] umoci unpack: {process}"
    );
    assert_eq!(
        process["cwd"],
        json!("/srv"),
        "[{peers}] umoci unpack: {process}"
    );
    let process_env = process["env"].as_array().expect("process.env");
    assert!(
        process_env.contains(&json!("OURS=<1 & 2>")),
        "[{peers}] umoci unpack: {process}"
    );
    assert_eq!(read(&bundle.join("rootfs/hello.txt")), b"hello\n");

    // umoci gc follows our descriptors: it keeps exactly our three blobs.
    umoci(&[
        "gc",
        "--layout",
        ours.to_str().expect("temporary paths are UTF-8"),
    ]);
    let walk = Walker::walk(&ours, &peers);
    assert_eq!(
        walk.lines(),
        [
            "oci-layout: Encoder; warnings: none",
            "index.json: Marshal; warnings: none",
            "index.json > ours: Marshal; warnings: none",
            "index.json > ours > config: Marshal; warnings: none",
        ],
        "[{peers}] our layout after umoci gc"
    );
    walk.assert_every_blob_reached();
    assert_eq!(
        walk.blobs,
        BTreeSet::from([config.digest(), manifest.digest(), layer.digest.clone()])
    );

    // skopeo copies our image as is: same manifest digest, same bytes.
    let again = dir.path().join("again");
    skopeo(&["copy", &image_ref, &oci_ref(&again, "again")]);
    let (copied, copied_config) = image(&again, "again");
    assert_eq!(
        copied.bytes(),
        manifest.bytes(),
        "[{peers}] skopeo copy keeps our manifest"
    );
    assert_eq!(
        copied_config.bytes(),
        config.bytes(),
        "[{peers}] skopeo copy keeps our config"
    );
}

/// Go's `encoding/json` before Go 1.22 escaped `\b` and `\f` as `\u0008` and
/// `\u000c`; Go 1.22 and later (and serde_json, and so `to_canonical_json`)
/// write `\b` and `\f`. No spelling matches every Go version; we follow
/// current Go. The Debian umoci 0.4.7 is built with Go 1.19, so a config with
/// those characters written by it re-serialises to other bytes. This test pins
/// down that this spelling is the only difference: the values are equal, and
/// the peer's bytes with the two escapes respelled are exactly ours.
#[test]
fn umoci_old_go_control_escapes_differ_only_in_spelling() {
    if !require_tools(&["umoci"]) {
        return;
    }
    let peers = version("umoci");
    let dir = tempdir();
    let layout = dir.path().join("umoci");
    let l = layout.to_str().expect("temporary paths are UTF-8");
    umoci(&["init", "--layout", l]);
    umoci(&["new", "--image", &umoci_ref(&layout, "ctl")]);
    umoci(&[
        "config",
        "--image",
        &umoci_ref(&layout, "ctl"),
        "--config.label=ctl=a\u{8}b\u{c}c",
    ]);
    let (manifest, _) = image(&layout, "ctl");
    let bytes = read(&blob_path(&layout, &manifest.config.digest));
    let config = ImageConfiguration::from_json(&bytes).expect("umoci's config parses");
    assert_eq!(
        config.config.as_ref().expect("config").labels["ctl"],
        "a\u{8}b\u{c}c",
        "[{peers}] the label's value"
    );
    let peer = String::from_utf8(bytes).expect("UTF-8");
    let mut ours = String::from_utf8(config.to_canonical_json()).expect("UTF-8");
    ours.push('\n'); // umoci writes with json.Encoder, which ends with a newline
    assert_ne!(
        peer, ours,
        "[{peers}] expected Go < 1.22 spellings in umoci's bytes"
    );
    assert_eq!(
        peer.replace("\\u0008", "\\b").replace("\\u000c", "\\f"),
        ours,
        "[{peers}] only the spelling of \\b and \\f may differ"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("list {}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}
