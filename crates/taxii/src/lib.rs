//! TAXII 2.1 wire types, media types, paging, and an async HTTP client.
#![deny(missing_docs)]
