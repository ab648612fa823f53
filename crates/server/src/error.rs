//! The one file that maps errors to the wire: every error becomes a TAXII error message.
