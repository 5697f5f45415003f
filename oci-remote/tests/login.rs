//! Basic credentials over TLS against docker-registry 2.8.2 with an
//! htpasswd file, a CA and server certificate made with openssl: login and
//! logout round trips through the auth file, and skopeo 1.9 both ways
//! (it copies with what we wrote, we read what `skopeo login` wrote).
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;

use ocikit_layout::Layout;
use ocikit_remote::{
    Client, ClientOptions, CredentialSources, Credentials, LoginOptions, PullOptions, PushOptions,
    Reference, RegistryOptions, logout,
};
use ocikit_test_support::peers;
use ocikit_test_support::registry::Registry;
use support::images;

const USER: &str = "bob";
const PASSWORD: &str = "s3cret:with:colons";

/// A registry over TLS with Basic credentials from htpasswd, and the
/// directory holding its CA as `ca.crt`; `None` when a peer is missing
/// outside CI.
fn start(dir: &Path) -> Option<Registry> {
    if !peers::require_tool("skopeo") {
        return None;
    }
    Registry::start_basic_tls(dir, USER, PASSWORD)
}

/// A client trusting the CA in `ca_dir`, with `credentials`.
fn client(address: &str, ca_dir: &Path, credentials: Option<Credentials>) -> Client {
    Client::new(ClientOptions::default().with_registry(
        address,
        RegistryOptions {
            cert_dir: Some(ca_dir.to_owned()),
            credentials,
            ..RegistryOptions::default()
        },
    ))
}

#[test]
fn login_logout_and_skopeo_share_the_auth_file() {
    let certs = tempfile::tempdir().unwrap();
    let Some(registry) = start(certs.path()) else {
        return;
    };
    let ca_dir = tempfile::tempdir().unwrap();
    std::fs::copy(certs.path().join("ca.crt"), ca_dir.path().join("ca.crt")).unwrap();
    let ca = ca_dir.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[3000, 1000], 21);
    let app: Reference = registry.reference("basic/app:v1").parse().unwrap();

    // Anonymous: refused.
    let anonymous = client(&registry.address, ca_dir.path(), None);
    let err = anonymous
        .push(&source, "v1", &app, &PushOptions::default())
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");

    // A file with an entry of another registry and a member we do not
    // know, both kept byte for byte.
    let auth_file = dir.path().join("containers/auth.json");
    std::fs::create_dir(dir.path().join("containers")).unwrap();
    let other = "\t\t\"other.example\": {\n\t\t\t\"auth\": \"eDp5\"\n\t\t}";
    let unknown = "\t\"x-unknown\": {\"keep\": [1, 2.50]}";
    std::fs::write(
        &auth_file,
        format!("{{\n\t\"auths\": {{\n{other}\n\t}},\n{unknown}\n}}\n"),
    )
    .unwrap();
    let options = LoginOptions {
        auth_file: Some(auth_file.clone()),
    };
    let err = anonymous
        .login(
            &registry.address,
            &Credentials::new(USER, "wrong"),
            &options,
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    anonymous
        .login(
            &registry.address,
            &Credentials::new(USER, PASSWORD),
            &options,
        )
        .unwrap();
    let text = std::fs::read_to_string(&auth_file).unwrap();
    assert!(text.contains(other) && text.contains(unknown), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&auth_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // What login wrote: found again, and it pushes.
    let found = CredentialSources::with_file(&auth_file)
        .lookup(&registry.address, Some("basic/app"))
        .unwrap()
        .unwrap();
    assert_eq!(found.credentials, Credentials::new(USER, PASSWORD));
    let pusher = client(&registry.address, ca_dir.path(), Some(found.credentials));
    let pushed = pusher
        .push(&source, "v1", &app, &PushOptions::default())
        .unwrap();
    assert_eq!(pushed.descriptor.digest, manifest.digest);

    // skopeo copies with the file we wrote.
    let copied = dir.path().join("copied");
    peers::skopeo(&[
        "copy",
        "--authfile",
        auth_file.to_str().unwrap(),
        "--src-cert-dir",
        ca,
        &registry.reference("basic/app:v1"),
        &format!("oci:{}:v1", copied.display()),
    ]);
    let copied = Layout::open(&copied).unwrap();
    assert_eq!(copied.find_tag("v1").unwrap().digest, manifest.digest);

    // Logout: the entry goes, the rest stays; the registry refuses again.
    assert!(logout(&registry.address, &options).unwrap());
    assert!(!logout(&registry.address, &options).unwrap());
    assert_eq!(
        std::fs::read_to_string(&auth_file).unwrap(),
        format!("{{\n\t\"auths\": {{\n{other}\n\t}},\n{unknown}\n}}\n")
    );
    assert!(
        CredentialSources::with_file(&auth_file)
            .lookup(&registry.address, None)
            .unwrap()
            .is_none()
    );

    // What skopeo login writes, we read and pull with.
    let skopeo_file = dir.path().join("skopeo-auth.json");
    peers::skopeo(&[
        "login",
        "--authfile",
        skopeo_file.to_str().unwrap(),
        "--cert-dir",
        ca,
        "-u",
        USER,
        "-p",
        PASSWORD,
        &registry.address,
    ]);
    let found = CredentialSources::with_file(&skopeo_file)
        .lookup(&registry.address, Some("basic/app"))
        .unwrap()
        .unwrap();
    assert_eq!(found.credentials, Credentials::new(USER, PASSWORD));
    let target = Layout::init(dir.path().join("target")).unwrap();
    let pulled = client(&registry.address, ca_dir.path(), Some(found.credentials))
        .pull(&app, &target, "v1", &PullOptions::default())
        .unwrap();
    assert_eq!(pulled.descriptor.digest, manifest.digest);
    // And our logout empties skopeo's file as skopeo logout would.
    assert!(
        logout(
            &registry.address,
            &LoginOptions {
                auth_file: Some(skopeo_file.clone())
            }
        )
        .unwrap()
    );
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&skopeo_file).unwrap()).unwrap();
    assert_eq!(after["auths"], serde_json::json!({}));
}
