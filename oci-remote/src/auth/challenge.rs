//! `WWW-Authenticate` challenges, read as RFC 7235 section 4.1 writes them:
//! `1#challenge`, each `auth-scheme [ 1*SP ( token68 / #auth-param ) ]`,
//! an `auth-param` being `token BWS "=" BWS ( token / quoted-string )`
//! (section 2.1). One header may hold several challenges and a response
//! several headers; scheme and parameter names compare without case.
//!
//! The header comes from the registry, which may be hostile or broken:
//! nothing here panics, and a part that breaks the grammar is skipped up to
//! the next comma outside a quoted string, so that the challenges around it
//! still count.

/// One challenge: its scheme and either a token68 or parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Challenge {
    /// The scheme, lowercase: `basic`, `bearer`.
    pub scheme: String,
    /// The token68 form (`Negotiate abc==`), when the challenge has one.
    pub token68: Option<String>,
    /// The parameters in order, names lowercase, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The first value of parameter `name` (lowercase).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The most challenges kept from one response, and parameters from one
/// challenge: far more than any registry sends, few enough that a hostile
/// header costs nothing.
const MAX_CHALLENGES: usize = 16;
const MAX_PARAMS: usize = 32;

/// Every challenge of the `WWW-Authenticate` values `headers`, in order.
pub(crate) fn parse(headers: &[&str]) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    for header in headers {
        Parser {
            text: header.as_bytes(),
            at: 0,
        }
        .challenges(&mut challenges);
    }
    challenges.truncate(MAX_CHALLENGES);
    challenges
}

/// RFC 9110 section 5.6.2: `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7235 section 2.1: the characters of `token68` before its `=`s.
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

/// A cursor over one header value. It only ever stops at ASCII bytes, so
/// every slice it takes is on a character boundary.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn at_end(&self) -> bool {
        self.at >= self.text.len()
    }

    /// Skips spaces and tabs (OWS, BWS).
    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// Skips spaces, tabs and commas: the empty elements a list may have
    /// (RFC 9110 section 5.6.1).
    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.at += 1;
        }
    }

    fn token(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.text[start..self.at]).into_owned()
    }

    /// Whether a parameter (`token BWS "="`) starts here; else a new
    /// challenge does.
    fn param_follows(&self) -> bool {
        let mut at = self.at;
        let start = at;
        while self.text.get(at).copied().is_some_and(is_tchar) {
            at += 1;
        }
        if at == start {
            return false;
        }
        while matches!(self.text.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        self.text.get(at) == Some(&b'=')
    }

    /// A token68 that makes up the rest of this list element, if one
    /// starts here (the cursor moves past it only then).
    fn token68(&mut self) -> Option<String> {
        let mut at = self.at;
        while self.text.get(at).copied().is_some_and(is_token68_char) {
            at += 1;
        }
        if at == self.at {
            return None;
        }
        while self.text.get(at) == Some(&b'=') {
            at += 1;
        }
        let end = at;
        while matches!(self.text.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        if !matches!(self.text.get(at), None | Some(b',')) {
            return None;
        }
        let token = String::from_utf8_lossy(&self.text[self.at..end]).into_owned();
        self.at = at;
        Some(token)
    }

    /// A quoted-string after its opening quote, unescaped; `None` when it
    /// never ends.
    fn quoted_rest(&mut self) -> Option<String> {
        let mut bytes = Vec::new();
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&bytes).into_owned()),
                b'\\' => {
                    let escaped = self.peek()?;
                    self.at += 1;
                    bytes.push(escaped);
                }
                b => bytes.push(b),
            }
        }
        None
    }

    /// Moves past the next comma that is outside a quoted string (or to
    /// the end): where parsing picks up after a malformed part.
    fn recover(&mut self) {
        let mut quoted = false;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' if quoted => self.at += 1,
                b'"' => quoted = !quoted,
                b',' if !quoted => return,
                _ => {}
            }
        }
    }

    /// The challenges of the whole value, appended to `out`.
    fn challenges(&mut self, out: &mut Vec<Challenge>) {
        loop {
            self.skip_separators();
            if self.at_end() || out.len() >= MAX_CHALLENGES {
                return;
            }
            let scheme = self.token();
            if scheme.is_empty() {
                self.recover();
                continue;
            }
            let mut challenge = Challenge {
                scheme: scheme.to_ascii_lowercase(),
                ..Challenge::default()
            };
            let spaces = self.at;
            self.skip_spaces();
            if self.at == spaces && !matches!(self.peek(), None | Some(b',')) {
                // The scheme runs into something that is not a separator.
                self.recover();
                continue;
            }
            if let Some(token) = self.token68() {
                challenge.token68 = Some(token);
            } else {
                self.params(&mut challenge);
            }
            out.push(challenge);
        }
    }

    /// The parameters of one challenge, up to the start of the next
    /// challenge or the end.
    fn params(&mut self, challenge: &mut Challenge) {
        loop {
            self.skip_separators();
            if self.at_end() || !self.param_follows() {
                return;
            }
            let name = self.token().to_ascii_lowercase();
            self.skip_spaces();
            self.at += 1; // the '=' that param_follows saw
            self.skip_spaces();
            let value = if self.peek() == Some(b'"') {
                self.at += 1;
                match self.quoted_rest() {
                    Some(value) => value,
                    // Unterminated: the rest of the header is inside it.
                    None => return,
                }
            } else {
                self.token()
            };
            self.skip_spaces();
            if !matches!(self.peek(), None | Some(b',')) {
                // Something after the value: drop the parameter.
                self.recover();
                continue;
            }
            if challenge.params.len() < MAX_PARAMS {
                challenge.params.push((name, value));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn challenge(scheme: &str, params: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.to_owned(),
            token68: None,
            params: params
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// Headers as registries send them (Docker Hub, distribution, GHCR,
    /// Quay, ECR, Harbor), and RFC 7235's own example.
    const REAL: &[&str] = &[
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push",error="insufficient_scope""#,
        r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
        r#"Basic realm="Registry Realm""#,
        r#"Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com""#,
        r#"Bearer realm="http://127.0.0.1:5001/token",service="harbor-registry",scope="registry:catalog:*""#,
        r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
        r#"Bearer realm="https://r.example/token",error="invalid_token",error_description="The access token expired""#,
    ];

    #[test]
    fn real_headers_parse() {
        assert_eq!(
            parse(&REAL[..1]),
            [challenge(
                "bearer",
                &[
                    ("realm", "https://auth.docker.io/token"),
                    ("service", "registry.docker.io"),
                    ("scope", "repository:library/alpine:pull"),
                ]
            )]
        );
        assert_eq!(
            parse(&[REAL[6]]),
            [
                challenge(
                    "newauth",
                    &[
                        ("realm", "apps"),
                        ("type", "1"),
                        ("title", "Login to \"apps\""),
                    ]
                ),
                challenge("basic", &[("realm", "simple")]),
            ]
        );
        assert_eq!(
            parse(&[REAL[1]])[0].param("scope"),
            Some("repository:samalba/my-app:pull,push")
        );
        assert_eq!(
            parse(&[REAL[7]])[0].param("error_description"),
            Some("The access token expired")
        );
    }

    #[test]
    fn quoted_commas_case_token68_and_several_headers() {
        let parsed = parse(&[
            r#"BEARER Realm="https://a.example/t?x=1,2", Scope = "repository:a:pull,push" ,,"#,
            "Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEF==, basic realm=x",
            "Digest",
        ]);
        assert_eq!(
            parsed,
            [
                challenge(
                    "bearer",
                    &[
                        ("realm", "https://a.example/t?x=1,2"),
                        ("scope", "repository:a:pull,push"),
                    ]
                ),
                Challenge {
                    scheme: "negotiate".into(),
                    token68: Some("YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEF==".into()),
                    params: Vec::new(),
                },
                challenge("basic", &[("realm", "x")]),
                challenge("digest", &[]),
            ]
        );
    }

    #[test]
    fn broken_parts_are_skipped_and_the_rest_kept() {
        // A value with junk after it, a parameter without a name, a scheme
        // glued to a quote, an unterminated string.
        let parsed = parse(&[
            r#"Bearer realm="r" junk, service="s", ="x", Basic realm="b""#,
            r#""quoted", Basic, Bearer realm="unterminated"#,
        ]);
        assert_eq!(
            parsed,
            [
                challenge("bearer", &[("service", "s")]),
                challenge("basic", &[("realm", "b")]),
                challenge("basic", &[]),
                challenge("bearer", &[]),
            ]
        );
    }

    #[test]
    fn every_prefix_and_mutation_parses_without_panic() {
        let mut inputs: Vec<String> = Vec::new();
        for header in REAL {
            for end in 0..=header.len() {
                inputs.push(header[..end].to_owned());
            }
            // Each byte replaced by each separator, and a multi-byte
            // character dropped in at every position.
            for at in 0..header.len() {
                for replacement in ["\"", "\\", ",", "=", " ", "é", "\u{0}"] {
                    let mut mutated = header.to_string();
                    mutated.replace_range(at..=at, replacement);
                    inputs.push(mutated);
                }
            }
        }
        inputs.push("\\".repeat(1000));
        inputs.push("\"".repeat(1001));
        inputs.push("a=".repeat(10_000));
        inputs.push("Basic, ".repeat(10_000));
        for input in &inputs {
            let parsed = parse(&[input]);
            assert!(parsed.len() <= MAX_CHALLENGES, "{input}");
            assert!(parsed.iter().all(|c| c.params.len() <= MAX_PARAMS));
        }
    }
}
