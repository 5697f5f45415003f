//! Authorization of requests: the seam between the request path and the
//! ways a registry may want credentials. Every request asks its
//! [`Authenticator`] for an `Authorization` value for the scopes it needs;
//! a 401 hands the authenticator the registry's `WWW-Authenticate`
//! challenges, and when it says it can do better, the request is sent once
//! more. Anonymous access and Basic credentials given directly live here;
//! the Docker token protocol (Bearer) is another implementation of the
//! same trait.
//!
//! The request path only calls an authenticator for a URL on the
//! registry's own origin (scheme, host and port): a redirect to another
//! host, or to the same host over http, never carries what it returns.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;

use crate::Result;

/// What a request is for, in the Docker token protocol's terms: a
/// repository and the actions on it (`repository:NAME:pull`,
/// `repository:NAME:pull,push`). A mount needs push and pull on the target
/// and pull on the source: two scopes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Scope {
    /// The repository.
    pub repository: String,
    /// Whether pushing is needed too (else only pulling).
    pub push: bool,
}

impl Scope {
    pub fn pull(repository: &str) -> Scope {
        Scope {
            repository: repository.to_owned(),
            push: false,
        }
    }

    pub fn push(repository: &str) -> Scope {
        Scope {
            repository: repository.to_owned(),
            push: true,
        }
    }
}

impl fmt::Display for Scope {
    /// `repository:NAME:pull` or `repository:NAME:pull,push`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let actions = if self.push { "pull,push" } else { "pull" };
        write!(f, "repository:{}:{actions}", self.repository)
    }
}

/// A user name and password for one registry.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password (or an identity token used as one).
    pub password: String,
}

impl fmt::Debug for Credentials {
    /// The password is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Gives requests to one registry their `Authorization` header.
pub(crate) trait Authenticator: Send + Sync {
    /// The `Authorization` value for a request needing `scopes`, if this
    /// authenticator has one now.
    fn authorization(&self, scopes: &[Scope]) -> Result<Option<String>>;

    /// The registry answered 401 with these `WWW-Authenticate` values:
    /// returns whether sending the request again (with a new
    /// [`Authenticator::authorization`]) may succeed. The request path
    /// replays at most once per request.
    fn challenged(&self, scopes: &[Scope], challenges: &[&str]) -> Result<bool>;
}

/// Anonymous access, or Basic credentials sent once the registry has asked
/// for Basic (and from then on with every request to it).
pub(crate) struct BasicAuthenticator {
    header: Option<String>,
    asked: AtomicBool,
}

impl BasicAuthenticator {
    pub fn new(credentials: Option<&Credentials>) -> BasicAuthenticator {
        let header = credentials.map(|c| {
            let pair = format!("{}:{}", c.username, c.password);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        BasicAuthenticator {
            header,
            asked: AtomicBool::new(false),
        }
    }
}

impl Authenticator for BasicAuthenticator {
    fn authorization(&self, _scopes: &[Scope]) -> Result<Option<String>> {
        if self.asked.load(Ordering::Relaxed) {
            Ok(self.header.clone())
        } else {
            Ok(None)
        }
    }

    fn challenged(&self, _scopes: &[Scope], challenges: &[&str]) -> Result<bool> {
        if self.header.is_none() || !challenges.iter().any(|c| scheme_of(c) == "basic") {
            return Ok(false);
        }
        // A second 401 after the credentials were sent: they are wrong.
        Ok(!self.asked.swap(true, Ordering::Relaxed))
    }
}

/// The auth scheme a `WWW-Authenticate` value starts with, lowercase.
pub(crate) fn scheme_of(challenge: &str) -> String {
    challenge
        .trim_start()
        .split([' ', ','])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_written_as_the_token_protocol_does() {
        assert_eq!(Scope::pull("a/b").to_string(), "repository:a/b:pull");
        assert_eq!(Scope::push("a").to_string(), "repository:a:pull,push");
    }

    #[test]
    fn basic_credentials_go_out_only_after_a_basic_challenge() {
        let credentials = Credentials {
            username: "user".into(),
            password: "pass".into(),
        };
        let auth = BasicAuthenticator::new(Some(&credentials));
        assert_eq!(auth.authorization(&[]).unwrap(), None);
        assert!(!auth.challenged(&[], &["Bearer realm=\"x\""]).unwrap());
        assert!(auth.challenged(&[], &["Basic realm=\"r\""]).unwrap());
        assert_eq!(
            auth.authorization(&[]).unwrap().as_deref(),
            Some("Basic dXNlcjpwYXNz")
        );
        // Refused again: no second replay.
        assert!(!auth.challenged(&[], &["Basic realm=\"r\""]).unwrap());
        let anonymous = BasicAuthenticator::new(None);
        assert!(!anonymous.challenged(&[], &["Basic realm=\"r\""]).unwrap());
        assert!(!format!("{credentials:?}").contains("pass\""));
    }
}
