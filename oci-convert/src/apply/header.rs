//! What one tar entry's headers say besides its name: mode, owner (mapped
//! through the id maps), times and extended attributes, from the ustar
//! fields and the PAX records read by length (`pax.rs`).

use std::io::{self, Read};

use tar::EntryType;

use super::entry::{Applier, bad};
use super::meta::Time;
use super::pax::Records;
use crate::{Result, map_id};

/// What one entry's headers say, besides its name and type.
pub(super) struct Header {
    pub(super) mode: u32,
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) atime: Time,
    pub(super) mtime: Time,
    pub(super) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Applier<'_> {
    /// The mode, owner (mapped), times and attributes of an entry.
    pub(super) fn header<R: Read>(
        &self,
        entry: &mut tar::Entry<'_, R>,
        records: Records,
        name: &str,
    ) -> Result<Header> {
        let h = entry.header();
        let old = h.as_old();
        let mode = numeric(h.mode().map(u64::from), &old.mode)
            .map_err(|e| bad(name, format!("bad mode field: {e}")))?;
        let mode = u32::try_from(mode)
            .map_err(|_| bad(name, format!("mode {mode:o} does not fit in 32 bits")))?;
        let id = |value: io::Result<u64>,
                  raw: &[u8],
                  what: &str,
                  map: &[crate::IdMapping]|
         -> Result<u32> {
            let raw =
                numeric(value, raw).map_err(|e| bad(name, format!("bad {what} field: {e}")))?;
            let raw = u32::try_from(raw)
                .map_err(|_| bad(name, format!("{what} {raw} does not fit in 32 bits")))?;
            map_id(map, raw)
                .ok_or_else(|| bad(name, format!("{what} {raw} is outside the {what} mapping")))
        };
        // The PAX records as read by length win over the tar reader's.
        let uid = match records.uid {
            Some(uid) => id(Ok(uid), &[], "uid", &self.options.uid_map)?,
            None => id(h.uid(), &old.uid, "uid", &self.options.uid_map)?,
        };
        let gid = match records.gid {
            Some(gid) => id(Ok(gid), &[], "gid", &self.options.gid_map)?,
            None => id(h.gid(), &old.gid, "gid", &self.options.gid_map)?,
        };
        let header_mtime = numeric(h.mtime(), &old.mtime)
            .map_err(|e| bad(name, format!("bad mtime field: {e}")))?;
        let mut mtime = Time {
            secs: i64::try_from(header_mtime).unwrap_or(i64::MAX),
            nanos: 0,
        };
        if let Some(secs) = records.mtime {
            mtime = secs;
        }
        Ok(Header {
            mode,
            uid,
            gid,
            atime: records.atime.unwrap_or(mtime),
            mtime,
            xattrs: records.xattrs,
        })
    }
}

/// A numeric header field, with an empty one (all NULs or spaces, as some
/// writers leave fields they do not use) read as 0, as GNU tar does.
fn numeric(value: io::Result<u64>, raw: &[u8]) -> io::Result<u64> {
    match value {
        Err(_) if raw.iter().all(|&b| b == 0 || b == b' ') => Ok(0),
        other => other,
    }
}

/// A tar entry type in words, for messages.
pub(super) fn type_name(kind: EntryType) -> String {
    match kind {
        EntryType::Regular => "a regular file".into(),
        EntryType::Link => "a hardlink".into(),
        EntryType::Symlink => "a symlink".into(),
        EntryType::Char => "a character device".into(),
        EntryType::Block => "a block device".into(),
        EntryType::Directory => "a directory".into(),
        EntryType::Fifo => "a FIFO".into(),
        other => format!("{:?}", char::from(other.as_byte())),
    }
}
