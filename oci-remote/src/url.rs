//! The few URL operations the registry protocol needs: the registry's base,
//! endpoint paths with percent-encoded query parameters, and resolving the
//! absolute or relative references a registry sends back in `Location`
//! and `Link` (spec.md, "POST then PUT": "the location MAY be absolute
//! ... or it MAY be relative"; RFC 3986 section 5.2 for the resolution).

use std::fmt;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// An absolute http(s) URL: scheme, authority (`host[:port]`, lowercase,
/// no user information) and the path with its query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Url {
    pub scheme: Scheme,
    pub authority: String,
    /// Starts with `/`; includes `?query` when there is one; no fragment.
    pub path: String,
}

impl Url {
    /// `scheme://authority` with path `/`.
    pub fn base(scheme: Scheme, authority: &str) -> Url {
        Url {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path: "/".into(),
        }
    }

    /// An absolute `http://` or `https://` URL; `None` for anything else,
    /// and for one with user information (`user:password@host`), which a
    /// registry has no business sending us to.
    pub fn parse(text: &str) -> Option<Url> {
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "http://") {
            (Scheme::Http, rest)
        } else {
            return None;
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.is_empty()
            || authority.contains('@')
            || authority
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return None;
        }
        let path = without_fragment(path);
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Some(Url {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path,
        })
    }

    /// `reference` resolved against this URL: absolute URLs as they are,
    /// `//authority/path` with this scheme, `/path` on this origin,
    /// `?query` on this path, and a relative path against this path's
    /// directory. `None` for what cannot be a URL here.
    pub fn join(&self, reference: &str) -> Option<Url> {
        let reference = reference.trim();
        if reference.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return None;
        }
        if reference.contains("://") {
            return Url::parse(reference);
        }
        if let Some(rest) = reference.strip_prefix("//") {
            return Url::parse(&format!("{}://{rest}", self.scheme.as_str()));
        }
        let reference = without_fragment(reference);
        let path = if reference.starts_with('/') {
            reference.to_owned()
        } else if reference.starts_with('?') {
            let path = self.path.split('?').next().unwrap_or("/");
            format!("{path}{reference}")
        } else if reference.is_empty() {
            self.path.clone()
        } else {
            let path = self.path.split('?').next().unwrap_or("/");
            let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{directory}{reference}")
        };
        Some(Url {
            path: remove_dot_segments(&path),
            ..self.clone()
        })
    }

    /// The same URL with `path` (which starts with `/`).
    pub fn with_path(&self, path: &str) -> Url {
        Url {
            path: path.to_owned(),
            ..self.clone()
        }
    }

    /// This URL with `key=value` added to its query, both percent-encoded.
    pub fn with_query(&self, key: &str, value: &str) -> Url {
        let separator = if self.path.contains('?') { '&' } else { '?' };
        Url {
            path: format!(
                "{}{separator}{}={}",
                self.path,
                encode_component(key),
                encode_component(value)
            ),
            ..self.clone()
        }
    }

    /// Whether `other` is on the same origin: scheme, host and port.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.authority == other.authority
    }

    /// The host and port, without brackets' content changed.
    pub fn authority(&self) -> &str {
        &self.authority
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority,
            self.path
        )
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn without_fragment(path: &str) -> &str {
    path.split('#').next().unwrap_or("")
}

/// RFC 3986 section 5.2.4 on the path part (the query is kept as it is).
fn remove_dot_segments(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut result = format!("/{}", out.join("/"));
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so a
/// `+` in a media type or a `/` in a repository name arrives as it was.
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let url =
            Url::parse("HTTPS://Registry.Example:5000/v2/a/blobs/uploads/x?_state=1#f").unwrap();
        assert_eq!(
            url.to_string(),
            "https://registry.example:5000/v2/a/blobs/uploads/x?_state=1"
        );
        assert_eq!(Url::parse("http://h").unwrap().to_string(), "http://h/");
        assert!(Url::parse("ftp://h/x").is_none());
        assert!(Url::parse("https://user:pw@h/x").is_none());
        assert!(Url::parse("https:///x").is_none());
    }

    #[test]
    fn references_resolve_as_rfc_3986_says() {
        let base = Url::parse("https://r.example/v2/a/tags/list?n=2").unwrap();
        let join = |r: &str| base.join(r).map(|u| u.to_string());
        assert_eq!(
            join("/v2/a/tags/list?n=2&last=b").unwrap(),
            "https://r.example/v2/a/tags/list?n=2&last=b"
        );
        assert_eq!(
            join("list?last=c").unwrap(),
            "https://r.example/v2/a/tags/list?last=c"
        );
        assert_eq!(
            join("?last=d").unwrap(),
            "https://r.example/v2/a/tags/list?last=d"
        );
        assert_eq!(
            join("../../b/tags/list").unwrap(),
            "https://r.example/v2/b/tags/list"
        );
        assert_eq!(join("http://other:8080/x").unwrap(), "http://other:8080/x");
        assert_eq!(
            join("//cdn.example/blob").unwrap(),
            "https://cdn.example/blob"
        );
        assert_eq!(join("/../../etc").unwrap(), "https://r.example/etc");
        assert!(join("javascript:alert(1)").is_some_and(|u| u.starts_with("https://r.example/")));
        assert!(join("a b").is_none());
    }

    #[test]
    fn query_values_are_encoded() {
        let url = Url::base(Scheme::Https, "r").with_path("/v2/a/referrers/sha256:x");
        let url = url.with_query("artifactType", "application/vnd.example+json");
        assert_eq!(
            url.to_string(),
            "https://r/v2/a/referrers/sha256:x?artifactType=application%2Fvnd.example%2Bjson"
        );
        assert_eq!(url.with_query("n", "1").path.matches('&').count(), 1);
    }
}
