//! Fuzz checks for the runtime-spec documents (`config.json` as [`Spec`],
//! [`State`], [`Features`]): parsing and checking never panic; what parses
//! serialises (compact and indented) to bytes that parse back to the same
//! value and serialise again to the same bytes; and what validates still
//! validates after that round trip.

use oci_runtime_spec::{Features, Spec, State};

/// Runs every document type's checks on `data`; panics on a violation.
pub fn check(data: &[u8]) {
    if let Ok(spec) = Spec::from_json(data) {
        let _ = spec.check_for_start();
        round_trip(
            "config.json",
            &spec,
            spec.validate().is_ok(),
            Spec::from_json,
            Spec::to_json,
            Spec::to_json_pretty,
            |s| s.validate().is_ok(),
        );
    }
    if let Ok(state) = State::from_json(data) {
        round_trip(
            "state",
            &state,
            state.validate().is_ok(),
            State::from_json,
            State::to_json,
            State::to_json_pretty,
            |s| s.validate().is_ok(),
        );
    }
    if let Ok(features) = Features::from_json(data) {
        round_trip(
            "features",
            &features,
            features.validate().is_ok(),
            Features::from_json,
            Features::to_json,
            Features::to_json_pretty,
            |s| s.validate().is_ok(),
        );
    }
}

fn round_trip<T: PartialEq + std::fmt::Debug, E: std::fmt::Display>(
    kind: &str,
    value: &T,
    valid: bool,
    parse: impl Fn(&[u8]) -> Result<T, E>,
    compact: impl Fn(&T) -> Vec<u8>,
    pretty: impl Fn(&T) -> Vec<u8>,
    validates: impl Fn(&T) -> bool,
) {
    let forms: [(&str, &dyn Fn(&T) -> Vec<u8>); 2] = [("compact", &compact), ("indented", &pretty)];
    for (form, serialise) in forms {
        let bytes = serialise(value);
        let again = match parse(&bytes) {
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
                validates(&again),
                "{kind}: a valid document is invalid after the {form} round trip"
            );
        }
    }
}
