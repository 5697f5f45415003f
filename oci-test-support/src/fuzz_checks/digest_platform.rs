//! Fuzz checks for the small parsed ids of the image-spec: [`Digest`] (and
//! its [`Algorithm`]), [`Platform`] (and its [`Os`] and [`Arch`]) and
//! [`MediaType`]. Parsing never panics; whatever parses displays as a
//! string that parses back to the same value, and displays the same again;
//! a digest displays exactly as given (it is validated, never rewritten).

use ocikit_image::{Algorithm, Arch, Digest, MediaType, Os, Platform};

/// Parses `data` (as UTF-8, and each of its lines) as every id type;
/// panics on a violation.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    one(&text);
    for line in text.lines() {
        one(line);
    }
}

fn one(s: &str) {
    if let Ok(digest) = s.parse::<Digest>() {
        assert_eq!(digest.to_string(), s, "a digest displays as given");
        assert_eq!(digest.as_str(), s);
        let (algorithm, encoded) = (digest.algorithm(), digest.encoded());
        assert_eq!(format!("{algorithm}:{encoded}"), s);
        assert!(
            !digest.is_verifiable() || Digest::compute(&algorithm, b"").is_ok(),
            "{s}: a verifiable digest's algorithm computes"
        );
        let _ = digest.verify(s.as_bytes());
        let again: Digest = s.parse().expect("parsed once");
        assert_eq!(again, digest);
    }
    if let Ok(algorithm) = s.parse::<Algorithm>() {
        let shown = algorithm.to_string();
        assert_eq!(
            shown.parse::<Algorithm>().ok(),
            Some(algorithm.clone()),
            "{s:?}"
        );
    }
    if let Ok(platform) = s.parse::<Platform>() {
        let shown = platform.to_string();
        let again: Platform = match shown.parse() {
            Ok(again) => again,
            Err(e) => panic!("platform {s:?} displays as {shown:?}, which does not parse: {e}"),
        };
        assert_eq!(again, platform, "platform {s:?} -> {shown:?}");
        assert_eq!(
            again.to_string(),
            shown,
            "platform {s:?}: Display is not stable"
        );
        let normal = platform.normalize();
        assert_eq!(
            normal.normalize(),
            normal,
            "platform {s:?}: normalize is not idempotent"
        );
        let _ = platform.matches(&normal);
        let _ = platform.compatibility(&normal);
    }
    // Os and Arch are open sets: every string is one, shown as given.
    let os = Os::from(s);
    assert_eq!(os.to_string(), s, "os {s:?}");
    assert_eq!(Os::from(os.to_string()), os, "os {s:?}");
    let _ = os.normalize();
    let arch = Arch::from(s);
    assert_eq!(arch.to_string(), s, "arch {s:?}");
    assert_eq!(Arch::from(arch.to_string()), arch, "arch {s:?}");
    let _ = arch.normalize();
    let media_type: MediaType = s.parse().unwrap_or_else(|e| match e {});
    assert_eq!(media_type.to_string(), s, "a media type displays as given");
    let again: MediaType = media_type.to_string().into();
    assert_eq!(again, media_type);
    let _ = MediaType::check_syntax(s);
    let _ = (
        media_type.is_layer(),
        media_type.compression(),
        media_type.to_oci(),
    );
}
