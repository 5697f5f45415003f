//! The container lifecycle as a small state machine: which operation is
//! allowed in which status, and the status it leads to.
//!
//! Implements runtime-spec runtime.md, "Lifecycle" and "Operations".

use std::fmt;

use crate::ContainerStatus;

/// An operation of runtime.md "Operations".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `create <container-id> <path-to-bundle>`: MUST error if the ID is
    /// not unique.
    Create,
    /// `start <container-id>`: MUST error unless the container is `created`.
    Start,
    /// `kill <container-id> <signal>`: MUST error unless the container is
    /// `created` or `running`.
    Kill,
    /// `delete <container-id>`: MUST error unless the container is `stopped`.
    Delete,
    /// `state <container-id>`: MUST error if the container does not exist.
    State,
}

impl Operation {
    /// Every operation, in the order runtime.md lists them.
    pub const ALL: [Operation; 5] = [
        Operation::State,
        Operation::Create,
        Operation::Start,
        Operation::Kill,
        Operation::Delete,
    ];

    /// The operation's name, as runtime.md spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Start => "start",
            Operation::Kill => "kill",
            Operation::Delete => "delete",
            Operation::State => "state",
        }
    }

    /// The statuses an existing container must have for this operation;
    /// empty for `create` (the container must not exist) and `None` for
    /// `state` (any status).
    pub fn needs(self) -> Option<&'static [ContainerStatus]> {
        const CREATED: &[ContainerStatus] = &[ContainerStatus::Created];
        const LIVE: &[ContainerStatus] = &[ContainerStatus::Created, ContainerStatus::Running];
        const STOPPED: &[ContainerStatus] = &[ContainerStatus::Stopped];
        match self {
            Operation::Create => Some(&[]),
            Operation::Start => Some(CREATED),
            Operation::Kill => Some(LIVE),
            Operation::Delete => Some(STOPPED),
            Operation::State => None,
        }
    }

    /// Whether this operation is allowed on a container in `status`
    /// (`None`: the container does not exist), and if so the status it
    /// leads to (`None`: the container no longer exists). `id` is only
    /// for the error message.
    ///
    /// ```
    /// use ocikit_runtime_spec::{ContainerStatus, Operation};
    ///
    /// let after = Operation::Start.transition("c1", Some(&ContainerStatus::Created));
    /// assert_eq!(after, Ok(Some(ContainerStatus::Running)));
    /// let err = Operation::Kill.transition("c1", Some(&ContainerStatus::Stopped)).unwrap_err();
    /// assert_eq!(err.to_string(), r#"kill: container "c1" is stopped; kill needs status created or running"#);
    /// ```
    pub fn transition(
        self,
        id: &str,
        status: Option<&ContainerStatus>,
    ) -> Result<Option<ContainerStatus>, LifecycleError> {
        let Some(status) = status else {
            return match self {
                Operation::Create => Ok(Some(ContainerStatus::Created)),
                op => Err(LifecycleError::NotFound {
                    op,
                    id: id.to_owned(),
                }),
            };
        };
        let wrong = || LifecycleError::WrongStatus {
            op: self,
            id: id.to_owned(),
            status: status.clone(),
        };
        match (self, status) {
            (Operation::Create, _) => Err(LifecycleError::AlreadyExists {
                id: id.to_owned(),
                status: status.clone(),
            }),
            (Operation::Start, ContainerStatus::Created) => Ok(Some(ContainerStatus::Running)),
            (Operation::Kill, ContainerStatus::Created | ContainerStatus::Running) => {
                Ok(Some(status.clone()))
            }
            (Operation::Delete, ContainerStatus::Stopped) => Ok(None),
            (Operation::State, _) => Ok(Some(status.clone())),
            (Operation::Start | Operation::Kill | Operation::Delete, _) => Err(wrong()),
        }
    }

    /// Whether this operation is allowed on a container in `status`
    /// (`None`: it does not exist): [`Operation::transition`] without the
    /// outcome.
    pub fn check(self, id: &str, status: Option<&ContainerStatus>) -> Result<(), LifecycleError> {
        self.transition(id, status).map(|_| ())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation attempted in a status that does not allow it. runtime.md:
/// such an attempt MUST generate an error and have no effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// `create` with an ID that is already in use.
    #[error("create: container {id:?} already exists (status {status}); create needs an unused ID")]
    AlreadyExists {
        /// The container's ID.
        id: String,
        /// Its current status.
        status: ContainerStatus,
    },
    /// An operation other than `create` on a container that does not exist.
    #[error("{op}: container {id:?} does not exist")]
    NotFound {
        /// The operation attempted.
        op: Operation,
        /// The container's ID.
        id: String,
    },
    /// `start`, `kill` or `delete` in a status that does not allow it.
    #[error("{op}: container {id:?} is {status}; {op} needs status {}", needs(*op))]
    WrongStatus {
        /// The operation attempted.
        op: Operation,
        /// The container's ID.
        id: String,
        /// Its current status.
        status: ContainerStatus,
    },
}

/// `created or running`.
fn needs(op: Operation) -> String {
    let names: Vec<&str> = op
        .needs()
        .unwrap_or_default()
        .iter()
        .map(ContainerStatus::as_str)
        .collect();
    names.join(" or ")
}

/// One container's place in the lifecycle: its ID and status (`None`
/// before create and after delete). Operations go through
/// [`Lifecycle::apply`], so a runtime built on it cannot start a stopped
/// container or delete a running one.
///
/// The whole table of runtime.md "Operations", with `-` for "the
/// container does not exist":
///
/// | operation | allowed when                | status after success     |
/// |-----------|-----------------------------|--------------------------|
/// | `create`  | `-` (the ID is not in use)  | `created`                |
/// | `start`   | `created`                   | `running`                |
/// | `kill`    | `created`, `running`        | unchanged (see below)    |
/// | `delete`  | `stopped`                   | `-` (the ID may be reused) |
/// | `state`   | any status                  | unchanged                |
///
/// Every other combination is an error, and runtime.md says such an
/// attempt MUST have no effect on the container. `creating` is the status
/// *during* create; nothing but `state` is allowed on it. A status a
/// runtime defines itself ([`ContainerStatus::Other`], e.g. `paused`)
/// allows only `state`: runtime.md names the statuses each operation
/// needs, and a runtime-defined one is none of them. The container
/// process exiting (lifecycle step 10) is not an operation but an event:
/// [`Lifecycle::exited`] moves `created` or `running` to `stopped`; a
/// successful `kill` leaves the status as it is until that happens.
///
/// ```
/// use ocikit_runtime_spec::{ContainerStatus, Lifecycle, LifecycleError, Operation};
///
/// let mut c = Lifecycle::new("web");
/// c.apply(Operation::Create)?;
/// assert_eq!(c.status(), Some(&ContainerStatus::Created));
/// c.apply(Operation::Start)?;
///
/// let err = c.apply(Operation::Start).unwrap_err();
/// assert_eq!(err.to_string(), r#"start: container "web" is running; start needs status created"#);
/// let err = c.apply(Operation::Delete).unwrap_err();
/// assert!(matches!(err, LifecycleError::WrongStatus { op: Operation::Delete, .. }));
///
/// c.apply(Operation::Kill)?;
/// c.exited();
/// c.apply(Operation::Delete)?;
/// assert_eq!(c.status(), None);
/// # Ok::<(), LifecycleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    id: String,
    status: Option<ContainerStatus>,
}

impl Lifecycle {
    /// A container `id` that does not exist yet.
    pub fn new(id: impl Into<String>) -> Self {
        Lifecycle {
            id: id.into(),
            status: None,
        }
    }

    /// An existing container, in `status` (as read from its state).
    pub fn with_status(id: impl Into<String>, status: ContainerStatus) -> Self {
        Lifecycle {
            id: id.into(),
            status: Some(status),
        }
    }

    /// The container's ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The current status; `None` when the container does not exist.
    pub fn status(&self) -> Option<&ContainerStatus> {
        self.status.as_ref()
    }

    /// Whether `op` is allowed now, without changing anything.
    pub fn check(&self, op: Operation) -> Result<(), LifecycleError> {
        op.check(&self.id, self.status.as_ref())
    }

    /// Performs `op`'s status change if it is allowed; on error nothing
    /// changes.
    pub fn apply(&mut self, op: Operation) -> Result<(), LifecycleError> {
        self.status = op.transition(&self.id, self.status.as_ref())?;
        Ok(())
    }

    /// The container process exited (lifecycle step 10): `created` and
    /// `running` become `stopped`; any other status is left alone.
    pub fn exited(&mut self) {
        if matches!(
            self.status,
            Some(ContainerStatus::Created | ContainerStatus::Running)
        ) {
            self.status = Some(ContainerStatus::Stopped);
        }
    }
}
