//! The signature commands of `oci`: keygen, sign, verify, attest and
//! verify-attestation on images of a layout, the password from
//! COSIGN_PASSWORD or stdin, and the failures (exit 1 naming each
//! signature refused and why).
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Output, Stdio};

use support::{oci, text};

/// Runs `oci ARGS` with COSIGN_PASSWORD set to `password`, or unset and
/// `stdin` written to its standard input.
fn run_with(args: &[&str], password: Option<&str>, stdin: &[u8]) -> Output {
    let mut command = oci();
    command
        .args(args)
        .env_remove("COSIGN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(password) = password {
        command.env("COSIGN_PASSWORD", password);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // The command may not read it: a closed pipe is fine.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// A layout with an empty image tagged `v1` (from `oci new`).
fn image(dir: &Path) -> String {
    let layout = dir.join("layout");
    let image = format!("{}:v1", layout.display());
    ok(&run_with(
        &["new", &image, "--platform", "linux/amd64"],
        None,
        b"",
    ));
    image
}

#[test]
fn keygen_sign_verify_with_the_password_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cosign");
    let p = prefix.to_str().unwrap();
    let out = ok(&run_with(&["keygen", p], Some("s3cret"), b""));
    assert_eq!(out, format!("{p}.key\n{p}.pub\n"));
    let key = std::fs::read_to_string(format!("{p}.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    let mode = std::fs::metadata(format!("{p}.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let public = std::fs::read_to_string(format!("{p}.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    // The key opens with that password and no other.
    let opened = ocikit_sign::PrivateKey::from_pem(&key, || Ok("s3cret".into())).unwrap();
    assert_eq!(opened.public_key().to_pem(), public);
    assert!(ocikit_sign::PrivateKey::from_pem(&key, || Ok("other".into())).is_err());
    // keygen never replaces a key.
    let out = run_with(&["keygen", p], Some("s3cret"), b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("oci: {p}.key exists already; choose another PREFIX\n")
    );
    // A pair or nothing: a dangling link where the public key goes (which
    // the check for existing files does not see) fails the keygen, and
    // the private key it wrote goes again.
    let other = format!("{p}-2");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), format!("{other}.pub")).unwrap();
    let out = run_with(&["keygen", &other], Some("s3cret"), b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("creating {other}.pub")));
    assert!(!Path::new(&format!("{other}.key")).exists());

    let image = image(dir.path());
    let key_file = format!("{p}.key");
    let pub_file = format!("{p}.pub");
    let out = ok(&run_with(
        &["sign", &image, "--key", &key_file, "-a", "env=prod"],
        Some("s3cret"),
        b"",
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("tag sha256-") && lines[0].contains(".sig sha256:"));
    assert!(lines[1].starts_with("bundle sha256:"));

    let out = ok(&run_with(
        &["verify", &image, "--key", &pub_file, "-a", "env=prod"],
        None,
        b"",
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("ok: signature sha256:"), "{out}");
    assert!(lines[1].starts_with("ok: bundle referrer sha256:"), "{out}");

    // A required annotation with another value: each refused, exit 1.
    let out = run_with(
        &["verify", &image, "--key", &pub_file, "-a", "env=dev"],
        None,
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("refused: ")
                && l.ends_with(r#"annotation env: expected "dev", signed "prod""#))
            .count(),
        2,
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("oci: {image} (sha256:"))
            && stderr.contains("has no valid signature: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_password_is_read_from_stdin_and_a_wrong_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k");
    let p = p.to_str().unwrap();
    ok(&run_with(&["keygen", p], None, b"from stdin\n"));
    let image = image(dir.path());
    let key_file = format!("{p}.key");
    let out = ok(&run_with(
        &["sign", &image, "--key", &key_file, "--format", "tag"],
        None,
        b"from stdin\n",
    ));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("tag "), "{out}");
    let out = run_with(&["sign", &image, "--key", &key_file], Some("wrong"), b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci: {key_file}: the password does not decrypt this private key (or the file was altered)\n"
        )
    );
}

#[test]
fn verify_with_another_key_fails_naming_each_signature() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    for prefix in [&a, &b] {
        ok(&run_with(
            &["keygen", prefix.to_str().unwrap()],
            Some(""),
            b"",
        ));
    }
    let image = image(dir.path());
    let key = format!("{}.key", a.display());
    ok(&run_with(&["sign", &image, "--key", &key], Some(""), b""));
    let other = format!("{}.pub", b.display());
    let out = run_with(&["verify", &image, "--key", &other], None, b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("refused: ") && l.ends_with(
                " is not verified by the given public key (another key signed it, or the payload was changed)"
            )),
        "{stdout}"
    );
    // An unsigned image (another platform, so another digest: the same
    // empty image under another tag would be signed already): nothing
    // checked.
    let unsigned = format!("{}:v2", dir.path().join("layout").display());
    ok(&run_with(
        &["new", &unsigned, "--platform", "linux/arm64"],
        None,
        b"",
    ));
    let public = format!("{}.pub", a.display());
    let out = run_with(&["verify", &unsigned, "--key", &public], None, b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).ends_with(") has no valid signature: no signature found\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn attest_and_verify_attestation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k");
    let p = p.to_str().unwrap();
    ok(&run_with(&["keygen", p], Some("pw"), b""));
    let image = image(dir.path());
    let predicate = dir.path().join("provenance.json");
    std::fs::write(&predicate, r#"{"builder":{"id":"https://example.com/ci"}}"#).unwrap();
    let key_file = format!("{p}.key");
    let pub_file = format!("{p}.pub");
    let slsa = "https://slsa.dev/provenance/v1";
    let attest = || {
        run_with(
            &[
                "attest",
                &image,
                "--key",
                &key_file,
                "--predicate",
                predicate.to_str().unwrap(),
                "--type",
                slsa,
            ],
            Some("pw"),
            b"",
        )
    };
    let out = ok(&attest());
    assert!(out.starts_with("bundle sha256:"), "{out}");
    let out = ok(&run_with(
        &[
            "verify-attestation",
            &image,
            "--key",
            &pub_file,
            "--type",
            slsa,
        ],
        None,
        b"",
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("ok: bundle referrer sha256:"), "{out}");
    let statement: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(statement["predicateType"], slsa);
    assert_eq!(
        statement["predicate"]["builder"]["id"],
        "https://example.com/ci"
    );
    // No attestation of another type; and an attestation signs no image.
    for args in [
        &[
            "verify-attestation",
            &image,
            "--key",
            &pub_file,
            "--type",
            "https://spdx.dev/Document",
        ][..],
        &["verify", &image, "--key", &pub_file][..],
    ] {
        let out = run_with(args, None, b"");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            text(&out.stderr).ends_with("no signature found\n"),
            "{}",
            text(&out.stderr)
        );
    }
    // A predicate that is not JSON names its file.
    std::fs::write(&predicate, "not json").unwrap();
    let out = attest();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with(&format!(
            "oci: the predicate {} is not JSON: ",
            predicate.display()
        )),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn no_command_takes_a_password_in_its_arguments() {
    // A password in argv is visible to every user (ps, /proc/PID/cmdline):
    // there is no flag for one, only COSIGN_PASSWORD and stdin.
    for command in ["keygen", "sign", "attest"] {
        support::assert_usage_error(&[command, "x:y", "--password", "secret"]);
        let out = run_with(&[command, "--help"], None, b"");
        let help = ok(&out);
        assert!(help.contains("COSIGN_PASSWORD"), "{command}: {help}");
        assert!(help.contains("never from the"), "{command}: {help}");
    }
}

#[test]
fn sign_verify_and_a_pull_that_requires_a_signature_through_a_registry() {
    let Some(registry) = ocikit_test_support::registry::Registry::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k");
    let p = p.to_str().unwrap();
    ok(&run_with(&["keygen", p], Some("pw"), b""));
    let (key_file, pub_file) = (format!("{p}.key"), format!("{p}.pub"));
    // Two images in the registry, one signed.
    let image = image(dir.path());
    let other = format!("{}:v2", dir.path().join("layout").display());
    ok(&run_with(
        &["new", &other, "--platform", "linux/arm64"],
        None,
        b"",
    ));
    let signed = registry.reference("team/app:signed");
    let unsigned = registry.reference("team/app:unsigned");
    let insecure = "--tls-verify=false";
    ok(&run_with(&["push", &image, &signed, insecure], None, b""));
    ok(&run_with(&["push", &other, &unsigned, insecure], None, b""));
    let out = ok(&run_with(
        &["sign", &signed, "--key", &key_file, insecure],
        Some("pw"),
        b"",
    ));
    assert!(out.starts_with("tag sha256-"), "{out}");
    let out = ok(&run_with(
        &["verify", &signed, "--key", &pub_file, insecure],
        None,
        b"",
    ));
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().all(|l| l.starts_with("ok: ")), "{out}");

    let pulled = dir.path().join("pulled");
    let target = |tag: &str| format!("{}:{tag}", pulled.display());
    let required = ["--require-signature", pub_file.as_str(), insecure];
    let out = ok(&run_with(
        &[&["pull", &signed, &target("app")][..], &required[..]].concat(),
        None,
        b"",
    ));
    assert!(out.starts_with("app sha256:"), "{out}");
    // Unsigned: refused, nothing tagged.
    let out = run_with(
        &[&["pull", &unsigned, &target("other")][..], &required[..]].concat(),
        None,
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).ends_with("has no valid signature: no signature found\n"),
        "{}",
        text(&out.stderr)
    );
    let tags = ok(&run_with(&["ls", pulled.to_str().unwrap()], None, b""));
    assert_eq!(tags, "app\n");
}

/// Runs `oci ARGS` on a terminal (script(1)), typing `password` at each of
/// `prompts` once it is shown; returns what the terminal showed.
fn on_a_terminal(args: &[&str], prompts: &[&str], password: &str) -> String {
    use std::io::Read;
    let mut child = support::terminal(args)
        .env_remove("COSIGN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut shown = Vec::new();
    let mut byte = [0u8];
    for prompt in prompts {
        while !shown.ends_with(prompt.as_bytes()) {
            assert_eq!(stdout.read(&mut byte).unwrap(), 1, "{}", text(&shown));
            shown.push(byte[0]);
        }
        stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    }
    stdout.read_to_end(&mut shown).unwrap();
    let status = child.wait().unwrap();
    let shown = text(&shown);
    assert!(status.success(), "{shown}");
    shown
}

#[test]
fn on_a_terminal_the_password_is_asked_for_without_echo() {
    if !ocikit_test_support::peers::require_tool("script") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k");
    let p = p.to_str().unwrap();
    let password = "typed-secret";
    let shown = on_a_terminal(
        &["keygen", p],
        &[
            "Enter password for private key: ",
            "Enter password for private key again: ",
        ],
        password,
    );
    assert!(!shown.contains(password), "{shown:?}");
    let key = std::fs::read_to_string(format!("{p}.key")).unwrap();
    assert!(ocikit_sign::PrivateKey::from_pem(&key, || Ok(password.into())).is_ok());

    let image = image(dir.path());
    let shown = on_a_terminal(
        &["sign", &image, "--key", &format!("{p}.key")],
        &["Enter password for private key: "],
        password,
    );
    assert!(!shown.contains(password), "{shown:?}");
    assert!(shown.contains("bundle sha256:"), "{shown:?}");
}
