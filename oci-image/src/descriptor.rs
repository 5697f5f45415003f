//! Content descriptors (image-spec descriptor.md): the typed, sized,
//! content-addressed references that tie an image's documents together.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::validate::{Checker, Rule, Validate};
use crate::{Digest, Error, Json, MediaType, Model, Platform, Result};

/// The content of the empty descriptor: the JSON object `{}`
/// (manifest.md, guidance for an empty descriptor).
pub const EMPTY_JSON: &[u8] = b"{}";

/// The digest of [`EMPTY_JSON`].
pub const EMPTY_JSON_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

ocikit_spec_core::model! {
    /// A reference to content by media type, digest and size (descriptor.md).
    ///
    /// Fields are in the order Go's image-spec types write them, so that
    /// documents written by Go tools re-serialise to the same bytes.
    ///
    /// ```
    /// use ocikit_image::{Descriptor, Digest, MediaType};
    /// let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    /// let d = Descriptor::for_bytes(MediaType::ImageConfig, config);
    /// assert_eq!(d.size, config.len() as i64);
    /// assert!(d.verify(config).is_ok());
    /// assert!(d.verify(b"{}").is_err());
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Descriptor ("a content descriptor") {
        /// The media type of the referenced content. It MUST comply with RFC 6838.
        media_type: MediaType => "mediaType" (required),

        /// The digest of the referenced content.
        digest: Digest => "digest" (required),

        /// The size of the referenced content in bytes. It MUST NOT be negative;
        /// the type is the spec's int64 so that a negative size parses and is
        /// reported by [`Validate`] with its path.
        size: i64 => "size" (required),

        /// URIs from which the content MAY be downloaded; each MUST conform to RFC 3986.
        urls: Vec<String> => "urls" (default),

        /// Arbitrary metadata, following the annotation rules.
        annotations: BTreeMap<String, String> => "annotations" (default),

        /// The content itself, base64-encoded (RFC 4648 section 4), kept as
        /// written. When present it MUST decode to exactly the referenced content.
        data: Option<String> => "data" (optional),

        /// The platform the referenced manifest is for (image-index.md).
        platform: Option<Platform> => "platform" (optional),

        /// The type of an artifact, when the descriptor points to one: the
        /// manifest's `artifactType`, or its config media type.
        artifact_type: Option<MediaType> => "artifactType" (optional),
    }
}

impl Descriptor {
    /// A descriptor with just the three required fields.
    pub fn new(media_type: MediaType, digest: Digest, size: i64) -> Self {
        Descriptor {
            media_type,
            digest,
            size,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            data: None,
            platform: None,
            artifact_type: None,
            extra: BTreeMap::new(),
        }
    }

    /// The descriptor of `bytes`: their sha256 digest and length.
    pub fn for_bytes(media_type: MediaType, bytes: &[u8]) -> Self {
        Descriptor::new(media_type, Digest::sha256(bytes), len_i64(bytes.len()))
    }

    /// The empty descriptor of manifest.md: `application/vnd.oci.empty.v1+json`,
    /// the digest of `{}`, size 2, without embedded data (see
    /// [`Descriptor::with_data`] to embed it as the spec's `DescriptorEmptyJSON` does).
    pub fn empty_json() -> Self {
        Descriptor::for_bytes(MediaType::EmptyJson, EMPTY_JSON)
    }

    /// Whether this is the empty descriptor (media type, digest and size of `{}`).
    pub fn is_empty_json(&self) -> bool {
        self.media_type == MediaType::EmptyJson
            && self.size == 2
            && self.digest.as_str() == EMPTY_JSON_DIGEST
    }

    /// This descriptor with `bytes` embedded in `data`. The bytes should be
    /// the referenced content; [`Validate`] checks that they are.
    pub fn with_data(mut self, bytes: &[u8]) -> Self {
        self.data = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
        self
    }

    /// This descriptor with a platform.
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// The `org.opencontainers.image.ref.name` annotation: the tag of this
    /// descriptor in an image layout's `index.json`.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations
            .get(crate::annotations::REF_NAME)
            .map(String::as_str)
    }

    /// The size as an unsigned count, or an error naming the digest when it is negative.
    pub fn size_u64(&self) -> Result<u64> {
        u64::try_from(self.size).map_err(|_| {
            Error::Invalid(crate::Invalid::single(
                Self::KIND,
                "size",
                Rule::Size,
                format!(
                    "the size of {} must not be negative, found {}",
                    self.digest, self.size
                ),
            ))
        })
    }

    /// The embedded content, decoded and verified against `size` and
    /// `digest`: `Ok(None)` when there is no `data`.
    pub fn embedded_data(&self) -> Result<Option<Vec<u8>>> {
        let Some(data) = &self.data else {
            return Ok(None);
        };
        let bytes = decode_data(data).map_err(|message| {
            Error::Invalid(crate::Invalid::single(
                Self::KIND,
                "data",
                Rule::EmbeddedData,
                message,
            ))
        })?;
        self.verify(&bytes)?;
        Ok(Some(bytes))
    }

    /// Checks that `bytes` are the referenced content: the size first (a
    /// cheap check that narrows the collision space, as descriptor.md
    /// advises), then the digest.
    pub fn verify(&self, bytes: &[u8]) -> Result<()> {
        let read = bytes.len() as u64;
        if i64::try_from(read).ok() != Some(self.size) {
            return Err(Error::SizeMismatch {
                digest: self.digest.clone(),
                expected: self.size_u64()?,
                read,
            });
        }
        self.digest.verify(bytes)
    }
}

/// Decodes a `data` field: standard base64 with padding (RFC 4648 section 4).
fn decode_data(data: &str) -> std::result::Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("data must be base64 (RFC 4648 section 4): {e}"))
}

fn len_i64(len: usize) -> i64 {
    // A slice in memory is never longer than isize::MAX bytes.
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// Checks one `urls` entry against RFC 3986: an absolute URI,
/// `scheme ":" rest`, where the scheme is a letter then letters, digits,
/// `+`, `-` or `.`, and the rest uses only the unreserved, reserved and
/// percent-encoded characters.
pub fn check_uri(uri: &str) -> std::result::Result<(), String> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(format!("{uri:?} is not an absolute URI: it has no scheme"));
    };
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Err(format!(
            "{uri:?} is not an absolute URI: the scheme {scheme:?} is not valid"
        ));
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return Err(format!("{uri:?} has a '%' not followed by two hex digits"));
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c)) {
            return Err(format!(
                "{uri:?} contains {:?}, which RFC 3986 does not allow unencoded",
                rest[i..].chars().next().unwrap_or_default()
            ));
        }
        i += 1;
    }
    Ok(())
}

/// Checks a media type field at the checker's current path.
pub(crate) fn check_media_type(c: &mut Checker, media_type: &MediaType) {
    if let Err(e) = MediaType::check_syntax(media_type.as_str()) {
        c.error(
            Rule::MediaTypeSyntax,
            format!(
                "{:?} is not an RFC 6838 media type: {e}",
                media_type.as_str()
            ),
        );
    }
}

impl Json for Descriptor {
    const PRETTY_INDENT: &'static str = crate::document::PRETTY_INDENT;
    const MAP_MEMBERS: &'static [&'static str] = &["annotations"];
}

impl Model for Descriptor {
    const MEDIA_TYPE: MediaType = MediaType::Descriptor;
}

impl Validate for Descriptor {
    type Rule = Rule;
    const KIND: &'static str = "descriptor";

    fn check_into(&self, c: &mut Checker) {
        c.field("mediaType", |c| check_media_type(c, &self.media_type));
        if self.size < 0 {
            c.field("size", |c| {
                c.error(
                    Rule::Size,
                    format!("the size must not be negative, found {}", self.size),
                )
            });
        }
        c.field("urls", |c| {
            for (i, url) in self.urls.iter().enumerate() {
                if let Err(e) = check_uri(url) {
                    c.index(i, |c| c.error(Rule::Url, e));
                }
            }
        });
        c.field("annotations", |c| {
            crate::annotations::check(c, &self.annotations)
        });
        if let Some(data) = &self.data {
            c.field("data", |c| {
                let message = match decode_data(data)
                    .map(|bytes| (self.verify(&bytes), bytes.len()))
                {
                    Err(e) => e,
                    // Data of an unverifiable algorithm cannot be checked: not an error.
                    Ok((Ok(()) | Err(Error::UnsupportedAlgorithm { .. }), _)) => return,
                    Ok((Err(Error::DigestMismatch { expected, found }), _)) => {
                        format!("data hashes to {found}, but the descriptor's digest is {expected}")
                    }
                    // A size mismatch, or a negative size (reported at `size` too).
                    Ok((Err(_), len)) => {
                        format!(
                            "data decodes to {len} bytes, but the descriptor's size is {}",
                            self.size
                        )
                    }
                };
                c.error(Rule::EmbeddedData, message);
            });
        }
        if let Some(platform) = &self.platform {
            c.nested("platform", platform);
        }
        if let Some(artifact_type) = &self.artifact_type {
            c.field("artifactType", |c| check_media_type(c, artifact_type));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST_DIGEST: &str =
        "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";

    fn parse(json: &str) -> Descriptor {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn empty_descriptor_is_the_spec_constant() {
        let d = Descriptor::empty_json().with_data(EMPTY_JSON);
        assert_eq!(d.digest.as_str(), EMPTY_JSON_DIGEST);
        assert_eq!(
            String::from_utf8(d.to_canonical_json()).unwrap(),
            r#"{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="}"#
        );
        assert!(d.is_empty_json());
        assert_eq!(d.embedded_data().unwrap().as_deref(), Some(EMPTY_JSON));
        assert!(d.validate().is_ok());
    }

    #[test]
    fn go_field_order_round_trips_bytes() {
        let json = format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{MANIFEST_DIGEST}","size":7682,"urls":["https://example.com/m"],"annotations":{{"a":"b"}},"platform":{{"architecture":"amd64","os":"linux"}},"artifactType":"application/vnd.example.sbom.v1","x-extra":[1,2]}}"#
        );
        let d = parse(&json);
        assert_eq!(d.extra.len(), 1);
        assert_eq!(String::from_utf8(d.to_canonical_json()).unwrap(), json);
    }

    #[test]
    fn data_must_match_size_and_digest() {
        let good = Descriptor::empty_json().with_data(b"{}");
        let mut short = good.clone();
        short.size = 3;
        let err = short.validate().unwrap_err().to_string();
        assert_eq!(
            err,
            "descriptor is invalid: data: data decodes to 2 bytes, but the descriptor's size is 3"
        );
        let mut wrong = good.clone();
        wrong.data = Some("e3w=".into()); // "{|": 2 bytes, another digest
        let err = wrong.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("descriptor is invalid: data: data hashes to sha256:"),
            "{err}"
        );
        let mut negative = good.clone();
        negative.size = -2;
        let report = negative.check();
        let paths: Vec<_> = report.errors().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["size", "data"]);
        let mut garbage = good;
        garbage.data = Some("not base64!".into());
        let err = garbage.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("descriptor is invalid: data: data must be base64"),
            "{err}"
        );
    }

    #[test]
    fn negative_size_bad_urls_and_media_types_are_reported_with_paths() {
        let d = parse(&format!(
            r#"{{"mediaType":"not a type","digest":"{MANIFEST_DIGEST}","size":-1,"urls":["https://ok.example/x","no scheme","http://bad host/"],"artifactType":"x"}}"#
        ));
        let report = d.check();
        let got: Vec<_> = report.errors().map(|v| (v.path.as_str(), v.rule)).collect();
        assert_eq!(
            got,
            [
                ("mediaType", Rule::MediaTypeSyntax),
                ("size", Rule::Size),
                ("urls[1]", Rule::Url),
                ("urls[2]", Rule::Url),
                ("artifactType", Rule::MediaTypeSyntax),
            ]
        );
        assert!(d.size_u64().is_err());
    }

    #[test]
    fn parsing_is_strict_about_null_and_repeated_fields() {
        let base = format!(
            r#""mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{MANIFEST_DIGEST}","size":1"#
        );
        let err = |extra: &str| {
            crate::Descriptor::from_json(format!("{{{base}{extra}}}").as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(r#","size":2"#).contains(": .: duplicate field `size`"),
            "{}",
            err(r#","size":2"#)
        );
        assert!(
            err(r#","platform":null"#).contains("platform: invalid type: null"),
            "{}",
            err(r#","platform":null"#)
        );
        assert!(err(r#","data":null"#).contains("data: invalid type: null"));
        assert!(err(r#","urls":null"#).contains("urls: invalid type: null"));
        assert!(
            err(r#","platform":{"os":"linux"}"#).contains("platform: missing field `architecture`")
        );
        // Unknown members are kept, whatever their type, null included.
        let d = crate::Descriptor::from_json(
            format!(r#"{{{base},"x":null,"y":{{"z":[1]}}}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(d.extra.len(), 2);
        assert!(d.extra["x"].is_null());
    }

    #[test]
    fn uris() {
        for ok in [
            "https://example.com/a?b=c#d",
            "http://[::1]:80/%41",
            "urn:isbn:0451450523",
            "s3+x://b/k",
        ] {
            assert_eq!(check_uri(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "example.com/x",
            "1http://x",
            "http://x/a b",
            "http://x/%4",
            "http://x/ä",
        ] {
            assert!(check_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verify_checks_size_before_digest() {
        let d = Descriptor::for_bytes(MediaType::ImageLayer, b"hello");
        assert!(d.verify(b"hello").is_ok());
        assert!(matches!(
            d.verify(b"hello!"),
            Err(Error::SizeMismatch {
                expected: 5,
                read: 6,
                ..
            })
        ));
        assert!(matches!(
            d.verify(b"HELLO"),
            Err(Error::DigestMismatch { .. })
        ));
    }
}
