//! The [`string_enum!`] macro behind the string enums of the models (the
//! model structs come from `ocikit_spec_core::model!`).

/// Defines a string enum: one variant per value the spec lists, plus
/// `Other(String)` when the set is open (`open`), so an unknown value
/// parses, is kept and round-trips. A closed set (`closed`) rejects an
/// unknown value at parse time with the list of known ones.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($kind:ident, $what:literal $(, default $default:ident)?) {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:literal
            ),* $(,)?
        }
    ) => {
        $crate::codec::string_enum!(@def $kind, $(#[$meta])* $name, $what, $( $(#[$vmeta])* $variant = $value ),*);

        impl $name {
            /// Every value this crate knows, in the order the spec lists them.
            pub const KNOWN: &'static [&'static str] = &[$($value),*];
        }

        $(
            impl Default for $name {
                /// The value a `Default` model starts with.
                fn default() -> Self {
                    Self::$default
                }
            }
        )?

        impl $crate::codec::StringEnum for $name {
            const KNOWN: &'static [&'static str] = $name::KNOWN;
            fn is_known(&self) -> bool {
                $name::is_known(self)
            }
            fn as_str(&self) -> &str {
                $name::as_str(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = ocikit_spec_core::Name::deserialize(d)?;
                match &*name {
                    $( $value => Ok(Self::$variant), )*
                    _ => $crate::codec::string_enum!(@unknown $kind, name, Self::KNOWN),
                }
            }
        }
    };
    (@def open, $(#[$meta:meta])* $name:ident, $what:literal, $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),*) => {
        $(#[$meta])*
        ///
        /// The set is open: a value this crate does not know parses as
        /// `Other` and is written back unchanged; [`Self::is_known`] tells
        /// the two apart. Parsing always maps a known string to its own
        /// variant, never to `Other`.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $value, "`")] $variant, )*
            /// A value this crate does not know, kept as written.
            Other(String),
        }

        impl $name {
            /// Whether this is one of the values the spec lists (not `Other`).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }

            /// The value as it appears in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::Other(s) => s,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $value => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s.parse() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            }
        }
    };
    (@def closed, $(#[$meta:meta])* $name:ident, $what:literal, $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),*) => {
        $(#[$meta])*
        ///
        /// The set is closed: any other value is a parse error.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $value, "`")] $variant, )*
        }

        impl $name {
            /// Always true: a closed set has no unknown values. Present so
            /// that every string enum of the crate answers the same question.
            pub fn is_known(&self) -> bool {
                true
            }

            /// The value as it appears in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $value => Ok(Self::$variant), )*
                    other => Err($crate::Error::UnknownValue {
                        kind: $what,
                        value: other.to_owned(),
                        known: Self::KNOWN,
                    }),
                }
            }
        }
    };
    (@unknown open, $name:ident, $known:expr) => { Ok(Self::Other($name.into_string())) };
    (@unknown closed, $name:ident, $known:expr) => {
        Err(serde::de::Error::unknown_variant(&$name, $known))
    };
}
pub(crate) use string_enum;

/// What every enum of [`string_enum!`] answers, for checks that take any
/// of them.
pub(crate) trait StringEnum {
    /// Every value the spec lists.
    const KNOWN: &'static [&'static str];
    /// Whether the value is one the spec lists.
    fn is_known(&self) -> bool;
    /// The value as it appears in JSON.
    fn as_str(&self) -> &str;
}

#[cfg(test)]
mod tests {
    use crate::{Capability, ContainerStatus, SeccompAction, SharingMode, SharingModeNoDisable};

    #[test]
    fn open_enum_known_and_unknown_values() {
        let kill: Capability = "CAP_KILL".parse().unwrap();
        assert_eq!(kill, Capability::Kill);
        assert!(kill.is_known());
        assert_eq!(kill.to_string(), "CAP_KILL");

        let new: Capability = "CAP_FUTURE".parse().unwrap();
        assert_eq!(new, Capability::Other("CAP_FUTURE".to_owned()));
        assert!(!new.is_known());
        assert_eq!(new.as_str(), "CAP_FUTURE");
        assert_eq!(serde_json::to_string(&new).unwrap(), r#""CAP_FUTURE""#);
        let back: Capability = serde_json::from_str(r#""CAP_FUTURE""#).unwrap();
        assert_eq!(back, new);
        // A known string always becomes its variant, never Other.
        let known: Capability = serde_json::from_str(r#""CAP_SYS_ADMIN""#).unwrap();
        assert_eq!(known, Capability::SysAdmin);
    }

    #[test]
    fn every_known_value_parses_to_itself() {
        for value in Capability::KNOWN {
            let cap: Capability = value.parse().unwrap();
            assert!(cap.is_known(), "{value}");
            assert_eq!(cap.as_str(), *value);
        }
        assert_eq!(Capability::KNOWN.len(), 41);
        for value in SeccompAction::KNOWN {
            assert_eq!(SeccompAction::from(*value).as_str(), *value);
        }
    }

    #[test]
    fn runtime_defined_status_is_kept() {
        let s: ContainerStatus = serde_json::from_str(r#""paused""#).unwrap();
        assert_eq!(s, ContainerStatus::Other("paused".to_owned()));
        assert!(!s.is_known());
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""paused""#);
    }

    #[test]
    fn closed_enum_rejects_unknown_values() {
        assert_eq!(
            "inherit".parse::<SharingMode>().unwrap(),
            SharingMode::Inherit
        );
        let err = "disable".parse::<SharingModeNoDisable>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown FreeBSD sharing mode (new or inherit) "disable", expected one of ["new", "inherit"]"#
        );
        let err = serde_json::from_str::<SharingMode>(r#""shared""#).unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `shared`"),
            "{err}"
        );
    }

    #[test]
    fn escaped_enum_strings_parse() {
        let cap: Capability = serde_json::from_str(r#""CAP_\u004bILL""#).unwrap();
        assert_eq!(cap, Capability::Kill);
    }

    #[test]
    fn go_escapes_html_characters() {
        let state = crate::State {
            bundle: "<b> & \u{2028}é".to_owned(),
            ..Default::default()
        };
        let out = ocikit_spec_core::Json::to_canonical_json(&state);
        let expected = r#"{"ociVersion":"","id":"","status":"creating","bundle":"\u003cb\u003e \u0026 \u2028é"}"#;
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
