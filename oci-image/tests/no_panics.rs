//! Hostile-input smoke test: every prefix and thousands of seeded byte
//! mutations of the spec's examples and our invalid corpus go through every
//! model's parser and validator. Nothing may panic, and whatever parses must
//! serialise canonically to a document that parses back to the same value.
//! (Coverage-guided fuzzing of the same entry points is planned separately.)
#![allow(clippy::unwrap_used)]

use std::path::Path;

use ocikit_image::{
    Descriptor, Document, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Model,
    Platform,
};

fn exercise<T: Model + PartialEq + std::fmt::Debug>(bytes: &[u8]) -> bool {
    let Ok(doc) = Document::<T>::from_bytes(bytes.to_vec()) else {
        return false;
    };
    let _ = doc.check();
    let canonical = doc.to_canonical_json();
    let again = T::from_json(&canonical)
        .unwrap_or_else(|e| panic!("canonical form of a parsed document fails to parse: {e}"));
    assert_eq!(
        &again,
        doc.value(),
        "canonical round trip changed the value"
    );
    assert_eq!(
        again.to_canonical_json(),
        canonical,
        "canonical form is not stable"
    );
    true
}

fn exercise_all(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let _ = text.parse::<Platform>();
    let _ = text.parse::<ocikit_image::Digest>();
    [
        exercise::<Descriptor>(bytes),
        exercise::<ImageManifest>(bytes),
        exercise::<ImageIndex>(bytes),
        exercise::<ImageConfiguration>(bytes),
        exercise::<ImageLayout>(bytes),
    ]
    .into_iter()
    .filter(|&parsed| parsed)
    .count()
}

fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dir in ["spec-examples", "invalid"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        entries.sort();
        out.extend(entries.iter().map(|p| std::fs::read(p).unwrap()));
    }
    assert!(out.len() >= 80, "the fixtures are missing: {}", out.len());
    out
}

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_prefix_parses_or_fails_cleanly() {
    let mut parsed = 0;
    for doc in corpus() {
        for end in 0..=doc.len() {
            parsed += exercise_all(&doc[..end]);
        }
    }
    // The complete valid documents at least parse.
    assert!(parsed >= 13, "only {parsed} prefixes parsed");
}

#[test]
fn mutated_documents_parse_or_fail_cleanly() {
    // Bytes that matter to JSON and to our grammars.
    const INTERESTING: &[u8] = b"{}[]\":,0123456789-+.eE \\nulltruefalse/:@#%\x00\x7f\xff\xc3";
    let corpus = corpus();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let mut doc = corpus[rng.below(corpus.len())].clone();
        for _ in 0..=rng.below(3) {
            let at = rng.below(doc.len().max(1));
            match rng.below(4) {
                0 if !doc.is_empty() => doc[at] = INTERESTING[rng.below(INTERESTING.len())],
                1 if !doc.is_empty() => {
                    doc.remove(at);
                }
                2 => doc.insert(at.min(doc.len()), INTERESTING[rng.below(INTERESTING.len())]),
                _ => {
                    // Duplicate a slice, which repeats names and nests values.
                    let from = rng.below(doc.len().max(1));
                    let to = (from + rng.below(40)).min(doc.len());
                    let piece = doc[from..to].to_vec();
                    let at = at.min(doc.len());
                    doc.splice(at..at, piece);
                }
            }
        }
        parsed += exercise_all(&doc);
    }
    // Many mutations (inside strings, whitespace) leave a parseable document:
    // if none parse, the mutator or the models are broken.
    assert!(parsed > 1_000, "only {parsed} mutated documents parsed");
}
