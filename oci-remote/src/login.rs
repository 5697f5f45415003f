//! Logging in and out as podman and skopeo do: [`Client::login`] checks
//! credentials against the registry (`GET /v2/` with them, distribution-spec
//! spec.md, "Determining support") and stores them in the auth file of
//! containers-auth.json(5) under the registry's name (or a
//! `registry/namespace` key); [`logout`] removes them. The file is
//! rewritten whole through a temporary file and a rename, mode 0600; every
//! member it had that is not the one changed keeps its exact text.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine;
use ocikit_layout::AtomicFile;
use serde_json::value::RawValue;

use crate::client::Call;
use crate::credentials::{auth_file, credentials_error, is_docker_hub, normalize_key};
use crate::transport::Method;
use crate::{Client, Credentials, Error, Result};

/// Where [`Client::login`] and [`logout`] keep credentials.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoginOptions {
    /// The auth file (`--authfile`); [`auth_file`] when `None`:
    /// `REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`.
    pub auth_file: Option<PathBuf>,
}

impl LoginOptions {
    fn path(&self) -> PathBuf {
        self.auth_file.clone().unwrap_or_else(auth_file)
    }
}

impl Client {
    /// Logs in to the registry of `key` (`quay.io`, `127.0.0.1:5000`, or
    /// `quay.io/team` for credentials of one namespace, as
    /// containers-auth.json(5) allows): `GET /v2/` with `credentials` must
    /// succeed (through Basic or a token server, whichever the registry
    /// asks for), then they are written under `key` to the auth file,
    /// which is returned. The client's TLS settings for the registry
    /// apply; its credentials for it are not used. A registry that asks
    /// for no credentials accepts any: they are stored as given, as
    /// podman and skopeo do.
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] for a malformed key; the registry's refusal
    /// ([`Error::Status`] with 401) or the token server's
    /// ([`Error::Token`]); [`Error::Credentials`] when the auth file is
    /// not a JSON object; [`Error::Layout`] when it cannot be written.
    pub fn login(
        &self,
        key: &str,
        credentials: &Credentials,
        options: &LoginOptions,
    ) -> Result<PathBuf> {
        let registry_name = registry_of(key)?;
        let client = self.with_credentials(registry_name, credentials);
        let registry = client.registry_named(registry_name)?;
        let who = match credentials.as_identity_token() {
            Some(_) => "log in with an identity token".to_owned(),
            None => format!("log in as {}", credentials.username),
        };
        registry.send(&Call::new(&registry, Method::Get, "/v2/", who, &[200]))?;
        let path = options.path();
        edit(&path, key, Some(credentials))?;
        Ok(path)
    }
}

/// Removes the credentials stored under `key` from the auth file: the key
/// itself and, for a registry name, the older spellings of it that point
/// to the same registry (`https://HOST/v1/`, Docker Hub's aliases). Returns
/// whether there were any (`false`: not logged in, the file unchanged).
///
/// # Errors
///
/// As [`Client::login`], but for the registry's answers.
pub fn logout(key: &str, options: &LoginOptions) -> Result<bool> {
    registry_of(key)?;
    edit(&options.path(), key, None)
}

/// The registry part of a key, after checking the key's form: a host, then
/// optional `/`-separated path components, no scheme, `@` or tag.
fn registry_of(key: &str) -> Result<&str> {
    let usage = |reason: &str| Error::Usage {
        reference: key.to_owned(),
        reason: reason.to_owned(),
    };
    if key.contains("://") {
        return Err(usage("a login key is a registry name, without http(s)://"));
    }
    let (registry, path) = key.split_once('/').unwrap_or((key, ""));
    if registry.is_empty()
        || !registry
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
    {
        return Err(usage("the registry name is not a host[:port]"));
    }
    if path.contains([':', '@']) || key.ends_with('/') || key.contains("//") {
        return Err(usage(
            "a login key is a registry name, optionally with a repository path, without tag or digest",
        ));
    }
    Ok(registry)
}

/// A JSON object's members in their order, each value as its exact text.
struct RawObject(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for RawObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = RawObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawObject, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push(member);
                }
                Ok(RawObject(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// Whether `existing` names what `key` names: the same key (hosts compare
/// without case), or, for a registry name, a URL key of that host or
/// another name of Docker Hub.
fn same_key(existing: &str, key: &str) -> bool {
    if existing.eq_ignore_ascii_case(key) {
        return true;
    }
    if key.contains('/') {
        return false;
    }
    let (existing, key) = (normalize_key(existing), key.to_ascii_lowercase());
    existing == key || (is_docker_hub(&existing) && is_docker_hub(&key))
}

/// Stores `credentials` under `key` (login), or removes `key` and its
/// other spellings (logout, `None`); whether the file changed.
fn edit(path: &Path, key: &str, credentials: Option<&Credentials>) -> Result<bool> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(credentials_error(path, &format!("cannot be read: {e}"))),
    };
    let not_changed = |what: &str| credentials_error(path, &format!("{what}; it is left as it is"));
    let top = if bytes.iter().all(u8::is_ascii_whitespace) {
        RawObject(Vec::new())
    } else {
        serde_json::from_slice::<RawObject>(&bytes)
            .map_err(|e| not_changed(&format!("is not a JSON object ({e})")))?
    };
    let auths = match top.0.iter().find(|(name, _)| name == "auths") {
        Some((_, raw)) => serde_json::from_str::<RawObject>(raw.get())
            .map_err(|_| not_changed("\"auths\" is not an object"))?,
        None => RawObject(Vec::new()),
    };

    let mut entries: Vec<(String, String)> = Vec::new();
    let mut changed = false;
    for (name, raw) in auths.0 {
        let matches = match credentials {
            Some(_) => name.eq_ignore_ascii_case(key),
            None => same_key(&name, key),
        };
        match (matches, credentials) {
            (false, _) => entries.push((name, raw.get().to_owned())),
            (true, None) => changed = true,
            (true, Some(credentials)) => {
                if !changed {
                    let kept = serde_json::from_str::<RawObject>(raw.get()).ok();
                    entries.push((key.to_owned(), entry(credentials, kept)));
                }
                changed = true;
            }
        }
    }
    if let Some(credentials) = credentials {
        if !changed {
            entries.push((key.to_owned(), entry(credentials, None)));
        }
        changed = true;
    }
    if !changed {
        return Ok(false);
    }

    let mut auths_text = String::from("{");
    write_members(&mut auths_text, &entries, 2);
    let mut members: Vec<(String, String)> = Vec::new();
    if !top.0.iter().any(|(name, _)| name == "auths") {
        members.push(("auths".into(), auths_text.clone()));
    }
    for (name, raw) in top.0 {
        let value = if name == "auths" {
            auths_text.clone()
        } else {
            raw.get().to_owned()
        };
        members.push((name, value));
    }
    let mut text = String::from("{");
    write_members(&mut text, &members, 1);
    text.push('\n');
    write(path, text.as_bytes())?;
    Ok(true)
}

/// The value of an `auths` entry for `credentials`: the members of the
/// entry it replaces but the credential ones, then `auth` (base64 of
/// `user:password`) or `identitytoken`.
fn entry(credentials: &Credentials, replaced: Option<RawObject>) -> String {
    let mut members: Vec<(String, String)> = replaced
        .map(|old| old.0)
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "auth" | "identitytoken" | "username" | "password"
            )
        })
        .map(|(name, raw)| (name, raw.get().to_owned()))
        .collect();
    let json = |text: &str| serde_json::Value::from(text).to_string();
    match credentials.as_identity_token() {
        Some(token) => members.push(("identitytoken".into(), json(token))),
        None => {
            let pair = format!("{}:{}", credentials.username, credentials.password);
            let auth = base64::engine::general_purpose::STANDARD.encode(pair);
            members.push(("auth".into(), json(&auth)));
        }
    }
    let mut text = String::from("{");
    write_members(&mut text, &members, 3);
    text
}

/// `"name": value` lines at `depth` tabs, then the closing brace one tab
/// less: the layout podman and skopeo write (Go's `MarshalIndent` with a
/// tab), so that a file they wrote changes only where it must.
fn write_members(out: &mut String, members: &[(String, String)], depth: usize) {
    if members.is_empty() {
        out.push('}');
        return;
    }
    let indent = "\t".repeat(depth);
    for (i, (name, value)) in members.iter().enumerate() {
        let comma = if i + 1 < members.len() { "," } else { "" };
        let name = serde_json::Value::from(name.as_str()).to_string();
        let _ = write!(out, "\n{indent}{name}: {value}{comma}");
    }
    let _ = write!(out, "\n{}}}", "\t".repeat(depth - 1));
}

/// Writes `bytes` to `path` crash-safely, mode 0600, creating its
/// directory (mode 0700) when missing.
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| credentials_error(dir, &format!("cannot be created: {e}")))?;
    }
    let file = AtomicFile::create_with_mode(path, 0o600)?;
    file.file()
        .write_all(bytes)
        .map_err(|e| credentials_error(path, &format!("cannot be written: {e}")))?;
    file.commit()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A file as podman writes it, with members we do not know.
    const PODMAN: &str = "{\n\t\"auths\": {\n\t\t\"a.example\": {\n\t\t\t\"auth\": \"YTox\"\n\t\t},\n\t\t\"b.example\": {\n\t\t\t\"auth\": \"Yjoy\",\n\t\t\t\"email\": \"b@example\"\n\t\t}\n\t},\n\t\"credHelpers\": {\"gcr.io\": \"gcloud\"},\n\t\"x-unknown\": [1, 2.50, {\"k\": null}]\n}\n";

    #[test]
    fn login_replaces_one_entry_and_keeps_the_rest_bytewise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/auth.json");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(&path, PODMAN).unwrap();
        assert!(edit(&path, "b.example", Some(&Credentials::new("n", "m"))).unwrap());
        // base64 of n:m is bjpt.
        let expected = PODMAN.replace(
            "\t\t\t\"auth\": \"Yjoy\",\n\t\t\t\"email\": \"b@example\"",
            "\t\t\t\"email\": \"b@example\",\n\t\t\t\"auth\": \"bjpt\"",
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
        // A new key goes last; an identity token as identitytoken.
        assert!(
            edit(
                &path,
                "c.example/team",
                Some(&Credentials::identity_token("t"))
            )
            .unwrap()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\t\t\"c.example/team\": {\n\t\t\t\"identitytoken\": \"t\"\n\t\t}\n\t},"),
            "{text}"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn logout_removes_every_spelling_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        std::fs::write(
            &path,
            r#"{"auths": {"docker.io": {"auth": "YTox"}, "https://index.docker.io/v1/": {}, "docker.io/team": {"auth": "YTox"}, "q.example": {}}}"#,
        )
        .unwrap();
        assert!(edit(&path, "docker.io", None).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n\t\"auths\": {\n\t\t\"docker.io/team\": {\"auth\": \"YTox\"},\n\t\t\"q.example\": {}\n\t}\n}\n"
        );
        assert!(!edit(&path, "docker.io", None).unwrap());
        assert!(edit(&path, "docker.io/team", None).unwrap());
        assert!(!edit(&dir.path().join("none.json"), "q.example", None).unwrap());
        assert!(!dir.path().join("none.json").exists());
    }

    #[test]
    fn files_that_are_not_objects_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        for bad in ["[]", "{\"auths\": 3}", "{"] {
            std::fs::write(&path, bad).unwrap();
            let err = edit(&path, "a.example", Some(&Credentials::new("u", "p"))).unwrap_err();
            assert!(err.to_string().contains("left as it is"), "{err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
        }
        std::fs::write(&path, "").unwrap();
        assert!(edit(&path, "a.example", Some(&Credentials::new("u", "p"))).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n\t\"auths\": {\n\t\t\"a.example\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t}\n}\n"
        );
    }

    #[test]
    fn keys_are_registry_names_with_an_optional_path() {
        for good in [
            "quay.io",
            "127.0.0.1:5000",
            "quay.io/team/app",
            "[::1]:5000",
        ] {
            assert!(registry_of(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "https://quay.io",
            "quay.io/app:v1",
            "quay.io/app@sha256:x",
            "quay.io/",
            "a b",
        ] {
            assert!(registry_of(bad).is_err(), "{bad}");
        }
    }
}
