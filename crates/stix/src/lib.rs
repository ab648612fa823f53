//! STIX 2.1 objects, identifiers, timestamps and validation.
//!
//! This crate is the STIX model of entente. It does no I/O: it turns bytes into [`Object`]s,
//! checks them against the STIX 2.1 specification, and hands the exact bytes back.
//!
//! # Model
//!
//! An [`Object`] keeps the **exact JSON text** it was parsed from and exposes a few typed
//! header fields ([`StixId`], type, `spec_version`, `created`/`modified` as [`Timestamp`]s).
//! Everything else is read on demand during validation. This is the design decision a newcomer
//! would question: keeping the text is what makes round-trips exact (no property lost, no
//! number or timestamp reformatted, key order kept, custom `x-` objects and `x_` properties
//! carried untouched) and keeps parsing cheap; a fully typed tree of all 42 object types would
//! have to be serialised back and would inevitably normalise something. [`Object::version`]
//! (`modified`, else `created`) is the TAXII version used by stores.
//!
//! # Parsing
//!
//! - [`Object::from_json`] / [`Object::from_string`] read one object. They fail
//!   ([`ParseError`]) only when the text is not a JSON object or its header is unusable (no or
//!   malformed `id`, `type` not matching the id, malformed `created`/`modified`); everything
//!   else is a validation finding, so a store can still identify what it rejects.
//! - [`stream::Reader`] reads a bundle, a JSON array or JSON lines from any `BufRead`, one
//!   object at a time, in memory bounded by a maximum element size.
//!
//! # Validation
//!
//! [`validate()`] (or [`Object::validate`]) returns a [`Report`] of [`Issue`]s, each with the
//! object id, a JSON path, a stable rule name and a message. Errors are MUSTs of the
//! specification; warnings are SHOULDs, open-vocabulary misses and unknown properties. What
//! is checked, in the order of the specification:
//!
//! - common properties (section 3.2): `type`, `spec_version` "2.1", `id` form (and an RFC
//!   4122 UUID in it), property names (3-250 of `a-z0-9_`, starting with a letter),
//!   duplicate property names, `created` and `modified` (RFC 3339 UTC, at least millisecond
//!   precision, `modified >= created`), `created_by_ref` (an identity), `revoked`,
//!   `labels`, `confidence` 0..=100, `lang` (RFC 5646), `external_references`
//!   (`source_name`, one of description/url/external_id, CAPEC and CVE id forms, hashes
//!   from hash-algorithm-ov), `object_marking_refs` (marking definitions),
//!   `granular_markings` (selector syntax and targets, `marking_ref` xor `lang`),
//!   `extensions` (extension-definition ids or predefined SCO extensions);
//! - each of the 19 SDOs, the 2 SROs and the 18 SCOs: required properties, value types,
//!   ranges, closed enumerations (errors), open vocabularies (warnings), reference properties
//!   pointing at the right object types, and co-constraints (`valid_until > valid_from`,
//!   `last_seen >= first_seen`, observed-data `objects` xor `object_refs`, location
//!   coordinates, registry hive names, …);
//! - SCO deterministic ids (section 2.9): a warning when an SCO's id is not the UUIDv5 of its
//!   id-contributing properties, since the specification says SHOULD;
//! - marking definitions: statement and TLP definitions, the predefined TLP 1.0 and TLP 2.0
//!   objects known by id ([`tlp`]), language-content and extension-definition;
//! - custom content: `x-` object types are kept and checked for common properties only;
//!   `x_` properties are kept silently; other unknown property names are warnings.
//!
//! Bundles are not objects: the stream reader checks their `type` and `id`. Checks across
//! objects (does a referenced object exist?) and STIX patterns (crate `entente-pattern`) are
//! not done here.
//!
//! # Performance
//!
//! Reading and validating are built to run at several hundred MB/s on one core (see
//! `benches/parse_validate.rs`; about 280 MB/s of CPU time for reading and validating the
//! enterprise ATT&CK bundle, 680 MB/s for reading alone): the stream reader splits elements with a byte scanner,
//! `serde_json` checks each element's syntax exactly once (it must, to build the
//! `RawValue` the object keeps), and everything after that — reading the header, splitting
//! an object into members for validation — is a hand-written scan over text already known to
//! be valid, which locates values without decoding them. No `serde_json::Value` is built for
//! an object unless a rule needs one (granular-marking selectors into nested values,
//! deterministic SCO ids, predefined TLP comparisons).
//!
//! # Example
//!
//! ```
//! use entente_stix::stream::Reader;
//!
//! let input = r#"{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
//!   "objects": [{"type": "identity", "spec_version": "2.1",
//!     "id": "identity--8c6af861-7b20-41ef-9b59-6344fd872a8f",
//!     "created": "2016-08-08T15:50:10.983Z", "modified": "2016-08-08T15:50:10.983Z",
//!     "name": "Franistan Intelligence", "identity_class": "organization"}]}"#;
//! for item in Reader::new(input.as_bytes()) {
//!     let object = item?;
//!     let report = object.validate();
//!     assert!(report.is_valid(), "{report}");
//!     assert!(object.as_json().starts_with(r#"{"type": "identity""#));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod canonical;
mod id;
mod json;
mod object;
pub mod provenance;
pub mod stream;
mod timestamp;
pub mod tlp;
mod validate;

pub use id::{IdError, StixId, type_of};
pub use object::{Object, ParseError};
pub use timestamp::{Timestamp, TimestampError};
pub use validate::{Issue, Report, Severity, deterministic_id, validate};
