//! The Docker token protocol: a Bearer challenge names a token server (its
//! `realm`) and a `service`; the client asks it for a token for a set of
//! scopes, with a GET carrying Basic credentials (or none), or with an
//! OAuth2 POST of a refresh token, and sends the token to the registry.
//! The protocol is distribution's docs/spec/auth: token.md ("Requesting a
//! Token", "Token Response Fields"), oauth.md ("Getting a token") and
//! scope.md ("Resource Scope Grammar").

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{ERROR_BODY_LIMIT, parse_error_body, printable};
use crate::retry::{days_from_civil, retryable_io, retryable_status};
use crate::transport::{Body, Method, Request, Transport};
use crate::url::{Scheme, Url, encode_component};
use crate::{Error, Result, RetryPolicy};

use super::challenge::Challenge;

/// The largest token response read: tokens with many access entries run
/// to a few kilobytes; a megabyte is far beyond any real one.
const TOKEN_BODY_LIMIT: u64 = 1 << 20;

/// The lifetime of a token whose response gives no `expires_in` (token.md:
/// "When omitted, this defaults to 60 seconds").
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

/// A token is renewed when less than a tenth of its lifetime, and at most
/// this much, is left: a request that starts with it still reaches the
/// registry in time, and a long-lived token is not renewed needlessly.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// The `client_id` of OAuth2 requests (oauth.md: "should be set to a
/// meaningful value in order to allow auditing").
const CLIENT_ID: &str = "ocikit";

/// The most scopes kept from one challenge, and the longest one: a scope
/// names a type, a repository and actions.
const MAX_CHALLENGE_SCOPES: usize = 8;
const MAX_SCOPE_LENGTH: usize = 512;

/// The token server of a registry, as its Bearer challenge names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Realm {
    pub url: Url,
    pub service: Option<String>,
    /// Whether the server's certificate is verified (https).
    pub verify_tls: bool,
}

impl Realm {
    /// The realm of `challenge`, if credentials may go there: https, or
    /// plain http only on the host of a registry the caller marked
    /// insecure (`registry` is that registry's base URL). The reason it
    /// may not, otherwise.
    pub fn of(
        challenge: &Challenge,
        registry: &Url,
        insecure: bool,
    ) -> std::result::Result<Realm, String> {
        let text = challenge
            .param("realm")
            .ok_or("the Bearer challenge names no realm")?;
        let url = Url::parse(text).ok_or_else(|| {
            format!(
                "the Bearer challenge's realm {:?} is not an http(s) URL",
                printable(text)
            )
        })?;
        let own_host = host_of(&url.authority) == host_of(&registry.authority);
        if url.scheme == Scheme::Http && !(insecure && own_host) {
            return Err(format!(
                "the token server {url} is plain http: credentials and tokens go to a realm over https only, or over http on the host of a registry marked insecure"
            ));
        }
        Ok(Realm {
            url,
            service: challenge.param("service").map(str::to_owned),
            verify_tls: !(insecure && own_host),
        })
    }
}

/// The host of `host[:port]` or `[v6]:port`.
fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// How a token request proves who asks.
pub(crate) enum Grant<'a> {
    /// Nobody: an anonymous token.
    Anonymous,
    /// A GET with this `Authorization: Basic ...` value.
    Basic(&'a str),
    /// An OAuth2 POST with `grant_type=refresh_token` (oauth.md).
    Refresh(&'a str),
}

/// A token and what it is good for.
#[derive(Clone)]
pub(crate) struct Token {
    /// The value sent as `Authorization: Bearer <value>`.
    pub value: String,
    /// When it is renewed (its expiry less a margin).
    pub renew_at: Instant,
    /// The scopes it was asked for.
    pub scopes: Vec<String>,
    /// A refresh token the server sent along (oauth.md), for the next
    /// requests.
    pub refresh_token: Option<String>,
}

impl fmt::Debug for Token {
    /// The token itself is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("renew_at", &self.renew_at)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl Token {
    pub fn usable(&self, now: Instant) -> bool {
        now < self.renew_at
    }

    pub fn header(&self) -> String {
        format!("Bearer {}", self.value)
    }
}

/// Scopes as one canonical set: each `type:name` once, its actions merged
/// and sorted (`repository:a:pull` and `repository:a:push` give
/// `repository:a:pull,push`), the list sorted. The name may hold a `:` (a
/// host with a port, scope.md), so the type ends at the first `:` and the
/// actions start after the last. A scope of another form is kept as it is.
pub(crate) fn merge_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut resources: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut others = BTreeSet::new();
    for scope in scopes {
        let parsed = scope.split_once(':').and_then(|(kind, rest)| {
            let (name, actions) = rest.rsplit_once(':')?;
            Some((kind, name, actions))
        });
        match parsed {
            Some((kind, name, actions)) if !kind.is_empty() && !name.is_empty() => {
                resources
                    .entry((kind, name))
                    .or_default()
                    .extend(actions.split(',').filter(|a| !a.is_empty()));
            }
            _ => {
                others.insert(scope);
            }
        }
    }
    let mut merged: Vec<String> = resources
        .into_iter()
        .map(|((kind, name), actions)| {
            let actions: Vec<&str> = actions.into_iter().collect();
            format!("{kind}:{name}:{}", actions.join(","))
        })
        .collect();
    merged.extend(others.into_iter().map(str::to_owned));
    merged.sort();
    merged
}

/// The scopes a challenge asks for (its `scope` parameter, a
/// space-separated list), bounded in count and length, printable.
pub(crate) fn challenge_scopes(challenge: &Challenge) -> Vec<String> {
    challenge
        .param("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| {
            !s.is_empty() && s.len() <= MAX_SCOPE_LENGTH && s.bytes().all(|b| b.is_ascii_graphic())
        })
        .take(MAX_CHALLENGE_SCOPES)
        .map(str::to_owned)
        .collect()
}

/// Asks the token server of `realm` for a token for `scopes`, on behalf of
/// registry `registry` (for messages), retrying as `retry` says.
///
/// # Errors
///
/// [`Error::Token`] naming the token server: no answer, a refusal (401 or
/// 403: the credentials are wrong), another status, or an answer without
/// a token.
pub(crate) fn fetch(
    transport: &Arc<dyn Transport>,
    registry: &str,
    realm: &Realm,
    scopes: &[String],
    grant: &Grant<'_>,
    retry: &RetryPolicy,
) -> Result<Token> {
    let error = |status: Option<u16>, reason: String| Error::Token {
        registry: registry.to_owned(),
        realm: realm.url.to_string(),
        status,
        reason,
    };
    let started = Instant::now();
    let mut attempt = 0;
    let mut oauth = matches!(grant, Grant::Refresh(_));
    loop {
        let request = if oauth {
            refresh_request(realm, scopes, grant)
        } else {
            get_request(realm, scopes, grant)
        };
        let (method, url) = (request.method, request.url.clone());
        let wait = |attempt: u32, after: Option<Duration>| {
            let delay = retry.delay(attempt, after)?;
            (attempt < retry.max_retries && started.elapsed() + delay <= retry.max_total)
                .then_some(delay)
        };
        let response = match transport.send(Request {
            body: match &request.body {
                Some(form) => Body::Bytes(form.as_bytes()),
                None => Body::Empty,
            },
            method,
            url: url.clone(),
            headers: request.headers,
            verify_tls: realm.verify_tls,
        }) {
            Ok(response) => response,
            Err(e) => match wait(attempt, None).filter(|_| retryable_io(&e)) {
                Some(delay) => {
                    std::thread::sleep(delay);
                    attempt += 1;
                    continue;
                }
                None => return Err(error(None, format!("{method:?} {url}: {e}"))),
            },
        };
        let status = response.status;
        let mut body = Vec::new();
        let limit = if status == 200 {
            TOKEN_BODY_LIMIT
        } else {
            ERROR_BODY_LIMIT
        };
        let read = response.body.take(limit + 1).read_to_end(&mut body);
        if status == 200 {
            if let Err(e) = read {
                return Err(error(Some(status), format!("the answer breaks off: {e}")));
            }
            if body.len() as u64 > limit {
                return Err(error(
                    Some(status),
                    format!("the answer is larger than {limit} bytes"),
                ));
            }
            return parse_response(&body, scopes, Instant::now(), SystemTime::now())
                .map_err(|reason| error(Some(status), reason));
        }
        // oauth.md: a token server without OAuth2 answers the POST with
        // 404; then the GET of token.md, anonymous (a refresh token is no
        // Basic credential).
        if oauth && matches!(status, 404 | 405) {
            oauth = false;
            continue;
        }
        if retryable_status(status) {
            let after = response
                .headers
                .get("Retry-After")
                .and_then(|v| crate::retry::parse_retry_after(v, SystemTime::now()));
            if let Some(delay) = wait(attempt, after) {
                std::thread::sleep(delay);
                attempt += 1;
                continue;
            }
        }
        let codes = parse_error_body(&body);
        let mut reason = match (status, grant) {
            (401 | 403, Grant::Basic(_)) => format!("HTTP {status}: the credentials were refused"),
            (401 | 403, Grant::Refresh(_)) => {
                format!("HTTP {status}: the identity token was refused")
            }
            _ => format!("HTTP {status}"),
        };
        if !codes.is_empty() {
            let shown: Vec<String> = codes.iter().map(ToString::to_string).collect();
            reason.push_str(&format!(" ({})", shown.join("; ")));
        }
        return Err(error(Some(status), reason));
    }
}

/// A request to the token server, before it is sent.
struct TokenRequest {
    method: Method,
    url: Url,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

/// token.md, "Requesting a Token": `GET realm?service=S&scope=A&scope=B`.
fn get_request(realm: &Realm, scopes: &[String], grant: &Grant<'_>) -> TokenRequest {
    let mut url = realm.url.clone();
    if let Some(service) = &realm.service {
        url = url.with_query("service", service);
    }
    for scope in scopes {
        url = url.with_query("scope", scope);
    }
    let mut headers = Vec::new();
    if let Grant::Basic(value) = grant {
        headers.push(("Authorization".to_owned(), (*value).to_owned()));
    }
    TokenRequest {
        method: Method::Get,
        url,
        headers,
        body: None,
    }
}

/// oauth.md, "Getting a token": a form POST of the refresh token, the
/// scopes in one space-separated `scope`.
fn refresh_request(realm: &Realm, scopes: &[String], grant: &Grant<'_>) -> TokenRequest {
    let token = match grant {
        Grant::Refresh(token) => token,
        _ => "",
    };
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", token.to_owned()),
        ("client_id", CLIENT_ID.to_owned()),
    ];
    if let Some(service) = &realm.service {
        form.push(("service", service.clone()));
    }
    if !scopes.is_empty() {
        form.push(("scope", scopes.join(" ")));
    }
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    TokenRequest {
        method: Method::Post,
        url: realm.url.clone(),
        headers: vec![(
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        )],
        body: Some(body.join("&")),
    }
}

/// A token response (token.md, "Token Response Fields"): `token` or
/// `access_token`, `expires_in` (60 s when absent), `issued_at`, and a
/// `refresh_token` when the server sends one. The token lives from
/// `issued_at` when that is a plausible time (not after `wall_now`, not so
/// long before it that the token would be dead on arrival, which is a
/// skewed clock rather than an old token), else from now.
pub(crate) fn parse_response(
    body: &[u8],
    scopes: &[String],
    now: Instant,
    wall_now: SystemTime,
) -> std::result::Result<Token, String> {
    #[derive(serde::Deserialize)]
    struct Response {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        expires_in: Option<serde_json::Value>,
        #[serde(default)]
        issued_at: Option<String>,
        #[serde(default)]
        refresh_token: Option<String>,
    }
    let response: Response = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is not a token response: {e}"))?;
    let value = [response.token, response.access_token]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty())
        .ok_or("the answer has neither `token` nor `access_token`")?;
    // The token goes into a header: visible ASCII only (RFC 6750 section
    // 2.1 is stricter still), so that it cannot split or end one.
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the token has characters a header cannot carry".into());
    }
    let lifetime = match response.expires_in {
        None | Some(serde_json::Value::Null) => DEFAULT_LIFETIME,
        Some(value) => Duration::from_secs(
            value
                .as_u64()
                .ok_or_else(|| format!("`expires_in` is {value}, not a number of seconds"))?,
        ),
    };
    let age = response
        .issued_at
        .as_deref()
        .and_then(parse_rfc3339)
        .and_then(|issued| wall_now.duration_since(issued).ok())
        .filter(|age| *age < lifetime)
        .unwrap_or(Duration::ZERO);
    let left = lifetime - age;
    let margin = (lifetime / 10).min(MAX_REFRESH_MARGIN);
    Ok(Token {
        value,
        renew_at: now + left.saturating_sub(margin),
        scopes: scopes.to_vec(),
        refresh_token: response.refresh_token.filter(|t| !t.is_empty()),
    })
}

/// An RFC 3339 date-time (`2009-11-10T23:00:00Z`, fractions of a second
/// and offsets allowed), from 1970 on.
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if year < 1970
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        rest = &fraction[end..];
    }
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest.get(1..)?.split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            sign * (h * 3600 + m * 60)
        }
    };
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    let utc = i64::try_from(local).ok()?.checked_sub(offset)?;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(utc).ok()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::auth::challenge;

    #[test]
    fn scopes_merge_per_resource() {
        assert_eq!(
            merge_scopes([
                "repository:b:push",
                "repository:a:pull",
                "repository:b:pull",
                "repository:localhost:5000/c:pull",
                "registry:catalog:*",
                "odd",
            ]),
            [
                "odd",
                "registry:catalog:*",
                "repository:a:pull",
                "repository:b:pull,push",
                "repository:localhost:5000/c:pull",
            ]
        );
        assert_eq!(
            merge_scopes(["repository:a:pull,push", "repository:a:pull"]),
            ["repository:a:pull,push"]
        );
    }

    #[test]
    fn realms_go_over_https_or_to_an_insecure_registrys_own_host() {
        let registry = Url::parse("http://127.0.0.1:5000/").unwrap();
        let bearer = |realm: &str| {
            challenge::parse(&[&format!("Bearer realm=\"{realm}\",service=\"s\"")]).remove(0)
        };
        let realm = Realm::of(&bearer("https://auth.example/token"), &registry, false).unwrap();
        assert!(realm.verify_tls);
        assert_eq!(realm.service.as_deref(), Some("s"));
        let err = Realm::of(&bearer("http://auth.example/token"), &registry, true).unwrap_err();
        assert!(err.contains("is plain http"), "{err}");
        let err = Realm::of(&bearer("http://127.0.0.1:5001/token"), &registry, false).unwrap_err();
        assert!(err.contains("is plain http"), "{err}");
        let own = Realm::of(&bearer("http://127.0.0.1:5001/token"), &registry, true).unwrap();
        assert!(!own.verify_tls);
        assert!(Realm::of(&bearer("ftp://x/"), &registry, true).is_err());
        assert!(Realm::of(&challenge::parse(&["Bearer service=x"])[0], &registry, true).is_err());
        assert_eq!(host_of("[::1]:5000"), "::1");
    }

    #[test]
    fn token_responses_and_their_lifetime() {
        let now = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_257_894_030); // 2009-11-10T23:00:30Z
        let scopes = vec!["repository:a:pull".to_owned()];
        let token = parse_response(
            br#"{"token":"t1","access_token":"t1","expires_in":300,"issued_at":"2009-11-10T23:00:00Z"}"#,
            &scopes,
            now,
            wall,
        )
        .unwrap();
        assert_eq!(token.header(), "Bearer t1");
        // 300 s from 30 s ago, renewed 30 s before the end.
        assert_eq!(token.renew_at - now, Duration::from_secs(240));
        let token = parse_response(br#"{"access_token":"t2"}"#, &scopes, now, wall).unwrap();
        assert_eq!(token.value, "t2");
        assert_eq!(token.renew_at - now, Duration::from_secs(54));
        // issued_at from a skewed clock: in the future, or long past.
        for issued in ["2009-11-10T23:05:00Z", "2001-01-01T00:00:00Z", "yesterday"] {
            let body = format!(r#"{{"token":"t","expires_in":100,"issued_at":"{issued}"}}"#);
            let token = parse_response(body.as_bytes(), &scopes, now, wall).unwrap();
            assert_eq!(token.renew_at - now, Duration::from_secs(90), "{issued}");
        }
        let token = parse_response(br#"{"token":"t","expires_in":0}"#, &scopes, now, wall).unwrap();
        assert!(!token.usable(now));
        for bad in [
            &br#"{"expires_in":60}"#[..],
            br#"{"token":""}"#,
            br#"{"token":"a\r\nX-Evil: 1"}"#,
            br#"{"token":"t","expires_in":-5}"#,
            br#"<html>"#,
        ] {
            assert!(parse_response(bad, &scopes, now, wall).is_err());
        }
    }

    #[test]
    fn rfc3339_times() {
        let at =
            |s: &str| parse_rfc3339(s).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(at("2009-11-10T23:00:00Z"), Some(1_257_894_000));
        assert_eq!(at("2009-11-10T23:00:00.123456789Z"), Some(1_257_894_000));
        assert_eq!(at("2009-11-11T01:00:00+02:00"), Some(1_257_894_000));
        assert_eq!(at("2009-11-10T22:00:00-01:00"), Some(1_257_894_000));
        for bad in [
            "",
            "2009-11-10",
            "2009-13-10T23:00:00Z",
            "2009-11-10T23:00:00",
            "2009-11-10T23:00:00+2",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn token_requests_as_the_protocol_writes_them() {
        let realm = Realm {
            url: Url::parse("https://auth.example/token").unwrap(),
            service: Some("registry.example".into()),
            verify_tls: true,
        };
        let scopes = merge_scopes(["repository:a/b:pull,push", "repository:c:pull"]);
        let get = get_request(&realm, &scopes, &Grant::Basic("Basic dTpw"));
        assert_eq!(
            get.url.to_string(),
            "https://auth.example/token?service=registry.example&scope=repository%3Aa%2Fb%3Apull%2Cpush&scope=repository%3Ac%3Apull"
        );
        assert_eq!(get.headers, [("Authorization".into(), "Basic dTpw".into())]);
        assert!(
            get_request(&realm, &scopes, &Grant::Anonymous)
                .headers
                .is_empty()
        );
        let post = refresh_request(&realm, &scopes, &Grant::Refresh("r+1"));
        assert_eq!(post.method, Method::Post);
        assert_eq!(
            post.body.as_deref(),
            Some(
                "grant_type=refresh_token&refresh_token=r%2B1&client_id=ocikit&service=registry.example&scope=repository%3Aa%2Fb%3Apull%2Cpush%20repository%3Ac%3Apull"
            )
        );
    }
}
