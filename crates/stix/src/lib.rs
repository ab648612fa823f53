//! STIX 2.1 objects, identifiers, timestamps and validation.
//!
//! This crate is the STIX model of entente. It does no I/O: it turns bytes into [`Object`]s,
//! checks them against the STIX 2.1 specification, and hands the exact bytes back.
//!
//! The design decision a newcomer would question: an [`Object`] keeps the **exact JSON text** it
//! was parsed from and exposes a few typed header fields (id, type, spec_version, created,
//! modified). Everything else is read on demand during validation. Keeping the text is what makes
//! round-trips exact (no property lost, no number or timestamp reformatted) and keeps parsing
//! cheap; a fully typed tree of all 42 object types would have to be serialised back and would
//! inevitably normalise something.
#![deny(missing_docs)]

mod id;
mod object;
mod timestamp;

pub use id::{IdError, StixId};
pub use object::{Object, ParseError};
pub use timestamp::{Timestamp, TimestampError};
