//! The z/OS section of config.json (`zos`).
//!
//! Implements runtime-spec config-zos.md.

use crate::linux::Namespace;

ocikit_spec_core::model! {
    /// z/OS-specific configuration (`zos`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Zos ("a zos object") {
        /// OPTIONAL. Namespaces to create or join: `mount`, `pid`, `uts`
        /// and `ipc` (the same shape as Linux's).
        namespaces: Vec<Namespace> => "namespaces" (default),
    }
}
