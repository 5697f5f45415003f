//! Sign an image in an image layout as cosign does, then verify it: a key
//! pair written as cosign writes it (`cosign.key`, encrypted, and
//! `cosign.pub`), an image signed in both forms (the `sha256-<hex>.sig`
//! tag and the sigstore bundle referrer), its signatures checked with the
//! public key, and a signature moved onto another image refused with its
//! reason. Run with `cargo run --example sign_verify`.

use ocikit_image::{ImageManifest, MediaType};
use ocikit_layout::Layout;
use ocikit_sign::{PrivateKey, PublicKey, SignOptions, VerifyOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;

    // The key pair, as `cosign generate-key-pair` writes it.
    let password = "example password";
    let key = PrivateKey::generate()?;
    std::fs::write(
        dir.path().join("cosign.key"),
        key.to_encrypted_pem(&password.into())?,
    )?;
    std::fs::write(dir.path().join("cosign.pub"), key.public_key().to_pem())?;
    let key = PrivateKey::read(dir.path().join("cosign.key"), || Ok(password.into()))?;
    let keys = [PublicKey::read(dir.path().join("cosign.pub"))?];

    // Two small images (each an artifact manifest with one layer).
    let layout = Layout::init(dir.path().join("layout"))?;
    for (tag, text) in [("app", "the app"), ("other", "another image")] {
        let layer = layout.put_bytes(MediaType::from("text/plain"), text.as_bytes())?;
        let manifest = ImageManifest {
            artifact_type: Some(MediaType::from("application/vnd.example.note")),
            config: layout.put_bytes(MediaType::EmptyJson, b"{}")?,
            layers: vec![layer],
            ..Default::default()
        };
        layout.tag(tag, &layout.put_json(&manifest)?)?;
    }

    let signed = ocikit_sign::sign(&layout, "app", &key, &SignOptions::default())?;
    println!("signed app {}", signed.image.digest);
    for tag in layout.list_tags()? {
        println!("  tag {tag}");
    }

    let report = ocikit_sign::verify(&layout, "app", &keys, &VerifyOptions::default())?;
    for check in &report.checks {
        println!("  ok: {}", check.source);
    }
    report.require("app")?;

    // app's signature manifest tagged as other's: it verifies, but it
    // signs app's digest, so it is refused for other.
    let other = layout.find_tag("other")?;
    if let Some(tag_form) = &signed.tag {
        layout.tag(&ocikit_sign::signature_tag(&other.digest), tag_form)?;
    }
    let report = ocikit_sign::verify(&layout, "other", &keys, &VerifyOptions::default())?;
    for check in &report.checks {
        if let Err(reason) = &check.outcome {
            println!("  refused: {} {reason}", check.source);
        }
    }
    assert!(!report.is_verified());
    Ok(())
}
