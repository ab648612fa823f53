//! Errors of the screening crate.

/// What went wrong while importing a list.
///
/// Every variant is a problem with the input handed to an importer (a "the request is wrong"
/// error): the crate does no I/O of its own beyond reading the reader it is given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The XML was not well formed, or a reader failed while it was being read.
    #[error("malformed XML at byte {position}: {message}")]
    Xml {
        /// Byte offset where the parser stopped.
        position: u64,
        /// The parser's message.
        message: String,
    },
    /// A CSV record could not be read.
    #[error("malformed CSV in {file} at line {line}: {message}")]
    Csv {
        /// Which input (for example `sdn.csv`).
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// The document parsed but does not have the structure of the list format.
    #[error("not a {format} document: {message}")]
    Format {
        /// The format that was expected.
        format: &'static str,
        /// What was wrong.
        message: String,
    },
    /// Reading the input failed.
    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
