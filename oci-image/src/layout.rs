//! The `oci-layout` file that marks the root of an image layout
//! (image-spec image-layout.md, oci-layout file).

use std::collections::BTreeMap;

use crate::validate::{Checker, Rule, Validate};
use crate::{Json, MediaType, Model};

ocikit_spec_core::model! {
    /// The content of an image layout's `oci-layout` file
    /// (`application/vnd.oci.layout.header.v1+json`). The file MAY include
    /// additional fields, which are kept in `extra`.
    ///
    /// ```
    /// use ocikit_image::{ImageLayout, Json, Validate};
    /// let layout = ImageLayout::default();
    /// assert_eq!(layout.to_canonical_json(), br#"{"imageLayoutVersion":"1.0.0"}"#);
    /// layout.validate().unwrap();
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ImageLayout ("an oci-layout object") {
        /// The version of the layout format. It MUST be present; `1.0.0` is the
        /// only version defined.
        image_layout_version: String => "imageLayoutVersion" (required),
    }
}

impl ImageLayout {
    /// The only `imageLayoutVersion` the spec defines.
    pub const VERSION: &'static str = "1.0.0";
}

impl Default for ImageLayout {
    fn default() -> Self {
        ImageLayout {
            image_layout_version: Self::VERSION.into(),
            extra: BTreeMap::new(),
        }
    }
}

impl Json for ImageLayout {
    const PRETTY_INDENT: &'static str = crate::document::PRETTY_INDENT;
    const MAP_MEMBERS: &'static [&'static str] = &[];
}

impl Model for ImageLayout {
    const MEDIA_TYPE: MediaType = MediaType::LayoutHeader;
}

impl Validate for ImageLayout {
    type Rule = Rule;
    const KIND: &'static str = "oci-layout file";

    fn check_into(&self, c: &mut Checker) {
        if self.image_layout_version != Self::VERSION {
            c.field("imageLayoutVersion", |c| {
                c.error(
                    Rule::LayoutVersion,
                    format!(
                        "must be {:?}, the only version defined, found {:?}",
                        Self::VERSION,
                        self.image_layout_version
                    ),
                )
            });
        }
    }
}
