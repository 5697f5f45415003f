//! `config.User` -> `process.user` (image-spec conversion.md "Config.User",
//! config.md "User"): names resolved through the rootfs's `/etc/passwd`
//! and `/etc/group`, never the host's; ids kept to `0..=i32::MAX`.

use std::path::Path;

use super::etc::read_account_file;
use crate::root::Root;
use crate::{Error, Result};

/// The largest id Linux accepts (`uid_t` is unsigned, but `-1` means
/// "unchanged" to `setresuid(2)` and ids above `i32::MAX` are refused by
/// runtimes and user namespaces alike).
const MAX_ID: u64 = i32::MAX as u64;

/// The user a process runs as, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// `process.user.uid`.
    pub uid: u32,
    /// `process.user.gid`.
    pub gid: u32,
    /// `process.user.additionalGids`.
    pub additional_gids: Vec<u32>,
    /// The home directory of the user's `/etc/passwd` entry, if any.
    pub home: Option<String>,
}

/// The rootfs's account files, each read once, when first needed.
pub(crate) struct Accounts<'a> {
    root: &'a Root,
    rootfs: &'a Path,
    passwd: Option<Option<Vec<u8>>>,
    group: Option<Option<Vec<u8>>>,
}

impl<'a> Accounts<'a> {
    /// The account files of the rootfs opened as `root` at `rootfs`.
    pub(crate) fn new(root: &'a Root, rootfs: &'a Path) -> Self {
        Accounts {
            root,
            rootfs,
            passwd: None,
            group: None,
        }
    }

    fn passwd(&mut self) -> Result<Option<&[u8]>> {
        if self.passwd.is_none() {
            let read = read_account_file(self.root, self.rootfs, "passwd", "/etc/passwd")?;
            self.passwd = Some(read);
        }
        Ok(self.passwd.as_ref().and_then(|f| f.as_deref()))
    }

    fn group(&mut self) -> Result<Option<&[u8]>> {
        if self.group.is_none() {
            let read = read_account_file(self.root, self.rootfs, "group", "/etc/group")?;
            self.group = Some(read);
        }
        Ok(self.group.as_ref().and_then(|f| f.as_deref()))
    }
}

/// One side of `config.User`: a number, or a name to look up.
enum Id<'a> {
    Number(u32),
    Name(&'a str),
}

/// Parses one side of `config.User`: all digits is an id (which must fit
/// `0..=i32::MAX`), anything else a name.
fn parse_id<'a>(user: &str, part: &'a str) -> Result<Id<'a>> {
    if part.is_empty() {
        return Err(Error::BadUser {
            user: user.to_owned(),
            reason: "a user or group is empty",
        });
    }
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Id::Name(part));
    }
    let out_of_range = || Error::IdOutOfRange {
        field: format!("config.User {user:?}"),
        value: part.to_owned(),
    };
    let id: u64 = part.parse().map_err(|_| out_of_range())?;
    if id > MAX_ID {
        return Err(out_of_range());
    }
    u32::try_from(id)
        .map_err(|_| out_of_range())
        .map(Id::Number)
}

/// Resolves `config.User` (`None` or empty: root, `0`). `need_home`: also
/// look up the home directory of a numeric user, for `HOME`.
///
/// - A numeric uid or gid is copied verbatim (conversion.md MUST); a
///   numeric uid without a group takes the group of its `/etc/passwd`
///   entry when there is one, else 0 (config.md: "the default group ...
///   of the given user/uid ... are applied").
/// - A user name must be in `/etc/passwd`, a group name in `/etc/group`
///   (conversion.md: an error otherwise).
/// - `additionalGids` are the groups of `/etc/group` listing the user,
///   only when a user NAME is given without a group (conversion.md: not
///   when the user is numeric or a group is given).
pub(crate) fn resolve(
    user: Option<&str>,
    accounts: &mut Accounts<'_>,
    need_home: bool,
) -> Result<Resolved> {
    let spec = user.unwrap_or_default();
    let (user_part, group_part) = match spec.split_once(':') {
        _ if spec.is_empty() => ("0", None),
        Some((_, group)) if group.contains(':') => {
            return Err(Error::BadUser {
                user: spec.to_owned(),
                reason: "it holds more than one ':'",
            });
        }
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    };
    let group_id = group_part.map(|g| parse_id(spec, g)).transpose()?;
    let mut resolved = match parse_id(spec, user_part)? {
        Id::Number(uid) => {
            let entry = if group_id.is_none() || need_home {
                accounts
                    .passwd()?
                    .map(|file| find_passwd(file, |_, id| id == Some(uid)))
                    .transpose()?
                    .flatten()
            } else {
                None
            };
            Resolved {
                uid,
                gid: entry.as_ref().map_or(0, |e| e.gid),
                additional_gids: Vec::new(),
                home: entry.and_then(|e| e.home),
            }
        }
        Id::Name(name) => {
            let file = accounts.passwd()?;
            let missing = if file.is_none() {
                " (there is no /etc/passwd)"
            } else {
                ""
            };
            let entry = file
                .map(|file| find_passwd(file, |n, _| n == name.as_bytes()))
                .transpose()?
                .flatten()
                .ok_or_else(|| Error::UnknownUser {
                    user: spec.to_owned(),
                    name: name.to_owned(),
                    missing,
                })?;
            let additional_gids = if group_id.is_none() {
                let groups = accounts.group()?;
                groups
                    .map(|g| member_of(g, name))
                    .transpose()?
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            Resolved {
                uid: entry.uid,
                gid: entry.gid,
                additional_gids,
                home: entry.home,
            }
        }
    };
    match group_id {
        None => {}
        Some(Id::Number(gid)) => resolved.gid = gid,
        Some(Id::Name(name)) => {
            let file = accounts.group()?;
            let missing = if file.is_none() {
                " (there is no /etc/group)"
            } else {
                ""
            };
            resolved.gid = file
                .map(|file| find_group_gid(file, name))
                .transpose()?
                .flatten()
                .ok_or_else(|| Error::UnknownGroup {
                    user: spec.to_owned(),
                    name: name.to_owned(),
                    missing,
                })?;
        }
    }
    Ok(resolved)
}

/// An `/etc/passwd` entry, as far as it is needed.
struct Account {
    uid: u32,
    gid: u32,
    home: Option<String>,
}

/// The lines of an account file that are entries: not empty, not
/// comments, not NIS `+`/`-` references; with their line numbers, from 1.
fn entries(file: &[u8]) -> impl Iterator<Item = (usize, Vec<&[u8]>)> {
    file.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !matches!(line[0], b'#' | b'+' | b'-'))
        .map(|(i, line)| (i + 1, line.split(|&b| b == b':').collect()))
}

/// An id field of an account file: a decimal number in `0..=i32::MAX`.
fn id_field(file: &str, line: usize, what: String, value: &[u8]) -> Result<u32> {
    let text = String::from_utf8_lossy(value);
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(Error::BadAccountFile {
            file: format!("{file} line {line}"),
            reason: format!("{what} {text:?} is not a number"),
        });
    }
    match text.parse::<u64>() {
        Ok(id) if id <= MAX_ID => {
            u32::try_from(id).map_err(|_| id_out_of_range(file, line, &what, &text))
        }
        _ => Err(id_out_of_range(file, line, &what, &text)),
    }
}

fn id_out_of_range(file: &str, line: usize, what: &str, text: &str) -> Error {
    Error::IdOutOfRange {
        field: format!("{file} line {line} ({what})"),
        value: text.to_owned(),
    }
}

/// The first `/etc/passwd` entry `wanted` accepts, given its name and
/// its uid (`None` when that field is not a number, which no numeric user
/// matches). Lines with fewer than four fields are skipped; the entry
/// found must have valid ids (and a home directory, when it has one, in
/// UTF-8).
fn find_passwd(
    file: &[u8],
    wanted: impl Fn(&[u8], Option<u32>) -> bool,
) -> Result<Option<Account>> {
    for (line, fields) in entries(file) {
        if fields.len() < 4 {
            continue;
        }
        let uid = std::str::from_utf8(fields[2])
            .ok()
            .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u32>().ok());
        if !wanted(fields[0], uid) {
            continue;
        }
        let who = String::from_utf8_lossy(fields[0]);
        let uid = id_field(
            "/etc/passwd",
            line,
            format!("uid of user {who:?}"),
            fields[2],
        )?;
        let gid = id_field(
            "/etc/passwd",
            line,
            format!("gid of user {who:?}"),
            fields[3],
        )?;
        let home = match fields.get(5) {
            None | Some([]) => None,
            Some(home) => {
                Some(
                    String::from_utf8(home.to_vec()).map_err(|_| Error::BadAccountFile {
                        file: format!("/etc/passwd line {line}"),
                        reason: format!("the home directory of user {who:?} is not UTF-8"),
                    })?,
                )
            }
        };
        return Ok(Some(Account { uid, gid, home }));
    }
    Ok(None)
}

/// The gid of the first `/etc/group` entry named `name`.
fn find_group_gid(file: &[u8], name: &str) -> Result<Option<u32>> {
    for (line, fields) in entries(file) {
        if fields.len() >= 3 && fields[0] == name.as_bytes() {
            let what = format!("gid of group {name:?}");
            return id_field("/etc/group", line, what, fields[2]).map(Some);
        }
    }
    Ok(None)
}

/// The gids of the `/etc/group` entries whose member list names `user`,
/// in file order, each once.
fn member_of(file: &[u8], user: &str) -> Result<Vec<u32>> {
    let mut gids = Vec::new();
    for (line, fields) in entries(file) {
        let Some(members) = fields.get(3) else {
            continue;
        };
        if !members.split(|&b| b == b',').any(|m| m == user.as_bytes()) {
            continue;
        }
        let group = String::from_utf8_lossy(fields[0]);
        let gid = id_field(
            "/etc/group",
            line,
            format!("gid of group {group:?}"),
            fields[2],
        )?;
        if !gids.contains(&gid) {
            gids.push(gid);
        }
    }
    Ok(gids)
}
