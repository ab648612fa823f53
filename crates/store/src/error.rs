//! Store errors: meaning, not driver types.

/// Result alias for store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in the store. Handlers map `NotFound`/`Conflict`/`Invalid` to 4xx and
/// `Backend` to 500 without ever seeing a driver type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The thing to create already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request is not acceptable to the store (bad cursor, bad URL, ...).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database failed.
    #[error("storage backend error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Wraps a driver error as [`Error::Backend`].
    pub(crate) fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::Backend(e.into())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::backend(e)
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Error {
        Error::backend(e)
    }
}
