//! The postgres side of [`crate::CorrelationStore`].

use async_trait::async_trait;

use super::PostgresStore;
use crate::CorrelationStore;

#[async_trait]
impl CorrelationStore for PostgresStore {}
