//! The sqlite side of [`crate::ScreeningStore`].

use async_trait::async_trait;

use super::SqliteStore;
use crate::ScreeningStore;

#[async_trait]
impl ScreeningStore for SqliteStore {}
