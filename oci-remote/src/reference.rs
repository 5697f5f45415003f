//! Registry references: `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`, as skopeo
//! writes them, or the same without the scheme, with Docker Hub's short
//! names filled in (distribution-spec spec.md, "Pulling manifests", for the
//! grammar of `<name>` and of tags).

use std::fmt;
use std::str::FromStr;

use ocikit_image::Digest;

use crate::{Error, Result};

/// The registry a name without a host means.
pub const DOCKER_HUB: &str = "docker.io";

/// Where Docker Hub's registry API answers (`docker.io` itself does not).
pub const DOCKER_HUB_ENDPOINT: &str = "registry-1.docker.io";

/// The tag a reference without tag or digest means.
pub const DEFAULT_TAG: &str = "latest";

/// The scheme skopeo and the `oci` tool write before a registry reference.
pub const SCHEME: &str = "docker://";

/// The longest `registry/repository` many clients accept (spec.md,
/// "Pulling manifests", implementers note).
const MAX_NAME: usize = 255;

/// The longest tag (spec.md, "Pulling manifests").
const MAX_TAG: usize = 128;

/// An image in a registry: the registry's host (and port), the repository,
/// and a tag, a digest, or both (then the digest is what is fetched, the
/// tag only a name for people).
///
/// Parsing follows Docker's rules for short names: a first component
/// without a `.` or a `:` that is not `localhost` is not a host, so the
/// image is on Docker Hub, and a one-component repository there is in
/// `library/`. Without tag or digest, the tag is `latest`. [`Display`]
/// writes the full form without the scheme.
///
/// ```
/// use ocikit_remote::Reference;
///
/// let alpine: Reference = "alpine".parse()?;
/// assert_eq!(alpine.to_string(), "docker.io/library/alpine:latest");
/// assert_eq!(alpine.endpoint(), "registry-1.docker.io");
///
/// let local: Reference = "docker://127.0.0.1:5000/team/app@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b".parse()?;
/// assert_eq!(local.registry(), "127.0.0.1:5000");
/// assert_eq!(local.repository(), "team/app");
/// assert_eq!(local.tag(), None);
/// assert!(local.digest().is_some());
/// # Ok::<(), ocikit_remote::Error>(())
/// ```
///
/// [`Display`]: fmt::Display
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`, or the same without
    /// `docker://`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidReference`] saying which part breaks the grammar.
    pub fn parse(text: &str) -> Result<Reference> {
        let invalid = |reason: String| Error::InvalidReference {
            reference: text.to_owned(),
            reason,
        };
        let rest = text.strip_prefix(SCHEME).unwrap_or(text);
        if rest.contains("://") {
            return Err(invalid(
                "only docker:// references name a registry image".into(),
            ));
        }
        let (rest, digest) = match rest.split_once('@') {
            Some((name, digest)) => {
                let digest = Digest::parse(digest)
                    .map_err(|e| invalid(format!("the digest is not valid: {e}")))?;
                (name, Some(digest))
            }
            None => (rest, None),
        };
        // A tag follows the last `:` that comes after the last `/` (a `:`
        // before it belongs to the host's port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(&rest[at + 1..]))
            }
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, path)) if looks_like_host(first) => (first.to_owned(), path.to_owned()),
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_owned(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        check_host(&registry).map_err(&invalid)?;
        check_repository(&repository).map_err(&invalid)?;
        if registry.len() + 1 + repository.len() > MAX_NAME {
            return Err(invalid(format!(
                "the name is longer than {MAX_NAME} characters"
            )));
        }
        if let Some(tag) = tag {
            check_tag(tag).map_err(&invalid)?;
        }
        let tag = match (tag, &digest) {
            (Some(tag), _) => Some(tag.to_owned()),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TAG.to_owned()),
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// A reference to `repository` on `registry` with `tag`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidReference`] when a part breaks the grammar.
    pub fn new(registry: &str, repository: &str, tag: &str) -> Result<Reference> {
        Reference::parse(&format!("{registry}/{repository}:{tag}"))
    }

    /// The registry as written (host and port): `docker.io`,
    /// `127.0.0.1:5000`. Credentials and certificate directories are
    /// looked up by this name.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host the registry API answers on: the registry, but
    /// [`DOCKER_HUB_ENDPOINT`] for Docker Hub.
    pub fn endpoint(&self) -> &str {
        endpoint_of(&self.registry)
    }

    /// The repository (`<name>` in the spec's endpoints): `library/alpine`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if the reference has one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the reference has one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What the manifests endpoint is asked for: the digest when there is
    /// one, else the tag.
    pub fn tag_or_digest(&self) -> &str {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.as_str(),
            (None, Some(tag)) => tag,
            (None, None) => DEFAULT_TAG,
        }
    }

    /// The same repository with `tag` and no digest.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidReference`] when `tag` breaks the tag grammar.
    pub fn with_tag(&self, tag: &str) -> Result<Reference> {
        check_tag(tag).map_err(|reason| Error::InvalidReference {
            reference: format!("{}/{}:{tag}", self.registry, self.repository),
            reason,
        })?;
        Ok(Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        })
    }

    /// The same repository with `digest` and no tag.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// Another repository on the same registry, with this tag and digest.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidReference`] when `repository` breaks the grammar.
    pub fn with_repository(&self, repository: &str) -> Result<Reference> {
        check_repository(repository).map_err(|reason| Error::InvalidReference {
            reference: format!("{}/{repository}", self.registry),
            reason,
        })?;
        Ok(Reference {
            repository: repository.to_owned(),
            ..self.clone()
        })
    }
}

impl fmt::Display for Reference {
    /// `HOST[:PORT]/REPO[:TAG][@DIGEST]`, Docker Hub names in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(s: &str) -> Result<Reference> {
        Reference::parse(s)
    }
}

impl TryFrom<&str> for Reference {
    type Error = Error;

    fn try_from(s: &str) -> Result<Reference> {
        Reference::parse(s)
    }
}

/// The host the API of `registry` answers on: [`DOCKER_HUB_ENDPOINT`] for
/// Docker Hub, the registry itself otherwise.
pub(crate) fn endpoint_of(registry: &str) -> &str {
    if registry == DOCKER_HUB {
        DOCKER_HUB_ENDPOINT
    } else {
        registry
    }
}

/// Docker's rule: the first component names a host when it has a `.` or a
/// `:` (a port), or is `localhost`.
fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

/// A host name or IP address with an optional port; an IPv6 address in
/// brackets.
fn check_host(registry: &str) -> std::result::Result<(), String> {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        let (address, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("the registry {registry:?} has no closing `]`"))?;
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(format!(
                "the registry {registry:?} is not a valid IPv6 address"
            ));
        }
        match after {
            "" => (address, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (address, Some(port)),
                None => return Err(format!("the registry {registry:?} is not HOST[:PORT]")),
            },
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        }
    };
    let label_ok = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !registry.starts_with('[') && !host.split('.').all(label_ok) {
        return Err(format!(
            "the registry host {host:?} is not a valid host name"
        ));
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(format!(
            "the registry port {port:?} is not a number from 1 to 65535"
        ));
    }
    Ok(())
}

/// `<name>`: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
pub(crate) fn check_repository(repository: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| {
        format!(
            "the repository {repository:?} {why} (components of lowercase letters and digits, separated by `.`, `_`, `__` or dashes, joined by `/`)"
        )
    };
    if repository.is_empty() {
        return Err(bad("is empty"));
    }
    for component in repository.split('/') {
        let bytes = component.as_bytes();
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if !bytes.first().copied().is_some_and(alnum) || !bytes.last().copied().is_some_and(alnum) {
            return Err(bad(
                "has a component that does not start and end with a lowercase letter or digit",
            ));
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if alnum(b) {
                i += 1;
                continue;
            }
            // A separator run: `.`, `_`, `__`, or any number of `-`.
            let run = bytes[i..].iter().take_while(|&&c| c == b).count();
            let ok = match b {
                b'.' => run == 1,
                b'_' => run <= 2,
                b'-' => true,
                _ => return Err(bad("has a character outside the grammar")),
            };
            if !ok {
                return Err(bad("has a separator outside the grammar"));
            }
            i += run;
        }
    }
    Ok(())
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub(crate) fn check_tag(tag: &str) -> std::result::Result<(), String> {
    let mut bytes = tag.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !first_ok || !rest_ok || tag.len() > MAX_TAG {
        return Err(format!(
            "the tag {tag:?} must be 1 to {MAX_TAG} letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    fn canonical(text: &str) -> String {
        Reference::parse(text).unwrap().to_string()
    }

    #[test]
    fn docker_hub_names_are_filled_in() {
        assert_eq!(canonical("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(
            canonical("docker://alpine:3.20"),
            "docker.io/library/alpine:3.20"
        );
        assert_eq!(canonical("user/app"), "docker.io/user/app:latest");
        assert_eq!(
            canonical("index.docker.io/alpine"),
            "docker.io/library/alpine:latest"
        );
        assert_eq!(
            Reference::parse("docker.io/library/alpine")
                .unwrap()
                .endpoint(),
            DOCKER_HUB_ENDPOINT
        );
    }

    #[test]
    fn hosts_ports_tags_and_digests() {
        let r = Reference::parse("docker://localhost:5000/a/b/c:v1.0").unwrap();
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("localhost:5000", "a/b/c", Some("v1.0"))
        );
        assert_eq!(r.endpoint(), "localhost:5000");
        let r = Reference::parse(&format!("localhost/app@{DIGEST}")).unwrap();
        assert_eq!(r.tag(), None);
        assert_eq!(r.tag_or_digest(), DIGEST);
        assert_eq!(r.to_string(), format!("localhost/app@{DIGEST}"));
        let r = Reference::parse(&format!("example.com/app:v2@{DIGEST}")).unwrap();
        assert_eq!(r.tag(), Some("v2"));
        assert_eq!(r.tag_or_digest(), DIGEST);
        assert_eq!(r.to_string(), format!("example.com/app:v2@{DIGEST}"));
        let r = Reference::parse("[::1]:5000/app").unwrap();
        assert_eq!(r.registry(), "[::1]:5000");
        // A round trip keeps everything.
        for text in ["127.0.0.1:5000/x/y:z", "docker.io/library/alpine:latest"] {
            assert_eq!(canonical(&canonical(text)), text);
        }
    }

    #[test]
    fn the_grammar_is_enforced() {
        for bad in [
            "",
            "Alpine",
            "docker.io/UPPER/case",
            "example.com/a__b___c",
            "example.com/a..b",
            "example.com/-a",
            "example.com/a/",
            "example.com//a",
            "example.com/a:-tag",
            "example.com/a:.tag",
            "example.com:0/a",
            "example.com:99999/a",
            "exa_mple.com/a",
            "example.com/a@sha256:short",
            "oci:layout:tag",
            "http://example.com/a",
        ] {
            assert!(
                matches!(Reference::parse(bad), Err(Error::InvalidReference { .. })),
                "{bad:?} parsed"
            );
        }
        let long_tag = format!("example.com/a:{}", "t".repeat(129));
        assert!(Reference::parse(&long_tag).is_err());
        assert!(Reference::parse(&format!("example.com/a:{}", "t".repeat(128))).is_ok());
        let long_name = format!("example.com/{}", "a".repeat(250));
        assert!(Reference::parse(&long_name).is_err());
        assert!(Reference::parse("example.com/a-b--c___d").is_err());
        assert!(Reference::parse("example.com/a-b--c__d.e_f").is_ok());
    }

    #[test]
    fn the_error_names_the_reference_and_the_reason() {
        let err = Reference::parse("example.com/Upper")
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"example.com/Upper\""), "{err}");
        assert!(err.contains("repository \"Upper\""), "{err}");
    }
}
