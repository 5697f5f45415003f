#![doc = include_str!("../README.md")]
//!
//! # A tour
//!
//! - [`Reference`]: `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`, Docker Hub
//!   names filled in, the distribution-spec grammar checked.
//! - [`Client`]: one per program; [`ClientOptions`] say how each registry
//!   is reached ([`RegistryOptions`]: TLS, certificate directory,
//!   [`Credentials`]), the [`Timeouts`] of each phase of a request, the
//!   [`RetryPolicy`], and where registry [`Warning`]s go.
//! - [`Client::pull`] into an [`ocikit_layout::Layout`], [`Client::push`]
//!   from one; [`Client::tags`], [`Client::catalog`],
//!   [`Client::referrers`], [`Client::head_manifest`],
//!   [`Client::fetch_manifest`], [`Client::fetch_blob`],
//!   [`Client::delete_manifest`], [`Client::delete_blob`].
//! - Authentication as the registry asks: anonymous, Basic, or Bearer
//!   tokens of the Docker token protocol (cached per scope set, renewed
//!   before they expire; OAuth2 for identity tokens).
//!   [`CredentialSources`] finds [`Credentials`] as podman, skopeo and
//!   docker do (auth files, Docker's config, `docker-credential-*`
//!   helpers); [`Client::login`] checks and stores them in the auth file
//!   ([`auth_file`]), [`logout`] removes them.
//! - [`Error`]: every message names the registry, the repository, the
//!   operation, the HTTP status and the registry's error codes.
//!
//! # Security
//!
//! A registry, and anything it redirects to, may be hostile. This crate
//! defends against:
//!
//! - **credential leaks**: `Authorization` is only ever added to requests
//!   for the registry's own origin (scheme, host and port), after the
//!   registry asked; redirects are followed by this crate, not by the HTTP
//!   library, so a redirect to blob storage on another host (or to the same
//!   host over plain http) carries none. Layers fetched from their `urls`
//!   carry none either, whatever the host. The one other place credentials
//!   go is the token server a registry's Bearer challenge names (its
//!   realm), as the Docker token protocol has it: so a registry is trusted
//!   to name its token server, and the realm must be https (plain http only
//!   on the host of a registry the caller marked insecure). Tokens go to
//!   the registry's origin only, like credentials;
//! - **downgrades**: a redirect from https to http is refused; TLS is
//!   verified unless the caller marks the registry insecure;
//! - **wrong content**: every manifest is verified against the digest asked
//!   for (or the registry's `Docker-Content-Digest`), every blob against its
//!   descriptor's digest and size before it is committed to the layout;
//! - **memory and time exhaustion**: manifests are capped while they are
//!   read (4 MiB by default, whatever `Content-Length` says), blobs stream
//!   through fixed buffers and stop one byte past their size, error bodies,
//!   listing pages and warnings are read up to a bound, redirects (10) and
//!   listing pages ([`MAX_PAGES`]) are bounded and loops detected, retries
//!   are bounded in count and time;
//! - **partial images**: the tag of a pull is written after every blob and
//!   document is stored, so an interrupted pull leaves no tag to a partial
//!   image;
//! - **terminal escapes**: text from the registry that reaches a message
//!   (error codes, warnings) has its control characters replaced;
//! - **credential files and helpers**: auth files are written mode 0600
//!   by rename, keeping what they held; a file others may read is used
//!   with a warning ([`FoundCredentials::warnings`]); credential helpers
//!   run with a time limit and bounded output.
//!
//! # Limitations
//!
//! - A client certificate whose key does not match it makes the TLS
//!   library panic when the first connection is set up.

mod auth;
mod client;
mod credentials;
mod discovery;
mod error;
mod login;
mod manifest;
mod options;
mod parallel;
mod pull;
mod push;
mod reference;
mod retry;
mod tls;
mod transport;
mod url;

pub use auth::Credentials;
pub use client::Client;
pub use credentials::{
    CredentialSources, DEFAULT_HELPER_TIMEOUT, FoundCredentials, HELPER_OUTPUT_LIMIT, auth_file,
};
pub use discovery::{MAX_PAGES, Referrers};
pub use error::{Error, RegistryError, Result};
pub use login::{LoginOptions, logout};
pub use manifest::{DEFAULT_MANIFEST_LIMIT, Manifest};
pub use options::{
    ClientOptions, DEFAULT_CONCURRENT_BLOBS, RegistryOptions, Timeouts, Warning, WarningHandler,
};
pub use pull::{Platforms, PullOptions, Pulled};
pub use push::{DEFAULT_CHUNK_SIZE, MAX_TAG_ATTEMPTS, PushOptions, Pushed, referrers_tag};
pub use reference::{DEFAULT_TAG, DOCKER_HUB, DOCKER_HUB_ENDPOINT, Reference, SCHEME};
pub use retry::RetryPolicy;
pub use tls::CERTS_D;
