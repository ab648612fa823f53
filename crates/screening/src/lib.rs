//! Sanctions-list loading and name matching. No network, no SQL.
#![deny(missing_docs)]
