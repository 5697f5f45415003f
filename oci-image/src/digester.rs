//! STUB: to be replaced (streaming digests and verified reads).
