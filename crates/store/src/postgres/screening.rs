//! The postgres side of [`crate::ScreeningStore`].

use async_trait::async_trait;

use super::PostgresStore;
use crate::ScreeningStore;

#[async_trait]
impl ScreeningStore for PostgresStore {}
