//! Collections and permissions, kept in memory for a short time.
//!
//! Every TAXII request on a collection needs the collection and the requester's permission on
//! it before it can read a single object. Asked of the store each time, they were two of the
//! three store reads of a page of objects, each a hand-off to the blocking pool and back:
//! about a third of the CPU of a request for one object, a seventh of a page's (BENCHMARKS.md).
//!
//! **What is kept, and for how long.** Only what was found: a collection, and a permission
//! that was granted, each for [`CATALOG_TTL`] after it was read (the sharing snapshot's time,
//! [`crate::sharing::SNAPSHOT_TTL`]). A collection that does not exist and a permission never
//! granted are asked of the store every time, so a new collection or a grant takes effect at
//! once, and no refusal is ever answered from memory. A permission narrowed or withdrawn with
//! the CLI while the node runs takes effect within that time, as a change of channel membership
//! does. (Collections are never removed, nor their aliases changed.) The catalogue is bounded
//! ([`CATALOG_MAX`] entries of each kind).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use entente_store::{Collection, CollectionId, Error, Permission, SharedStore};

use crate::expiring::Expiring;

/// How long a collection or a permission read from the store is trusted.
pub const CATALOG_TTL: Duration = crate::sharing::SNAPSHOT_TTL;

/// Most entries of each kind kept; beyond it, expired entries are dropped, then all.
pub const CATALOG_MAX: usize = 10_000;

/// The cached collections and permissions, shared by every handler.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Mutex<Entries>>,
}

struct Entries {
    /// By API root and the id or alias as the path gave it.
    collections: Expiring<(String, String), Collection>,
    /// By user and collection id.
    permissions: Expiring<(String, CollectionId), Permission>,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog {
            inner: Arc::new(Mutex::new(Entries {
                collections: Expiring::new(CATALOG_TTL, CATALOG_MAX),
                permissions: Expiring::new(CATALOG_TTL, CATALOG_MAX),
            })),
        }
    }
}

impl Catalog {
    fn entries(&self) -> MutexGuard<'_, Entries> {
        // The maps hold no invariant a panic could break half-way.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The collection `id_or_alias` of `api_root` (see [`entente_store::Store::collection`]):
    /// `NotFound` when absent, never from memory.
    pub async fn collection(
        &self,
        store: &SharedStore,
        api_root: &str,
        id_or_alias: &str,
    ) -> Result<Collection, Error> {
        let key = (api_root.to_owned(), id_or_alias.to_owned());
        if let Some(c) = self.entries().collections.get(&key) {
            return Ok(c.clone());
        }
        let c = store.collection(api_root, id_or_alias).await?;
        self.entries().collections.insert(key, c.clone());
        Ok(c)
    }

    /// The permission of `user` on `collection`; `None` when none was granted (asked of the
    /// store every time).
    pub async fn permission(
        &self,
        store: &SharedStore,
        user: &str,
        collection: &CollectionId,
    ) -> Result<Option<Permission>, Error> {
        let key = (user.to_owned(), collection.clone());
        if let Some(p) = self.entries().permissions.get(&key) {
            return Ok(Some(p.clone()));
        }
        match store.permission(user, collection).await {
            Ok(p) => {
                self.entries().permissions.insert(key, p.clone());
                Ok(Some(p))
            }
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Forgets everything (after a change made through this process).
    pub fn invalidate(&self) {
        let mut e = self.entries();
        e.collections.clear();
        e.permissions.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_store::{ApiRoot, Role, User};

    async fn store() -> (tempfile::TempDir, SharedStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("e.db").display());
        let store = entente_store::open(&url).await.unwrap();
        store
            .create_api_root(ApiRoot {
                name: "api1".into(),
                title: "API 1".into(),
                description: None,
                max_content_length: 1 << 20,
            })
            .await
            .unwrap();
        store
            .add_user(User {
                name: "alice".into(),
                organisation: "ORG-A".into(),
                role: Role::Analyst,
                password_hash: None,
            })
            .await
            .unwrap();
        (dir, store)
    }

    fn collection(id: &str, alias: &str) -> Collection {
        Collection {
            id: CollectionId(id.into()),
            api_root: "api1".into(),
            title: id.into(),
            description: None,
            alias: Some(alias.into()),
            media_types: vec![crate::STIX_MEDIA_TYPE.into()],
        }
    }

    fn grant(collection: &str, can_read: bool) -> Permission {
        Permission {
            user: "alice".into(),
            collection: CollectionId(collection.into()),
            can_read,
            can_write: false,
        }
    }

    /// What was not found is asked again at once: a new collection and a new grant are seen
    /// by the next request.
    #[tokio::test]
    async fn absent_things_are_never_remembered() {
        let (_dir, store) = store().await;
        let catalog = Catalog::default();
        let id = "5f0c0e8a-1b2c-4d3e-8f40-0a1b2c3d4e5f";
        let err = catalog.collection(&store, "api1", "shared").await;
        assert!(matches!(err, Err(Error::NotFound(_))), "{err:?}");
        store
            .create_collection(collection(id, "shared"))
            .await
            .unwrap();
        let c = catalog.collection(&store, "api1", "shared").await.unwrap();
        assert_eq!(c.id.0, id);
        let cid = CollectionId(id.into());
        assert_eq!(
            catalog.permission(&store, "alice", &cid).await.unwrap(),
            None
        );
        store.set_permission(grant(id, true)).await.unwrap();
        assert_eq!(
            catalog.permission(&store, "alice", &cid).await.unwrap(),
            Some(grant(id, true))
        );
    }

    /// What was found is served from memory until it expires or the catalogue is invalidated;
    /// then the store's current answer is read.
    #[tokio::test]
    async fn found_things_are_remembered_for_a_short_time() {
        let (_dir, store) = store().await;
        let catalog = Catalog::default();
        let id = "6a1d7d6c-7a11-4d6b-8d0e-6f3f3e5c9f5c";
        store
            .create_collection(collection(id, "mine"))
            .await
            .unwrap();
        store.set_permission(grant(id, true)).await.unwrap();
        let cid = CollectionId(id.into());
        assert_eq!(
            catalog.permission(&store, "alice", &cid).await.unwrap(),
            Some(grant(id, true))
        );
        store.set_permission(grant(id, false)).await.unwrap();
        // Within the time: the permission as read.
        assert_eq!(
            catalog.permission(&store, "alice", &cid).await.unwrap(),
            Some(grant(id, true))
        );
        catalog.invalidate();
        assert_eq!(
            catalog.permission(&store, "alice", &cid).await.unwrap(),
            Some(grant(id, false))
        );
        // An entry older than the time is read again.
        store.set_permission(grant(id, true)).await.unwrap();
        catalog.entries().permissions.age(CATALOG_TTL);
        assert_eq!(
            catalog.permission(&store, "alice", &cid).await.unwrap(),
            Some(grant(id, true))
        );
    }
}
