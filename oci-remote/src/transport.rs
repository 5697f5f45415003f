//! The one place HTTP happens: a request goes in, a status, headers and a
//! streaming body come out. Everything above (redirects, authorization,
//! retries, the registry protocol) is ours and works on this small
//! [`Transport`] trait, so that unit tests can put faults in its place.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use ureq::Agent;
use ureq::http;
use ureq::tls::{RootCerts, TlsConfig};

use crate::Result;
use crate::tls::{Trust, trust_for};
use crate::url::Url;

/// An HTTP method the registry protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// What a request sends.
pub(crate) enum Body<'a> {
    /// Nothing (`Content-Length: 0` for the methods that carry a body).
    Empty,
    /// These bytes.
    Bytes(&'a [u8]),
    /// `length` bytes from a reader.
    Reader {
        reader: Box<dyn Read + 'a>,
        length: u64,
    },
}

impl Body<'_> {
    fn length(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Reader { length, .. } => *length,
        }
    }
}

/// One request as it goes on the wire.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Body<'a>,
    /// Whether the server's certificate is verified (an https URL).
    pub verify_tls: bool,
}

/// Response headers, names compared without case.
#[derive(Debug, Clone, Default)]
pub(crate) struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new(headers: Vec<(String, String)>) -> Headers {
        Headers(headers)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One response: the body is read by whoever needs it, as a stream.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Headers,
    pub body: Box<dyn Read + Send>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// Sends requests. Errors are I/O errors: a connection refused, reset or
/// timed out, a TLS failure; any HTTP status is a response.
pub(crate) trait Transport: Send + Sync {
    fn send(&self, request: Request<'_>) -> io::Result<Response>;
}

/// The timeouts of one exchange, by phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhaseTimeouts {
    pub connect: Duration,
    pub response: Duration,
    pub idle: Duration,
}

/// Where the certificates of a host come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct CertSource {
    /// The containers `certs.d` root.
    pub certs_d: PathBuf,
    /// A caller-given directory per registry host (`host[:port]`),
    /// replacing `certs_d/host`.
    pub cert_dirs: HashMap<String, PathBuf>,
}

/// The transport on ureq: one agent (connection pool) per host and
/// verification choice, built with that host's trust. ureq follows no
/// redirect (ours does) and treats no status as an error.
pub(crate) struct UreqTransport {
    timeouts: PhaseTimeouts,
    user_agent: String,
    certs: CertSource,
    agents: Mutex<HashMap<(String, bool), Agent>>,
}

impl UreqTransport {
    pub fn new(timeouts: PhaseTimeouts, user_agent: String, certs: CertSource) -> UreqTransport {
        UreqTransport {
            timeouts,
            user_agent,
            certs,
            agents: Mutex::new(HashMap::new()),
        }
    }

    fn agent(&self, url: &Url, verify: bool) -> io::Result<Agent> {
        let key = (url.authority().to_owned(), verify);
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(agent) = agents.get(&key) {
            return Ok(agent.clone());
        }
        let trust = if verify {
            self.trust(url.authority())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?
        } else {
            Trust::default()
        };
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::Specific(trust.roots.clone()))
            .client_cert(trust.client.clone())
            .disable_verification(!verify)
            .build();
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(self.timeouts.connect))
            .timeout_recv_response(Some(self.timeouts.response))
            .timeout_per_read(Some(self.timeouts.idle))
            .timeout_per_write(Some(self.timeouts.idle))
            .user_agent(self.user_agent.as_str())
            .tls_config(tls)
            .build();
        let agent: Agent = config.into();
        agents.insert(key, agent.clone());
        Ok(agent)
    }

    fn trust(&self, authority: &str) -> Result<Trust> {
        let dir = self.certs.cert_dirs.get(authority).map(PathBuf::as_path);
        trust_for(authority, dir, &self.certs.certs_d, authority)
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: Request<'_>) -> io::Result<Response> {
        let agent = self.agent(&request.url, request.verify_tls)?;
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(request.url.to_string());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let carries_body = matches!(request.method, Method::Post | Method::Put | Method::Patch);
        if carries_body {
            builder = builder.header("Content-Length", request.body.length().to_string());
        }
        let result = match request.body {
            Body::Empty if !carries_body => agent.run(builder.body(()).map_err(invalid)?),
            Body::Empty => agent.run(builder.body(&[][..]).map_err(invalid)?),
            Body::Bytes(bytes) => agent.run(builder.body(bytes).map_err(invalid)?),
            Body::Reader { mut reader, .. } => {
                let body = ureq::SendBody::from_reader(&mut reader);
                agent.run(builder.body(body).map_err(invalid)?)
            }
        };
        let response = result.map_err(into_io)?;
        let (parts, body) = response.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok(Response {
            status: parts.status.as_u16(),
            headers: Headers::new(headers),
            body: Box::new(BodyErrors(body.into_reader())),
        })
    }
}

fn invalid(e: http::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e)
}

/// ureq's errors as I/O errors, keeping the kinds retries look at.
fn into_io(e: ureq::Error) -> io::Error {
    match e {
        ureq::Error::Io(e) => e,
        ureq::Error::Timeout(t) => {
            io::Error::new(io::ErrorKind::TimedOut, format!("timed out ({t})"))
        }
        other => io::Error::other(other),
    }
}

/// A response body whose read errors keep their I/O kind (ureq wraps them).
struct BodyErrors<R>(R);

impl<R: Read> Read for BodyErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            // ureq reports its own errors inside an io::Error of kind Other.
            if !e.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
                return e;
            }
            match e.into_inner().map(|inner| inner.downcast::<ureq::Error>()) {
                Some(Ok(ureq_error)) => into_io(*ureq_error),
                Some(Err(other)) => io::Error::other(other),
                None => io::Error::other("the body could not be read"),
            }
        })
    }
}
