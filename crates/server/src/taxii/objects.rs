//! Objects (TAXII 2.1 sections 5.3, 5.4, 5.5 and 5.8): list, add, get one, delete.
//!
//! Reading serves the stored JSON text of each version untouched inside the envelope (written
//! around the texts by `entente_taxii::envelope_json`), never a re-serialised tree.
//!
//! Adding is synchronous: the envelope is read (bounded by the API root's
//! `max_content_length`, checked on `Content-Length` and again while the body streams in, and
//! by the request time limit), each object is parsed and validated with `entente-stix`, the
//! valid ones are stored in one durable transaction (a valid object is stored even when
//! others in the same envelope fail), and the status resource, already `complete`, is stored
//! and returned with 202. A body that is not JSON is 400 and stores nothing; JSON that is not
//! an envelope is 422 and stores nothing.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entente_store::AddOutcome;
use entente_taxii::{ObjectQuery, Status, StatusDetails, StatusKind};

use crate::federation::signing::Verdict;
use futures::StreamExt as _;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::gated;
use super::paging::{self, Binding, Endpoint};
use super::{
    AcceptsTaxii, TaxiiPath, date_added_headers, object_id, reach_collection, taxii_bytes,
    taxii_json,
};
use crate::AppState;
use crate::access::{Action, ObjectAction};
use crate::auth::Principal;
use crate::error::ApiError;

pub(crate) fn parse_query(raw: Option<&str>) -> Result<ObjectQuery, ApiError> {
    ObjectQuery::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// GET {api-root}/collections/{id}/objects/
pub async fn list(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, collection)): TaxiiPath<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let reached =
        reach_collection(&state, &principal, &api_root, &collection, Action::Read).await?;
    let q = paging::honoured(Endpoint::Listing, &parse_query(raw.as_deref())?);
    let coll = &reached.collection.id;
    let binding = Binding::new(
        &state.paging_key,
        "objects",
        &api_root,
        &coll.0,
        "",
        &principal.user,
        &q,
    );
    serve_objects(
        &state,
        &principal,
        &reached,
        &q,
        None,
        &binding,
        Endpoint::Listing,
    )
    .await
}

/// GET {api-root}/collections/{id}/objects/{object-id}/
///
/// Honours `added_after`, `limit`, `next`, `match[version]` (default `last`) and
/// `match[spec_version]`. 404 when the object has no version matching the filters.
pub async fn get_one(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, collection, object)): TaxiiPath<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let reached =
        reach_collection(&state, &principal, &api_root, &collection, Action::Read).await?;
    let object = object_id(&object)?;
    let q = paging::honoured(Endpoint::Object, &parse_query(raw.as_deref())?);
    let coll = &reached.collection.id;
    let binding = Binding::new(
        &state.paging_key,
        "object",
        &api_root,
        &coll.0,
        &object,
        &principal.user,
        &q,
    );
    serve_objects(
        &state,
        &principal,
        &reached,
        &q,
        Some(&object),
        &binding,
        Endpoint::Object,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn serve_objects(
    state: &AppState,
    principal: &Principal,
    reached: &super::Reached,
    q: &ObjectQuery,
    object: Option<&str>,
    binding: &Binding,
    endpoint: Endpoint,
) -> Result<Response, ApiError> {
    let collection = &reached.collection;
    let after = q
        .next
        .as_deref()
        .map(|t| paging::open(t, binding))
        .transpose()?;
    let limit = paging::page_size(state, q);
    let filter = paging::store_filter(endpoint, q, object, limit, after);
    let gated = gated::objects(state, &reached.gate, &collection.id, &filter).await?;
    let target = match object {
        Some(o) => format!("{}/{o}", collection.id),
        None => collection.id.0.clone(),
    };
    gated::record_read(
        state,
        principal,
        "taxii.objects.read",
        &target,
        gated::detail(&gated),
    )
    .await?;
    let page = gated.page;
    if object.is_some() && page.items.is_empty() && after.is_none() {
        return Err(ApiError::NotFound("no such object".into()));
    }
    let next = page.next.map(|c| paging::seal(c, binding));
    let (first, last) = (
        page.items.first().map(|o| o.date_added),
        page.items.last().map(|o| o.date_added),
    );
    let mut resp = if principal.role == entente_store::Role::Service {
        // A partner node: each version leaves with its originating node's signature (CPU
        // work: off the async workers).
        let home = reached.gate.snapshot().home.as_ref().map(|o| o.0.clone());
        let data_dir = state.config.data_dir.clone();
        let items = page.items;
        let trees = crate::federation::signing::batch_trees(&state.store, &items).await?;
        let signed = tokio::task::spawn_blocking(move || {
            signed_for_peer(&data_dir, home.as_deref(), &items, &trees)
        })
        .await
        .map_err(ApiError::internal)??;
        taxii_bytes(
            StatusCode::OK,
            entente_taxii::envelope_json(
                Some(page.more),
                next.as_deref(),
                signed.iter().map(String::as_str),
            ),
        )
    } else {
        taxii_bytes(
            StatusCode::OK,
            entente_taxii::envelope_json(
                Some(page.more),
                next.as_deref(),
                page.items.iter().map(|o| o.object.as_json()),
            ),
        )
    };
    date_added_headers(&mut resp, first, last);
    Ok(resp)
}

/// A failure of one posted object in the status.
fn failure(
    o: &entente_stix::Object,
    request_timestamp: &entente_stix::Timestamp,
    message: &str,
) -> StatusDetails {
    StatusDetails {
        id: o.id().to_string(),
        version: o
            .version()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_else(|| request_timestamp.as_str().to_owned()),
        message: Some(message.to_owned()),
    }
}

/// Splits posted objects from their signatures and verifies them (see
/// [`crate::federation::signing`]). Also says whether unsigned versions are acceptable: not
/// from a service credential (a partner node) unless a peer of its organisation may send
/// unsigned versions.
async fn verify_posted(
    state: &AppState,
    principal: &Principal,
    objects: Vec<entente_stix::Object>,
) -> Result<(Vec<entente_stix::Object>, Vec<Verdict>, bool), ApiError> {
    let partner = principal.role == entente_store::Role::Service;
    let signed = objects.iter().any(|o| {
        o.as_json()
            .contains(entente_stix::provenance::SIGNATURE_EXTENSION)
    });
    if !partner && !signed {
        let n = objects.len();
        return Ok((objects, vec![Verdict::Unsigned; n], true));
    }
    let unsigned_ok = !partner
        || state
            .store
            .peers()
            .await?
            .iter()
            .any(|(p, _)| p.organisation == principal.organisation && p.options.allow_unsigned);
    let ring = crate::federation::signing::KeyRing::load(&state.store).await?;
    tokio::task::spawn_blocking(move || {
        let (objects, verdicts) = crate::federation::signing::split_and_verify(&ring, objects)
            .into_iter()
            .unzip();
        (objects, verdicts, unsigned_ok)
    })
    .await
    .map_err(ApiError::internal)
}

/// The versions as they leave for a partner node: each with the signature it arrived with
/// (a relay keeps the originator's), or signed here when the home organisation originated it,
/// or as stored when neither (a version from a peer allowed to send unsigned ones).
fn signed_for_peer(
    data_dir: &std::path::Path,
    home: Option<&str>,
    items: &[entente_store::StoredObject],
    trees: &std::collections::HashMap<String, crate::federation::signing::BatchTree>,
) -> Result<Vec<String>, ApiError> {
    let identity =
        crate::federation::signing::node_identity(data_dir).map_err(ApiError::internal)?;
    let refs: Vec<&entente_store::StoredObject> = items.iter().collect();
    // The texts are stored objects, or stored objects with a signature member added by the
    // signing code: JSON by construction, so they go into the envelope as they are.
    Ok(crate::federation::signing::for_partner(
        &identity, home, &refs, trees,
    ))
}

/// The body of an add-objects request. Only `objects` is read; `more` and `next` of an
/// envelope (and any other member) are ignored.
#[derive(Deserialize)]
struct Posted {
    objects: Vec<Box<RawValue>>,
}

/// Header fields read, best effort, from an object that failed to parse, so that its failure
/// can still name it.
#[derive(Deserialize, Default)]
struct Named {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    modified: Option<serde_json::Value>,
    #[serde(default)]
    created: Option<serde_json::Value>,
}

fn text_of(v: Option<serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.chars().take(300).collect()),
        _ => None,
    }
}

/// Reads a body of at most `max` bytes within `timeout`.
async fn read_body(
    body: Body,
    max: u64,
    declared: Option<u64>,
    timeout: Duration,
) -> Result<Vec<u8>, ApiError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut stream = body.into_data_stream();
    // The declared length (already checked against `max`) sizes the buffer once; it is a hint,
    // the running total below is what is enforced.
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(max).min(64 << 20) as usize);
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next())
            .await
            .map_err(|_| ApiError::RequestTimeout)?;
        match next {
            None => return Ok(buf),
            Some(Ok(chunk)) => {
                if (buf.len() + chunk.len()) as u64 > max {
                    return Err(ApiError::PayloadTooLarge { max });
                }
                buf.extend_from_slice(&chunk);
            }
            Some(Err(_)) => {
                return Err(ApiError::BadRequest(
                    "the request body could not be read".into(),
                ));
            }
        }
    }
}

/// The time allowed to receive a request body: a little under the whole request's limit, so
/// that a slow upload gets this handler's TAXII 408 rather than being cut off outside it.
fn body_timeout(state: &AppState) -> Duration {
    let whole = Duration::from_secs(state.config.server.request_timeout_secs.max(1));
    whole
        .saturating_sub(Duration::from_millis(250).min(whole / 4))
        .max(Duration::from_millis(100))
}

/// Joins the errors of a validation report into one status-details message.
fn failure_message(report: &entente_stix::Report) -> String {
    const SHOWN: usize = 10;
    let errors: Vec<_> = report.errors().collect();
    let mut parts: Vec<String> = errors
        .iter()
        .take(SHOWN)
        .map(|i| format!("{}: {} [{}]", i.path, i.message, i.rule))
        .collect();
    if errors.len() > SHOWN {
        parts.push(format!("and {} more errors", errors.len() - SHOWN));
    }
    format!("invalid STIX 2.1: {}", parts.join("; "))
}

/// Objects of an envelope checked one by one, in request order: `Ok(index into valid)` or
/// `Err(failure details)`.
type Checked = (
    usize,
    Vec<Result<usize, StatusDetails>>,
    Vec<entente_stix::Object>,
);

/// Parses an envelope and validates each object. A body that is not JSON is 400, JSON that is
/// not an envelope 422; object-level problems become failures, never errors.
fn check_envelope(bytes: &[u8], request_timestamp: &str) -> Result<Checked, ApiError> {
    let posted: Posted = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::Unprocessable(
            "expected a TAXII envelope: a JSON object with an `objects` list".into(),
        ),
        _ => ApiError::BadRequest(format!("the body is not valid JSON: {e}")),
    })?;
    let total = posted.objects.len();
    // Slots in request order: Ok(index into `valid`) or Err(failure details).
    let mut slots: Vec<Result<usize, StatusDetails>> = Vec::with_capacity(total);
    let mut valid = Vec::with_capacity(total);
    for raw in posted.objects {
        match entente_stix::Object::from_raw(raw.clone()) {
            Ok(object) => {
                let report = crate::validation::validate(&object);
                if report.is_valid() {
                    slots.push(Ok(valid.len()));
                    valid.push(object);
                } else {
                    slots.push(Err(StatusDetails {
                        id: object.id().to_string(),
                        version: object
                            .version()
                            .map(|t| t.as_str().to_owned())
                            .unwrap_or_else(|| request_timestamp.to_owned()),
                        message: Some(failure_message(&report)),
                    }));
                }
            }
            Err(e) => {
                let named: Named = serde_json::from_str(raw.get()).unwrap_or_default();
                slots.push(Err(StatusDetails {
                    id: text_of(named.id).unwrap_or_else(|| "unknown".into()),
                    version: text_of(named.modified)
                        .or_else(|| text_of(named.created))
                        .unwrap_or_else(|| request_timestamp.to_owned()),
                    message: Some(format!("not a STIX object: {e}")),
                }));
            }
        }
    }
    Ok((total, slots, valid))
}

/// POST {api-root}/collections/{id}/objects/
pub async fn add(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, collection)): TaxiiPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let reached =
        reach_collection(&state, &principal, &api_root, &collection, Action::Write).await?;
    let root = super::api_root::find(&state, &principal, &api_root).await?;
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !entente_taxii::media::is_taxii_content_type(content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let max = root.max_content_length;
    let declared = match headers.get(CONTENT_LENGTH) {
        None => None,
        Some(len) => {
            let len: u64 = len
                .to_str()
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| ApiError::BadRequest("malformed Content-Length".into()))?;
            if len > max {
                return Err(ApiError::PayloadTooLarge { max });
            }
            Some(len)
        }
    };
    let request_timestamp = entente_stix::Timestamp::from_unix_micros(crate::audit::now_micros());
    let bytes = read_body(body, max, declared, body_timeout(&state)).await?;
    // Parsing and validating a large envelope is CPU work of tens of milliseconds or more:
    // keep it off the async workers so that other requests are served meanwhile.
    let stamp = request_timestamp.as_str().to_owned();
    let (total, mut slots, valid) =
        tokio::task::spawn_blocking(move || check_envelope(&bytes, &stamp))
            .await
            .map_err(ApiError::internal)??;

    // Signatures: a version signed by a registered node key is attributed to that key's
    // organisation; a forged, altered or unknown one is refused; a partner node (service
    // credential) must sign what it sends unless a peer of its organisation may send unsigned.
    let (valid, verdicts, unsigned_ok) = verify_posted(&state, &principal, valid).await?;

    // The sharing rules decide each valid object (a channel requiring TLP refuses unmarked
    // ones, a marking above the channel's is refused); refused ones become failures.
    let provenance = crate::ingest::Provenance {
        originator: reached.gate.principal.organisation.clone(),
        received_through: reached.gate.scope.channel_id().cloned(),
    };
    let facts = crate::sharing::facts_at_ingest(
        &valid,
        &provenance.originator,
        provenance.received_through.as_ref(),
    );
    let mut facts = facts;
    let copies = copies_held_elsewhere(&state, &principal, &reached, &valid).await?;
    let mut kept = Vec::with_capacity(valid.len());
    let mut index_of = vec![None; valid.len()];
    let mut refused: Vec<Option<StatusDetails>> = vec![None; valid.len()];
    let mut refusals: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for (i, ((o, f), verdict)) in valid
        .into_iter()
        .zip(facts.iter_mut())
        .zip(verdicts)
        .enumerate()
    {
        if let Err((rule, message)) = verdict.apply(f, unsigned_ok) {
            *refusals.entry(rule).or_insert(0) += 1;
            refused[i] = Some(failure(&o, &request_timestamp, message));
            continue;
        }
        let mut decision = reached
            .gate
            .decide(ObjectAction::Write, &reached.gate.facts(f, &[]));
        // A copy of intelligence another organisation shared is a re-share of it: the
        // third-party rule decides, and the copy keeps its originator.
        if decision.is_allow()
            && let Some((existing, held_in)) = copies.get(o.id().as_str())
        {
            let tlp = f.tlp.as_deref().and_then(crate::policy::Tlp::from_name);
            decision = match &reached.gate.scope {
                crate::sharing::OwnedScope::Channel(to) => held_in.decide_action(
                    &crate::policy::Action::ReShare {
                        to,
                        tlp,
                        derivative: None,
                    },
                    existing,
                ),
                _ => held_in.decide_action(&crate::policy::Action::Export, existing),
            };
            if decision.is_allow() {
                f.originator = Some(existing.originator.0.clone());
            }
        }
        match decision {
            crate::policy::Decision::Allow { .. } => {
                index_of[i] = Some(kept.len());
                kept.push(o);
            }
            other => {
                *refusals.entry(other.rule()).or_insert(0) += 1;
                let message = other
                    .reason()
                    .map_or("refused by the sharing rules", |r| r.message());
                refused[i] = Some(failure(&o, &request_timestamp, message));
            }
        }
    }
    for slot in &mut slots {
        if let Ok(i) = *slot {
            *slot = match (index_of[i], refused[i].take()) {
                (Some(k), _) => Ok(k),
                (None, Some(f)) => Err(f),
                (None, None) => Err(StatusDetails {
                    id: "unknown".into(),
                    version: request_timestamp.as_str().to_owned(),
                    message: Some("refused by the sharing rules".into()),
                }),
            };
        }
    }
    let valid = kept;
    let facts: Vec<entente_store::ObjectSharing> = facts
        .into_iter()
        .enumerate()
        .filter(|(i, _)| index_of[*i].is_some())
        .map(|(_, f)| f)
        .collect();

    // Versions and ids are needed for the status after the objects move into the store.
    let names: Vec<(String, Option<String>)> = valid
        .iter()
        .map(|o| {
            (
                o.id().to_string(),
                o.version().map(|t| t.as_str().to_owned()),
            )
        })
        .collect();
    // The status is built from the store's outcomes and stored in the same transaction as the
    // objects (one durable commit); what the answer and the audit need is known before.
    let status_id = uuid::Uuid::new_v4().to_string();
    let succeeded = slots.iter().filter(|s| s.is_ok()).count();
    let make: entente_store::MakeStatus = {
        let (id, api_root, owner) = (status_id.clone(), api_root.clone(), principal.user.clone());
        let stamp = request_timestamp.as_str().to_owned();
        Box::new(move |outcomes: &[AddOutcome]| {
            let status = build_status(id, total, slots, &names, outcomes, &stamp);
            entente_store::Status {
                id: status.id.clone(),
                api_root,
                owner,
                body: status_text(&status),
            }
        })
    };
    let n_valid = valid.len();
    let (outcomes, status) = if valid.is_empty() {
        let status = make(&[]);
        state.store.put_status(status.clone()).await?;
        (Vec::new(), status)
    } else {
        crate::ingest::add_objects_with_status(
            &state.store,
            &reached.collection.id,
            valid,
            facts,
            make,
        )
        .await?
    };
    if outcomes.len() != n_valid {
        return Err(ApiError::internal(format!(
            "store returned {} outcomes for {} objects",
            outcomes.len(),
            n_valid
        )));
    }
    let added = outcomes
        .iter()
        .filter(|o| matches!(o, AddOutcome::Added { .. }))
        .count();
    let mut detail = format!(
        "total={total} added={added} duplicates={} failed={} status={status_id}",
        succeeded - added,
        total - succeeded,
    );
    for (rule, n) in &refusals {
        detail.push_str(&format!(" {rule}={n}"));
    }
    let mut record = crate::audit::record(
        &principal.user,
        &principal.organisation,
        "taxii.objects.add",
        &reached.collection.id.0,
        crate::audit::Outcome::Allow,
        "write",
        &detail,
    );
    record.purpose = principal.purpose.clone();
    state.journal.record(record).await?;
    tracing::info!(
        user = %principal.user,
        collection = %reached.collection.id,
        total,
        stored = succeeded,
        failed = total - succeeded,
        "objects added"
    );
    taxii_json(StatusCode::ACCEPTED, &status.body)
}

/// The status resource of a POST: each slot is a failure already known or the index of a
/// stored object, whose outcome makes it a success (a duplicate says so).
/// The JSON text of a status resource.
fn status_text(status: &Status) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(status).unwrap_or_else(|e| {
        // A status is strings and counts: serialising it cannot fail.
        tracing::error!(error = %e, "a status resource could not be serialised");
        serde_json::value::RawValue::from_string("{}".into()).expect("valid JSON")
    })
}

fn build_status(
    id: String,
    total: usize,
    slots: Vec<Result<usize, StatusDetails>>,
    names: &[(String, Option<String>)],
    outcomes: &[AddOutcome],
    request_timestamp: &str,
) -> Status {
    let mut successes = Vec::new();
    let mut failures = Vec::new();
    for slot in slots {
        match slot {
            Ok(i) => {
                let (id, version) = &names[i];
                let Some(outcome) = outcomes.get(i) else {
                    failures.push(StatusDetails {
                        id: id.clone(),
                        version: version
                            .clone()
                            .unwrap_or_else(|| request_timestamp.to_owned()),
                        message: Some("the store returned no outcome".into()),
                    });
                    continue;
                };
                let (date_added, message) = match outcome {
                    AddOutcome::Added { date_added } => (*date_added, None),
                    AddOutcome::Duplicate { date_added } => (
                        *date_added,
                        Some("this version was already in the collection".to_owned()),
                    ),
                };
                successes.push(StatusDetails {
                    id: id.clone(),
                    version: version
                        .clone()
                        .unwrap_or_else(|| date_added.to_timestamp().as_str().to_owned()),
                    message,
                });
            }
            Err(f) => failures.push(f),
        }
    }
    Status {
        id,
        status: StatusKind::Complete,
        request_timestamp: Some(request_timestamp.to_owned()),
        total_count: total as u64,
        success_count: successes.len() as u64,
        successes,
        failure_count: failures.len() as u64,
        failures,
        pending_count: 0,
        pendings: Vec::new(),
    }
}

/// The objects of a request that the principal can read elsewhere on the node as another
/// organisation's intelligence: their facts there, and the gate of the collection they are
/// held in. Copies the principal cannot read are not its to re-share: it holds its own
/// (nothing about them is revealed, and its write is decided as its own).
async fn copies_held_elsewhere(
    state: &AppState,
    principal: &Principal,
    reached: &super::Reached,
    objects: &[entente_stix::Object],
) -> Result<
    std::collections::HashMap<String, (crate::policy::ObjectFacts, crate::access::Gate)>,
    ApiError,
> {
    let mut out = std::collections::HashMap::new();
    if objects.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = objects.iter().map(|o| o.id().as_str().to_owned()).collect();
    let held = state.store.held_elsewhere(&ids).await?;
    let mine = &reached.gate.principal.organisation;
    let foreign: Vec<_> = held
        .into_iter()
        .filter(|(_, _, s)| s.originator.as_deref() != Some(mine.as_str()))
        .collect();
    if foreign.is_empty() {
        return Ok(out);
    }
    let snapshot = reached.gate.snapshot().clone();
    let releases = crate::sharing::Releases::load(
        &state.store,
        snapshot.any_release,
        foreign.iter().map(|(_, id, _)| id.clone()),
    )
    .await?;
    for (collection, id, sharing) in foreign {
        let gate = crate::access::Gate::new(principal, &collection, snapshot.clone());
        let mine = releases.of(&id);
        let facts = gate.facts(&sharing, &mine);
        if gate.scope().is_allow() && gate.decide(ObjectAction::Read, &facts).is_allow() {
            out.entry(id).or_insert((facts, gate));
        }
    }
    Ok(out)
}

/// DELETE {api-root}/collections/{id}/objects/{object-id}/
///
/// Removes the versions selected by `match[version]` and `match[spec_version]`, every version
/// when neither is given; 404 when none matched. Answers 200 with no body.
pub async fn delete(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, collection, object)): TaxiiPath<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let reached =
        reach_collection(&state, &principal, &api_root, &collection, Action::Delete).await?;
    let object = object_id(&object)?;
    let q = paging::honoured(Endpoint::Delete, &parse_query(raw.as_deref())?);
    let filter = paging::store_filter(Endpoint::Delete, &q, Some(&object), 0, None);
    // Only versions the principal may read can be deleted, and only by their originator's
    // organisation: a version it may not see answers as absent; another organisation's
    // intelligence is not its to remove.
    let mut listing = filter.clone();
    listing.limit = usize::MAX / 2;
    if listing.versions.is_empty() {
        listing.versions = vec![entente_store::VersionMatch::All];
    }
    if listing.spec_versions.is_empty() {
        listing.spec_versions = vec!["2.0".into(), "2.1".into()];
    }
    let versions = state
        .store
        .manifest_page(&reached.collection.id, &listing)
        .await?;
    let mut visible = 0;
    for v in &versions.items {
        let facts = reached.gate.facts(&v.sharing, &[]);
        if reached.gate.decide(ObjectAction::Read, &facts).is_allow() {
            visible += 1;
            if facts.originator != reached.gate.principal.organisation {
                let d = crate::policy::Decision::Deny {
                    reason: crate::policy::Reason::RoleNotAllowed,
                    rule: "delete-originator-only",
                };
                gated::record_denial(&state, &principal, "taxii.objects.delete", &object, &d)
                    .await?;
                return Err(ApiError::Forbidden(
                    "only the originating organisation deletes its intelligence".into(),
                ));
            }
        }
    }
    if visible == 0 || visible != versions.items.len() {
        return Err(ApiError::NotFound("no such object".into()));
    }
    let removed = match state
        .store
        .delete_object(&reached.collection.id, &object, &filter)
        .await
    {
        Ok(n) => n,
        Err(entente_store::Error::NotFound(_)) => {
            return Err(ApiError::NotFound("no such object".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let mut record = crate::audit::record(
        &principal.user,
        &principal.organisation,
        "taxii.objects.delete",
        &object,
        crate::audit::Outcome::Allow,
        "delete",
        &format!("collection={} versions={removed}", reached.collection.id),
    );
    record.purpose = principal.purpose.clone();
    state.journal.record(record).await?;
    tracing::info!(
        user = %principal.user,
        collection = %reached.collection.id,
        object = %object,
        versions = removed,
        "object versions deleted"
    );
    Ok(StatusCode::OK.into_response())
}
