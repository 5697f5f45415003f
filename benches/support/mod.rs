//! Shared helpers of the criterion benches (each bench is its own crate
//! and includes this module).

#![allow(dead_code)] // each bench uses a different part

/// A deterministic 64-hex-character string from a seed (splitmix64): the
/// hex of a digest, for documents made up in a bench.
pub fn hex(seed: u64) -> String {
    let mut x = seed;
    let mut out = String::with_capacity(64);
    for _ in 0..4 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.push_str(&format!("{z:016x}"));
    }
    out
}
