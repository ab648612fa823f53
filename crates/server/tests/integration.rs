//! Integration tests of the TAXII 2.1 API: each test starts a real node (SQLite store in a
//! temporary folder, HTTP on `127.0.0.1:0`) and talks to it through the `entente-taxii`
//! client, or through raw HTTP where the point is to send what a client would not.
//!
//! One test binary (one link step); the modules under `integration/` group tests by subject.

// A test binary has no outside users: `pub` inside it only shares helpers between modules.
#![allow(unreachable_pub)]

mod integration {
    pub mod node;

    mod auth;
    mod bad_input;
    mod client;
    mod discovery;
    mod objects;
    mod paging;
}
