//! Credentials from a Docker config with `credHelpers` and `credsStore`,
//! through a fake `docker-credential-test` helper put on PATH: found,
//! not found, and the helper's failures (too slow, too talkative, broken,
//! missing, a name that is a path), each named in the error. The lookups
//! run in a child process of this test, whose PATH has the helper (a test
//! cannot change its own environment safely).
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use ocikit_remote::{CredentialSources, Credentials};
use ocikit_test_support::children::ignored_test;

const CONFIG_VAR: &str = "OCIKIT_TEST_DOCKER_CONFIG";

const HELPER: &str = r#"#!/bin/sh
[ "$1" = get ] || exit 2
read -r server || true
case "$server" in
helper.example) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}' "$server" ;;
https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"hub-token"}' "$server" ;;
slow.example) exec sleep 20 ;;
loud.example) head -c 200000 /dev/zero | tr '\0' x ;;
broken.example) echo "the keychain is locked" >&2; exit 1 ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
"#;

/// The lookups, in a child whose PATH has the helper.
#[test]
#[ignore = "a child process of helpers_are_run_bounded_and_named_in_errors"]
fn child_lookups() {
    let sources = CredentialSources {
        files: vec![
            std::env::var(CONFIG_VAR)
                .expect("run by a parent test")
                .into(),
        ],
        helper_timeout: Duration::from_secs(1),
        ..CredentialSources::default()
    };
    let found = |registry: &str| {
        sources
            .lookup(registry, None)
            .unwrap()
            .map(|f| (f.credentials, f.origin))
    };
    let helper = "docker-credential-test".to_owned();
    assert_eq!(
        found("helper.example"),
        Some((
            Credentials::new("helper-user", "helper-pass"),
            helper.clone()
        ))
    );
    // Docker Hub through credsStore, under Docker's key for it; an
    // identity token as the helpers write one.
    assert_eq!(
        found("docker.io"),
        Some((Credentials::identity_token("hub-token"), helper))
    );
    let (credentials, origin) = found("file.example").unwrap();
    assert_eq!(credentials, Credentials::new("f", "g"));
    assert!(
        origin.ends_with("config.json (key file.example)"),
        "{origin}"
    );
    assert_eq!(found("nothing.example"), None);

    let error = |registry: &str| sources.lookup(registry, None).unwrap_err().to_string();
    let started = Instant::now();
    let slow = error("slow.example");
    assert!(started.elapsed() < Duration::from_secs(10), "{slow}");
    for (registry, message) in [
        (
            "slow.example",
            "credentials: docker-credential-test: gave no answer within 1 s and was killed",
        ),
        (
            "loud.example",
            "credentials: docker-credential-test: wrote more than 65536 bytes",
        ),
        (
            "broken.example",
            "credentials: docker-credential-test: get for broken.example: exit status: 1: the keychain is locked",
        ),
        (
            "missing.example",
            "credentials: docker-credential-absent: cannot be run",
        ),
        (
            "path.example",
            "credentials: docker-credential-../bin/sh: \"../bin/sh\" is not a credential helper name",
        ),
    ] {
        let text = if registry == "slow.example" {
            slow.clone()
        } else {
            error(registry)
        };
        assert!(text.starts_with(message), "{registry}: {text}");
    }
}

#[test]
fn helpers_are_run_bounded_and_named_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-test");
    std::fs::write(&helper, HELPER).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        r#"{
            "auths": {"file.example": {"auth": "Zjpn"}, "https://index.docker.io/v1/": {}},
            "credHelpers": {
                "helper.example": "test", "slow.example": "test", "loud.example": "test",
                "broken.example": "test", "missing.example": "absent", "path.example": "../bin/sh"
            },
            "credsStore": "test"
        }"#,
    )
    .unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(&path));
    let output = ignored_test("child_lookups")
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env(CONFIG_VAR, &config)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && said.contains("1 passed"),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
