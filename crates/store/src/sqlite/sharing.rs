//! The sqlite side of [`crate::SharingStore`].

use async_trait::async_trait;

use super::SqliteStore;
use crate::SharingStore;

#[async_trait]
impl SharingStore for SqliteStore {}
