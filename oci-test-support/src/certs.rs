//! Certificates made with openssl for a test: a CA, and a server
//! certificate for 127.0.0.1 signed by it (a certificate for an IP address
//! names it in `subjectAltName`); a P-256 key and certificate for a token
//! server.

use std::path::Path;
use std::process::Command;

/// Runs `openssl ARGS` in `dir`, failing the test with its stderr.
pub fn openssl(args: &[&str], dir: &Path) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `ca.crt`, and `server.crt`/`server.key` for 127.0.0.1 signed by it.
pub fn make_certificates(dir: &Path) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=ocikit test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        dir,
    );
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
        dir,
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ],
        dir,
    );
}

/// `token.key` (a P-256 key, PKCS#8 PEM), `token.crt` (a self-signed
/// certificate of it: a registry's `rootcertbundle`) and `token.der` (its
/// public key as DER SubjectPublicKeyInfo, for the key id), in `dir`.
pub fn make_token_key(dir: &Path) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=ocikit test token issuer",
            "-keyout",
            "token.key",
            "-out",
            "token.crt",
        ],
        dir,
    );
    openssl(
        &[
            "pkey",
            "-in",
            "token.key",
            "-pubout",
            "-outform",
            "DER",
            "-out",
            "token.der",
        ],
        dir,
    );
}
