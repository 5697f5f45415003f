//! STUB: to be replaced (platforms, normalisation and matching).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Operating system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Os {
    /// linux
    Linux,
    /// other
    Other(String),
}

/// CPU architecture.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Arch {
    /// amd64
    Amd64,
    /// other
    Other(String),
}

/// A platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// arch
    pub architecture: Arch,
    /// os
    pub os: Os,
    /// os.version
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// os.features
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// variant
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// features
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// unknown fields
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl crate::validate::Validate for Platform {
    fn check_into(&self, checker: &mut crate::validate::Checker) {
        let _ = checker;
    }
}
