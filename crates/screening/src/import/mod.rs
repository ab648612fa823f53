//! Importers: source bytes in, [`ListVersion`](crate::ListVersion) out.
//!
//! Importers take a reader or a byte slice handed over by the caller; opening files, fetching
//! URLs and storing versions belong to the callers (CLI, store), never to this crate.

mod csv;
mod national;
mod ofac;
mod un;

pub use national::{NATIONAL_COLUMNS, import_national_csv};
pub use ofac::{OFAC_LIST_ID, import_ofac_sdn};
pub use un::{UN_LIST_ID, import_un_xml};
