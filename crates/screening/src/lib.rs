//! Sanctions-list loading and name matching. No network, no SQL.
#![deny(missing_docs)]

pub mod diff;
mod distance;
pub mod error;
pub mod import;
mod key;
pub mod model;
pub mod screener;
pub mod text;

pub use diff::{Amendment, FieldChange, ListDiff, diff};
pub use distance::bounded_osa;
pub use error::{Error, Result};
pub use import::{
    NATIONAL_COLUMNS, OFAC_LIST_ID, UN_LIST_ID, import_national_csv, import_ofac_sdn, import_un_xml,
};
pub use model::*;
pub use screener::{
    Adjustment, Alignment, DEFAULT_THRESHOLD, Explanation, Match, MatchRule, Query, ScreenOptions,
    Screener,
};
