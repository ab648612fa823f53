//! What the store keeps for sanctions list versions, their entries and diffs, screened subjects and adjudications (issue 7).

use async_trait::async_trait;

/// Persistence of sanctions list versions, their entries and diffs, screened subjects and adjudications (issue 7). A supertrait of [`crate::Store`], implemented by both backends.
#[async_trait]
pub trait ScreeningStore: Send + Sync {}
