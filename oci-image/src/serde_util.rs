//! Serde support shared by the models: a hand-rolled `Deserialize` for
//! structs that keep unknown fields.
//!
//! `#[serde(flatten)]` would keep unknown fields too, but it buffers every
//! document into an intermediate tree first, which made parsing as slow as
//! building a `serde_json::Value`; it also hides the path of a failing field.
//! [`deserialize_struct!`] writes the visitor serde would, plus a catch-all
//! for unknown names, in one pass.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// An object member name, borrowed from the input when it has no escapes.
pub(crate) struct Name<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object member name")
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

/// Go's `map[string]struct{}` (`ExposedPorts`, `Volumes`) as a set of
/// names: each name maps to an object, whose content is ignored.
pub(crate) struct NameSet(pub(crate) BTreeSet<String>);

impl<'de> Deserialize<'de> for NameSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = NameSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object mapping each entry to an empty object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NameSet, A::Error> {
                let mut set = BTreeSet::new();
                while let Some((name, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    set.insert(name);
                }
                Ok(NameSet(set))
            }
        }
        d.deserialize_map(SetVisitor)
    }
}

/// Serialises a set of names as Go's `map[string]struct{}`: `{"name":{}}`.
pub(crate) fn serialize_name_set<S: serde::Serializer>(
    set: &BTreeSet<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    #[derive(serde::Serialize)]
    struct Empty {}
    let mut map = s.serialize_map(Some(set.len()))?;
    for name in set {
        map.serialize_entry(name, &Empty {})?;
    }
    map.end()
}

/// Implements `Deserialize` for a model struct whose last field is
/// `extra: BTreeMap<String, serde_json::Value>`, which collects every member
/// not listed. Each listed field has a JSON name and a mode:
///
/// - `required`: must be present;
/// - `optional`: an `Option<T>`, `None` when absent; `null` is an error;
/// - `optional_or_null`: an `Option<T>`, `None` when absent or `null`;
/// - `default`: `T::default()` when absent; `null` is an error;
/// - `default_or_null`: `T::default()` when absent or `null`;
/// - `names`: Go's `map[string]struct{}` as a `BTreeSet<String>`, empty when
///   absent or `null`.
///
/// The `_or_null` modes are for the image config only: config.md lets any of
/// its OPTIONAL fields be `null`; no other document allows `null` for a
/// property (their schemas type each one). A listed name given twice is an
/// error, as with serde's derive.
macro_rules! deserialize_struct {
    ($ty:ident, $expecting:literal, { $($field:ident: $json:literal => $mode:ident),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct StructVisitor;
                impl<'de> serde::de::Visitor<'de> for StructVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        $(let mut $field = None;)*
                        let mut extra = std::collections::BTreeMap::new();
                        while let Some($crate::serde_util::Name(name)) =
                            map.next_key::<$crate::serde_util::Name<'de>>()?
                        {
                            match &*name {
                                $($json => {
                                    if $field.is_some() {
                                        return Err(serde::de::Error::duplicate_field($json));
                                    }
                                    $field = Some($crate::serde_util::deserialize_struct!(@read $mode, map));
                                })*
                                _ => {
                                    let value: serde_json::Value = map.next_value()?;
                                    extra.insert(name.into_owned(), value);
                                }
                            }
                        }
                        Ok($ty {
                            $($field: $crate::serde_util::deserialize_struct!(@finish $mode, $field, $json),)*
                            extra,
                        })
                    }
                }
                d.deserialize_map(StructVisitor)
            }
        }
    };
    (@read required, $map:ident) => { $map.next_value()? };
    (@read optional, $map:ident) => { $map.next_value()? };
    (@read optional_or_null, $map:ident) => { $map.next_value::<Option<_>>()? };
    (@read default, $map:ident) => { $map.next_value()? };
    (@read default_or_null, $map:ident) => { $map.next_value::<Option<_>>()?.unwrap_or_default() };
    (@read names, $map:ident) => {
        $map.next_value::<Option<$crate::serde_util::NameSet>>()?.map(|s| s.0).unwrap_or_default()
    };
    (@finish required, $field:ident, $json:literal) => {
        $field.ok_or_else(|| <A::Error as serde::de::Error>::missing_field($json))?
    };
    (@finish optional, $field:ident, $json:literal) => { $field };
    (@finish optional_or_null, $field:ident, $json:literal) => { $field.flatten() };
    (@finish default, $field:ident, $json:literal) => { $field.unwrap_or_default() };
    (@finish default_or_null, $field:ident, $json:literal) => { $field.unwrap_or_default() };
    (@finish names, $field:ident, $json:literal) => { $field.unwrap_or_default() };
}

pub(crate) use deserialize_struct;
