//! TLS against docker-registry 2.8.2 serving https with a certificate from
//! a CA the test makes with openssl: verified by default, trusted through a
//! caller's certificate directory or the containers `certs.d` layout, and
//! unverified only for a registry marked insecure.
#![allow(clippy::unwrap_used)]

mod support;

use ocikit_layout::Layout;
use ocikit_remote::{
    Client, ClientOptions, Error, PullOptions, PushOptions, Reference, RegistryOptions,
};
use ocikit_test_support::certs::make_certificates;
use ocikit_test_support::registry::Registry;
use support::images;

#[test]
fn tls_is_verified_against_the_registrys_certificate_directory() {
    if !ocikit_test_support::peers::require_tool("openssl") {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let Some(registry) = Registry::start_tls(
        &certs.path().join("server.crt"),
        &certs.path().join("server.key"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[1000], 30);
    let remote: Reference = format!("docker://{}/secure/app:v1", registry.address)
        .parse()
        .unwrap();

    // A caller's directory holding the CA (as skopeo's --cert-dir).
    let ca_dir = dir.path().join("ca");
    std::fs::create_dir(&ca_dir).unwrap();
    std::fs::copy(certs.path().join("ca.crt"), ca_dir.join("ca.crt")).unwrap();
    let empty_certs_d = dir.path().join("certs.d");
    std::fs::create_dir(&empty_certs_d).unwrap();
    let with_dir = Client::new(
        ClientOptions {
            certs_d: empty_certs_d.clone(),
            ..ClientOptions::default()
        }
        .with_registry(
            &registry.address,
            RegistryOptions {
                cert_dir: Some(ca_dir),
                ..Default::default()
            },
        ),
    );
    with_dir
        .push(&source, "v1", &remote, &PushOptions::default())
        .unwrap();

    // Without the CA: refused, naming the registry.
    let untrusting = Client::new(ClientOptions {
        certs_d: empty_certs_d.clone(),
        ..ClientOptions::default()
    });
    let target = Layout::init(dir.path().join("target")).unwrap();
    let err = untrusting
        .pull(&remote, &target, "v1", &PullOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("registry {}", registry.address)),
        "{text}"
    );
    assert!(
        text.to_lowercase().contains("certificate") || text.contains("UnknownIssuer"),
        "{text}"
    );
    assert!(target.list_tags().unwrap().is_empty());

    // The containers certs.d layout: certs.d/HOST:PORT/*.crt.
    let host_dir = empty_certs_d.join(&registry.address);
    std::fs::create_dir(&host_dir).unwrap();
    std::fs::copy(certs.path().join("ca.crt"), host_dir.join("ca.crt")).unwrap();
    let with_certs_d = Client::new(ClientOptions {
        certs_d: empty_certs_d,
        ..ClientOptions::default()
    });
    let pulled = with_certs_d
        .pull(&remote, &target, "v1", &PullOptions::default())
        .unwrap();
    assert_eq!(pulled.descriptor.digest, manifest.digest);

    // Marked insecure: https without verification (not plain http).
    let insecure = Client::new(ClientOptions::default().with_registry(
        &registry.address,
        RegistryOptions {
            tls_verify: false,
            ..Default::default()
        },
    ));
    let pulled = insecure
        .pull(&remote, &target, "v2", &PullOptions::default())
        .unwrap();
    assert_eq!(pulled.descriptor.digest, manifest.digest);
}

#[test]
fn a_client_certificate_without_its_key_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::write(certs.join("client.cert"), "not used").unwrap();
    let client = Client::new(ClientOptions::default().with_registry(
        "127.0.0.1:9",
        RegistryOptions {
            cert_dir: Some(certs.clone()),
            ..Default::default()
        },
    ));
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let err = client
        .pull(
            &"127.0.0.1:9/app:v1".parse().unwrap(),
            &layout,
            "v1",
            &PullOptions::default(),
        )
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("client certificate without its key"),
        "{text}"
    );
    assert!(text.contains("client.cert"), "{text}");
}
