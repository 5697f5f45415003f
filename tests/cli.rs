//! The `oci` command-line tool (src/bin/oci/): exit codes, output, and
//! what `validate` and `digest` report on real files.
#![allow(clippy::unwrap_used)]

mod support;

use support::{oci, run, text};

use ocikit_image::{Descriptor, Digest, ImageManifest, Json, MediaType};

#[test]
fn digest_of_files_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    let braces = dir.path().join("braces");
    std::fs::write(&empty, b"").unwrap();
    std::fs::write(&braces, b"{}").unwrap();
    let out = run(&["digest", empty.to_str().unwrap(), braces.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  {}\n\
             sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a  {}\n",
            empty.display(),
            braces.display()
        )
    );

    let out = run(&["digest", "--algorithm", "sha512", braces.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with(&format!(
        "{}  ",
        Digest::compute(&ocikit_image::Algorithm::Sha512, b"{}").unwrap()
    )));

    use std::io::Write;
    let mut child = oci()
        .arg("digest")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"{}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        text(&out.stdout),
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a  -\n"
    );
}

#[test]
fn digest_failures_and_usage_errors() {
    let out = run(&["digest", "/nonexistent/file"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("oci: /nonexistent/file: No such file"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["digest", "--algorithm", "md5", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(
            "error: invalid value 'md5' for '--algorithm <ALG>': this build cannot compute it"
        ),
        "{}",
        text(&out.stderr)
    );

    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["validate", "x"]).status.code(), Some(2));
    assert_eq!(
        run(&["validate", "--type", "nonsense", "x"]).status.code(),
        Some(2)
    );
    assert!(run(&["help"]).status.success());
}

#[test]
fn validate_reports_valid_and_invalid_documents() {
    let dir = tempfile::tempdir().unwrap();
    let layer = Descriptor::for_bytes(MediaType::ImageLayer, &[0u8; 1024]);
    let good = ImageManifest {
        config: Descriptor::for_bytes(MediaType::ImageConfig, b"{}"),
        layers: vec![layer],
        ..Default::default()
    };
    let good_path = dir.path().join("good.json");
    std::fs::write(&good_path, good.to_canonical_json()).unwrap();
    let out = run(&[
        "validate",
        "--type",
        "manifest",
        good_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "valid\n");

    // The same manifest holding an index's field, with a negative size.
    let mut bad = good.clone();
    bad.config.size = -1;
    bad.extra.insert("manifests".into(), serde_json::json!([]));
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad.to_canonical_json()).unwrap();
    let out = run(&["validate", "--type", "manifest", bad_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let p = bad_path.display();
    assert_eq!(
        text(&out.stdout),
        format!(
            "{p}: manifests: belongs to an image index; a document with it is ambiguous and must be rejected (CVE-2021-41190)\n{p}: config.size: the size must not be negative, found -1\n"
        )
    );
    assert_eq!(
        text(&out.stderr),
        format!("oci: {p} is not a valid image manifest (2 errors)\n")
    );

    // A manifest validated as an index fails at parse, naming the missing field.
    let out = run(&["validate", "--type", "index", good_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("image index: .: missing field `manifests`"),
        "{}",
        text(&out.stderr)
    );

    // An image layout directory: its oci-layout file is validated.
    std::fs::write(
        dir.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let out = run(&["validate", "--type", "layout", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(
        dir.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .unwrap();
    let out = run(&["validate", "--type", "layout", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let layout_file = dir.path().join("oci-layout");
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}: imageLayoutVersion: must be \"1.0.0\", the only version defined, found \"2.0.0\"\n",
            layout_file.display()
        )
    );
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci: {} is not a valid oci-layout file (1 error)\n",
            layout_file.display()
        )
    );
}
