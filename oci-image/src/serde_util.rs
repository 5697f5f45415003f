//! Small serde helpers shared by the models.

use serde::{Deserialize, Deserializer};

/// Deserialises JSON `null` as the type's default: config.md says any
/// OPTIONAL field MAY be `null`, which is the same as absent.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
