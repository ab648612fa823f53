//! The sqlite side of [`crate::CorrelationStore`].

use async_trait::async_trait;

use super::SqliteStore;
use crate::CorrelationStore;

#[async_trait]
impl CorrelationStore for SqliteStore {}
