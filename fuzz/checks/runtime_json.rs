//! Fuzz checks for the runtime-spec documents (`config.json` as [`Spec`],
//! [`State`], [`Features`]): parsing and checking never panic; what parses
//! serialises (compact and indented) to bytes that parse back to the same
//! value and serialise again to the same bytes; and what validates still
//! validates after that round trip.

use ocikit_runtime_spec::{Error, Features, Spec, State};

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

/// What the three document types have in common.
trait RuntimeDocument: PartialEq + std::fmt::Debug + Sized {
    const KIND: &'static str;
    fn parse(bytes: &[u8]) -> Result<Self, Error>;
    fn compact(&self) -> Vec<u8>;
    fn indented(&self) -> Vec<u8>;
    fn is_valid(&self) -> bool;
}

macro_rules! runtime_document {
    ($ty:ty, $kind:literal) => {
        impl RuntimeDocument for $ty {
            const KIND: &'static str = $kind;
            fn parse(bytes: &[u8]) -> Result<Self, Error> {
                <$ty>::from_json(bytes)
            }
            fn compact(&self) -> Vec<u8> {
                self.to_json()
            }
            fn indented(&self) -> Vec<u8> {
                self.to_json_pretty()
            }
            fn is_valid(&self) -> bool {
                self.validate().is_ok()
            }
        }
    };
}

runtime_document!(Spec, "config.json");
runtime_document!(State, "state");
runtime_document!(Features, "features");

fn round_trip<T: RuntimeDocument>(value: &T) {
    let kind = T::KIND;
    let valid = value.is_valid();
    for (form, serialise) in [
        ("compact", T::compact as fn(&T) -> Vec<u8>),
        ("indented", T::indented),
    ] {
        let bytes = serialise(value);
        let again = match T::parse(&bytes) {
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
                again.is_valid(),
                "{kind}: a valid document is invalid after the {form} round trip"
            );
        }
    }
}
