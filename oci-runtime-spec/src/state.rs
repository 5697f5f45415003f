//! The state of a container, as `runc state` prints it and as hooks
//! receive it on stdin.
//!
//! Implements runtime-spec runtime.md, "State": the model, its JSON form
//! and its rules.

use std::collections::BTreeMap;

use ocikit_spec_core::Json;

use crate::codec::string_enum;
use crate::validate::{Checker, Rule, Validate, absolute_at, annotations, semver};

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

impl Validate for State {
    type Rule = Rule;
    const KIND: &'static str = "state";

    /// Every rule of runtime.md "State" this state breaks. A state does not
    /// say its platform: the Linux rule (`pid` REQUIRED when `status` is
    /// `created` or `running`) is applied; a caller on another platform can
    /// drop the [`Rule::State`] violation at path `pid`.
    fn check_into(&self, c: &mut Checker) {
        semver(c, "ociVersion", &self.oci_version);
        if self.id.is_empty() {
            c.field("id", |c| c.error(Rule::State, "must not be empty"));
        }
        if !self.status.is_known() {
            c.field("status", |c| {
                c.warning(
                    Rule::State,
                    format!(
                        "{:?} is not a status the spec defines (creating, created, running, stopped); runtimes may add their own",
                        self.status.as_str()
                    ),
                )
            });
        }
        match self.pid {
            Some(pid) if pid < 0 => c.field("pid", |c| {
                c.error(Rule::State, format!("must not be negative, found {pid}"))
            }),
            None if matches!(
                self.status,
                crate::ContainerStatus::Created | crate::ContainerStatus::Running
            ) =>
            {
                c.field("pid", |c| {
                    c.error(
                        Rule::State,
                        format!(
                            "is required on Linux when the status is {}, found none",
                            self.status
                        ),
                    )
                });
            }
            _ => {}
        }
        absolute_at(c, "bundle", Rule::State, &self.bundle);
        c.field("annotations", |c| annotations(c, &self.annotations));
    }
}

impl Json for State {
    /// As `runc state` prints it: Go's `json.MarshalIndent` with two spaces.
    const PRETTY_INDENT: &'static str = "  ";
    const MAP_MEMBERS: &'static [&'static str] = &["annotations"];
}
