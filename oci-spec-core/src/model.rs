//! The model structs of both spec crates: plain data with public fields,
//! whose unknown JSON members are kept in an `extra` map so that a
//! read-modify-write loses nothing (image-spec considerations.md,
//! "Extensibility"; runtime-spec config.md, "Configuration Schema").
//!
//! `#[serde(flatten)]` would keep unknown members too, but it buffers each
//! object into an intermediate tree first, which made parsing as slow as
//! building a `serde_json::Value`, and `serde_path_to_error` then loses the
//! path below it. The visitor that [`model!`](crate::model!) writes reads members
//! one by one, in one pass, and the path of a failing member survives.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Deref;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Defines a model struct: the struct with public fields and an `extra`
/// map of unknown members, its `Serialize` and `Deserialize`, and
/// `MEMBERS`, the JSON names it knows.
///
/// Each field is `name: Type => "jsonName" (mode)`, in the order the
/// spec's Go types declare them (the order Go tools write). The modes:
///
/// | mode | absent | `null` | written |
/// |---|---|---|---|
/// | `required` | parse error | an error unless the type takes it | always |
/// | `optional` (an `Option`) | `None` | parse error | when `Some` |
/// | `optional_or_null` (an `Option`) | `None` | `None` | when `Some` |
/// | `default` | `Default::default()` | parse error | when not the default (empty, `false`) |
/// | `default_or_null` | `Default::default()` | `Default::default()` | when not the default |
/// | `names` (a `BTreeSet<String>`) | empty | empty | when not empty, as Go's `map[string]struct{}`: `{"name":{}}` |
///
/// A listed name given twice is a parse error, as with serde's derive.
/// Derives and attributes go on the struct as usual; `Serialize` and
/// `Deserialize` must not be derived.
///
/// ```
/// ocikit_spec_core::model! {
///     /// A root filesystem.
///     #[derive(Debug, Clone, Default, PartialEq)]
///     pub struct Root ("a root object") {
///         /// The path of the root filesystem.
///         path: String => "path" (required),
///         /// Whether it is read-only.
///         readonly: Option<bool> => "readonly" (optional_or_null),
///         /// Mount options.
///         options: Vec<String> => "options" (default),
///     }
/// }
///
/// let root: Root = serde_json::from_str(r#"{"path":"rootfs","readonly":null,"x-tool":[1]}"#)?;
/// assert_eq!(root.readonly, None);
/// assert_eq!(root.extra["x-tool"], serde_json::json!([1]));
/// assert_eq!(serde_json::to_string(&root)?, r#"{"path":"rootfs","x-tool":[1]}"#);
/// assert_eq!(Root::MEMBERS, ["path", "readonly", "options"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[macro_export]
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident ($expecting:literal) {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty => $json:literal ($mode:ident)
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
            /// Members the spec does not define, kept as they were read so
            /// that a read-modify-write loses nothing; written after the
            /// known members, sorted by name. An entry named like a known
            /// member (see `MEMBERS`) is not written.
            pub extra: ::std::collections::BTreeMap<::std::string::String, $crate::__private::serde_json::Value>,
        }

        impl $name {
            /// The JSON member names this model knows, in output order;
            /// any other member goes to `extra`.
            pub const MEMBERS: &'static [&'static str] = &[$($json),*];
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                use $crate::__private::serde::ser::SerializeMap as _;
                let mut out = s.serialize_map(::std::option::Option::None)?;
                $( $crate::model!(@write $mode, out, $json, self.$field, $ty); )*
                for (name, value) in &self.extra {
                    // A known name belongs to its field; written twice it
                    // would make invalid I-JSON.
                    if !Self::MEMBERS.contains(&name.as_str()) {
                        out.serialize_entry(name, value)?;
                    }
                }
                out.end()
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct Members;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for Members {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: $crate::__private::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<$name, A::Error> {
                        $( let mut $field = ::std::option::Option::None; )*
                        let mut extra = ::std::collections::BTreeMap::new();
                        while let ::std::option::Option::Some(name) =
                            map.next_key::<$crate::Name<'de>>()?
                        {
                            match &*name {
                                $(
                                    $json => {
                                        if $field.is_some() {
                                            return ::std::result::Result::Err(
                                                <A::Error as $crate::__private::serde::de::Error>::duplicate_field($json),
                                            );
                                        }
                                        $field = ::std::option::Option::Some(
                                            $crate::model!(@read $mode, map),
                                        );
                                    }
                                )*
                                _ => {
                                    let value: $crate::__private::serde_json::Value = map.next_value()?;
                                    extra.insert(name.into_string(), value);
                                }
                            }
                        }
                        ::std::result::Result::Ok($name {
                            $( $field: $crate::model!(@finish $mode, $field, $json, A), )*
                            extra,
                        })
                    }
                }
                d.deserialize_map(Members)
            }
        }
    };

    (@write required, $out:ident, $json:literal, $value:expr, $ty:ty) => {
        $out.serialize_entry($json, &$value)?;
    };
    (@write optional, $out:ident, $json:literal, $value:expr, $ty:ty) => {
        if let ::std::option::Option::Some(v) = &$value {
            $out.serialize_entry($json, v)?;
        }
    };
    (@write optional_or_null, $out:ident, $json:literal, $value:expr, $ty:ty) => {
        $crate::model!(@write optional, $out, $json, $value, $ty);
    };
    (@write default, $out:ident, $json:literal, $value:expr, $ty:ty) => {
        if $value != <$ty as ::std::default::Default>::default() {
            $out.serialize_entry($json, &$value)?;
        }
    };
    (@write default_or_null, $out:ident, $json:literal, $value:expr, $ty:ty) => {
        $crate::model!(@write default, $out, $json, $value, $ty);
    };
    (@write names, $out:ident, $json:literal, $value:expr, $ty:ty) => {
        if !$value.is_empty() {
            $out.serialize_entry($json, &$crate::__private::WriteNames(&$value))?;
        }
    };

    (@read required, $map:ident) => { $map.next_value()? };
    (@read optional, $map:ident) => { $map.next_value()? };
    (@read optional_or_null, $map:ident) => { $map.next_value::<::std::option::Option<_>>()? };
    (@read default, $map:ident) => { $map.next_value()? };
    (@read default_or_null, $map:ident) => {
        $map.next_value::<::std::option::Option<_>>()?.unwrap_or_default()
    };
    (@read names, $map:ident) => {
        $map.next_value::<::std::option::Option<$crate::__private::ReadNames>>()?
            .map(|names| names.0)
            .unwrap_or_default()
    };

    (@finish required, $field:ident, $json:literal, $A:ident) => {
        match $field {
            ::std::option::Option::Some(v) => v,
            ::std::option::Option::None => {
                return ::std::result::Result::Err(
                    <$A::Error as $crate::__private::serde::de::Error>::missing_field($json),
                )
            }
        }
    };
    (@finish optional, $field:ident, $json:literal, $A:ident) => { $field };
    (@finish optional_or_null, $field:ident, $json:literal, $A:ident) => { $field.flatten() };
    (@finish default, $field:ident, $json:literal, $A:ident) => { $field.unwrap_or_default() };
    (@finish default_or_null, $field:ident, $json:literal, $A:ident) => { $field.unwrap_or_default() };
    (@finish names, $field:ident, $json:literal, $A:ident) => { $field.unwrap_or_default() };
}

/// A JSON string read without copying when it has no escapes: an object
/// member name, or the value of a string enum.
///
/// ```
/// use ocikit_spec_core::Name;
/// let name: Name = serde_json::from_str(r#""ociVersion""#)?;
/// assert_eq!(&*name, "ociVersion");
/// let escaped: Name = serde_json::from_str(r#""\u006fs""#)?;
/// assert_eq!(escaped.into_string(), "os");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name<'de>(pub Cow<'de, str>);

impl Name<'_> {
    /// The string, owned.
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl Deref for Name<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v)))
            }
        }
        d.deserialize_str(NameVisitor)
    }
}

/// Go's `map[string]struct{}` (the image config's `ExposedPorts` and
/// `Volumes`) read as a set of names: each name maps to an object, whose
/// content is ignored. For [`model!`](crate::model!)'s `names` mode.
#[doc(hidden)]
pub struct ReadNames(pub BTreeSet<String>);

impl<'de> Deserialize<'de> for ReadNames {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = ReadNames;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object mapping each entry to an empty object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReadNames, A::Error> {
                let mut set = BTreeSet::new();
                while let Some((name, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    set.insert(name);
                }
                Ok(ReadNames(set))
            }
        }
        d.deserialize_map(SetVisitor)
    }
}

/// A set of names written as Go's `map[string]struct{}`: `{"name":{}}`.
/// For [`model!`](crate::model!)'s `names` mode.
#[doc(hidden)]
pub struct WriteNames<'a>(pub &'a BTreeSet<String>);

impl Serialize for WriteNames<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Empty {}
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for name in self.0 {
            map.serialize_entry(name, &Empty {})?;
        }
        map.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::collections::BTreeSet;

    crate::model! {
        /// One field of each mode.
        #[derive(Debug, Default, PartialEq)]
        pub struct Every ("an object with every mode") {
            /// `required`.
            req: u32 => "req" (required),
            /// `optional`.
            opt: Option<String> => "opt" (optional),
            /// `optional_or_null`.
            opt_null: Option<String> => "optNull" (optional_or_null),
            /// `default`.
            list: Vec<u8> => "list" (default),
            /// `default_or_null`.
            flag: bool => "flag" (default_or_null),
            /// `names`.
            names: BTreeSet<String> => "names" (names),
        }
    }

    fn parse(json: &str) -> Result<Every, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn absent_members_take_their_defaults() {
        let every = parse(r#"{"req":1}"#).unwrap();
        assert_eq!(
            every,
            Every {
                req: 1,
                ..Every::default()
            }
        );
        assert_eq!(serde_json::to_string(&every).unwrap(), r#"{"req":1}"#);
        let err = parse(r#"{"opt":"x"}"#).unwrap_err();
        assert!(err.starts_with("missing field `req`"), "{err}");
    }

    #[test]
    fn null_is_absent_only_in_the_or_null_modes() {
        let every = parse(r#"{"req":1,"optNull":null,"flag":null,"names":null}"#).unwrap();
        assert_eq!((every.opt_null, every.flag), (None, false));
        assert!(every.names.is_empty());
        for json in [
            r#"{"req":1,"opt":null}"#,
            r#"{"req":1,"list":null}"#,
            r#"{"req":null}"#,
        ] {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with("invalid type: null"), "{json}: {err}");
        }
    }

    #[test]
    fn members_are_written_in_order_and_only_when_set() {
        let json = r#"{"req":0,"opt":"a","optNull":"b","list":[1],"flag":true,"names":{"80/tcp":{},"x":{}},"z":null}"#;
        let every = parse(json).unwrap();
        assert_eq!(
            every.names,
            BTreeSet::from(["80/tcp".to_owned(), "x".to_owned()])
        );
        assert_eq!(serde_json::to_string(&every).unwrap(), json);
        // Members out of order are read, and written back in order.
        let shuffled = parse(r#"{"z":null,"flag":true,"req":0,"names":{"x":{},"80/tcp":{"a":1}},"list":[1],"optNull":"b","opt":"a"}"#).unwrap();
        assert_eq!(shuffled, every);
    }

    #[test]
    fn unknown_members_are_kept_but_never_shadow_a_known_one() {
        let mut every = parse(r#"{"req":2,"x-b":[true],"x-a":{"k":1}}"#).unwrap();
        assert_eq!(every.extra.len(), 2);
        every.extra.insert("req".to_owned(), 3.into());
        assert_eq!(
            serde_json::to_string(&every).unwrap(),
            r#"{"req":2,"x-a":{"k":1},"x-b":[true]}"#
        );
        assert_eq!(
            Every::MEMBERS,
            ["req", "opt", "optNull", "list", "flag", "names"]
        );
    }

    #[test]
    fn a_known_member_given_twice_is_an_error() {
        let err = parse(r#"{"req":1,"req":2}"#).unwrap_err();
        assert!(err.starts_with("duplicate field `req`"), "{err}");
        let err = parse(r#"[1]"#).unwrap_err();
        assert!(
            err.starts_with("invalid type: sequence, expected an object with every mode"),
            "{err}"
        );
    }
}
