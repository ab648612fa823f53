//! TAXII 2.1 wire types, media types, query parameters, and an async HTTP client.
//!
//! This crate is entente's protocol vocabulary, shared by the server (which builds these
//! types), the CLI and federation (which use the [`Client`]), and the tests. It holds no server
//! logic, no storage and no policy.
//!
//! - [`media`]: the media types and content negotiation (`Accept`, `Content-Type`).
//! - [`resources`]: every TAXII 2.1 resource: [`Discovery`], [`ApiRoot`], [`Collections`],
//!   [`Collection`], [`Envelope`], [`Manifest`], [`ManifestRecord`], [`Versions`], [`Status`],
//!   [`StatusDetails`], [`ErrorMessage`].
//! - [`query`]: paging and filter parameters ([`ObjectQuery`]), parsed and written the same
//!   way on both sides.
//! - [`client`]: the typed async [`Client`].
//!
//! The design decision a newcomer would question: STIX objects inside envelopes are
//! `serde_json::value::RawValue`, never a parsed tree. A node relays intelligence; parsing an
//! object into a map and writing it back could reorder keys or reformat numbers and
//! timestamps, and costs time on every page. The exact text goes through untouched, and the
//! `entente-stix` crate parses it only where it must be validated.
#![deny(missing_docs)]

pub mod client;
pub mod media;
pub mod query;
pub mod resources;

pub use client::{
    ApiRootClient, Auth, Client, ClientBuilder, CollectionClient, Paged, PollOptions, RetryPolicy,
};
pub use media::{STIX_JSON, TAXII_JSON};
pub use query::{ObjectQuery, QueryError, VersionFilter};
pub use resources::{
    ApiRoot, Collection, Collections, Discovery, Envelope, ErrorMessage, Manifest, ManifestRecord,
    Status, StatusDetails, StatusKind, Versions, envelope_json,
};
