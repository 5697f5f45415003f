//! Annotations (image-spec annotations.md): the pre-defined keys, and the
//! rules an annotation map must follow.

use std::collections::BTreeMap;

use crate::validate::{Checker, Rule};

/// `org.opencontainers.image.created`: when the image was built, as an RFC 3339 date-time.
pub const CREATED: &str = "org.opencontainers.image.created";
/// `org.opencontainers.image.authors`: contact details of the people or organisation responsible.
pub const AUTHORS: &str = "org.opencontainers.image.authors";
/// `org.opencontainers.image.url`: where to find more information on the image.
pub const URL: &str = "org.opencontainers.image.url";
/// `org.opencontainers.image.documentation`: where to find documentation on the image.
pub const DOCUMENTATION: &str = "org.opencontainers.image.documentation";
/// `org.opencontainers.image.source`: where to find the source code the image was built from.
pub const SOURCE: &str = "org.opencontainers.image.source";
/// `org.opencontainers.image.version`: version of the packaged software.
pub const VERSION: &str = "org.opencontainers.image.version";
/// `org.opencontainers.image.revision`: source control revision of the packaged software.
pub const REVISION: &str = "org.opencontainers.image.revision";
/// `org.opencontainers.image.vendor`: the distributing entity.
pub const VENDOR: &str = "org.opencontainers.image.vendor";
/// `org.opencontainers.image.licenses`: an SPDX license expression.
pub const LICENSES: &str = "org.opencontainers.image.licenses";
/// `org.opencontainers.image.ref.name`: the name of a reference, the "tag" of
/// a descriptor in an image layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// `org.opencontainers.image.title`: human-readable title.
pub const TITLE: &str = "org.opencontainers.image.title";
/// `org.opencontainers.image.description`: human-readable description.
pub const DESCRIPTION: &str = "org.opencontainers.image.description";
/// `org.opencontainers.image.base.digest`: digest of the image this one is based on.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
/// `org.opencontainers.image.base.name`: reference of the image this one is based on.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";

/// The namespace reserved for keys of the OCI image-spec.
pub const IMAGE_NAMESPACE: &str = "org.opencontainers.image.";

/// Checks a ref name against the grammar of annotations.md:
///
/// ```text
/// ref       ::= component ("/" component)*
/// component ::= alphanum (separator alphanum)*
/// alphanum  ::= [A-Za-z0-9]+
/// separator ::= [-._:@+] | "--"
/// ```
///
/// ```
/// use ocikit_image::annotations::is_valid_ref_name;
/// assert!(is_valid_ref_name("v1.0.0-vendor.0"));
/// assert!(is_valid_ref_name("example.com/app:latest"));
/// assert!(!is_valid_ref_name("bad..name") && !is_valid_ref_name(""));
/// ```
pub fn is_valid_ref_name(name: &str) -> bool {
    name.split('/').all(|component| {
        let b = component.as_bytes();
        let mut i = 0;
        // component ::= alphanum (separator alphanum)*
        loop {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i == start {
                return false;
            }
            if i == b.len() {
                return true;
            }
            if b[i..].starts_with(b"--") {
                i += 2;
            } else if b"-._:@+".contains(&b[i]) {
                i += 1;
            } else {
                return false;
            }
        }
    })
}

/// Checks an annotation map at the checker's current path: the format of the
/// pre-defined keys that have one. Unknown keys are never an error
/// ("Consumers MUST NOT generate an error if they encounter an unknown
/// annotation key"); duplicate keys are found on the raw JSON (see
/// [`json::duplicate_names`](crate::json::duplicate_names)).
pub fn check(checker: &mut Checker, annotations: &BTreeMap<String, String>) {
    for (key, value) in annotations {
        checker.key(key, |c| match key.as_str() {
            "" => c.warning(Rule::Annotation, "keys should be named in reverse domain notation, found an empty key"),
            CREATED => {
                if let Err(e) = crate::time::check_rfc3339(value) {
                    c.error(Rule::Timestamp, e);
                }
            }
            BASE_DIGEST => {
                if let Err(e) = crate::Digest::parse(value) {
                    c.error(Rule::Annotation, format!("must be a digest: {e}"));
                }
            }
            REF_NAME if !is_valid_ref_name(value) => {
                    c.warning(
                        Rule::Annotation,
                        format!("{value:?} does not match the ref grammar of annotations.md (components of [A-Za-z0-9] joined by one of -._:@+ or --, separated by /)"),
                    );
            }
            _ => {}
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    #[test]
    fn ref_names() {
        for ok in [
            "latest",
            "v1.0.0-vendor.0",
            "2.0.0-debug",
            "a--b",
            "a/b/c",
            "x@y:z+w",
            "A_1",
        ] {
            assert!(is_valid_ref_name(ok), "{ok}");
        }
        for bad in [
            "", "-a", "a-", "a---b", "a//b", "/a", "a/", "a b", "a..b", "ä",
        ] {
            assert!(!is_valid_ref_name(bad), "{bad}");
        }
    }

    #[test]
    fn predefined_keys_are_checked() {
        let mut map = BTreeMap::new();
        map.insert(CREATED.to_owned(), "yesterday".to_owned());
        map.insert(BASE_DIGEST.to_owned(), "sha256:abc".to_owned());
        map.insert(REF_NAME.to_owned(), "bad name".to_owned());
        map.insert(
            "org.opencontainers.image.unknown".to_owned(),
            "fine".to_owned(),
        );
        map.insert("com.example.key".to_owned(), String::new());
        let mut c = Checker::new();
        c.field("annotations", |c| check(c, &map));
        let report = c.finish();
        let got: Vec<_> = report
            .violations
            .iter()
            .map(|v| (v.path.as_str(), v.rule, v.severity))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "annotations[\"org.opencontainers.image.base.digest\"]",
                    Rule::Annotation,
                    Severity::Error
                ),
                (
                    "annotations[\"org.opencontainers.image.created\"]",
                    Rule::Timestamp,
                    Severity::Error
                ),
                (
                    "annotations[\"org.opencontainers.image.ref.name\"]",
                    Rule::Annotation,
                    Severity::Warning
                ),
            ]
        );
    }
}
