//! A token server of the Docker token protocol for docker-registry's
//! `auth: token` (distribution's docs/spec/auth token.md and jwt.md): it
//! answers `GET /token?service=S&scope=...` with an ES256 JWT that the
//! registry verifies against the certificate in its `rootcertbundle`, the
//! key id being libtrust's: the SHA-256 of the key's DER
//! SubjectPublicKeyInfo, its first 30 bytes in base32, in groups of four
//! joined by `:`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use sha2::Digest;
use tempfile::TempDir;

use ocikit_test_support::certs::make_token_key;
use ocikit_test_support::http::{Reply, Seen, Server};

/// The registry's `service` and the tokens' audience.
pub const SERVICE: &str = "ocikit-test-registry";
/// The tokens' issuer.
pub const ISSUER: &str = "ocikit-test-issuer";

/// A running token server: `user` with `password` gets every action it
/// asks for, anyone else pull only; tokens live `expires_in` seconds.
pub struct TokenServer {
    pub server: Server,
    /// The issuer's certificate (the registry's `rootcertbundle`).
    pub certificate: PathBuf,
    _dir: TempDir,
}

impl TokenServer {
    pub fn start(user: &str, password: &str, expires_in: u64) -> TokenServer {
        let dir = tempfile::tempdir().unwrap();
        make_token_key(dir.path());
        let pem = std::fs::read_to_string(dir.path().join("token.key")).unwrap();
        let key = SigningKey::from_pkcs8_pem(&pem).unwrap();
        let kid = key_id(&std::fs::read(dir.path().join("token.der")).unwrap());
        let basic = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        let user = user.to_owned();
        let serial = AtomicU64::new(0);
        let server = Server::start(move |request| {
            let subject = match request.header("Authorization") {
                None => "",
                Some(value) if value == basic => user.as_str(),
                Some(_) => {
                    return Reply::body(
                        401,
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"wrong user or password"}]}"#,
                    );
                }
            };
            let access: Vec<serde_json::Value> = scopes(request)
                .iter()
                .filter_map(|scope| {
                    let (kind, rest) = scope.split_once(':')?;
                    let (name, actions) = rest.rsplit_once(':')?;
                    let granted: Vec<&str> = actions
                        .split(',')
                        .filter(|a| !subject.is_empty() || *a == "pull")
                        .collect();
                    Some(serde_json::json!({"type": kind, "name": name, "actions": granted}))
                })
                .collect();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let claims = serde_json::json!({
                "iss": ISSUER,
                "sub": subject,
                "aud": SERVICE,
                "exp": now + expires_in,
                "nbf": now - 1,
                "iat": now,
                "jti": serial.fetch_add(1, Ordering::Relaxed).to_string(),
                "access": access,
            });
            let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "kid": kid});
            let signed = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let signature: Signature = key.sign(signed.as_bytes());
            let jwt = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
            let body =
                serde_json::json!({"token": jwt, "access_token": jwt, "expires_in": expires_in});
            Reply::body(200, body.to_string()).with("Content-Type", "application/json")
        });
        TokenServer {
            server,
            certificate: dir.path().join("token.crt"),
            _dir: dir,
        }
    }

    /// The realm: `http://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("{}/token", self.server.url())
    }

    /// The lines of a docker-registry configuration that send clients to
    /// this server.
    pub fn registry_config(&self) -> String {
        format!(
            "auth: {{token: {{realm: {}, service: {SERVICE}, issuer: {ISSUER}, rootcertbundle: {}}}}}\n",
            self.realm(),
            self.certificate.display()
        )
    }

    /// The token requests received so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.server.seen()
    }
}

/// The `scope` parameters of a token request, decoded.
pub fn scopes(request: &Seen) -> Vec<String> {
    let query = request.path.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("scope="))
        .map(percent_decode)
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// libtrust's key id of a DER SubjectPublicKeyInfo.
fn key_id(spki: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = sha2::Sha256::digest(spki);
    let mut bits = String::new();
    for byte in &hash[..30] {
        bits.push_str(&format!("{byte:08b}"));
    }
    let base32: Vec<u8> = bits
        .as_bytes()
        .chunks(5)
        .map(|chunk| {
            ALPHABET[usize::from_str_radix(std::str::from_utf8(chunk).unwrap(), 2).unwrap()]
        })
        .collect();
    base32
        .chunks(4)
        .map(|group| std::str::from_utf8(group).unwrap())
        .collect::<Vec<_>>()
        .join(":")
}
