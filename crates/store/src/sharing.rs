//! What the store keeps for organisations, channels and their agreements, the sharing facts of object versions, and release requests (issue 4).

use async_trait::async_trait;

/// Persistence of organisations, channels and their agreements, the sharing facts of object versions, and release requests (issue 4). A supertrait of [`crate::Store`], implemented by both backends.
#[async_trait]
pub trait SharingStore: Send + Sync {}
