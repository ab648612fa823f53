//! What the store keeps for the correlation index of observables and the hits linking object versions (issue 5).

use async_trait::async_trait;

/// Persistence of the correlation index of observables and the hits linking object versions (issue 5). A supertrait of [`crate::Store`], implemented by both backends.
#[async_trait]
pub trait CorrelationStore: Send + Sync {}
