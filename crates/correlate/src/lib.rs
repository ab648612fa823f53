//! Correlation of STIX 2.1 data (issue 5): which object versions of the node touch the same
//! observable (an address, a domain, a hash, a wallet, a phone number, an IBAN...), and which
//! indicators' patterns match newly observed data.
//!
//! What it is: extraction of [`Observable`]s from SCOs, observed-data, sightings and indicator
//! patterns ([`extract`]), their normalisation per [`Kind`], warning lists of benign values
//! ([`WarningList`]), and the in-memory [`Engine`] that indexes object versions and returns
//! the [`Hit`]s a batch of new versions makes. What it is not: it does no I/O and knows
//! nothing of the store or of who may see a hit; the server persists hits through
//! `entente-store` and filters them through its one access check.
//!
//! The design decision a newcomer would question: **hits are links, found once, on arrival**.
//! MISP stores every correlating pair and recomputes them (billions of rows, rebuilds that
//! take days). Here a new version is checked against an index of postings (value -> versions),
//! and each posting it reaches is one link. A value held by more than [`Settings::cap`]
//! versions stops correlating and is reported ([`Engine::capped`]), so the number of links
//! grows linearly with the data. Patterns are evaluated only for the indicators the index
//! names as candidates (a value of the pattern's `=`/`IN`/`ISSUBSET` comparisons appears in
//! the new data), plus the few whose pattern has no such anchor.
//!
//! ```
//! use entente_correlate::{Engine, Settings};
//! use entente_stix::Object;
//!
//! let mut engine = Engine::new(Settings::default())?;
//! let ours = Object::from_json(r#"{"type": "indicator", "spec_version": "2.1",
//!   "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2026-01-01T00:00:00Z",
//!   "modified": "2026-01-01T00:00:00Z", "pattern": "[domain-name:value = 'evil-c2.net']",
//!   "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}"#)?;
//! engine.load("our-collection", [&ours]);
//! let theirs = Object::from_json(r#"{"type": "domain-name", "spec_version": "2.1",
//!   "id": "domain-name--3c8b3c1b-3e4e-5e7e-9b1a-6c1a2f1d9e10", "value": "EVIL-c2.NET."}"#)?;
//! let hits = engine.ingest("partner-collection", [&theirs]);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].old.collection, "our-collection");
//! assert_eq!(hits[0].value, "evil-c2.net");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod engine;
pub mod extract;
mod hash;
mod observable;
mod packed;
mod warning;

pub use engine::{Engine, Hit, Rule, Settings, Side, Stats, indexed_types, ref_types};
pub use observable::{HashAlg, Kind, Observable};
pub use warning::WarningList;
