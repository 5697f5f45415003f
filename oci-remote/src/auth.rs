//! Authorization of requests: the seam between the request path and the
//! ways a registry may want credentials. Every request asks its
//! [`Authenticator`] for an `Authorization` value for the scopes it needs;
//! a 401 hands the authenticator the registry's `WWW-Authenticate`
//! challenges (RFC 7235 section 4.1, read by [`challenge`]), and when it
//! says it can do better, the request is sent once more.
//! [`RegistryAuth`] answers anonymous, Basic and Bearer challenges, the
//! last with the Docker token protocol ([`token`]).
//!
//! The request path only calls an authenticator for a URL on the
//! registry's own origin (scheme, host and port): a redirect to another
//! host, or to the same host over http, never carries what it returns.
//! Credentials go to one other place: the token server a Bearer challenge
//! names (its realm), over https only, or over http on the host of a
//! registry the caller marked insecure ([`token::Realm::of`]).

mod challenge;
mod token;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use base64::Engine;

use crate::error::printable;
use crate::transport::Transport;
use crate::url::Url;
use crate::{Error, Result, RetryPolicy};
use token::{Grant, Realm, Token};

/// What a request is for, in the Docker token protocol's terms: a
/// repository and the actions on it (`repository:NAME:pull`,
/// `repository:NAME:pull,push`). A mount needs push and pull on the target
/// and pull on the source: two scopes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Scope {
    /// The repository.
    pub repository: String,
    /// Whether pushing is needed too (else only pulling).
    pub push: bool,
}

impl Scope {
    pub fn pull(repository: &str) -> Scope {
        Scope {
            repository: repository.to_owned(),
            push: false,
        }
    }

    pub fn push(repository: &str) -> Scope {
        Scope {
            repository: repository.to_owned(),
            push: true,
        }
    }
}

impl fmt::Display for Scope {
    /// `repository:NAME:pull` or `repository:NAME:pull,push`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let actions = if self.push { "pull,push" } else { "pull" };
        write!(f, "repository:{}:{actions}", self.repository)
    }
}

/// A user name and password for one registry, or an identity token.
///
/// An identity token (an OAuth2 refresh token, `identitytoken` in
/// `auth.json`) is written as the credential helpers of Docker write it:
/// the user name [`Credentials::IDENTITY_TOKEN_USER`] and the token as the
/// password ([`Credentials::identity_token`]). It is only ever sent to the
/// token server of a Bearer challenge, in an OAuth2 `refresh_token` POST,
/// never to the registry as Basic credentials.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password, or the identity token.
    pub password: String,
}

impl Credentials {
    /// The user name that marks the password as an identity token.
    pub const IDENTITY_TOKEN_USER: &'static str = "<token>";

    /// A user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// An identity token (an OAuth2 refresh token).
    pub fn identity_token(token: impl Into<String>) -> Credentials {
        Credentials::new(Credentials::IDENTITY_TOKEN_USER, token)
    }

    /// The identity token, when these credentials are one.
    pub fn as_identity_token(&self) -> Option<&str> {
        (self.username == Credentials::IDENTITY_TOKEN_USER).then_some(self.password.as_str())
    }

    /// `Basic base64(user:password)`; `None` for an identity token.
    fn basic_header(&self) -> Option<String> {
        if self.as_identity_token().is_some() {
            return None;
        }
        let pair = format!("{}:{}", self.username, self.password);
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ))
    }
}

impl fmt::Debug for Credentials {
    /// The password is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Gives requests to one registry their `Authorization` header.
pub(crate) trait Authenticator: Send + Sync {
    /// The `Authorization` value for a request needing `scopes`, if this
    /// authenticator has one now.
    fn authorization(&self, scopes: &[Scope]) -> Result<Option<String>>;

    /// The registry answered 401 with these `WWW-Authenticate` values to a
    /// request that carried the `Authorization` value `sent` (if any):
    /// returns whether sending the request again (with a new
    /// [`Authenticator::authorization`]) may succeed. The request path
    /// replays at most once per request.
    fn challenged(&self, scopes: &[Scope], challenges: &[&str], sent: Option<&str>)
    -> Result<bool>;
}

/// The most tokens kept for one registry (one per set of scopes asked
/// for): a pull or push uses a handful; past this, expired ones go, and
/// then all.
const MAX_TOKENS: usize = 64;

/// What a registry asked for: nothing yet (requests go anonymous), Basic
/// credentials, or Bearer tokens from a token server. Anonymous access is
/// the first state, kept while the registry asks for nothing.
pub(crate) struct RegistryAuth {
    registry: String,
    base: Url,
    insecure: bool,
    basic: Option<String>,
    identity_token: Option<String>,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    mode: Mode,
    /// Tokens by the scopes asked for (merged and sorted).
    tokens: HashMap<Vec<String>, Token>,
    /// The refresh token of the OAuth2 grant: the identity token, or a
    /// newer one the token server sent.
    refresh_token: Option<String>,
}

#[derive(Default)]
enum Mode {
    #[default]
    Unasked,
    Basic,
    Bearer(Realm),
}

impl RegistryAuth {
    /// The authenticator of registry `registry` at `base` (its origin),
    /// with `credentials` if there are some; `insecure` when the caller
    /// marked the registry so (then a realm over plain http on its host is
    /// accepted). Token servers are asked through `transport`, retried as
    /// `retry` says.
    pub fn new(
        registry: &str,
        base: &Url,
        insecure: bool,
        credentials: Option<&Credentials>,
        transport: Arc<dyn Transport>,
        retry: RetryPolicy,
    ) -> RegistryAuth {
        let identity_token = credentials
            .and_then(Credentials::as_identity_token)
            .map(str::to_owned);
        RegistryAuth {
            registry: registry.to_owned(),
            base: base.clone(),
            insecure,
            basic: credentials.and_then(Credentials::basic_header),
            state: Mutex::new(State {
                refresh_token: identity_token.clone(),
                ..State::default()
            }),
            identity_token,
            transport,
            retry,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new token for `scopes` from `realm`, kept under `key`. The lock
    /// stays held: requests of other threads wait for this token rather
    /// than ask the server for one each.
    fn fetch(
        &self,
        state: &mut State,
        realm: &Realm,
        key: Vec<String>,
        scopes: &[String],
    ) -> Result<Token> {
        let grant = match (&state.refresh_token, &self.basic) {
            (Some(refresh), _) => Grant::Refresh(refresh),
            (None, Some(basic)) => Grant::Basic(basic),
            (None, None) => Grant::Anonymous,
        };
        let token = token::fetch(
            &self.transport,
            &self.registry,
            realm,
            scopes,
            &grant,
            &self.retry,
        )?;
        if let (Some(newer), Some(_)) = (&token.refresh_token, &self.identity_token) {
            state.refresh_token = Some(newer.clone());
        }
        if state.tokens.len() >= MAX_TOKENS {
            let now = Instant::now();
            state.tokens.retain(|_, t| t.usable(now));
            if state.tokens.len() >= MAX_TOKENS {
                state.tokens.clear();
            }
        }
        state.tokens.insert(key, token.clone());
        Ok(token)
    }
}

/// The cache key of a request's scopes: their canonical set.
fn key_of(scopes: &[Scope]) -> Vec<String> {
    let strings: Vec<String> = scopes.iter().map(Scope::to_string).collect();
    token::merge_scopes(strings.iter().map(String::as_str))
}

impl Authenticator for RegistryAuth {
    fn authorization(&self, scopes: &[Scope]) -> Result<Option<String>> {
        let mut state = self.lock();
        let realm = match &state.mode {
            Mode::Unasked => return Ok(None),
            Mode::Basic => return Ok(self.basic.clone()),
            Mode::Bearer(realm) => realm.clone(),
        };
        let key = key_of(scopes);
        let wanted = match state.tokens.get(&key) {
            Some(token) if token.usable(Instant::now()) => return Ok(Some(token.header())),
            // Renewed with what it had grown to (merged scopes).
            Some(token) => token.scopes.clone(),
            None => key.clone(),
        };
        let token = self.fetch(&mut state, &realm, key, &wanted)?;
        Ok(Some(token.header()))
    }

    fn challenged(
        &self,
        scopes: &[Scope],
        challenges: &[&str],
        sent: Option<&str>,
    ) -> Result<bool> {
        let parsed = challenge::parse(challenges);
        if let Some(bearer) = parsed.iter().find(|c| c.scheme == "bearer") {
            let realm =
                Realm::of(bearer, &self.base, self.insecure).map_err(|reason| Error::Token {
                    registry: self.registry.clone(),
                    realm: printable(bearer.param("realm").unwrap_or("")),
                    status: None,
                    reason,
                })?;
            let mut state = self.lock();
            if !matches!(&state.mode, Mode::Bearer(known) if *known == realm) {
                // Another token server: what the last one gave is moot.
                state.tokens.clear();
                state.mode = Mode::Bearer(realm.clone());
            }
            let key = key_of(scopes);
            let cached = state.tokens.get(&key).cloned();
            if let Some(token) = &cached
                && token.usable(Instant::now())
                && sent != Some(token.header().as_str())
            {
                // Renewed by another request since this one was sent.
                return Ok(true);
            }
            let mut wanted: Vec<String> = key.clone();
            if let Some(token) = &cached {
                wanted.extend(token.scopes.iter().cloned());
            }
            wanted.extend(token::challenge_scopes(bearer));
            let wanted = token::merge_scopes(wanted.iter().map(String::as_str));
            let same_token = cached
                .as_ref()
                .is_some_and(|t| sent == Some(t.header().as_str()) && t.scopes == wanted);
            if bearer.param("error") == Some("insufficient_scope") && same_token {
                // The token server granted no more than this: asking again
                // would give the same token.
                return Ok(false);
            }
            // invalid_token (expired, revoked), or no token yet: a new one.
            state.tokens.remove(&key);
            self.fetch(&mut state, &realm, key, &wanted)?;
            return Ok(true);
        }
        if parsed.iter().any(|c| c.scheme == "basic") {
            let Some(basic) = &self.basic else {
                return Ok(false);
            };
            if sent == Some(basic.as_str()) {
                // Sent and refused: the credentials are wrong.
                return Ok(false);
            }
            self.lock().mode = Mode::Basic;
            return Ok(true);
        }
        Ok(false)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io;

    use super::*;
    use crate::transport::{Body, Headers, Request, Response};

    /// What the token server answers to a URL and body: status and body.
    type Answer = Box<dyn Fn(&str, &str) -> (u16, String) + Send + Sync>;

    /// A token server answering from a function of the request's URL and
    /// body, recording each request as `METHOD URL [Authorization] body`.
    struct TokenServer {
        answer: Answer,
        seen: Mutex<Vec<String>>,
    }

    impl Transport for TokenServer {
        fn send(&self, request: Request<'_>) -> io::Result<Response> {
            let body = match request.body {
                Body::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                _ => String::new(),
            };
            let authorization = request
                .headers
                .iter()
                .find(|(n, _)| n == "Authorization")
                .map_or("-", |(_, v)| v.as_str())
                .to_owned();
            let url = request.url.to_string();
            self.seen.lock().unwrap().push(
                format!("{} {url} {authorization} {body}", request.method.as_str())
                    .trim_end()
                    .to_owned(),
            );
            let (status, body) = (self.answer)(&url, &body);
            Ok(Response {
                status,
                headers: Headers::new(Vec::new()),
                body: Box::new(io::Cursor::new(body.into_bytes())),
            })
        }
    }

    fn setup(
        credentials: Option<Credentials>,
        answer: impl Fn(&str, &str) -> (u16, String) + Send + Sync + 'static,
    ) -> (RegistryAuth, Arc<TokenServer>) {
        let server = Arc::new(TokenServer {
            answer: Box::new(answer),
            seen: Mutex::new(Vec::new()),
        });
        let retry = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        let base = Url::parse("https://registry.example/").unwrap();
        let auth = RegistryAuth::new(
            "registry.example",
            &base,
            false,
            credentials.as_ref(),
            server.clone(),
            retry,
        );
        (auth, server)
    }

    /// A token server numbering its tokens: `t1`, `t2`, ...
    fn numbered(expires_in: u64) -> impl Fn(&str, &str) -> (u16, String) + Send + Sync {
        let count = std::sync::atomic::AtomicUsize::new(0);
        move |_, _| {
            let n = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            (
                200,
                format!(r#"{{"token":"t{n}","expires_in":{expires_in}}}"#),
            )
        }
    }

    const BEARER: &str = r#"Bearer realm="https://auth.example/token",service="reg""#;

    #[test]
    fn scopes_are_written_as_the_token_protocol_does() {
        assert_eq!(Scope::pull("a/b").to_string(), "repository:a/b:pull");
        assert_eq!(Scope::push("a").to_string(), "repository:a:pull,push");
    }

    #[test]
    fn basic_credentials_go_out_only_after_a_basic_challenge() {
        let credentials = Credentials::new("user", "pass");
        let (auth, server) = setup(Some(credentials.clone()), |_, _| (500, String::new()));
        assert_eq!(auth.authorization(&[]).unwrap(), None);
        assert!(auth.challenged(&[], &["Basic realm=\"r\""], None).unwrap());
        let header = auth.authorization(&[]).unwrap();
        assert_eq!(header.as_deref(), Some("Basic dXNlcjpwYXNz"));
        // Sent and refused: no second replay.
        let refused = auth.challenged(&[], &["Basic realm=\"r\""], header.as_deref());
        assert!(!refused.unwrap());
        assert!(server.seen.lock().unwrap().is_empty());
        for nobody in [None, Some(Credentials::identity_token("id"))] {
            let (auth, _) = setup(nobody, |_, _| (500, String::new()));
            assert!(!auth.challenged(&[], &["Basic realm=\"r\""], None).unwrap());
        }
        assert!(!format!("{credentials:?}").contains("pass\""));
    }

    #[test]
    fn bearer_tokens_are_fetched_cached_and_renewed() {
        let (auth, server) = setup(Some(Credentials::new("u", "p")), numbered(3600));
        let pull = [Scope::pull("a")];
        assert!(auth.challenged(&pull, &[BEARER], None).unwrap());
        assert_eq!(
            auth.authorization(&pull).unwrap().as_deref(),
            Some("Bearer t1")
        );
        assert_eq!(
            auth.authorization(&pull).unwrap().as_deref(),
            Some("Bearer t1")
        );
        // A mount: push and pull on the target, pull on the source, in one
        // request; fetched before the registry asks, the realm being known.
        let mount = [Scope::push("b"), Scope::pull("a")];
        assert_eq!(
            auth.authorization(&mount).unwrap().as_deref(),
            Some("Bearer t2")
        );
        // The token expired early (invalid_token): dropped, fetched again.
        let expired = format!("{BEARER},error=\"invalid_token\"");
        assert!(
            auth.challenged(&pull, &[&expired], Some("Bearer t1"))
                .unwrap()
        );
        assert_eq!(
            auth.authorization(&pull).unwrap().as_deref(),
            Some("Bearer t3")
        );
        // A request sent with t1 before t3 came: replayed with t3, no fetch.
        assert!(
            auth.challenged(&pull, &[&expired], Some("Bearer t1"))
                .unwrap()
        );
        assert_eq!(
            *server.seen.lock().unwrap(),
            [
                "GET https://auth.example/token?service=reg&scope=repository%3Aa%3Apull Basic dTpw",
                "GET https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush Basic dTpw",
                "GET https://auth.example/token?service=reg&scope=repository%3Aa%3Apull Basic dTpw",
            ]
        );
    }

    #[test]
    fn insufficient_scope_merges_scopes_once() {
        let (auth, server) = setup(None, numbered(3600));
        let pull = [Scope::pull("a")];
        assert!(auth.challenged(&pull, &[BEARER], None).unwrap());
        let more = format!(
            "{BEARER},scope=\"repository:a:push registry:catalog:*\",error=\"insufficient_scope\""
        );
        assert!(auth.challenged(&pull, &[&more], Some("Bearer t1")).unwrap());
        assert_eq!(
            auth.authorization(&pull).unwrap().as_deref(),
            Some("Bearer t2")
        );
        // The server gave no more than that: no third token.
        assert!(!auth.challenged(&pull, &[&more], Some("Bearer t2")).unwrap());
        let seen = server.seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            seen[1],
            "GET https://auth.example/token?service=reg&scope=registry%3Acatalog%3A%2A&scope=repository%3Aa%3Apull%2Cpush -"
        );
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        // expires_in 0: never usable past the request it was fetched for.
        let (auth, server) = setup(None, numbered(0));
        let pull = [Scope::pull("a")];
        assert!(auth.challenged(&pull, &[BEARER], None).unwrap());
        assert_eq!(
            auth.authorization(&pull).unwrap().as_deref(),
            Some("Bearer t2")
        );
        assert_eq!(
            auth.authorization(&pull).unwrap().as_deref(),
            Some("Bearer t3")
        );
        assert_eq!(server.seen.lock().unwrap().len(), 3);
    }

    #[test]
    fn identity_tokens_use_the_oauth2_refresh_grant() {
        let (auth, server) = setup(Some(Credentials::identity_token("r1")), |_, body| {
            if body.contains("refresh_token=r1") {
                (200, r#"{"access_token":"a1","refresh_token":"r2"}"#.into())
            } else {
                (404, String::new())
            }
        });
        let pull = [Scope::pull("a")];
        assert!(auth.challenged(&pull, &[BEARER], None).unwrap());
        assert_eq!(
            auth.authorization(&pull).unwrap().as_deref(),
            Some("Bearer a1")
        );
        // The server's newer refresh token is used next; this one answers
        // 404 to it, so the anonymous GET follows.
        let err = auth
            .challenged(&[Scope::pull("b")], &[BEARER], None)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Token {
                    status: Some(404),
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            *server.seen.lock().unwrap(),
            [
                "POST https://auth.example/token - grant_type=refresh_token&refresh_token=r1&client_id=ocikit&service=reg&scope=repository%3Aa%3Apull",
                "POST https://auth.example/token - grant_type=refresh_token&refresh_token=r2&client_id=ocikit&service=reg&scope=repository%3Ab%3Apull",
                "GET https://auth.example/token?service=reg&scope=repository%3Ab%3Apull -",
            ]
        );
    }

    #[test]
    fn refusals_name_the_token_server() {
        let (auth, _) = setup(Some(Credentials::new("u", "wrong")), |_, _| {
            (
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad password"}]}"#.into(),
            )
        });
        let err = auth.challenged(&[], &[BEARER], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "registry registry.example: token server https://auth.example/token: HTTP 401: the credentials were refused (UNAUTHORIZED: bad password)"
        );
        let http = r#"Bearer realm="http://auth.example/token""#;
        let err = auth.challenged(&[], &[http], None).unwrap_err();
        assert!(err.to_string().contains("is plain http"), "{err}");
    }
}
