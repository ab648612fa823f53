//! What the store keeps for correlation (issue 5): the **hits** linking two object versions,
//! and the correlation settings.
//!
//! A hit is one row: two sides (collection, STIX id, version), the kind and value they share
//! (or `pattern` when an indicator's whole pattern matched), how it was found, and when. Hits
//! are links found once, when data arrives; the store never holds a table of every pair of
//! versions that share a value (the engine caps over-correlating values before they get here).
//! The two sides are stored in a canonical order (the smaller (collection, id, version)
//! first), so the same link found twice is stored once.
//!
//! The index of observables itself is not stored: the server rebuilds it from the stored
//! objects when it first needs it (see `entente-server`'s correlation module). Hits are
//! derived data: [`CorrelationStore::clear_hits`] (used by `entente hits rebuild`) removes
//! them, never an object version.

use async_trait::async_trait;

use crate::{CollectionId, Result};

/// One side of a hit: an object version in a collection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HitSide {
    /// The collection holding the version.
    pub collection: CollectionId,
    /// The STIX id.
    pub id: String,
    /// The version (`modified`, else `created`, else empty), as the object wrote it.
    pub version: String,
}

/// A link between two object versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrelationHit {
    /// Assigned by the store (1, 2, 3... in the order hits are stored); ignored on insert.
    pub seq: i64,
    /// When the hit was found, in microseconds since the Unix epoch.
    pub found: i64,
    /// `value` (the sides share a value) or `pattern` (an indicator's pattern matched).
    pub rule: String,
    /// The kind of the shared value (`ipv4`, `domain`, `hash:sha256`...) or `pattern`.
    pub kind: String,
    /// The shared value (empty for a pattern hit).
    pub value: String,
    /// One side (the smaller, once stored).
    pub a: HitSide,
    /// The other side.
    pub b: HitSide,
}

impl CorrelationHit {
    /// The side in `collection` with id `id`, if this hit has one.
    pub fn side_with_id(&self, id: &str) -> Option<&HitSide> {
        [&self.a, &self.b].into_iter().find(|s| s.id == id)
    }

    /// Checks what the store requires of a hit before storing it: known rule, non-empty kind,
    /// ids and collections, two different versions, and bounded lengths.
    pub(crate) fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(crate::Error::Invalid(format!("correlation hit: {m}")));
        if self.rule != "value" && self.rule != "pattern" {
            return bad("rule must be value or pattern");
        }
        if self.kind.is_empty() || self.kind.len() > 64 {
            return bad("kind must be 1 to 64 bytes");
        }
        if self.value.len() > 8192 {
            return bad("value longer than 8192 bytes");
        }
        for s in [&self.a, &self.b] {
            if s.id.is_empty()
                || s.collection.0.is_empty()
                || s.id.len() > 300
                || s.version.len() > 64
            {
                return bad("a side needs a collection and an id");
            }
        }
        if self.a == self.b {
            return bad("the two sides are the same version");
        }
        Ok(())
    }

    /// The hit with its sides in the canonical order.
    pub(crate) fn canonical(mut self) -> CorrelationHit {
        if self.b < self.a {
            std::mem::swap(&mut self.a, &mut self.b);
        }
        self
    }
}

/// Persistence of the hits linking object versions and of the correlation settings (issue 5).
/// A supertrait of [`crate::Store`], implemented by both backends.
#[async_trait]
pub trait CorrelationStore: Send + Sync {
    /// Stores hits in one durable transaction; a hit already stored (same sides, rule, kind
    /// and value, in either order) is skipped. Returns how many were new. `Invalid` (and
    /// nothing stored) when one is malformed; `NotFound` when a side's collection does not
    /// exist.
    async fn add_hits(&self, hits: Vec<CorrelationHit>) -> Result<u64>;

    /// Up to `limit` hits with a side whose id is `id`, with `seq > after`, by `seq`.
    async fn hits_for_object(
        &self,
        id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<CorrelationHit>>;

    /// Up to `limit` hits with a side in `collection`, with `seq > after`, by `seq`.
    async fn hits_for_collection(
        &self,
        collection: &CollectionId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<CorrelationHit>>;

    /// Up to `limit` hits found at or after `since` (microseconds), with `seq > after`, by
    /// `seq`.
    async fn hits_since(&self, since: i64, after: i64, limit: usize)
    -> Result<Vec<CorrelationHit>>;

    /// Removes every hit (before a rebuild); returns how many. Object versions are untouched.
    async fn clear_hits(&self) -> Result<u64>;

    /// The correlation settings as stored (JSON text), `None` when never set.
    async fn correlation_settings(&self) -> Result<Option<String>>;

    /// Replaces the correlation settings (JSON text; the caller validates it).
    async fn set_correlation_settings(&self, settings: String) -> Result<()>;
}
