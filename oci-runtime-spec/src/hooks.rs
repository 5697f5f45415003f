//! Hooks: commands run at points of the container lifecycle.
//!
//! Implements runtime-spec config.md, "POSIX-platform Hooks", and its rules.

use crate::validate::{Checker, Rule, absolute_at, each, env};

ocikit_spec_core::model! {
    /// The hooks of each lifecycle point (`hooks`). Each list runs in order.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Hooks ("a hooks object") {
        /// OPTIONAL. Deprecated: run after the start operation's namespaces
        /// are created, before `pivot_root`; use `createRuntime`,
        /// `createContainer` and `startContainer` instead.
        prestart: Vec<Hook> => "prestart" (default),
        /// OPTIONAL. Run in the runtime namespace during create, after the
        /// environment is set up and before `pivot_root`.
        create_runtime: Vec<Hook> => "createRuntime" (default),
        /// OPTIONAL. Run in the container namespace during create, after
        /// the runtime's hooks and before `pivot_root`.
        create_container: Vec<Hook> => "createContainer" (default),
        /// OPTIONAL. Run in the container namespace as part of start,
        /// before the user-specified program.
        start_container: Vec<Hook> => "startContainer" (default),
        /// OPTIONAL. Run in the runtime namespace after the user-specified
        /// process is started, before start returns.
        poststart: Vec<Hook> => "poststart" (default),
        /// OPTIONAL. Run in the runtime namespace after the container is
        /// deleted, before delete returns.
        poststop: Vec<Hook> => "poststop" (default),
    }
}

ocikit_spec_core::model! {
    /// One hook: a program with arguments and environment.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Hook ("a hook object") {
        /// REQUIRED. Absolute path of the program, in the runtime namespace;
        /// semantics of IEEE Std 1003.1-2008 `execv`'s path.
        path: String => "path" (required),
        /// OPTIONAL. Arguments, `argv[0]` included (`execv`'s argv).
        args: Vec<String> => "args" (default),
        /// OPTIONAL. Environment as `KEY=value` strings (`environ`).
        env: Vec<String> => "env" (default),
        /// OPTIONAL. Seconds before the hook is aborted; greater than zero.
        timeout: Option<i64> => "timeout" (optional_or_null),
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

/// Checks each hook of each list of `hooks`.
pub(crate) fn check(c: &mut Checker, hooks: &Hooks) {
    let lists = [
        ("prestart", &hooks.prestart),
        ("createRuntime", &hooks.create_runtime),
        ("createContainer", &hooks.create_container),
        ("startContainer", &hooks.start_container),
        ("poststart", &hooks.poststart),
        ("poststop", &hooks.poststop),
    ];
    for (name, list) in lists {
        each(c, name, list, check_hook);
    }
}

/// config.md "POSIX-platform Hooks": `path` MUST be absolute, `timeout` if
/// set MUST be greater than zero.
fn check_hook(c: &mut Checker, hook: &Hook) {
    absolute_at(c, "path", Rule::Hook, &hook.path);
    if let Some(t) = hook.timeout
        && t <= 0
    {
        c.field("timeout", |c| {
            c.error(Rule::Hook, format!("must be greater than zero, found {t}"))
        });
    }
    each(c, "env", &hook.env, |c, entry| env(c, Rule::Hook, entry));
}
