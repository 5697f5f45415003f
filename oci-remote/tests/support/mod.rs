//! What the registry client's tests share: a docker-registry launcher, a
//! scripted HTTP/1.1 server for what distribution 2.8.2 lacks, small images
//! built in a layout, and the peer-tool check.
#![allow(dead_code, clippy::unwrap_used)]

pub mod certs;
pub mod http;
pub mod images;
pub mod registry;
pub mod token;

/// Whether the tests run in CI (CI set to anything but empty, `0` or
/// `false`): a missing peer tool fails the test instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| {
        let value = value.to_string_lossy();
        !(value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false"))
    })
}

/// Whether the peer tool `name` is on PATH; when it is not, a failure in
/// CI and a notice on stderr (a skip) otherwise.
#[track_caller]
pub fn require_tool(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()));
    if !found {
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        assert!(
            !in_ci(),
            "{test}: peer tool `{name}` not found; .ci/install-peers.sh installs it"
        );
        eprintln!("SKIP {test}: peer tool `{name}` not found; .ci/install-peers.sh installs it");
    }
    found
}

/// A client for the plain-http registry at `address` (`tls_verify:
/// false`, as skopeo's `--tls-verify=false`).
pub fn insecure_client(address: &str) -> ocikit_remote::Client {
    ocikit_remote::Client::new(ocikit_remote::ClientOptions::default().with_registry(
        address,
        ocikit_remote::RegistryOptions {
            tls_verify: false,
            ..Default::default()
        },
    ))
}
