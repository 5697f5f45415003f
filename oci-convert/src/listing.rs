//! Listing through file descriptors, shared by apply, build and diff: the
//! names in a directory, and the names of a file's extended attributes.

use std::os::fd::AsFd;

use rustix::fs::Dir;
use rustix::io::Errno;

/// The names in the directory `dir` (open for reading), without `.` and
/// `..`, in the order the file system gives them.
pub(crate) fn names(dir: impl AsFd) -> rustix::io::Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(name.to_vec());
        }
    }
    Ok(names)
}

/// The names of the extended attributes of the open file `fd`, in the
/// order the file system gives them; none where it has no attributes
/// (`ENOTSUP`).
pub(crate) fn xattr_names(fd: impl AsFd) -> rustix::io::Result<Vec<Vec<u8>>> {
    let fd = fd.as_fd();
    let list = match read_sized(|buf| rustix::fs::flistxattr(fd, buf)) {
        Ok(list) => list,
        Err(Errno::NOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(list
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

/// Calls a "fill this buffer" syscall with a buffer as large as the size
/// it asks for, retrying when the value grew in between (`ERANGE`).
pub(crate) fn read_sized(
    mut call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>,
) -> rustix::io::Result<Vec<u8>> {
    let mut size = 256;
    loop {
        let mut buf = vec![0u8; size];
        match call(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            // Attribute values are at most 64 KiB and lists are bounded by
            // the kernel too (XATTR_LIST_MAX); stop growing past that.
            Err(Errno::RANGE) if size < (1 << 20) => size *= 4,
            Err(e) => return Err(e),
        }
    }
}
