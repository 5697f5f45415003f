//! Fuzz checks for layer apply (ocikit-convert `apply_tar`): the input, as an
//! uncompressed tar stream, is applied into a fresh scratch root, once with
//! the options of an apply as root and once rootless. The apply never
//! panics and never reaches outside the root: beside the root lie a
//! sentinel file, a sentinel directory holding a file, and a symlink to the
//! directory, and inside the root wait symlink traps pointing at them
//! (absolute, relative through `..`, and to the file). After every apply
//! the sandbox but the root is compared with its state before: the same
//! names, types, modes, owners, link counts, sizes, contents, link targets,
//! modification and change times.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use ocikit_convert::{ApplyOptions, Limits};

/// Applies `data` as a layer into a fresh root, as root and rootless;
/// panics on a violation.
pub fn check(data: &[u8]) {
    for rootless in [false, true] {
        apply_in_sandbox(data, rootless);
    }
}

/// What must not change outside the root, by path relative to the sandbox.
type State = BTreeMap<PathBuf, String>;

fn apply_in_sandbox(data: &[u8], rootless: bool) {
    let dir = tempfile::Builder::new()
        .prefix("oci-fuzz-apply")
        .tempdir()
        .expect("a temporary directory");
    let sandbox = dir.path();
    let root = sandbox.join("root");
    build_sandbox(sandbox, &root);
    let before = outside_state(sandbox);
    let options = ApplyOptions {
        rootless,
        // Small enough that an input cannot fill the disk or take long.
        limits: Limits {
            max_entries: 10_000,
            max_bytes: 64 << 20,
            ..Limits::default()
        },
        ..ApplyOptions::default()
    };
    let result = ocikit_convert::apply_tar(&root, data, &options);
    let after = outside_state(sandbox);
    if before != after {
        let mut diff = String::new();
        for (path, was) in &before {
            match after.get(path) {
                None => diff.push_str(&format!("  gone: {}: {was}\n", path.display())),
                Some(now) if now != was => diff.push_str(&format!(
                    "  changed: {}\n    before: {was}\n    after:  {now}\n",
                    path.display()
                )),
                Some(_) => {}
            }
        }
        for (path, now) in after.iter().filter(|(p, _)| !before.contains_key(*p)) {
            diff.push_str(&format!("  new: {}: {now}\n", path.display()));
        }
        panic!(
            "the apply (rootless: {rootless}, result: {result:?}) changed the sandbox outside the root:\n{diff}"
        );
    }
    make_removable(&root);
}

/// The sandbox: `root/` with the traps, and beside it the sentinels, all
/// with distinct modes and old times so that any touch shows.
fn build_sandbox(sandbox: &Path, root: &Path) {
    use std::os::unix::fs::{PermissionsExt as _, symlink};
    let outside = sandbox.join("outside");
    let sentinel = sandbox.join("sentinel");
    std::fs::create_dir(root).expect("root");
    std::fs::create_dir(&outside).expect("outside/");
    std::fs::write(&sentinel, b"sentinel file\n").expect("sentinel");
    std::fs::write(outside.join("file"), b"inside the sentinel directory\n").expect("outside/file");
    symlink(&outside, sandbox.join("outside-link")).expect("outside-link");
    for (path, mode) in [
        (&sentinel, 0o640),
        (&outside.join("file"), 0o604),
        (&outside, 0o751),
    ] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    // Traps: a layer entry through any of these must stay in the root.
    symlink(&outside, root.join("trap-abs")).expect("trap-abs");
    symlink("../outside", root.join("trap-up")).expect("trap-up");
    symlink(&sentinel, root.join("trap-file")).expect("trap-file");
    symlink("../../../../../../..", root.join("trap-top")).expect("trap-top");
    symlink(sandbox, root.join("trap-sandbox")).expect("trap-sandbox");
    for path in [&sentinel, &outside.join("file"), &outside] {
        set_mtime(path, 1_000_000_000);
    }
}

fn set_mtime(path: &Path, secs: i64) {
    let time = std::fs::FileTimes::new()
        .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64));
    std::fs::File::open(path)
        .and_then(|f| f.set_times(time))
        .expect("set the mtime");
}

/// Every name in the sandbox but what is inside `root/`, with its metadata
/// and content (the sandbox directory itself too: a new name beside the
/// root changes its mtime).
fn outside_state(sandbox: &Path) -> State {
    let mut state = State::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let path = sandbox.join(&rel);
        let meta = std::fs::symlink_metadata(&path).expect("lstat in the sandbox");
        let mut line = format!(
            "type {:?} mode {:o} owner {}:{} nlink {} size {} mtime {}.{} ctime {}.{}",
            meta.file_type(),
            meta.mode(),
            meta.uid(),
            meta.gid(),
            meta.nlink(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        );
        if meta.is_file() {
            let content = std::fs::read(&path).expect("read a sentinel");
            line.push_str(&format!(" content {:?}", String::from_utf8_lossy(&content)));
        } else if meta.is_symlink() {
            let target = std::fs::read_link(&path).expect("readlink");
            line.push_str(&format!(" target {}", target.display()));
        } else if meta.is_dir() && rel.as_os_str() != "root" {
            let mut names: Vec<_> = std::fs::read_dir(&path)
                .expect("list a sentinel directory")
                .map(|e| e.expect("a directory entry").file_name())
                .collect();
            names.sort();
            line.push_str(&format!(" names {names:?}"));
            pending.extend(names.into_iter().map(|n| rel.join(n)));
        }
        if rel.as_os_str() == "root" {
            // Its content and metadata are the layer's to change.
            line = "the root".to_owned();
        }
        state.insert(rel, line);
    }
    state
}

/// Gives every directory under `root` its owner's rwx so that the temporary
/// directory can be removed also when the tests do not run as root.
fn make_removable(root: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            pending.extend(entries.flatten().map(|e| e.path()));
        }
    }
}
