//! Fuzz checks for the runtime-spec documents (`config.json` as [`Spec`],
//! [`State`], [`Features`]): parsing and checking never panic; what parses
//! serialises (compact and indented) to bytes that parse back to the same
//! value and serialise again to the same bytes; and what validates still
//! validates after that round trip.

use ocikit_runtime_spec::{Features, Json, Spec, State};

/// Runs every document type's checks on `data`; panics on a violation.
pub fn check(data: &[u8]) {
    if let Ok(spec) = Spec::from_json(data) {
        let _ = spec.check_for_start();
        round_trip(&spec);
    }
    if let Ok(state) = State::from_json(data) {
        round_trip(&state);
    }
    if let Ok(features) = Features::from_json(data) {
        round_trip(&features);
    }
}

fn round_trip<T: Json + PartialEq + std::fmt::Debug>(value: &T) {
    let kind = T::KIND;
    let valid = value.validate().is_ok();
    for (form, serialise) in [
        ("compact", T::to_canonical_json as fn(&T) -> Vec<u8>),
        ("indented", T::to_pretty_json),
    ] {
        let bytes = serialise(value);
        let again = match T::from_json(&bytes) {
            Ok(again) => again,
            Err(e) => panic!(
                "{kind}: the {form} form of a parsed document does not parse: {e}\n{}",
                String::from_utf8_lossy(&bytes)
            ),
        };
        assert_eq!(
            &again, value,
            "{kind}: the {form} round trip changed the value"
        );
        assert_eq!(
            serialise(&again),
            bytes,
            "{kind}: the {form} form is not stable: {}",
            String::from_utf8_lossy(&bytes)
        );
        if valid {
            assert!(
                again.validate().is_ok(),
                "{kind}: a valid document is invalid after the {form} round trip"
            );
        }
    }
}
