//! The STIX 2.1 patterning language: grammar, parser, AST, validator and matcher. No I/O.
#![deny(missing_docs)]
