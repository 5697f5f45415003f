//! Fuzz checks for every image-spec JSON document type (descriptor, image
//! manifest, image index, image configuration, `oci-layout`): parsing and
//! validation never panic; what parses serialises canonically to bytes that
//! parse back to the same value and serialise again to the same bytes; and
//! what validates still validates after that round trip.

use ocikit_image::{
    Descriptor, Document, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Model,
};

/// Runs every document type's checks on `data`; panics on a violation.
pub fn check(data: &[u8]) {
    document::<Descriptor>(data);
    document::<ImageManifest>(data);
    document::<ImageIndex>(data);
    document::<ImageConfiguration>(data);
    document::<ImageLayout>(data);
}

fn document<T: Model + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(doc) = Document::<T>::from_bytes(data.to_vec()) else {
        return;
    };
    // Both checks walk the whole value; neither may panic.
    let report = doc.check();
    let valid = doc.validate().is_ok();
    assert_eq!(
        valid,
        report.is_valid(),
        "{}: validate() and check() disagree",
        T::KIND
    );
    let canonical = doc.to_canonical_json();
    let again = match T::from_json(&canonical) {
        Ok(again) => again,
        Err(e) => panic!(
            "{}: the canonical form of a parsed document does not parse: {e}\n{}",
            T::KIND,
            String::from_utf8_lossy(&canonical)
        ),
    };
    assert_eq!(
        &again,
        doc.value(),
        "{}: the canonical round trip changed the value",
        T::KIND
    );
    assert_eq!(
        again.to_canonical_json(),
        canonical,
        "{}: the canonical form is not stable",
        T::KIND
    );
    if valid && let Err(e) = again.validate() {
        panic!(
            "{}: a valid document is invalid after the round trip: {e}\n{}",
            T::KIND,
            String::from_utf8_lossy(&canonical)
        );
    }
}
