//! Bearer tokens against docker-registry 2.8.2 with `auth: token` and a
//! token server the test runs (ES256 JWTs the registry verifies): tokens
//! renewed during a push, a mount's scopes in one token request, wrong
//! credentials refused by the token server, a login through it.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use ocikit_layout::Layout;
use ocikit_layout::progress::{Progress, Status};
use ocikit_remote::{
    Client, ClientOptions, Credentials, Error, LoginOptions, PullOptions, PushOptions, Reference,
};
use ocikit_test_support::registry::Registry;
use support::images;
use support::token::{TokenServer, scopes};

const USER: &str = "alice";
const PASSWORD: &str = "wonderland";

/// A client for the plain-http registry at `address` moving one blob at a
/// time.
fn client(address: &str, credentials: Option<Credentials>) -> Client {
    let options = ClientOptions {
        max_concurrent_blobs: 1,
        ..ClientOptions::default()
    };
    support::insecure_client_with(address, options, credentials)
}

/// A token server (tokens living `expires_in` seconds) and a registry
/// trusting it; `None` when a peer is missing outside CI.
fn start(expires_in: u64) -> Option<(TokenServer, Registry)> {
    if !ocikit_test_support::peers::require_tool("openssl") {
        return None;
    }
    let tokens = TokenServer::start(USER, PASSWORD, expires_in);
    let registry = Registry::start_with("", &tokens.registry_config())?;
    Some((tokens, registry))
}

#[test]
fn tokens_are_renewed_during_a_push_and_a_mount_asks_for_both_scopes_at_once() {
    let Some((tokens, registry)) = start(2) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let manifest = images::image(&source, "v1", &[2000, 3000, 4000, 5000], 11);
    let app: Reference = registry.reference("auth/app:v1").parse().unwrap();
    let alice = client(&registry.address, Some(Credentials::new(USER, PASSWORD)));

    // Each uploaded blob takes a second more: the push outlives a 2 s
    // token. The registry allows 60 s past a token's expiry, so only our
    // own renewal asks for a new one: without it, one request.
    let slow = Progress::new(|status: &Status<'_>| {
        if status.task.starts_with("upload") && status.total_bytes == Some(status.bytes) {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let options = PushOptions {
        progress: slow,
        ..PushOptions::default()
    };
    let pushed = alice.push(&source, "v1", &app, &options).unwrap();
    assert_eq!(pushed.descriptor.digest, manifest.digest);
    assert_eq!(pushed.blobs_uploaded, 5);
    let push_tokens = tokens
        .requests()
        .iter()
        .filter(|r| scopes(r) == ["repository:auth/app:pull,push"])
        .count();
    assert!(
        push_tokens >= 2,
        "{push_tokens} token requests for the push: no renewal during it"
    );

    // Pulled back anonymously (the token server grants anyone pull).
    let anonymous = client(&registry.address, None);
    let target = Layout::init(dir.path().join("target")).unwrap();
    let pulled = anonymous
        .pull(&app, &target, "v1", &PullOptions::default())
        .unwrap();
    assert_eq!(pulled.descriptor.digest, manifest.digest);
    // Anonymous push: the token lacks push, the registry refuses.
    let err = anonymous
        .push(
            &source,
            "v1",
            &app.with_repository("auth/other").unwrap(),
            &PushOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");

    // A mount: one token request with pull on the source and push on the
    // target.
    let before = tokens.requests().len();
    let copy = app.with_repository("auth/copy").unwrap();
    let mount = PushOptions {
        mount_from: Some("auth/app".into()),
        ..PushOptions::default()
    };
    let pushed = alice.push(&source, "v1", &copy, &mount).unwrap();
    assert_eq!(pushed.blobs_mounted, 5);
    let asked: Vec<Vec<String>> = tokens.requests()[before..].iter().map(scopes).collect();
    assert!(
        asked.contains(&vec![
            "repository:auth/app:pull".to_owned(),
            "repository:auth/copy:pull,push".to_owned()
        ]),
        "{asked:?}"
    );
    for request in &tokens.requests() {
        let authorization = request.header("Authorization");
        assert!(
            authorization.is_none() || authorization.is_some_and(|a| a.starts_with("Basic ")),
            "the token server only ever gets Basic credentials"
        );
    }
}

#[test]
fn the_token_server_refuses_wrong_credentials_and_checks_a_login() {
    let Some((tokens, registry)) = start(60) else {
        return;
    };
    let app: Reference = registry.reference("auth/app:v1").parse().unwrap();
    let wrong = client(&registry.address, Some(Credentials::new(USER, "wrong")));
    let err = wrong.tags(&app, None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Token {
                status: Some(401),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("the credentials were refused"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let options = LoginOptions {
        auth_file: Some(dir.path().join("auth.json")),
    };
    let anonymous = client(&registry.address, None);
    let err = anonymous
        .login(
            &registry.address,
            &Credentials::new(USER, "wrong"),
            &options,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Token { .. }), "{err}");
    assert!(!dir.path().join("auth.json").exists());
    anonymous
        .login(
            &registry.address,
            &Credentials::new(USER, PASSWORD),
            &options,
        )
        .unwrap();
    let last = tokens.requests().pop().unwrap();
    assert!(scopes(&last).is_empty(), "a login asks for no scope");
    let text = std::fs::read_to_string(dir.path().join("auth.json")).unwrap();
    assert!(text.contains(&registry.address), "{text}");
}
