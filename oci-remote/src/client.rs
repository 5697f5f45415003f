//! The request path every operation shares: a [`Client`] keeps one
//! [`Registry`] per registry name (its scheme, authenticator and blob
//! slots), and [`Registry::send`] sends one logical request: with the
//! `Authorization` its authenticator gives for the registry's own origin,
//! replayed once after a 401 challenge, following redirects itself (so
//! that credentials never reach another host and https is never
//! downgraded), retried after resets and 408/429/5xx answers, reporting
//! `Warning` headers (distribution-spec spec.md, "API" on redirects,
//! "Warnings", "Error Codes").

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::auth::{Authenticator, RegistryAuth, Scope};
use crate::error::{ERROR_BODY_LIMIT, parse_error_body, printable};
use crate::options::{ClientOptions, Warning};
use crate::reference::{Reference, endpoint_of};
use crate::retry::{parse_retry_after, retryable_io, retryable_status};
use crate::transport::{
    Body, CertSource, Method, PhaseTimeouts, Request, Response, Transport, UreqTransport,
};
use crate::url::{Scheme, Url};
use crate::{Credentials, Error, Result, RetryPolicy};

/// The most redirects one request follows.
const MAX_REDIRECTS: usize = 10;

/// A registry client: pulls, pushes and lists. Cheap to clone (clones
/// share connections and what each registry's authenticator learnt);
/// usable from several threads at once.
///
/// ```no_run
/// use ocikit_remote::{Client, ClientOptions, Reference};
///
/// let client = Client::new(ClientOptions::default());
/// let tags = client.tags(&"docker.io/library/alpine".parse::<Reference>()?, None)?;
/// println!("{} tags", tags.len());
/// # Ok::<(), ocikit_remote::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    options: ClientOptions,
    transport: Arc<dyn Transport>,
    registries: Mutex<HashMap<String, Arc<Registry>>>,
    /// Warnings reported already, by registry and text.
    warned: Mutex<HashSet<(String, String)>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with `options`, over ureq and rustls.
    pub fn new(options: ClientOptions) -> Client {
        let timeouts = PhaseTimeouts {
            connect: options.timeouts.connect,
            response: options.timeouts.response,
            idle: options.timeouts.idle,
        };
        let mut certs = CertSource {
            certs_d: options.certs_d.clone(),
            cert_dirs: HashMap::new(),
        };
        for (name, registry) in &options.registries {
            if let Some(dir) = &registry.cert_dir {
                let host = endpoint_of(name).to_ascii_lowercase();
                certs.cert_dirs.insert(host, dir.clone());
            }
        }
        let transport = UreqTransport::new(timeouts, options.user_agent.clone(), certs);
        Client::with_transport(options, Arc::new(transport))
    }

    /// A client sending through `transport` (tests put faults there).
    pub(crate) fn with_transport(options: ClientOptions, transport: Arc<dyn Transport>) -> Client {
        Client {
            inner: Arc::new(Inner {
                options,
                transport,
                registries: Mutex::new(HashMap::new()),
                warned: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// The options this client was made with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The registry `reference` is on, set up on first use: for one with
    /// `tls_verify: false`, https without verification is tried and plain
    /// http taken when https does not connect.
    pub(crate) fn registry(&self, reference: &Reference) -> Result<Arc<Registry>> {
        self.registry_named(reference.registry())
    }

    /// [`Client::registry`] by the registry's name (`docker.io`,
    /// `127.0.0.1:5000`).
    pub(crate) fn registry_named(&self, name: &str) -> Result<Arc<Registry>> {
        let endpoint = endpoint_of(name);
        if let Some(registry) = self.lock_registries().get(name) {
            return Ok(registry.clone());
        }
        let options = self.inner.options.registry(name);
        let scheme = if options.tls_verify {
            Scheme::Https
        } else {
            self.probe_scheme(endpoint)
        };
        let base = Url::base(scheme, endpoint);
        let auth = RegistryAuth::new(
            name,
            &base,
            !options.tls_verify,
            options.credentials.as_ref(),
            self.inner.transport.clone(),
            self.inner.options.retry,
        );
        let registry = Arc::new(Registry {
            name: name.to_owned(),
            base,
            tls_verify: options.tls_verify,
            auth: Box::new(auth),
            client: Arc::downgrade(&self.inner),
            transport: self.inner.transport.clone(),
            retry: self.inner.options.retry,
            slots: Slots::new(self.inner.options.max_concurrent_blobs.max(1)),
        });
        Ok(self
            .lock_registries()
            .entry(name.to_owned())
            .or_insert(registry)
            .clone())
    }

    /// A client sharing this one's transport and options, but with
    /// `credentials` for registry `name` and nothing learnt yet: for
    /// checking credentials before they are stored.
    pub(crate) fn with_credentials(&self, name: &str, credentials: &Credentials) -> Client {
        let mut registry = self.inner.options.registry(name);
        registry.credentials = Some(credentials.clone());
        let options = self.inner.options.clone().with_registry(name, registry);
        Client::with_transport(options, self.inner.transport.clone())
    }

    fn lock_registries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Registry>>> {
        self.inner
            .registries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// https when `GET /v2/` over https (unverified) gets any answer,
    /// else http: what skopeo does for a registry with
    /// `--tls-verify=false`.
    fn probe_scheme(&self, endpoint: &str) -> Scheme {
        let url = Url::base(Scheme::Https, endpoint).with_path("/v2/");
        let request = Request {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: Body::Empty,
            verify_tls: false,
        };
        match self.inner.transport.send(request) {
            Ok(_) => Scheme::Https,
            Err(_) => Scheme::Http,
        }
    }
}

/// One registry as this client knows it.
pub(crate) struct Registry {
    /// The registry's name, as references give it (`docker.io`).
    pub name: String,
    /// `scheme://endpoint/`: the origin credentials go to.
    pub base: Url,
    tls_verify: bool,
    auth: Box<dyn Authenticator>,
    client: std::sync::Weak<Inner>,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    /// Blob transfers in flight.
    pub slots: Slots,
}

/// Where a request's body comes from; it can be opened again for a retry
/// or a redirect.
pub(crate) enum Payload<'a> {
    Empty,
    Bytes(&'a [u8]),
    /// `length` bytes from what `open` returns, each time anew.
    Stream {
        open: &'a dyn Fn() -> io::Result<Box<dyn Read + 'a>>,
        length: u64,
    },
}

/// One logical request: what to send and which answers are success.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub payload: Payload<'a>,
    /// The repository concerned, for messages.
    pub repository: Option<&'a str>,
    /// What is being done, for messages: `fetch manifest latest`.
    pub operation: String,
    /// What the authenticator is asked to authorize.
    pub scopes: Vec<Scope>,
    /// The statuses returned as a response; any other is an error.
    pub ok: &'a [u16],
    /// Send no `Authorization` at all, even to the registry's own origin
    /// (foreign layers fetched from `urls`).
    pub anonymous: bool,
}

impl<'a> Call<'a> {
    /// A request to `path` on the registry (`/v2/...`).
    pub fn new(
        registry: &Registry,
        method: Method,
        path: &str,
        operation: String,
        ok: &'a [u16],
    ) -> Call<'a> {
        Call::to(registry.base.with_path(path), method, operation, ok)
    }

    /// A request to `url`.
    pub fn to(url: Url, method: Method, operation: String, ok: &'a [u16]) -> Call<'a> {
        Call {
            method,
            url,
            headers: Vec::new(),
            payload: Payload::Empty,
            repository: None,
            operation,
            scopes: Vec::new(),
            ok,
            anonymous: false,
        }
    }

    pub fn repository(mut self, repository: &'a str, scope: Scope) -> Call<'a> {
        self.repository = Some(repository);
        self.scopes.push(scope);
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Call<'a> {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn payload(mut self, payload: Payload<'a>) -> Call<'a> {
        self.payload = payload;
        self
    }
}

/// A failure of one attempt, before it is an [`Error`].
enum Failed {
    /// Sending or reading failed at `url`.
    Io(Url, io::Error),
    /// Final: a refused redirect, an authenticator's error.
    Final(Box<Error>),
}

impl Registry {
    /// Sends `call`, retrying and following redirects, and returns the
    /// response when its status is one of `call.ok`.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] for another status (with the registry's error
    /// codes from a JSON body of at most 64 KiB), [`Error::Transport`]
    /// when no answer came, [`Error::Protocol`] for a refused redirect.
    pub fn send(&self, call: &Call<'_>) -> Result<Response> {
        let started = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let retries_left = attempts <= self.retry.max_retries;
            match self.exchange(call) {
                Ok(response) if call.ok.contains(&response.status) => return Ok(response),
                Ok(response) if retries_left && retryable_status(response.status) => {
                    let after = response
                        .headers
                        .get("Retry-After")
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    let delay = self.retry.delay(attempts - 1, after);
                    if !self.wait(started, delay) {
                        return Err(self.status_error(call, response, attempts));
                    }
                }
                Ok(response) => return Err(self.status_error(call, response, attempts)),
                Err(Failed::Io(_, e)) if retries_left && retryable_io(&e) => {
                    let delay = self.retry.delay(attempts - 1, None);
                    if !self.wait(started, delay) {
                        return Err(self.transport_error(call, &call.url, e, attempts));
                    }
                }
                Err(Failed::Io(url, e)) => {
                    return Err(self.transport_error(call, &url, e, attempts));
                }
                Err(Failed::Final(e)) => return Err(*e),
            }
        }
    }

    /// Sleeps `delay` when there is one and the retry budget allows it;
    /// `false` when not (then the caller gives up).
    fn wait(&self, started: Instant, delay: Option<Duration>) -> bool {
        let within = |d: &Duration| {
            started
                .elapsed()
                .checked_add(*d)
                .is_some_and(|end| end <= self.retry.max_total)
        };
        let Some(delay) = delay.filter(within) else {
            return false;
        };
        std::thread::sleep(delay);
        true
    }

    /// One attempt: the request, a replay after a 401 the authenticator
    /// can answer, and the redirects.
    fn exchange(&self, call: &Call<'_>) -> std::result::Result<Response, Failed> {
        let mut url = call.url.clone();
        let mut method = call.method;
        let mut visited = vec![url.clone()];
        let mut replayed = false;
        loop {
            let own_origin = url.same_origin(&self.base);
            let mut headers = call.headers.clone();
            let mut sent = None;
            if own_origin && !call.anonymous {
                sent = self
                    .auth
                    .authorization(&call.scopes)
                    .map_err(|e| Failed::Final(Box::new(e)))?;
                if let Some(value) = &sent {
                    headers.push(("Authorization".into(), value.clone()));
                }
            }
            let body = if matches!(method, Method::Get | Method::Head | Method::Delete) {
                Body::Empty
            } else {
                match &call.payload {
                    Payload::Empty => Body::Empty,
                    Payload::Bytes(bytes) => Body::Bytes(bytes),
                    Payload::Stream { open, length } => Body::Reader {
                        reader: open().map_err(|e| Failed::Io(url.clone(), e))?,
                        length: *length,
                    },
                }
            };
            let request = Request {
                method,
                url: url.clone(),
                headers,
                body,
                verify_tls: self.tls_verify,
            };
            let response = self
                .transport
                .send(request)
                .map_err(|e| Failed::Io(url.clone(), e))?;
            self.report_warnings(&response);

            if response.status == 401 && own_origin && !replayed && !call.anonymous {
                let challenges: Vec<&str> = response.headers.get_all("WWW-Authenticate").collect();
                if self
                    .auth
                    .challenged(&call.scopes, &challenges, sent.as_deref())
                    .map_err(|e| Failed::Final(Box::new(e)))?
                {
                    replayed = true;
                    continue;
                }
            }
            let location = response.headers.get("Location");
            let redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
            if !redirect || location.is_none() || call.ok.contains(&response.status) {
                return Ok(response);
            }
            let location = location.unwrap_or_default();
            let refused = |reason: String| {
                Failed::Final(Box::new(Error::Protocol {
                    registry: self.name.clone(),
                    repository: call.repository.map(str::to_owned),
                    operation: call.operation.clone(),
                    reason,
                }))
            };
            let next = url.join(location).ok_or_else(|| {
                refused(format!(
                    "HTTP {} redirects to {:?}, which is not an http(s) URL",
                    response.status,
                    printable(location)
                ))
            })?;
            if url.scheme == Scheme::Https && next.scheme == Scheme::Http {
                return Err(refused(format!(
                    "HTTP {} redirects from {url} to {next}: a redirect from https to plain http is refused",
                    response.status
                )));
            }
            if visited.contains(&next) {
                return Err(refused(format!(
                    "redirect loop: {next} again after {}",
                    visited.len()
                )));
            }
            if visited.len() > MAX_REDIRECTS {
                return Err(refused(format!(
                    "more than {MAX_REDIRECTS} redirects (the last to {next})"
                )));
            }
            if response.status == 303 && method != Method::Head {
                method = Method::Get;
            }
            visited.push(next.clone());
            url = next;
        }
    }

    /// [`Error::Status`] for `response`, with the codes of its body.
    fn status_error(&self, call: &Call<'_>, response: Response, attempts: u32) -> Error {
        let mut body = Vec::new();
        let _ = response.body.take(ERROR_BODY_LIMIT).read_to_end(&mut body);
        Error::Status {
            registry: self.name.clone(),
            repository: call.repository.map(str::to_owned),
            operation: call.operation.clone(),
            status: response.status,
            codes: parse_error_body(&body),
            attempts,
        }
    }

    /// [`Error::Transport`] for a failure at `url`.
    pub fn transport_error(
        &self,
        call: &Call<'_>,
        url: &Url,
        source: io::Error,
        attempts: u32,
    ) -> Error {
        Error::Transport {
            registry: self.name.clone(),
            repository: call.repository.map(str::to_owned),
            operation: call.operation.clone(),
            url: url.to_string(),
            attempts,
            source,
        }
    }

    /// [`Error::Protocol`] about `repository`.
    pub fn protocol(&self, repository: Option<&str>, operation: &str, reason: String) -> Error {
        Error::Protocol {
            registry: self.name.clone(),
            repository: repository.map(str::to_owned),
            operation: operation.to_owned(),
            reason,
        }
    }

    /// Hands each new `Warning: 299 - "..."` to the client's handler.
    fn report_warnings(&self, response: &Response) {
        let Some(inner) = self.client.upgrade() else {
            return;
        };
        let mut budget = WARNING_LIMIT;
        for value in response.headers.get_all("Warning") {
            if budget < value.len() {
                break;
            }
            budget -= value.len();
            let Some(text) = warning_text(value) else {
                continue;
            };
            let key = (self.name.clone(), text.clone());
            let new = inner
                .warned
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key);
            if new {
                inner.options.warnings.report(&Warning {
                    registry: self.name.clone(),
                    text,
                });
            }
        }
    }

    /// How many times a failed request or download is retried.
    pub fn retry_count(&self) -> u32 {
        self.retry.max_retries
    }

    /// `/v2/<repository>/<rest>`.
    pub fn path(repository: &str, rest: &str) -> String {
        format!("/v2/{repository}/{rest}")
    }
}

/// The most warning bytes read from one response (spec.md, "Warnings": a
/// registry "MUST NOT send more than 4096 bytes of warning data").
const WARNING_LIMIT: usize = 4096;

/// The text of `299 - "text"` (spec.md, "Warnings"; RFC 7234 section
/// 5.5), unescaped and made printable; `None` for another form.
fn warning_text(value: &str) -> Option<String> {
    let rest = value.trim().strip_prefix("299")?.trim_start();
    let rest = rest.strip_prefix('-')?.trim_start();
    let quoted = rest.strip_prefix('"')?;
    let mut text = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(printable(&text)),
            '\\' => text.push(chars.next()?),
            c => text.push(c),
        }
    }
    None
}

/// A counting semaphore: the blob transfers one registry allows at once.
pub(crate) struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One taken slot, given back when dropped.
pub(crate) struct Slot<'a>(&'a Slots);

impl Slots {
    fn new(count: usize) -> Slots {
        Slots {
            free: Mutex::new(count),
            freed: Condvar::new(),
        }
    }

    /// Waits for a free slot and takes it.
    pub fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::transport::Headers;

    /// An answer's status and headers.
    type Answer = (u16, Vec<(String, String)>);

    /// A transport answering from a function, recording each request's URL
    /// and whether it carried `Authorization`.
    struct Fake {
        answer: Box<dyn Fn(&Url) -> Answer + Send + Sync>,
        seen: Mutex<Vec<(String, bool)>>,
    }

    impl Transport for Fake {
        fn send(&self, request: Request<'_>) -> io::Result<Response> {
            let authorized = request.headers.iter().any(|(n, _)| n == "Authorization");
            self.seen
                .lock()
                .unwrap()
                .push((request.url.to_string(), authorized));
            let (status, headers) = (self.answer)(&request.url);
            Ok(Response {
                status,
                headers: Headers::new(headers),
                body: Box::new(io::empty()),
            })
        }
    }

    fn fake_client(answer: impl Fn(&Url) -> Answer + Send + Sync + 'static) -> (Client, Arc<Fake>) {
        let fake = Arc::new(Fake {
            answer: Box::new(answer),
            seen: Mutex::new(Vec::new()),
        });
        let credentials = Credentials {
            username: "u".into(),
            password: "p".into(),
        };
        let options = ClientOptions::default().with_registry(
            "registry.example",
            crate::RegistryOptions {
                credentials: Some(credentials),
                ..Default::default()
            },
        );
        (Client::with_transport(options, fake.clone()), fake)
    }

    fn location(to: &str) -> Vec<(String, String)> {
        vec![("Location".to_owned(), to.to_owned())]
    }

    #[test]
    fn https_is_never_downgraded_and_credentials_stay_on_their_origin() {
        let (client, fake) = fake_client(|url| match (url.authority(), url.path.as_str()) {
            ("registry.example", "/v2/a/blobs/x") => (
                401,
                vec![("WWW-Authenticate".into(), "Basic realm=\"r\"".into())],
            ),
            ("registry.example", "/v2/a/blobs/y") => (307, location("http://registry.example/y")),
            ("registry.example", "/v2/a/blobs/z") => (307, location("https://storage.example/z")),
            _ => (200, Vec::new()),
        });
        let reference: Reference = "registry.example/a:v1".parse().unwrap();
        let registry = client.registry(&reference).unwrap();
        let call = |path: &str| Call::new(&registry, Method::Get, path, "fetch".into(), &[200]);
        // Credentials only after the registry asked for them.
        let err = registry.send(&call("/v2/a/blobs/x")).unwrap_err();
        assert_eq!(err.status(), Some(401));
        // A redirect to plain http on the same host is refused.
        let err = registry.send(&call("/v2/a/blobs/y")).unwrap_err();
        assert!(
            err.to_string()
                .contains("from https to plain http is refused"),
            "{err}"
        );
        // Another host gets no Authorization.
        registry.send(&call("/v2/a/blobs/z")).unwrap();
        let seen = fake.seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                ("https://registry.example/v2/a/blobs/x".to_owned(), false),
                ("https://registry.example/v2/a/blobs/x".to_owned(), true),
                ("https://registry.example/v2/a/blobs/y".to_owned(), true),
                ("https://registry.example/v2/a/blobs/z".to_owned(), true),
                ("https://storage.example/z".to_owned(), false),
            ]
        );
    }

    #[test]
    fn warnings_are_read_as_the_spec_writes_them() {
        assert_eq!(
            warning_text(r#"299 - "Your auth token will expire in 30 seconds.""#).as_deref(),
            Some("Your auth token will expire in 30 seconds.")
        );
        assert_eq!(
            warning_text(r#"299 - "say \"hi\"""#).as_deref(),
            Some("say \"hi\"")
        );
        assert_eq!(
            warning_text(r#"299 - "bell\u{7}""#.replace("\\u{7}", "\u{7}").as_str()).as_deref(),
            Some("bell?")
        );
        assert_eq!(warning_text(r#"199 - "other""#), None);
        assert_eq!(warning_text(r#"299 - "unterminated"#), None);
    }
}
