//! The referrers of a manifest (image-spec 1.1 manifest.md and
//! image-index.md `subject`; the descriptors are those of the
//! distribution-spec "Listing Referrers" API): the manifests and indexes in
//! the layout whose `subject` is a given digest.

use ocikit_image::{Descriptor, Digest, MediaType};

use crate::walk::{Found, walk};
use crate::{Layout, Result};

impl Layout {
    /// The manifests and indexes reachable from `index.json` whose `subject`
    /// is `digest`, each as a descriptor: its media type, digest and size as
    /// referenced, the referrer's annotations, and `artifactType` set to the
    /// referrer's `artifactType`, else (for an image manifest) its config's
    /// media type, else (for an index) left out, as distribution-spec says.
    /// Each referrer appears once, in the order the walk reaches them
    /// (`index.json` order, breadth first).
    ///
    /// # Limitations
    ///
    /// Only referrers reachable from `index.json` are found (tagged, listed
    /// there, or inside something that is): a layout has no referrers
    /// index, and a blob nothing references is garbage that gc removes.
    /// Documents that cannot be read are skipped; [`Layout::fsck`] reports
    /// them.
    ///
    /// # Errors
    ///
    /// The errors of [`Layout::index`].
    pub fn referrers(&self, digest: &Digest) -> Result<Vec<Descriptor>> {
        let index = self.index()?;
        let mut found = Vec::new();
        walk(self, &index, |at, document| {
            let (subject, artifact_type, annotations) = match document {
                Found::Manifest(m) => (
                    &m.subject,
                    m.artifact_type
                        .clone()
                        .or(Some(m.config.media_type.clone())),
                    &m.annotations,
                ),
                Found::Index(i) => (&i.subject, i.artifact_type.clone(), &i.annotations),
                Found::Leaf | Found::Missing | Found::Unreadable(_) => return,
            };
            if subject.as_ref().is_some_and(|s| s.digest == *digest) {
                let d = &at.descriptor;
                let mut referrer = Descriptor::new(d.media_type.clone(), d.digest.clone(), d.size);
                referrer.artifact_type = artifact_type;
                referrer.annotations = annotations.clone();
                found.push(referrer);
            }
        });
        Ok(found)
    }

    /// The referrers of `digest` (see [`Layout::referrers`]) whose
    /// `artifactType` is `artifact_type`: the filter of distribution-spec's
    /// `?artifactType=`.
    ///
    /// # Errors
    ///
    /// As for [`Layout::referrers`].
    pub fn referrers_of_type(
        &self,
        digest: &Digest,
        artifact_type: &MediaType,
    ) -> Result<Vec<Descriptor>> {
        let mut found = self.referrers(digest)?;
        found.retain(|d| d.artifact_type.as_ref() == Some(artifact_type));
        Ok(found)
    }
}
