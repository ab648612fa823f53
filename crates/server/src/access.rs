//! The one access check. Every read and write of every path asks [`check`] for a decision.
//!
//! Invariant 1 (DESIGN.md): nothing reaches a principal without an `Allow` from here, and the
//! default is deny. The sharing-rules work extends this function; it never gets a sibling.
