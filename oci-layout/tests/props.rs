//! Property test of concurrent `index.json` edits (image-layout.md; the
//! store's lock in `lock.rs`): random sequences of tag, retag and untag
//! run at once from several threads and several processes on one layout
//! lose nothing. Each writer edits tags of its own (so the final state of
//! each is known from its own sequence alone) and also retags one tag all
//! writers share: at the end `index.json` holds exactly the expected tags,
//! each once, each on the descriptor its writer's last edit gave it, and
//! the shared tag once, on the last descriptor some writer gave it.
//!
//! The processes are this test binary run again on the `#[ignore]`d
//! `child_writer`, with the layout and the edits in the environment.
//! `PROPTEST_CASES` sets the number of cases (default 32).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::process::{Child, Stdio};

use ocikit_image::{Descriptor, Digest, MediaType};
use ocikit_layout::{Error, Layout};
use ocikit_test_support::children::ignored_test;
use proptest::prelude::*;
use proptest::test_runner::Config;

const LAYOUT_VAR: &str = "OCI_LAYOUT_PROPS_LAYOUT";
const WRITER_VAR: &str = "OCI_LAYOUT_PROPS_WRITER";
const EDITS_VAR: &str = "OCI_LAYOUT_PROPS_EDITS";

/// The descriptors the writers tag (blobs stored before they start).
const TARGETS: usize = 3;
/// Tags of its own each writer edits.
const SLOTS: usize = 4;
const SHARED: &str = "shared";

/// One edit of `index.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// Tag (or retag, when the tag exists) own tag `slot` on target `t`.
    Tag { slot: usize, target: usize },
    /// Remove own tag `slot` (a missing tag is an error, and no change).
    Untag { slot: usize },
    /// Retag the shared tag on target `t`.
    Shared { target: usize },
}

impl Edit {
    fn encode(self) -> String {
        match self {
            Edit::Tag { slot, target } => format!("t{slot}.{target}"),
            Edit::Untag { slot } => format!("u{slot}"),
            Edit::Shared { target } => format!("s{target}"),
        }
    }

    fn decode(s: &str) -> Edit {
        let (kind, rest) = s.split_at(1);
        let numbers: Vec<usize> = rest.split('.').map(|n| n.parse().unwrap()).collect();
        match (kind, numbers.as_slice()) {
            ("t", [slot, target]) => Edit::Tag {
                slot: *slot,
                target: *target,
            },
            ("u", [slot]) => Edit::Untag { slot: *slot },
            ("s", [target]) => Edit::Shared { target: *target },
            _ => panic!("bad edit {s:?}"),
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0..SLOTS, 0..TARGETS).prop_map(|(slot, target)| Edit::Tag { slot, target }),
        2 => (0..SLOTS).prop_map(|slot| Edit::Untag { slot }),
        1 => (0..TARGETS).prop_map(|target| Edit::Shared { target }),
    ]
}

fn own_tag(writer: &str, slot: usize) -> String {
    format!("{writer}-{slot}")
}

/// The descriptors to tag: small blobs, stored once per layout, the same
/// in every process.
fn targets(layout: &Layout) -> Vec<Descriptor> {
    (0..TARGETS)
        .map(|t| {
            let bytes = format!("{{\"target\":{t}}}");
            layout
                .put_bytes(MediaType::ImageManifest, bytes.as_bytes())
                .unwrap()
        })
        .collect()
}

/// Runs `edits` as writer `writer`.
fn run_writer(layout: &Layout, writer: &str, edits: &[Edit]) {
    let targets = targets(layout);
    for edit in edits {
        match *edit {
            Edit::Tag { slot, target } => layout
                .tag(&own_tag(writer, slot), &targets[target])
                .unwrap(),
            Edit::Untag { slot } => match layout.untag(&own_tag(writer, slot)) {
                Ok(_) | Err(Error::TagNotFound { .. }) => {}
                Err(e) => panic!("{writer}: untag {slot}: {e}"),
            },
            Edit::Shared { target } => layout.tag(SHARED, &targets[target]).unwrap(),
        }
    }
}

/// What `edits` of `writer` leave of its own tags, and the last target it
/// gave the shared tag.
fn expected(writer: &str, edits: &[Edit]) -> (BTreeMap<String, usize>, Option<usize>) {
    let mut tags = BTreeMap::new();
    let mut shared = None;
    for edit in edits {
        match *edit {
            Edit::Tag { slot, target } => {
                tags.insert(own_tag(writer, slot), target);
            }
            Edit::Untag { slot } => {
                tags.remove(&own_tag(writer, slot));
            }
            Edit::Shared { target } => shared = Some(target),
        }
    }
    (tags, shared)
}

#[test]
#[ignore = "a child process of concurrent_index_edits_lose_nothing"]
fn child_writer() {
    let (Ok(path), Ok(writer), Ok(edits)) = (
        std::env::var(LAYOUT_VAR),
        std::env::var(WRITER_VAR),
        std::env::var(EDITS_VAR),
    ) else {
        return; // run by hand, not by the property test
    };
    let edits: Vec<Edit> = edits
        .split(',')
        .filter(|s| !s.is_empty())
        .map(Edit::decode)
        .collect();
    run_writer(&Layout::open(path).unwrap(), &writer, &edits);
}

fn spawn_writer(layout: &Layout, writer: &str, edits: &[Edit]) -> Child {
    let encoded: Vec<String> = edits.iter().map(|e| e.encode()).collect();
    ignored_test("child_writer")
        .env(LAYOUT_VAR, layout.path())
        .env(WRITER_VAR, writer)
        .env(EDITS_VAR, encoded.join(","))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn concurrent_index_edits_lose_nothing(
        thread_edits in prop::collection::vec(prop::collection::vec(edit(), 1..24), 2..4),
        process_edits in prop::collection::vec(prop::collection::vec(edit(), 1..24), 2..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::init(dir.path().join("l")).unwrap();
        let targets = targets(&layout);
        let writers: Vec<(String, &Vec<Edit>)> = thread_edits
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("thread{i}"), e))
            .chain(process_edits.iter().enumerate().map(|(i, e)| (format!("process{i}"), e)))
            .collect();

        // Processes first (they take longer to start), then the threads.
        let children: Vec<(String, Child)> = writers
            .iter()
            .filter(|(w, _)| w.starts_with("process"))
            .map(|(w, e)| (w.clone(), spawn_writer(&layout, w, e)))
            .collect();
        std::thread::scope(|s| {
            for (writer, edits) in writers.iter().filter(|(w, _)| w.starts_with("thread")) {
                let layout = layout.clone();
                s.spawn(move || run_writer(&layout, writer, edits));
            }
        });
        for (writer, child) in children {
            let output = child.wait_with_output().unwrap();
            prop_assert!(
                output.status.success(),
                "writer {writer} failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }

        let mut want: BTreeMap<String, Digest> = BTreeMap::new();
        let mut shared_candidates: Vec<Digest> = Vec::new();
        for (writer, edits) in &writers {
            let (tags, shared) = expected(writer, edits);
            want.extend(tags.into_iter().map(|(tag, t)| (tag, targets[t].digest.clone())));
            shared_candidates.extend(shared.map(|t| targets[t].digest.clone()));
        }
        let index = layout.index().unwrap();
        let mut found: BTreeMap<String, Digest> = BTreeMap::new();
        for d in &index.manifests {
            let tag = d.ref_name().unwrap().to_owned();
            prop_assert!(
                found.insert(tag.clone(), d.digest.clone()).is_none(),
                "tag {} is in index.json more than once", tag
            );
        }
        let shared = found.remove(SHARED);
        prop_assert_eq!(&found, &want, "own tags (left: found, right: expected)");
        match shared {
            None => prop_assert!(shared_candidates.is_empty(), "the shared tag was lost"),
            Some(digest) => prop_assert!(
                shared_candidates.contains(&digest),
                "the shared tag is on {} which no writer's last edit gave it", digest
            ),
        }
        prop_assert_eq!(layout.list_tags().unwrap().len(), index.manifests.len());
    }
}
