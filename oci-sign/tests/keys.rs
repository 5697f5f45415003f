//! Keys: cosign's encrypted private key files (read one cosign wrote, write
//! ours and read them back), the unencrypted PEM forms openssl writes, and
//! signatures checked both ways with openssl (OpenSSL 3 here).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ocikit_sign::{Error, Password, PrivateKey, PublicKey};
use ocikit_test_support::peers;

const COSIGN_KEY: &str = include_str!("fixtures/cosign/encrypted-empty-password.key");

fn password(text: &str) -> impl FnOnce() -> std::io::Result<Password> {
    let password = Password::from(text);
    move || Ok(password)
}

/// The JSON inside an encrypted key's PEM block.
fn envelope(pem: &str) -> serde_json::Value {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    serde_json::from_slice(&STANDARD.decode(body).unwrap()).unwrap()
}

#[test]
fn a_key_cosign_encrypted_opens_with_its_password_only() {
    // Written by cosign with an empty password (N = 65536 there).
    let key = PrivateKey::from_pem(COSIGN_KEY, password("")).unwrap();
    let signature = key.sign(b"payload");
    assert!(key.public_key().verify(b"payload", &signature));
    let err = PrivateKey::from_pem(COSIGN_KEY, password("guess")).unwrap_err();
    assert!(matches!(err, Error::WrongPassword { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "the private key: the password does not decrypt this private key (or the file was altered)"
    );
}

#[test]
fn our_encrypted_keys_have_cosigns_form_and_open_again() {
    let key = PrivateKey::generate().unwrap();
    let pem = key.to_encrypted_pem(&"hunter2".into()).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"),
        "{pem}"
    );
    let json = envelope(&pem);
    assert_eq!(json["kdf"]["name"], "scrypt");
    assert_eq!(
        json["kdf"]["params"],
        serde_json::json!({"N": 32768, "r": 8, "p": 1})
    );
    assert_eq!(
        STANDARD
            .decode(json["kdf"]["salt"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    assert_eq!(json["cipher"]["name"], "nacl/secretbox");
    assert_eq!(
        STANDARD
            .decode(json["cipher"]["nonce"].as_str().unwrap())
            .unwrap()
            .len(),
        24
    );
    // The members in cosign's order.
    let text = String::from_utf8(
        STANDARD
            .decode(
                pem.lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .unwrap(),
    )
    .unwrap();
    assert!(
        text.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":""#),
        "{text}"
    );

    let back = PrivateKey::from_pem(&pem, password("hunter2")).unwrap();
    assert_eq!(back.public_key(), key.public_key());
    assert!(matches!(
        PrivateKey::from_pem(&pem, password("hunter3")),
        Err(Error::WrongPassword { .. })
    ));
    // A fresh salt and nonce each time: never the same file twice.
    assert_ne!(key.to_encrypted_pem(&"hunter2".into()).unwrap(), pem);
    // The legacy label reads the same.
    let legacy = pem.replace("SIGSTORE", "COSIGN");
    assert_eq!(
        PrivateKey::from_pem(&legacy, password("hunter2"))
            .unwrap()
            .public_key(),
        key.public_key()
    );
}

/// `json` as the body of an encrypted key file.
fn reencode(json: &serde_json::Value) -> String {
    let body = STANDARD.encode(serde_json::to_vec(json).unwrap());
    format!(
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    )
}

#[test]
fn a_crafted_encrypted_key_cannot_ask_for_gigabytes() {
    let key = PrivateKey::generate().unwrap();
    let pem = key.to_encrypted_pem(&"pw".into()).unwrap();
    let mut json = envelope(&pem);
    json["kdf"]["params"]["N"] = serde_json::json!(1u64 << 30);
    let body = STANDARD.encode(serde_json::to_vec(&json).unwrap());
    let crafted = format!(
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    );
    let start = std::time::Instant::now();
    let err = PrivateKey::from_pem(&crafted, password("pw"))
        .unwrap_err()
        .to_string();
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(
        err,
        "the private key: kdf.params: N 1073741824, r 8 and p 1 need 1099511630848 bytes of memory, more than the 268435456 allowed"
    );
    // The lanes count too: N 2 with r 2^17 and p 16 fits 256 MiB of
    // table, not the 16 lanes of 16 MiB beside it.
    json["kdf"]["params"] = serde_json::json!({"N": 2, "r": 131072, "p": 16});
    let err = PrivateKey::from_pem(&reencode(&json), password("pw"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "the private key: kdf.params: N 2, r 131072 and p 16 need 335544320 bytes of memory, more than the 268435456 allowed"
    );
    // Within the memory, too much work: 16 lanes over a 128 MiB table.
    json["kdf"]["params"] = serde_json::json!({"N": 131072, "r": 8, "p": 16});
    let start = std::time::Instant::now();
    let err = PrivateKey::from_pem(&reencode(&json), password("pw"))
        .unwrap_err()
        .to_string();
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(
        err,
        "the private key: kdf.params: N 131072, r 8 and p 16 ask for N * r * p = 16777216, more than the 4194304 allowed"
    );
    json["kdf"]["params"] = serde_json::json!({"N": 32768, "r": 8, "p": 1});
    json["cipher"]["name"] = serde_json::json!("aes-gcm");
    let body = STANDARD.encode(serde_json::to_vec(&json).unwrap());
    let crafted = format!(
        "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n{body}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n"
    );
    let err = PrivateKey::from_pem(&crafted, password("pw"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "the private key: cipher.name \"aes-gcm\" is not supported (only \"nacl/secretbox\")"
    );
}

#[test]
fn the_password_is_asked_for_only_when_the_key_is_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    if !peers::require_tool("openssl") {
        return;
    }
    let sec1 = dir.path().join("sec1.pem");
    openssl_ec_key(&sec1);
    let pkcs8 = dir.path().join("pkcs8.pem");
    peers::run(
        peers::command("openssl")
            .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
            .arg(&sec1)
            .arg("-out")
            .arg(&pkcs8),
    );
    let never = || -> std::io::Result<Password> { panic!("asked for a password") };
    let from_sec1 = PrivateKey::read(&sec1, never).unwrap();
    let from_pkcs8 = PrivateKey::read(&pkcs8, never).unwrap();
    assert_eq!(from_sec1.public_key(), from_pkcs8.public_key());
    let asked =
        PrivateKey::from_pem(COSIGN_KEY, || Err(std::io::Error::other("no terminal"))).unwrap_err();
    assert_eq!(
        asked.to_string(),
        "reading the password of the private key: no terminal"
    );
}

/// A new P-256 key from openssl, as SEC1 PEM (`EC PRIVATE KEY`), in `out`.
fn openssl_ec_key(out: &Path) {
    peers::run(
        peers::command("openssl")
            .args([
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ])
            .arg(out),
    );
}

/// openssl's public key of the private key file `key`.
fn openssl_public_key(key: &Path, out: &Path) {
    peers::run(
        peers::command("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(key)
            .arg("-out")
            .arg(out),
    );
}

#[test]
fn signatures_verify_both_ways_with_openssl() {
    if !peers::require_tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("message"), b"{\"critical\":{}}").unwrap();

    // Ours: openssl reads our public key and checks our signature.
    let key = PrivateKey::generate().unwrap();
    std::fs::write(path("ours.pub"), key.public_key().to_pem()).unwrap();
    std::fs::write(path("ours.sig"), key.sign(b"{\"critical\":{}}")).unwrap();
    let out = peers::command("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(path("ours.pub"))
        .arg("-signature")
        .arg(path("ours.sig"))
        .arg(path("message"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"Verified OK\n");

    // openssl's: we read its public key and check its signature.
    openssl_ec_key(&path("theirs.key"));
    openssl_public_key(&path("theirs.key"), &path("theirs.pub"));
    peers::run(
        peers::command("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(path("theirs.key"))
            .arg("-out")
            .arg(path("theirs.sig"))
            .arg(path("message")),
    );
    let theirs = PublicKey::read(path("theirs.pub")).unwrap();
    let signature = std::fs::read(path("theirs.sig")).unwrap();
    assert!(theirs.verify(b"{\"critical\":{}}", &signature));
    assert!(!theirs.verify(b"{\"critical\":{ }}", &signature));
    assert!(!key.public_key().verify(b"{\"critical\":{}}", &signature));
}
