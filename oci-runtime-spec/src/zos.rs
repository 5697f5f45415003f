//! The z/OS section of config.json (`zos`).
//!
//! Implements runtime-spec config-zos.md.

use crate::codec::model;
use crate::linux::Namespace;

model! {
    /// z/OS-specific configuration (`zos`).
    pub struct Zos ("a zos object") {
        /// OPTIONAL. Namespaces to create or join: `mount`, `pid`, `uts`
        /// and `ipc` (the same shape as Linux's).
        namespaces: Vec<Namespace> => "namespaces" (vec),
    }
}
