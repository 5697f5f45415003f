//! `oci login` and `oci logout`, and credentials on the other registry
//! commands (`--authfile`, `--creds`, `--cert-dir`), against
//! docker-registry 2.8.2 with Basic credentials from an htpasswd file over
//! TLS, with a CA the test makes with openssl; the password from stdin and
//! from a terminal without echo.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Output, Stdio};

use ocikit_test_support::peers;
use ocikit_test_support::registry::Registry;
use support::{oci, run, succeeded, terminal, text};

const USER: &str = "bob";
const PASSWORD: &str = "s3cret:with:colons";

/// A registry over TLS with Basic credentials from htpasswd, its CA as
/// `ca.crt` in `ca_dir`; `None` when a peer is missing outside CI.
fn start(certs: &Path, ca_dir: &Path) -> Option<Registry> {
    if !peers::require_tool("skopeo") {
        return None;
    }
    let registry = Registry::start_basic_tls(certs, USER, PASSWORD)?;
    std::fs::copy(certs.join("ca.crt"), ca_dir.join("ca.crt")).unwrap();
    Some(registry)
}

/// `oci ARGS` with `input` on stdin, and without the environment's
/// credential files (the tests name theirs).
fn with_input(args: &[&str], input: &[u8]) -> Output {
    let mut command = oci();
    command.args(args).env("HOME", "/nonexistent");
    command.env_remove("REGISTRY_AUTH_FILE");
    command.env_remove("XDG_RUNTIME_DIR");
    command.env_remove("DOCKER_CONFIG");
    peers::output_with_input(&mut command, input)
}

/// Exit 1 and one line on stderr, returned.
#[track_caller]
fn fails(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn login_push_pull_logout_with_an_auth_file_and_creds() {
    let certs = tempfile::tempdir().unwrap();
    let ca = tempfile::tempdir().unwrap();
    let Some(registry) = start(certs.path(), ca.path()) else {
        return;
    };
    let ca = ca.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("file"), "with credentials\n").unwrap();
    let image = format!("{}:v1", source.display());
    let out = run(&["build", tree.to_str().unwrap(), &image]);
    let digest = succeeded(&out);
    let app = registry.reference("basic/app:v1");
    let auth_file = dir.path().join("auth.json");
    let file = auth_file.to_str().unwrap();

    // Anonymous: refused, the registry, repository and code named (the
    // body of a 401 to a GET; a HEAD's has none).
    let line = fails(&with_input(&["tags", &app, "--cert-dir", ca], b""));
    assert_eq!(
        line,
        format!(
            "oci: registry {}, repository basic/app: list tags: HTTP 401 (UNAUTHORIZED: authentication required)\n",
            registry.address
        )
    );
    let line = fails(&with_input(&["push", &image, &app, "--cert-dir", ca], b""));
    assert!(line.contains("HTTP 401"), "{line}");
    // Without the CA: the certificate is refused.
    let line = fails(&with_input(
        &["tags", &app, "--creds", &format!("{USER}:{PASSWORD}")],
        b"",
    ));
    assert!(
        line.contains(&format!("registry {}", registry.address)),
        "{line}"
    );
    assert!(
        line.to_lowercase().contains("certificate") || line.contains("UnknownIssuer"),
        "{line}"
    );

    // A wrong password: refused, nothing written.
    let login = [
        "login",
        &registry.address,
        "-u",
        USER,
        "--password-stdin",
        "--authfile",
        file,
        "--cert-dir",
        ca,
    ];
    let line = fails(&with_input(&login, b"wrong\n"));
    assert!(line.contains("HTTP 401"), "{line}");
    assert!(!auth_file.exists());
    // The right one (a final newline is not part of it).
    let said = succeeded(&with_input(&login, format!("{PASSWORD}\n").as_bytes()));
    assert_eq!(
        said,
        format!(
            "Login succeeded: credentials for {} stored in {file}\n",
            registry.address
        )
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&auth_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // With the file: push and pull; skopeo reads the same file.
    let with_file = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--authfile", file, "--cert-dir", ca]);
        with_input(&args, b"")
    };
    assert_eq!(succeeded(&with_file(&["push", &image, &app])), digest);
    let pulled = format!("{}:v1", dir.path().join("pulled").display());
    assert!(succeeded(&with_file(&["pull", &app, &pulled])).contains(digest.trim()));
    let raw = peers::skopeo(&[
        "inspect",
        "--raw",
        "--authfile",
        file,
        "--cert-dir",
        ca,
        &app,
    ]);
    assert_eq!(
        ocikit_image::Digest::sha256(&raw).to_string(),
        digest.trim()
    );
    assert_eq!(
        succeeded(&with_file(&["tags", &registry.reference("basic/app")])),
        "v1\n"
    );

    // --creds comes before the file: wrong ones fail though the file is
    // right, right ones succeed with a file that has none.
    let line = fails(&with_file(&["tags", &app, "--creds", "bob:wrong"]));
    assert!(line.contains("HTTP 401"), "{line}");
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "{}").unwrap();
    let creds = format!("{USER}:{PASSWORD}");
    let out = with_input(
        &[
            "tags",
            &app,
            "--creds",
            &creds,
            "--authfile",
            empty.to_str().unwrap(),
            "--cert-dir",
            ca,
        ],
        b"",
    );
    assert_eq!(succeeded(&out), "v1\n");
    // login --creds checks and stores them as -u does.
    let other = dir.path().join("other.json");
    let o = other.to_str().unwrap();
    succeeded(&with_input(
        &[
            "login",
            &registry.address,
            "--creds",
            &creds,
            "--authfile",
            o,
            "--cert-dir",
            ca,
        ],
        b"",
    ));
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&other).unwrap()).unwrap();
    assert!(
        stored["auths"][&registry.address]["auth"].is_string(),
        "{stored}"
    );

    // Logout: the entry goes; then the registry refuses again, and a second
    // logout says there was nothing.
    let said = succeeded(&with_input(
        &["logout", &registry.address, "--authfile", file],
        b"",
    ));
    assert_eq!(
        said,
        format!(
            "Removed the credentials for {} from {file}\n",
            registry.address
        )
    );
    let line = fails(&with_file(&["tags", &app]));
    assert!(line.contains("HTTP 401"), "{line}");
    let line = fails(&with_input(
        &["logout", &registry.address, "--authfile", file],
        b"",
    ));
    assert_eq!(
        line,
        format!(
            "oci: not logged in to {}: {file} has no credentials for it\n",
            registry.address
        )
    );
    // A user name is needed when the password comes from stdin: a usage
    // error (exit 2), refused before stdin is read (none is given, or the
    // write could break).
    let out = with_input(
        &[
            "login",
            &registry.address,
            "--password-stdin",
            "--authfile",
            file,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--username"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_password_is_asked_for_on_the_terminal_without_echo() {
    if !peers::require_tool("script") {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let ca = tempfile::tempdir().unwrap();
    let Some(registry) = start(certs.path(), ca.path()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let auth_file = dir.path().join("auth.json");
    let mut child = terminal(&[
        "login",
        &registry.address,
        "-u",
        USER,
        "--authfile",
        auth_file.to_str().unwrap(),
        "--cert-dir",
        ca.path().to_str().unwrap(),
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    // The password is typed once the prompt is shown, as a user does: oci
    // turns the echo off before it shows the prompt, so nothing typed after
    // it may be echoed (with the prompt first, this failed under load).
    let mut shown = Vec::new();
    let mut stdout = child.stdout.take().unwrap();
    let mut byte = [0u8];
    while !shown.ends_with(b"Password: ") {
        assert_eq!(stdout.read(&mut byte).unwrap(), 1, "{}", text(&shown));
        shown.push(byte[0]);
    }
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    stdout.read_to_end(&mut shown).unwrap();
    let status = child.wait().unwrap();
    let shown = text(&shown);
    assert!(status.success(), "{shown}");
    assert!(!shown.contains(PASSWORD), "{shown:?}");
    assert!(shown.contains("Login succeeded"), "{shown:?}");
    let stored = std::fs::read_to_string(&auth_file).unwrap();
    assert!(stored.contains(&registry.address), "{stored}");
}
