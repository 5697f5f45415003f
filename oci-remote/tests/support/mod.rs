//! What the registry client's tests share beyond ocikit-test-support:
//! small images built in a layout, a token server (its ES256 JWTs need
//! p256, which the fuzz package that builds ocikit-test-support does not),
//! and a client for a plain-http registry.
#![allow(dead_code, clippy::unwrap_used)]

pub mod images;
pub mod token;

/// A client for the plain-http registry at `address` (`tls_verify:
/// false`, as skopeo's `--tls-verify=false`).
pub fn insecure_client(address: &str) -> ocikit_remote::Client {
    insecure_client_with(address, ocikit_remote::ClientOptions::default(), None)
}

/// [`insecure_client`] with `options` for the rest and `credentials` for
/// the registry.
pub fn insecure_client_with(
    address: &str,
    options: ocikit_remote::ClientOptions,
    credentials: Option<ocikit_remote::Credentials>,
) -> ocikit_remote::Client {
    ocikit_remote::Client::new(options.with_registry(
        address,
        ocikit_remote::RegistryOptions {
            tls_verify: false,
            credentials,
            ..Default::default()
        },
    ))
}
