//! The postgres side of [`crate::SharingStore`].

use async_trait::async_trait;

use super::PostgresStore;
use crate::SharingStore;

#[async_trait]
impl SharingStore for PostgresStore {}
