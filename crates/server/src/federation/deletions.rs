//! Deletions travel between nodes: each node logs the versions it deletes (with the sharing
//! facts they had) and serves the log of a collection at
//! `GET /entente/v1/federation/{api-root}/collections/{id}/deletions/` to those who may read
//! the collection; a pulling node reads it after the objects (`apply`) and deletes its own
//! copies. TAXII 2.1 has no way to tell a client what was deleted, hence this endpoint.
//!
//! What the log tells is decided by the gate as a read of each deleted version with the facts
//! it had: a principal learns of the deletion of a version only if it could have read that
//! version. The cursor (`next`) is sealed and bound to the principal and the collection, so
//! it tells nothing of what was skipped; it is sealed with a key derived from the node
//! identity, so it stays valid across restarts (the pulling node keeps it).
//!
//! A pulling node applies a deletion to the version it holds in the peer's local collection
//! when that version came through the peer's channel and its own home organisation is not the
//! originator: a partner can withdraw what it (or a node before it) sent, never what this
//! node originated. Revocations need nothing of this: a revoked object is a new version
//! (`revoked: true`) and travels like any other.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use entente_store::{DateAdded, Deletion, ObjectSharing, Page, PeerState, SharedStore};
use serde::{Deserialize, Serialize};

use super::{PullError, transport};
use crate::AppState;
use crate::access::{Action, ObjectAction};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::taxii::gated::{self, Gatable};
use crate::taxii::paging::{self, Binding};

/// Deletions served per page at most.
const MAX_PAGE: usize = 1000;

/// One deletion as the endpoint serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionEntry {
    /// The object's id.
    pub id: String,
    /// The version deleted (`modified`, else `created`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When it was deleted.
    pub deleted: String,
}

impl DeletionEntry {
    /// The entry for a logged deletion.
    pub fn of(d: &Deletion) -> DeletionEntry {
        DeletionEntry {
            id: d.object_id.clone(),
            version: d.version.clone(),
            deleted: entente_stix::Timestamp::from_unix_micros(d.deleted_at)
                .as_str()
                .to_owned(),
        }
    }
}

/// A page of the deletion log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionLog {
    /// The deletions, oldest first.
    pub deletions: Vec<DeletionEntry>,
    /// Whether more follow.
    pub more: bool,
    /// Where to resume (pass as `next`); present whenever the log was read past the
    /// request's starting point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Gatable for Deletion {
    fn sharing(&self) -> &ObjectSharing {
        &self.sharing
    }
    fn object_id(&self) -> &str {
        &self.object_id
    }
    fn date_added(&self) -> DateAdded {
        DateAdded(self.seq)
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/entente/v1/federation/{api_root}/collections/{collection}/deletions/",
        get(list).post(receive),
    )
}

/// What a node answers to deletions pushed to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Versions deleted.
    pub deleted: u64,
}

/// `POST`: a partner node (service credential, member of the collection's channel) pushes the
/// deletions of versions it sent; they are applied like pulled ones.
async fn receive(
    principal: Principal,
    State(state): State<AppState>,
    Path((api_root, collection)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let reached =
        crate::taxii::reach_collection(&state, &principal, &api_root, &collection, Action::Write)
            .await?;
    if principal.role != entente_store::Role::Service {
        return Err(ApiError::Forbidden(
            "only a partner node's service credential pushes deletions".into(),
        ));
    }
    if let crate::policy::Decision::Deny { reason, .. } = reached.gate.scope() {
        return Err(ApiError::Forbidden(reason.message().into()));
    }
    let Some(channel) = reached.gate.scope.channel_id().map(|c| c.0.clone()) else {
        return Err(ApiError::Forbidden(
            "deletions are exchanged only in a channel's collections".into(),
        ));
    };
    let log: DeletionLog = crate::releases::body(&body)?;
    if log.deletions.len() > MAX_PAGE {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_PAGE} deletions per request"
        )));
    }
    let home = state.store.home_organisation().await?.map(|o| o.id);
    let recorder = crate::audit::Recorder::new(state.store.clone());
    let target = Target {
        collection: &reached.collection.id,
        channel: &channel,
        from: &principal.organisation,
        home: home.as_deref(),
        actor: &principal.user,
    };
    let mut deleted = 0;
    for d in &log.deletions {
        deleted += apply_one(&state.store, &target, d, &recorder)
            .await
            .map_err(|e| match e {
                PullError::Store(s) => ApiError::from(s),
                other => ApiError::internal(other.to_string()),
            })?;
    }
    let body = serde_json::to_value(Applied { deleted }).map_err(ApiError::internal)?;
    Ok(crate::releases::json_response(StatusCode::OK, &body))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    next: Option<String>,
    limit: Option<usize>,
}

fn binding(
    state: &AppState,
    api_root: &str,
    collection: &str,
    user: &str,
) -> Result<Binding, ApiError> {
    let identity =
        super::signing::node_identity(&state.config.data_dir).map_err(ApiError::internal)?;
    let key = identity.derive_key(b"entente deletion log cursor");
    Ok(Binding::new(
        &key,
        "deletions",
        api_root,
        collection,
        "",
        user,
        &entente_taxii::ObjectQuery::default(),
    ))
}

async fn list(
    principal: Principal,
    State(state): State<AppState>,
    Path((api_root, collection)): Path<(String, String)>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let reached =
        crate::taxii::reach_collection(&state, &principal, &api_root, &collection, Action::Read)
            .await?;
    let coll = reached.collection.id.0.clone();
    let binding = binding(&state, &api_root, &coll, &principal.user)?;
    let after = q
        .next
        .as_deref()
        .map(|t| paging::open(t, &binding))
        .transpose()?;
    let limit = q.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let filter = entente_store::ObjectFilter {
        limit,
        after,
        ..Default::default()
    };
    let store = state.store.clone();
    let gated = gated::page(&state, &reached.gate, ObjectAction::Read, &filter, |f| {
        let (store, coll) = (store.clone(), coll.clone());
        async move {
            let after = f.after.map_or(0, |d| d.0);
            let mut items = store.deletions(&coll, after, f.limit as u32 + 1).await?;
            let more = items.len() > f.limit;
            items.truncate(f.limit);
            let next = items.last().map(|d| DateAdded(d.seq));
            Ok(Page { items, more, next })
        }
    })
    .await?;
    gated::record_read(
        &state,
        &principal,
        "federation.deletions.read",
        &coll,
        gated::detail(&gated),
    )
    .await?;
    let page = gated.page;
    let log = DeletionLog {
        deletions: page.items.iter().map(DeletionEntry::of).collect(),
        more: page.more,
        next: page
            .next
            .or(page.items.last().map(|d| DateAdded(d.seq)))
            .map(|c| paging::seal(c, &binding)),
    };
    let body = serde_json::to_value(&log).map_err(ApiError::internal)?;
    Ok(crate::releases::json_response(StatusCode::OK, &body))
}

/// The URL of a peer's deletion log for its collection `collection`, from its API root URL
/// (`https://node.example/api1/` gives
/// `https://node.example/entente/v1/federation/api1/collections/{collection}/deletions/`).
pub fn log_url(api_root_url: &str, collection: &str) -> Result<String, PullError> {
    let bad = || PullError::Configuration(format!("peer URL {api_root_url:?} names no API root"));
    let (scheme, rest) = api_root_url.split_once("://").ok_or_else(bad)?;
    if !matches!(scheme, "http" | "https") {
        return Err(bad());
    }
    let (host, path) = rest.split_once('/').ok_or_else(bad)?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let (prefix, root) = match path.trim_end_matches('/').rsplit_once('/') {
        Some((p, r)) => (format!("{p}/"), r),
        None => (String::new(), path.trim_end_matches('/')),
    };
    if host.is_empty() || root.is_empty() {
        return Err(bad());
    }
    Ok(format!(
        "{scheme}://{host}/{prefix}entente/v1/federation/{root}/collections/{collection}/deletions/"
    ))
}

/// Reads the peer's deletion log from where the last pull stopped and deletes the versions it
/// names from the peer's local collection (see the module documentation for which). Returns
/// how many versions were deleted here.
pub(crate) async fn apply(
    store: &SharedStore,
    peer: &entente_store::Peer,
    state: &mut PeerState,
) -> Result<u64, PullError> {
    let client = transport::client_for(peer)?;
    let url = log_url(&peer.url, &peer.remote_collection)?;
    let local = entente_store::CollectionId(peer.local_collection.clone());
    let home = store.home_organisation().await?.map(|o| o.id);
    let recorder = crate::audit::Recorder::new(store.clone());
    let target = Target {
        collection: &local,
        channel: &peer.channel,
        from: &peer.organisation,
        home: home.as_deref(),
        actor: crate::audit::CLI_ACTOR,
    };
    let mut deleted = 0;
    loop {
        let mut page_url = format!("{url}?limit={MAX_PAGE}");
        if let Some(c) = &state.progress.deletions_cursor {
            page_url.push_str("&next=");
            page_url.push_str(c);
        }
        let log: DeletionLog = match client.get_resource(&page_url).await {
            Ok(l) => l,
            // A peer that keeps no deletion log (not an entente node) has nothing to tell.
            Err(e) if e.http_status() == Some(404) && state.progress.deletions_cursor.is_none() => {
                return Ok(0);
            }
            Err(e) => {
                return Err(PullError::Peer(format!(
                    "deletion log: {}",
                    PullError::peer(&e)
                )));
            }
        };
        let mut on_page = 0;
        for d in &log.deletions {
            on_page += apply_one(store, &target, d, &recorder).await?;
        }
        deleted += on_page;
        // The count moves with the cursor, so a pull stopped after this page keeps both.
        state.progress.deleted += on_page;
        if let Some(n) = log.next {
            state.progress.deletions_cursor = Some(n);
        }
        super::save_state(store, &peer.name, super::Side::Pull, state).await?;
        if !log.more {
            break;
        }
    }
    Ok(deleted)
}

/// Where a deletion from a partner is applied: the local collection, the channel its versions
/// must have come through, the partner's organisation (for the audit log), this node's home
/// organisation (never deleted by a partner).
pub(crate) struct Target<'a> {
    pub(crate) collection: &'a entente_store::CollectionId,
    pub(crate) channel: &'a str,
    pub(crate) from: &'a str,
    pub(crate) home: Option<&'a str>,
    pub(crate) actor: &'a str,
}

pub(crate) async fn apply_one(
    store: &SharedStore,
    target: &Target<'_>,
    d: &DeletionEntry,
    recorder: &crate::audit::Recorder,
) -> Result<u64, PullError> {
    if d.id.parse::<entente_stix::StixId>().is_err() {
        return Ok(0);
    }
    let version = match &d.version {
        Some(v) => match v.parse::<entente_stix::Timestamp>() {
            Ok(t) => Some(t),
            Err(_) => return Ok(0),
        },
        None => None,
    };
    let filter = entente_store::ObjectFilter {
        ids: vec![d.id.clone()],
        versions: vec![match &version {
            Some(t) => entente_store::VersionMatch::At(t.clone()),
            None => entente_store::VersionMatch::All,
        }],
        ..entente_store::ObjectFilter::every_version(10)
    };
    let held = store.manifest_page(target.collection, &filter).await?;
    let theirs = !held.items.is_empty()
        && held.items.iter().all(|m| {
            m.sharing.received_through.as_deref() == Some(target.channel)
                && m.sharing.originator.is_some()
                && m.sharing.originator.as_deref() != target.home
        });
    if !theirs {
        return Ok(0);
    }
    let n = match store.delete_object(target.collection, &d.id, &filter).await {
        Ok(n) => n,
        Err(entente_store::Error::NotFound(_)) => 0,
        Err(e) => return Err(e.into()),
    };
    if n > 0 {
        recorder
            .record(crate::audit::record(
                target.actor,
                target.from,
                "federation.delete",
                &d.id,
                crate::audit::Outcome::Allow,
                "peer-deletion",
                &format!(
                    "collection={} version={} deleted_there={}",
                    target.collection,
                    d.version.as_deref().unwrap_or("-"),
                    d.deleted
                ),
            ))
            .await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_url_from_the_api_root() {
        assert_eq!(
            log_url("https://node.example/api1/", "c-1").unwrap(),
            "https://node.example/entente/v1/federation/api1/collections/c-1/deletions/"
        );
        assert_eq!(
            log_url("http://127.0.0.1:8080/prefix/api1/", "c").unwrap(),
            "http://127.0.0.1:8080/prefix/entente/v1/federation/api1/collections/c/deletions/"
        );
        assert!(log_url("not a url", "c").is_err());
        assert!(log_url("https://node.example/", "c").is_err());
    }
}
