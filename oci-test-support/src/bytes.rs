//! Byte strings in assertion messages ([`show`], [`difference`]), and the
//! sha256 of known content computed with `sha2` itself, apart from the
//! digest code under test ([`sha256`]).

use sha2::Digest as _;

/// `bytes` as text: printable ASCII as is, every other byte as `\xNN`, so
/// that JSON's own escapes (`\n`, `\u0008`) read as written and a raw
/// newline shows as `\x0a`.
pub fn show(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Where `a` and `b` part, for assertion messages: the first differing
/// offset, the bytes around it in each, and both strings in full (escaped).
pub fn difference(a_name: &str, a: &[u8], b_name: &str, b: &[u8]) -> String {
    let Some(at) = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or((a.len() != b.len()).then(|| a.len().min(b.len())))
    else {
        return format!("{a_name} and {b_name} are identical ({} bytes)", a.len());
    };
    let around = |s: &[u8]| {
        let start = at.saturating_sub(40);
        let end = (at + 40).min(s.len());
        format!("...{}...", show(&s[start..end]))
    };
    format!(
        "first difference at byte offset {at} ({a_name}: {} bytes, {b_name}: {} bytes)\n  {a_name} around it: {}\n  {b_name} around it: {}\n  {a_name}: {}\n  {b_name}: {}",
        a.len(),
        b.len(),
        around(a),
        around(b),
        show(a),
        show(b),
    )
}

/// The sha256 of `bytes` as 64 lowercase hex characters.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sha256 of `bytes` in `sha256:<hex>` form (image-spec
/// descriptor.md, "Digests").
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}
