//! The `user.rootlesscontainers` extended attribute: where an unprivileged
//! unpack records the owner a file should have had, and where a build reads
//! it back. The value is the protobuf message of the rootlesscontainers
//! project, `message Resource { uint32 uid = 1; uint32 gid = 2; }`, with
//! 4294967295 meaning "not changed" and an absent field meaning 0.

/// The attribute's name.
pub const XATTR: &str = "user.rootlesscontainers";

/// The id that means "leave as it is".
pub const NOOP_ID: u32 = u32::MAX;

/// Encodes an owner as the attribute's value; `None` when the owner is
/// root:root, which needs no attribute.
pub fn encode(uid: u32, gid: u32) -> Option<Vec<u8>> {
    if uid == 0 && gid == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(12);
    for (field, value) in [(1u8, uid), (2u8, gid)] {
        if value == 0 {
            continue; // proto3 leaves out default values
        }
        out.push(field << 3); // wire type 0: varint
        let mut v = value;
        while v >= 0x80 {
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    Some(out)
}

/// Decodes the attribute's value into `(uid, gid)`; `None` when it is not a
/// valid message. Unknown fields are skipped as protobuf requires.
pub fn decode(bytes: &[u8]) -> Option<(u32, u32)> {
    let (mut uid, mut gid) = (0u32, 0u32);
    let mut rest = bytes;
    while let Some((&key, tail)) = rest.split_first() {
        rest = tail;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                let (value, tail) = varint(rest)?;
                rest = tail;
                match field {
                    1 => uid = u32::try_from(value).ok()?,
                    2 => gid = u32::try_from(value).ok()?,
                    _ => {}
                }
            }
            2 => {
                let (len, tail) = varint(rest)?;
                let len = usize::try_from(len).ok()?;
                rest = tail.get(len..)?;
            }
            5 => rest = rest.get(4..)?,
            1 => rest = rest.get(8..)?,
            _ => return None,
        }
    }
    Some((uid, gid))
}

fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_the_wire_format() {
        assert_eq!(encode(0, 0), None);
        // uid 1000 = varint e8 07; gid 0 left out.
        assert_eq!(encode(1000, 0).unwrap(), [0x08, 0xe8, 0x07]);
        assert_eq!(encode(1, 2).unwrap(), [0x08, 1, 0x10, 2]);
        for (u, g) in [(5, 0), (0, 7), (70000, 65534), (NOOP_ID, 3)] {
            assert_eq!(decode(&encode(u, g).unwrap()), Some((u, g)));
        }
        assert_eq!(decode(&[]), Some((0, 0)));
        assert_eq!(decode(&[0x08]), None);
        assert_eq!(decode(&[0x08, 0xff, 0xff, 0xff, 0xff, 0x7f]), None); // > u32
    }
}
