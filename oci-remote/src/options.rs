//! The client's settings: per-registry TLS and credentials, timeouts by
//! phase, retries, parallelism, and where warnings go. Plain structs with
//! `Default`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::RetryPolicy;
use crate::auth::Credentials;
use crate::tls::CERTS_D;

/// How a [`Client`](crate::Client) talks to registries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Settings of single registries, by registry name as a
    /// [`Reference`](crate::Reference) gives it (`docker.io`,
    /// `127.0.0.1:5000`); a registry not listed gets
    /// [`RegistryOptions::default`].
    pub registries: BTreeMap<String, RegistryOptions>,
    /// The timeouts of each request, by phase.
    pub timeouts: Timeouts,
    /// When failed requests are sent again.
    pub retry: RetryPolicy,
    /// How many blobs move at once to or from one registry.
    pub max_concurrent_blobs: usize,
    /// The root of the containers `certs.d` layout
    /// (`/etc/containers/certs.d`): the CAs and client certificate of
    /// registry `HOST[:PORT]` are in its directory `HOST[:PORT]`.
    pub certs_d: PathBuf,
    /// The `User-Agent` sent.
    pub user_agent: String,
    /// Where the registry's `Warning` headers go.
    pub warnings: WarningHandler,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            registries: BTreeMap::new(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            max_concurrent_blobs: DEFAULT_CONCURRENT_BLOBS,
            certs_d: PathBuf::from(CERTS_D),
            user_agent: format!("ocikit/{}", env!("CARGO_PKG_VERSION")),
            warnings: WarningHandler::default(),
        }
    }
}

/// Blobs in flight per registry: as many as skopeo copies at once, which
/// keeps a loopback or LAN registry busy without opening a connection per
/// layer of a large image.
pub const DEFAULT_CONCURRENT_BLOBS: usize = 6;

impl ClientOptions {
    /// The settings of `registry` (its name as a reference gives it).
    pub fn registry(&self, registry: &str) -> RegistryOptions {
        self.registries.get(registry).cloned().unwrap_or_default()
    }

    /// Sets the settings of `registry`, returning the options.
    pub fn with_registry(mut self, registry: &str, options: RegistryOptions) -> ClientOptions {
        self.registries.insert(registry.to_owned(), options);
        self
    }
}

/// How to reach one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryOptions {
    /// Verify the registry's TLS certificate (the default). `false` is
    /// skopeo's `--tls-verify=false`: https without verification is tried
    /// first and plain http when https fails to connect, and credentials
    /// may then go over either.
    pub tls_verify: bool,
    /// A directory of CAs and client certificates in the `certs.d` layout
    /// (`*.crt`, `*.cert` + `*.key`) used instead of the registry's
    /// directory under [`ClientOptions::certs_d`].
    pub cert_dir: Option<PathBuf>,
    /// Credentials for this registry, sent only to it (never to a host it
    /// redirects to), once it asks for them.
    pub credentials: Option<Credentials>,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            tls_verify: true,
            cert_dir: None,
            credentials: None,
        }
    }
}

/// The timeouts of one request, by phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection, TLS handshake included.
    pub connect: Duration,
    /// From the request sent to the response's headers (a registry may
    /// hash a whole blob before it answers the last upload request).
    pub response: Duration,
    /// The longest pause while a body is read or written.
    pub idle: Duration,
}

impl Default for Timeouts {
    /// 30 s to connect, 5 min for the headers of an answer, 60 s of
    /// silence in a body.
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(30),
            response: Duration::from_secs(300),
            idle: Duration::from_secs(60),
        }
    }
}

/// A `Warning: 299 - "text"` header of a registry (spec.md, "Warnings").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The registry that sent it.
    pub registry: String,
    /// The text, control characters replaced.
    pub text: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "registry {}: {}", self.registry, self.text)
    }
}

/// The callback type a [`WarningHandler`] holds.
type WarningCallback = dyn Fn(&Warning) + Send + Sync;

/// Where registry warnings go: a callback, or nowhere (the default). Each
/// distinct warning of a registry is reported once per client, as the
/// spec asks ("clients SHOULD deduplicate warnings").
#[derive(Clone, Default)]
pub struct WarningHandler(Option<Arc<WarningCallback>>);

impl WarningHandler {
    /// Reports to `callback`, from the thread that made the request.
    pub fn new(callback: impl Fn(&Warning) + Send + Sync + 'static) -> WarningHandler {
        WarningHandler(Some(Arc::new(callback)))
    }

    pub(crate) fn report(&self, warning: &Warning) {
        if let Some(callback) = &self.0 {
            callback(warning);
        }
    }
}

impl fmt::Debug for WarningHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "WarningHandler(callback)",
            None => "WarningHandler(none)",
        })
    }
}

/// Two handlers are equal when both report nowhere or both share one
/// callback.
impl PartialEq for WarningHandler {
    fn eq(&self, other: &WarningHandler) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for WarningHandler {}
