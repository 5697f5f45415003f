//! Our sigstore bundles against sigstore's JavaScript implementation
//! (`@sigstore/sign` 4.1.1 and `@sigstore/verify` 3.1.1, pinned in
//! tests/interop/package.json and package-lock.json, run by Debian's node):
//! ours verify with their verifier given only our public key, theirs
//! verify with ours, and a changed statement fails on both sides.
//! tests/interop/interop.mjs is their side.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ocikit_image::{Descriptor, ImageManifest, MediaType};
use ocikit_layout::Layout;
use ocikit_sign::{
    BUNDLE_MEDIA_TYPE, Format, PrivateKey, PublicKey, Rejection, SignOptions, VerifyOptions,
};
use ocikit_test_support::layouts::small_image;
use ocikit_test_support::peers;

/// The directory where the pinned packages are installed (`npm ci`, once
/// per run), outside the source tree; `None` (a visible skip, a failure
/// under CI) without node and npm.
fn sigstore_js() -> Option<&'static Path> {
    if !peers::require_tools(&["node", "npm"]) {
        return None;
    }
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    Some(DIR.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sigstore-js");
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["package.json", "package-lock.json", "interop.mjs"] {
            std::fs::copy(source.join(file), dir.join(file)).unwrap();
        }
        peers::run(
            peers::command("npm")
                .args(["ci", "--prefer-offline", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
        dir
    }))
}

/// `node interop.mjs ARGS` in `dir`.
fn node(dir: &Path, args: &[&Path]) -> Output {
    peers::command("node")
        .arg("interop.mjs")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The bundle JSON of the image's one bundle referrer.
fn our_bundle(layout: &Layout, image: &Descriptor) -> serde_json::Value {
    let referrers = layout
        .referrers_of_type(&image.digest, &MediaType::from(BUNDLE_MEDIA_TYPE))
        .unwrap();
    let manifest = layout.read_manifest(&referrers[0]).unwrap();
    serde_json::from_slice(&layout.read_blob(&manifest.layers[0], 1 << 20).unwrap()).unwrap()
}

/// `bundle` with its DSSE payload (the statement) passed through `change`.
fn with_statement(
    bundle: &serde_json::Value,
    change: impl Fn(&str) -> String,
) -> serde_json::Value {
    let mut bundle = bundle.clone();
    let payload = STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let changed = change(&String::from_utf8(payload).unwrap());
    bundle["dsseEnvelope"]["payload"] = STANDARD.encode(changed).into();
    bundle
}

#[test]
fn our_bundle_verifies_with_sigstore_js() {
    let Some(js) = sigstore_js() else { return };
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let image = small_image(&layout, "v1", "interop");
    let key = PrivateKey::generate().unwrap();
    let options = SignOptions {
        format: Format::Bundle,
        ..SignOptions::default()
    };
    ocikit_sign::sign(&layout, "v1", &key, &options).unwrap();
    let public = dir.path().join("key.pub");
    std::fs::write(&public, key.public_key().to_pem()).unwrap();
    let bundle = our_bundle(&layout, &image);
    let file = dir.path().join("bundle.json");
    std::fs::write(&file, bundle.to_string()).unwrap();

    let out = node(js, &[Path::new("verify"), &file, &public]);
    assert!(out.status.success(), "node: {}", text(&out.stderr));
    // They read our hint as the key's: base64 of SHA-256 of its SPKI DER.
    assert_eq!(
        text(&out.stdout),
        format!("verified {}\n", key.public_key().hint())
    );

    // Another image's digest in the statement: the signature no longer
    // holds, on their side.
    let changed = with_statement(&bundle, |s| {
        s.replace(image.digest.encoded(), &"0".repeat(64))
    });
    std::fs::write(&file, changed.to_string()).unwrap();
    let out = node(js, &[Path::new("verify"), &file, &public]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("failed SIGNATURE_ERROR: "),
        "{}",
        text(&out.stderr)
    );
    // Another key: refused too.
    std::fs::write(&file, bundle.to_string()).unwrap();
    std::fs::write(
        &public,
        PrivateKey::generate().unwrap().public_key().to_pem(),
    )
    .unwrap();
    let out = node(js, &[Path::new("verify"), &file, &public]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[test]
fn a_bundle_sigstore_js_made_verifies_with_ours() {
    let Some(js) = sigstore_js() else { return };
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let image = small_image(&layout, "v1", "theirs");
    // The statement an image signature carries, signed by them.
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "v1", "digest": {"sha256": image.digest.encoded()}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {},
    });
    let file = dir.path().join("statement.json");
    std::fs::write(&file, statement.to_string()).unwrap();
    let out = node(js, &[Path::new("sign"), &file, dir.path()]);
    assert!(out.status.success(), "node: {}", text(&out.stderr));
    let bytes = std::fs::read(dir.path().join("bundle.json")).unwrap();
    let public = PublicKey::read(dir.path().join("key.pub")).unwrap();
    let bundle: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(bundle["mediaType"], BUNDLE_MEDIA_TYPE);
    assert_eq!(
        bundle["verificationMaterial"]["publicKey"]["hint"],
        public.hint()
    );

    // Stored as cosign stores a bundle: a referrer of the image.
    let store = |bundle: &[u8], tag: &str| {
        let bundle_type = MediaType::from(BUNDLE_MEDIA_TYPE);
        let manifest = ImageManifest {
            artifact_type: Some(bundle_type.clone()),
            config: layout.put_bytes(MediaType::EmptyJson, b"{}").unwrap(),
            layers: vec![layout.put_bytes(bundle_type, bundle).unwrap()],
            subject: Some(Descriptor::new(
                image.media_type.clone(),
                image.digest.clone(),
                image.size,
            )),
            ..Default::default()
        };
        layout
            .tag(tag, &layout.put_json(&manifest).unwrap())
            .unwrap();
    };
    store(&bytes, "theirs");
    let verify = |key: &PublicKey| {
        ocikit_sign::verify(
            &layout,
            "v1",
            std::slice::from_ref(key),
            &VerifyOptions::default(),
        )
        .unwrap()
        .checks
        .into_iter()
        .map(|c| c.outcome.map(|_| ()))
        .collect::<Vec<_>>()
    };
    assert_eq!(verify(&public), [Ok(())]);
    let stranger = PrivateKey::generate().unwrap().public_key();
    assert_eq!(verify(&stranger), [Err(Rejection::BadSignature)]);

    // Their bundle with the statement's predicate type changed: refused
    // by us (the signature) and by them.
    layout.untag("theirs").unwrap();
    let changed = with_statement(&bundle, |s| s.replace("cosign/sign/v1", "cosign/sign/v2"));
    store(changed.to_string().as_bytes(), "changed");
    assert_eq!(verify(&public), [Err(Rejection::BadSignature)]);
    let changed_file = dir.path().join("changed.json");
    std::fs::write(&changed_file, changed.to_string()).unwrap();
    let out = node(
        js,
        &[
            Path::new("verify"),
            &changed_file,
            &dir.path().join("key.pub"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("failed SIGNATURE_ERROR: "),
        "{}",
        text(&out.stderr)
    );
}
