//! The lifecycle state machine against runtime.md "Operations": every
//! operation in every status, the status it leads to, and the errors.

#![allow(clippy::unwrap_used)]

use ocikit_runtime_spec::{ContainerStatus, Lifecycle, LifecycleError, Operation};

use ContainerStatus::{Created, Creating, Running, Stopped};

fn paused() -> ContainerStatus {
    ContainerStatus::Other("paused".to_owned())
}

/// The expected outcome of `op` in `status`: `Ok(status after)` or the
/// error message.
fn expected(
    op: Operation,
    status: Option<&ContainerStatus>,
) -> Result<Option<ContainerStatus>, String> {
    let s = status.map(|s| s.as_str().to_owned());
    match (op, status) {
        (Operation::Create, None) => Ok(Some(Created)),
        (Operation::Create, Some(_)) => Err(format!(
            r#"create: container "c" already exists (status {}); create needs an unused ID"#,
            s.unwrap()
        )),
        (op, None) => Err(format!(r#"{op}: container "c" does not exist"#)),
        (Operation::State, Some(st)) => Ok(Some(st.clone())),
        (Operation::Start, Some(Created)) => Ok(Some(Running)),
        (Operation::Start, Some(_)) => Err(format!(
            r#"start: container "c" is {}; start needs status created"#,
            s.unwrap()
        )),
        (Operation::Kill, Some(st @ (Created | Running))) => Ok(Some(st.clone())),
        (Operation::Kill, Some(_)) => Err(format!(
            r#"kill: container "c" is {}; kill needs status created or running"#,
            s.unwrap()
        )),
        (Operation::Delete, Some(Stopped)) => Ok(None),
        (Operation::Delete, Some(_)) => Err(format!(
            r#"delete: container "c" is {}; delete needs status stopped"#,
            s.unwrap()
        )),
    }
}

#[test]
fn the_whole_table() {
    let statuses = [
        None,
        Some(Creating),
        Some(Created),
        Some(Running),
        Some(Stopped),
        Some(paused()),
    ];
    let mut allowed = 0;
    for op in Operation::ALL {
        for status in &statuses {
            let got = op
                .transition("c", status.as_ref())
                .map_err(|e| e.to_string());
            assert_eq!(got, expected(op, status.as_ref()), "{op} in {status:?}");
            assert_eq!(op.check("c", status.as_ref()).is_ok(), got.is_ok());
            allowed += usize::from(got.is_ok());
        }
    }
    // create: 1, start: 1, kill: 2, delete: 1, state: 5 statuses.
    assert_eq!(allowed, 10);
}

#[test]
fn errors_are_typed() {
    assert_eq!(
        Operation::Start.check("c", Some(&Running)),
        Err(LifecycleError::WrongStatus {
            op: Operation::Start,
            id: "c".into(),
            status: Running
        })
    );
    assert_eq!(
        Operation::Delete.check("c", None),
        Err(LifecycleError::NotFound {
            op: Operation::Delete,
            id: "c".into()
        })
    );
    assert_eq!(
        Operation::Create.check("c", Some(&Stopped)),
        Err(LifecycleError::AlreadyExists {
            id: "c".into(),
            status: Stopped
        })
    );
    assert_eq!(Operation::Kill.needs(), Some(&[Created, Running][..]));
    assert_eq!(Operation::State.needs(), None);
}

#[test]
fn a_whole_life() {
    let mut c = Lifecycle::new("web");
    assert_eq!(c.id(), "web");
    assert_eq!(c.status(), None);
    assert!(c.check(Operation::State).is_err());
    c.apply(Operation::Create).unwrap();
    assert_eq!(c.status(), Some(&Created));
    // A failed operation changes nothing.
    assert!(c.apply(Operation::Delete).is_err());
    assert_eq!(c.status(), Some(&Created));
    c.apply(Operation::Start).unwrap();
    assert_eq!(c.status(), Some(&Running));
    c.apply(Operation::Kill).unwrap();
    assert_eq!(c.status(), Some(&Running), "kill only sends a signal");
    c.exited();
    assert_eq!(c.status(), Some(&Stopped));
    assert!(c.apply(Operation::Kill).is_err());
    c.apply(Operation::State).unwrap();
    c.apply(Operation::Delete).unwrap();
    assert_eq!(c.status(), None);
    // The ID may be used again.
    c.apply(Operation::Create).unwrap();
}

#[test]
fn exit_before_start_and_runtime_defined_statuses() {
    let mut c = Lifecycle::with_status("c", Created);
    c.exited();
    assert_eq!(c.status(), Some(&Stopped));
    c.exited();
    assert_eq!(c.status(), Some(&Stopped));

    let mut p = Lifecycle::with_status("p", paused());
    p.exited();
    assert_eq!(
        p.status(),
        Some(&paused()),
        "exited leaves other statuses alone"
    );
    for op in [
        Operation::Start,
        Operation::Kill,
        Operation::Delete,
        Operation::Create,
    ] {
        assert!(p.check(op).is_err(), "{op}");
    }
    assert!(p.check(Operation::State).is_ok());

    let mut creating = Lifecycle::with_status("n", Creating);
    assert!(creating.apply(Operation::Start).is_err());
    creating.exited();
    assert_eq!(creating.status(), Some(&Creating));
}
