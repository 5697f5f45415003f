//! Bearer tokens from a scripted registry and token server, for what
//! docker-registry 2.8.2 does not do on demand: a token refused at once as
//! `invalid_token`, `insufficient_scope` then success, a redirect to
//! another host (no `Authorization` arrives there), a realm over plain
//! http on another host (refused before anything is sent to it).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ocikit_remote::{Client, ClientOptions, Credentials, Error, Reference};
use ocikit_test_support::http::{Reply, Seen, Server};
use support::token::scopes;

const TAGS: &str = r#"{"name":"a","tags":["v1"]}"#;

/// A client for the plain-http server at `address`, with credentials.
fn client(address: &str) -> Client {
    let credentials = Credentials::new("user", "pass");
    support::insecure_client_with(address, ClientOptions::default(), Some(credentials))
}

fn challenge(realm: &str, extra: &str) -> Reply {
    Reply::status(401).with(
        "WWW-Authenticate",
        format!(r#"Bearer realm="{realm}",service="svc"{extra}"#),
    )
}

/// A registry on 127.0.0.1 that is its own token server (`/token`,
/// tokens `t1`, `t2`, ...), answering registry requests with `registry`
/// given the token sent (if any) and the realm.
fn start(registry: impl Fn(&Seen, Option<&str>, &str) -> Reply + Send + Sync + 'static) -> Server {
    let issued = AtomicUsize::new(0);
    let realm = Arc::new(std::sync::OnceLock::<String>::new());
    let server = {
        let realm = realm.clone();
        Server::start(move |request| {
            if request.path.starts_with("/token") {
                let n = issued.fetch_add(1, Ordering::Relaxed) + 1;
                return Reply::body(200, format!(r#"{{"token":"t{n}","expires_in":300}}"#));
            }
            let token = request
                .header("Authorization")
                .and_then(|a| a.strip_prefix("Bearer "));
            registry(request, token, realm.get().unwrap())
        })
    };
    realm.set(format!("{}/token", server.url())).unwrap();
    server
}

fn tokens_asked(server: &Server) -> Vec<Vec<String>> {
    server
        .seen()
        .iter()
        .filter(|r| r.path.starts_with("/token"))
        .map(scopes)
        .collect()
}

fn reference(server: &Server) -> Reference {
    format!("{}/a:v1", server.address).parse().unwrap()
}

/// A registry accepting `t1` once (then refusing it with `refusal`) and
/// `t2` always; `first` is its challenge to a request without a token.
fn once_then(first: &'static str, refusal: &'static str) -> Server {
    let t1_used = AtomicUsize::new(0);
    start(move |_, token, realm| match token {
        Some("t1") if t1_used.fetch_add(1, Ordering::Relaxed) == 0 => Reply::body(200, TAGS),
        Some("t2") => Reply::body(200, TAGS),
        Some(_) => challenge(realm, refusal),
        None => challenge(realm, first),
    })
}

/// The `Authorization` of each registry request, in order.
fn sent(server: &Server) -> Vec<Option<String>> {
    server
        .seen()
        .iter()
        .filter(|r| !r.path.starts_with("/token"))
        .map(|r| r.header("Authorization").map(str::to_owned))
        .collect()
}

#[test]
fn a_token_refused_at_once_is_replaced_and_the_request_replayed() {
    let server = once_then(r#",scope="repository:a:pull""#, r#",error="invalid_token""#);
    let client = client(&server.address);
    for _ in 0..2 {
        assert_eq!(client.tags(&reference(&server), None).unwrap(), ["v1"]);
    }
    let pull = vec!["repository:a:pull".to_owned()];
    assert_eq!(tokens_asked(&server), [pull.clone(), pull]);
    let t = |n: u8| Some(format!("Bearer t{n}"));
    assert_eq!(sent(&server), [None, t(1), t(1), t(2)]);
    // The token server got the user's Basic credentials each time.
    for request in server
        .seen()
        .iter()
        .filter(|r| r.path.starts_with("/token"))
    {
        assert_eq!(request.header("Authorization"), Some("Basic dXNlcjpwYXNz"));
    }
}

#[test]
fn insufficient_scope_merges_the_scopes_asked_for_and_succeeds() {
    let server = once_then(
        r#",scope="repository:a:pull""#,
        r#",scope="repository:a:pull repository:b:pull",error="insufficient_scope""#,
    );
    let client_a = client(&server.address);
    for _ in 0..2 {
        assert_eq!(client_a.tags(&reference(&server), None).unwrap(), ["v1"]);
    }
    assert_eq!(
        tokens_asked(&server),
        [
            vec!["repository:a:pull".to_owned()],
            vec![
                "repository:a:pull".to_owned(),
                "repository:b:pull".to_owned()
            ],
        ]
    );
    // A server that never grants enough: each request is replayed once
    // with more scopes, until asking again would give the same token.
    let stingy = start(|_, token, realm| match token {
        Some(_) => challenge(
            realm,
            r#",scope="repository:a:push",error="insufficient_scope""#,
        ),
        None => challenge(realm, ""),
    });
    let client_b = client(&stingy.address);
    for _ in 0..3 {
        let err = client_b.tags(&reference(&stingy), None).unwrap_err();
        assert_eq!(err.status(), Some(401), "{err}");
    }
    assert_eq!(
        tokens_asked(&stingy),
        [
            vec!["repository:a:pull".to_owned()],
            vec!["repository:a:pull,push".to_owned()]
        ]
    );
}

#[test]
fn a_redirect_to_another_host_carries_no_token() {
    let storage = Server::start_on("127.0.0.2", |_| Reply::body(200, TAGS));
    let storage_url = format!(
        "http://127.0.0.2:{}/tags",
        storage.address.rsplit(':').next().unwrap()
    );
    let server = start(move |_, token, realm| match token {
        Some(_) => Reply::status(307).with("Location", storage_url.clone()),
        None => challenge(realm, ""),
    });
    let tags = client(&server.address)
        .tags(&reference(&server), None)
        .unwrap();
    assert_eq!(tags, ["v1"]);
    let at_storage = storage.seen();
    assert_eq!(at_storage.len(), 1);
    assert_eq!(at_storage[0].header("Authorization"), None);
    assert!(
        server
            .seen()
            .iter()
            .any(|r| r.header("Authorization") == Some("Bearer t1"))
    );
}

#[test]
fn a_realm_over_plain_http_on_another_host_is_refused() {
    let elsewhere = Server::start_on("127.0.0.2", |_| Reply::body(200, r#"{"token":"x"}"#));
    let realm = format!(
        "http://127.0.0.2:{}/token",
        elsewhere.address.rsplit(':').next().unwrap()
    );
    let server = start(move |_, _, _| challenge(&realm, ""));
    let err = client(&server.address)
        .tags(&reference(&server), None)
        .unwrap_err();
    assert!(matches!(err, Error::Token { status: None, .. }), "{err}");
    assert!(err.to_string().contains("is plain http"), "{err}");
    assert!(elsewhere.seen().is_empty(), "credentials went to the realm");
}
