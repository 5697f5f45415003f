//! The state of a container, as `runc state` prints it and as hooks
//! receive it on stdin.
//!
//! Implements runtime-spec runtime.md, "State".

use std::collections::BTreeMap;

use crate::codec::string_enum;

ocikit_spec_core::model! {
    /// The state of a container.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct State ("a state object") {
        /// REQUIRED. The runtime-spec version of the state.
        oci_version: String => "ociVersion" (required),
        /// REQUIRED. The container's ID, unique on the host.
        id: String => "id" (required),
        /// REQUIRED. The runtime state of the container.
        status: ContainerStatus => "status" (required),
        /// REQUIRED when `status` is `created` or `running` on Linux,
        /// OPTIONAL elsewhere. ID of the container process, as seen by the
        /// runtime (or, in hooks run in the container namespace, by the
        /// container).
        pid: Option<i64> => "pid" (optional_or_null),
        /// REQUIRED. Absolute path of the bundle directory.
        bundle: String => "bundle" (required),
        /// OPTIONAL. The container's annotations; absent or empty when it
        /// has none.
        annotations: BTreeMap<String, String> => "annotations" (default),
    }
}

string_enum! {
    /// The runtime state of a container (`status`).
    ///
    /// Open: runtime.md lets a runtime define additional values for new
    /// states; those parse as `Other` and are kept.
    pub enum ContainerStatus (open, "container status", default Creating) {
        /// The container is being created (lifecycle step 2).
        Creating = "creating",
        /// Create has finished; the process has neither exited nor run the
        /// user-specified program.
        Created = "created",
        /// The process has executed the user-specified program and not
        /// exited.
        Running = "running",
        /// The process has exited.
        Stopped = "stopped",
    }
}
