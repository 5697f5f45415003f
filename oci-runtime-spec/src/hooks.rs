//! Hooks: commands run at points of the container lifecycle.
//!
//! Implements runtime-spec config.md, "POSIX-platform Hooks".

use crate::codec::model;

model! {
    /// The hooks of each lifecycle point (`hooks`). Each list runs in order.
    pub struct Hooks ("a hooks object") {
        /// OPTIONAL. Deprecated: run after the start operation's namespaces
        /// are created, before `pivot_root`; use `createRuntime`,
        /// `createContainer` and `startContainer` instead.
        prestart: Vec<Hook> => "prestart" (vec),
        /// OPTIONAL. Run in the runtime namespace during create, after the
        /// environment is set up and before `pivot_root`.
        create_runtime: Vec<Hook> => "createRuntime" (vec),
        /// OPTIONAL. Run in the container namespace during create, after
        /// the runtime's hooks and before `pivot_root`.
        create_container: Vec<Hook> => "createContainer" (vec),
        /// OPTIONAL. Run in the container namespace as part of start,
        /// before the user-specified program.
        start_container: Vec<Hook> => "startContainer" (vec),
        /// OPTIONAL. Run in the runtime namespace after the user-specified
        /// process is started, before start returns.
        poststart: Vec<Hook> => "poststart" (vec),
        /// OPTIONAL. Run in the runtime namespace after the container is
        /// deleted, before delete returns.
        poststop: Vec<Hook> => "poststop" (vec),
    }
}

model! {
    /// One hook: a program with arguments and environment.
    pub struct Hook ("a hook object") {
        /// REQUIRED. Absolute path of the program, in the runtime namespace;
        /// semantics of IEEE Std 1003.1-2008 `execv`'s path.
        path: String => "path" (req),
        /// OPTIONAL. Arguments, `argv[0]` included (`execv`'s argv).
        args: Vec<String> => "args" (vec),
        /// OPTIONAL. Environment as `KEY=value` strings (`environ`).
        env: Vec<String> => "env" (vec),
        /// OPTIONAL. Seconds before the hook is aborted; greater than zero.
        timeout: Option<i64> => "timeout" (opt),
    }
}

impl Hook {
    /// A hook running `path` with no arguments, environment or timeout.
    pub fn new(path: impl Into<String>) -> Self {
        Hook {
            path: path.into(),
            ..Default::default()
        }
    }
}
