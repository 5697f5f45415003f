//! Where a registry's credentials are found, as podman, skopeo and docker
//! find them: given directly, else in the files of containers-auth.json(5)
//! and Docker's `config.json` (one format: `auths`, `credHelpers`,
//! `credsStore`), reading `docker-credential-NAME` helpers where a file
//! names one.
//!
//! Per file, for registry `R` and repository `a/b`: a `credHelpers` entry
//! for `R`; then `auths` keys `R/a/b`, `R/a`, `R` (the most specific
//! first, as containers-auth.json(5) describes namespaced keys); then keys
//! written as URLs (`https://R/v1/`, as older docker logins wrote them);
//! then the `credsStore` helper. Docker Hub is `docker.io`,
//! `index.docker.io`, `registry-1.docker.io` or
//! `https://index.docker.io/v1/`, whichever a file uses.

mod helper;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;

use crate::reference::DOCKER_HUB;
use crate::{Credentials, Error, Result};

pub use helper::HELPER_OUTPUT_LIMIT;

/// The key Docker uses for Docker Hub, in files and with helpers.
pub(crate) const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// How long a credential helper may take before it is killed: it may ask
/// a keyring or a cloud API, but never a person at a prompt for long.
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// Where credentials are looked up, in order.
///
/// ```no_run
/// use ocikit_remote::{ClientOptions, CredentialSources, RegistryOptions};
///
/// let sources = CredentialSources::from_env();
/// let mut options = ClientOptions::default();
/// if let Some(found) = sources.lookup("quay.io", Some("team/app"))? {
///     for warning in &found.warnings {
///         eprintln!("warning: {warning}");
///     }
///     let registry = RegistryOptions {
///         credentials: Some(found.credentials),
///         ..RegistryOptions::default()
///     };
///     options = options.with_registry("quay.io", registry);
/// }
/// # Ok::<(), ocikit_remote::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSources {
    /// Credentials given directly (`--creds`), used before any file.
    pub given: Option<Credentials>,
    /// Credential files in the order they are read: containers'
    /// `auth.json` and Docker's `config.json` alike. A missing file is
    /// skipped.
    pub files: Vec<PathBuf>,
    /// How long a credential helper may run.
    pub helper_timeout: Duration,
}

impl Default for CredentialSources {
    /// No credentials and no files: every registry anonymous.
    fn default() -> CredentialSources {
        CredentialSources {
            given: None,
            files: Vec::new(),
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
        }
    }
}

/// Credentials found, where, and what is worth telling about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCredentials {
    /// The credentials.
    pub credentials: Credentials,
    /// Where they were found: `given`, `FILE (key KEY)`, or
    /// `docker-credential-NAME`.
    pub origin: String,
    /// Warnings for the user: a credentials file others may read.
    pub warnings: Vec<String>,
}

impl CredentialSources {
    /// The files podman and skopeo read, from the environment: only
    /// `REGISTRY_AUTH_FILE` when it is set (a file the user chose is the
    /// one used, as containers/image does); else [`auth_file`],
    /// `$XDG_CONFIG_HOME/containers/auth.json` (or
    /// `~/.config/containers/auth.json`), and Docker's config
    /// (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`).
    pub fn from_env() -> CredentialSources {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(file) = var("REGISTRY_AUTH_FILE") {
            return CredentialSources::with_file(file);
        }
        let home = var("HOME").map(PathBuf::from);
        let mut files = vec![auth_file()];
        if let Some(config) = var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")))
        {
            files.push(config.join("containers/auth.json"));
        }
        if let Some(docker) = var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".docker")))
        {
            files.push(docker.join("config.json"));
        }
        CredentialSources {
            files,
            ..CredentialSources::default()
        }
    }

    /// Only `file` (`--authfile`).
    pub fn with_file(file: impl Into<PathBuf>) -> CredentialSources {
        CredentialSources {
            files: vec![file.into()],
            ..CredentialSources::default()
        }
    }

    /// The credentials for `registry` (as a [`Reference`](crate::Reference)
    /// names it: `docker.io`, `127.0.0.1:5000`), for `repository` when
    /// namespaced keys are to be matched; `None` when no source has any.
    ///
    /// # Errors
    ///
    /// [`Error::Credentials`] naming the file or helper: a file that
    /// cannot be read or is not JSON, an `auth` that is not base64 of
    /// `user:password`, a helper that cannot run, fails, runs too long or
    /// says too much.
    pub fn lookup(
        &self,
        registry: &str,
        repository: Option<&str>,
    ) -> Result<Option<FoundCredentials>> {
        if let Some(given) = &self.given {
            return Ok(Some(FoundCredentials {
                credentials: given.clone(),
                origin: "given".into(),
                warnings: Vec::new(),
            }));
        }
        for file in &self.files {
            if let Some(found) = self.lookup_in(file, registry, repository)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    fn lookup_in(
        &self,
        path: &Path,
        registry: &str,
        repository: Option<&str>,
    ) -> Result<Option<FoundCredentials>> {
        let Some((file, warnings)) = read_file(path)? else {
            return Ok(None);
        };
        let helper = |name: &str, server: &str| -> Result<Option<FoundCredentials>> {
            Ok(
                helper::get(name, server, self.helper_timeout)?.map(|credentials| {
                    FoundCredentials {
                        credentials,
                        origin: format!("docker-credential-{name}"),
                        warnings: Vec::new(),
                    }
                }),
            )
        };
        let registry = registry.to_ascii_lowercase();
        let hub = is_docker_hub(&registry);
        if let Some((key, name)) = file
            .cred_helpers
            .iter()
            .find(|(key, _)| *key == registry || (hub && is_docker_hub(&normalize_key(key))))
            && let Some(found) = helper(name, key)?
        {
            return Ok(Some(found));
        }
        let mut exact = vec![registry.clone()];
        if let Some(repository) = repository {
            let mut key = registry.clone();
            for component in repository.split('/') {
                key = format!("{key}/{component}");
                exact.push(key.clone());
            }
        }
        let by_exact = exact
            .iter()
            .rev()
            .find_map(|wanted| file.auths.iter().find(|(key, _)| key == wanted));
        let by_normalized = || {
            file.auths.iter().find(|(key, _)| {
                let key = normalize_key(key);
                key == registry || (hub && is_docker_hub(&key))
            })
        };
        if let Some((key, entry)) = by_exact.or_else(by_normalized)
            && let Some(credentials) = decode_entry(entry)
                .map_err(|reason| credentials_error(path, &format!("key {key:?}: {reason}")))?
        {
            return Ok(Some(FoundCredentials {
                credentials,
                origin: format!("{} (key {key})", path.display()),
                warnings,
            }));
        }
        if let Some(store) = &file.creds_store {
            let server = if hub { DOCKER_HUB_KEY } else { &registry };
            return helper(store, server);
        }
        Ok(None)
    }
}

/// The file podman and skopeo log in to, and log out of:
/// `REGISTRY_AUTH_FILE` when set, else `$XDG_RUNTIME_DIR/containers/auth.json`,
/// else `/run/containers/$UID/auth.json` (containers-auth.json(5) and
/// containers/image's choice when `XDG_RUNTIME_DIR` is unset).
pub fn auth_file() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(file) = var("REGISTRY_AUTH_FILE") {
        return PathBuf::from(file);
    }
    match var("XDG_RUNTIME_DIR") {
        Some(dir) => PathBuf::from(dir).join("containers/auth.json"),
        None => PathBuf::from(format!(
            "/run/containers/{}/auth.json",
            rustix::process::getuid().as_raw()
        )),
    }
}

/// What a credentials file says, its `auths` entries and helpers in the
/// order the file gives them.
#[derive(Debug, Default)]
struct CredentialFile {
    auths: Vec<(String, serde_json::Value)>,
    cred_helpers: Vec<(String, String)>,
    creds_store: Option<String>,
}

/// The largest credentials file read: real ones hold a few entries.
const FILE_LIMIT: u64 = 4 << 20;

/// `path` parsed, with a warning when others may read it; `None` when it
/// does not exist.
fn read_file(path: &Path) -> Result<Option<(CredentialFile, Vec<String>)>> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;

    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(credentials_error(path, &format!("cannot be opened: {e}"))),
    };
    let mut warnings = Vec::new();
    if let Ok(metadata) = file.metadata()
        && metadata.permissions().mode() & 0o044 != 0
    {
        warnings.push(format!(
            "{} holds credentials and others may read it (mode {:o}); chmod 600 it",
            path.display(),
            metadata.permissions().mode() & 0o777
        ));
    }
    let mut bytes = Vec::new();
    file.take(FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| credentials_error(path, &format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(credentials_error(
            path,
            &format!("is larger than {FILE_LIMIT} bytes"),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Some((CredentialFile::default(), warnings)));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| credentials_error(path, &format!("is not valid JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| credentials_error(path, "is not a JSON object"))?;
    let mut file = CredentialFile::default();
    if let Some(auths) = object.get("auths") {
        let auths = auths
            .as_object()
            .ok_or_else(|| credentials_error(path, "\"auths\" is not an object"))?;
        file.auths = auths
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
    }
    if let Some(helpers) = object.get("credHelpers").and_then(|h| h.as_object()) {
        file.cred_helpers = helpers
            .iter()
            .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
            .collect();
    }
    file.creds_store = object
        .get("credsStore")
        .and_then(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(Some((file, warnings)))
}

/// The credentials of an `auths` entry: `identitytoken` when it has one,
/// else `auth` (base64 of `user:password`), else `username` and
/// `password`; `None` for an empty entry (what docker writes beside a
/// `credsStore`). The reason, without any secret, when it is malformed.
fn decode_entry(entry: &serde_json::Value) -> std::result::Result<Option<Credentials>, String> {
    let field = |name: &str| entry.get(name).and_then(|v| v.as_str()).unwrap_or("");
    if !field("identitytoken").is_empty() {
        return Ok(Some(Credentials::identity_token(field("identitytoken"))));
    }
    let auth = field("auth");
    if !auth.is_empty() {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| "\"auth\" is not base64".to_owned())?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| "\"auth\" does not decode to UTF-8 text".to_owned())?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or("\"auth\" does not decode to user:password")?;
        // Some tools pad the pair with NULs; containers/image drops them.
        return Ok(Some(Credentials::new(
            username,
            password.trim_end_matches('\0'),
        )));
    }
    if !field("username").is_empty() {
        return Ok(Some(Credentials::new(field("username"), field("password"))));
    }
    Ok(None)
}

/// A key as a registry name: a URL (`https://host/v1/`) becomes its host.
pub(crate) fn normalize_key(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    match lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    {
        Some(rest) => rest.split('/').next().unwrap_or(rest).to_owned(),
        None => lower,
    }
}

/// Whether `registry` (a normalized key) is one of Docker Hub's names.
pub(crate) fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        DOCKER_HUB | "index.docker.io" | "registry-1.docker.io"
    )
}

pub(crate) fn credentials_error(path: &Path, reason: &str) -> Error {
    Error::Credentials {
        origin: path.display().to_string(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lookup(json: &str, registry: &str, repository: Option<&str>) -> Option<(String, String)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        std::fs::write(&path, json).unwrap();
        let found = CredentialSources::with_file(&path)
            .lookup(registry, repository)
            .unwrap()?;
        assert!(found.origin.starts_with(&path.display().to_string()));
        Some((found.credentials.username, found.credentials.password))
    }

    fn pair(user: &str, pass: &str) -> Option<(String, String)> {
        Some((user.to_owned(), pass.to_owned()))
    }

    #[test]
    fn namespaced_keys_match_the_most_specific_first() {
        // base64 of a:1, b:2, c:3.
        let file = r#"{"auths": {
            "quay.io": {"auth": "YTox"},
            "quay.io/team": {"auth": "Yjoy"},
            "quay.io/team/app": {"auth": "Yzoz"}
        }}"#;
        assert_eq!(lookup(file, "quay.io", Some("team/app")), pair("c", "3"));
        assert_eq!(lookup(file, "quay.io", Some("team/other")), pair("b", "2"));
        assert_eq!(lookup(file, "quay.io", Some("teams/app")), pair("a", "1"));
        assert_eq!(lookup(file, "quay.io", None), pair("a", "1"));
        assert_eq!(lookup(file, "quay.io:443", None), None);
    }

    #[test]
    fn docker_hub_and_url_keys() {
        let docker = r#"{"auths": {"https://index.docker.io/v1/": {"auth": "YTox"},
                                   "http://old.example:5000/v1/": {"auth": "Yjoy"}}}"#;
        assert_eq!(
            lookup(docker, "docker.io", Some("library/alpine")),
            pair("a", "1")
        );
        assert_eq!(lookup(docker, "old.example:5000", None), pair("b", "2"));
        let podman = r#"{"auths": {"docker.io": {"auth": "YToxOjI="}}}"#;
        assert_eq!(lookup(podman, "docker.io", None), pair("a", "1:2"));
    }

    #[test]
    fn entries_decode_or_say_why_not() {
        let token = r#"{"auths": {"r.example": {"auth": "", "identitytoken": "tok"}}}"#;
        assert_eq!(lookup(token, "r.example", None), pair("<token>", "tok"));
        let fields = r#"{"auths": {"r.example": {"username": "u", "password": "p"}}}"#;
        assert_eq!(lookup(fields, "r.example", None), pair("u", "p"));
        assert_eq!(
            lookup(r#"{"auths": {"r.example": {}}}"#, "r.example", None),
            None
        );
        assert_eq!(lookup("", "r.example", None), None);
        for (bad, reason) in [
            (
                r#"{"auths": {"r.example": {"auth": "!!"}}}"#,
                "is not base64",
            ),
            (
                r#"{"auths": {"r.example": {"auth": "bm9jb2xvbg=="}}}"#,
                "user:password",
            ),
            (r#"{"auths": []}"#, "\"auths\" is not an object"),
            ("{", "is not valid JSON"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("auth.json");
            std::fs::write(&path, bad).unwrap();
            let err = CredentialSources::with_file(&path)
                .lookup("r.example", None)
                .unwrap_err();
            assert!(err.to_string().contains(reason), "{err}");
            assert!(err.to_string().contains(&path.display().to_string()));
        }
    }

    #[test]
    fn given_first_then_files_in_order_and_loose_modes_warned() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("1.json"), dir.path().join("2.json"));
        std::fs::write(&first, r#"{"auths": {"other.example": {"auth": "YTox"}}}"#).unwrap();
        std::fs::write(&second, r#"{"auths": {"r.example": {"auth": "Yjoy"}}}"#).unwrap();
        std::fs::set_permissions(&second, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut sources = CredentialSources {
            files: vec![dir.path().join("missing.json"), first, second.clone()],
            ..CredentialSources::default()
        };
        let found = sources.lookup("r.example", None).unwrap().unwrap();
        assert_eq!(found.credentials, Credentials::new("b", "2"));
        assert_eq!(found.warnings.len(), 1);
        assert!(
            found.warnings[0].contains("mode 640"),
            "{:?}",
            found.warnings
        );
        std::fs::set_permissions(&second, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(
            sources
                .lookup("r.example", None)
                .unwrap()
                .unwrap()
                .warnings
                .is_empty()
        );
        sources.given = Some(Credentials::new("g", "h"));
        let found = sources.lookup("r.example", None).unwrap().unwrap();
        assert_eq!(
            (found.credentials.username.as_str(), found.origin.as_str()),
            ("g", "given")
        );
        assert_eq!(
            CredentialSources::default()
                .lookup("r.example", None)
                .unwrap(),
            None
        );
    }
}
