//! Release requests over HTTP (issue 4, the third-party rule): a recipient asks the originator
//! to let an object go beyond the channel it came through; the originator grants (with
//! conditions, a sanitised derivative, a wider marking), or denies; TLP:RED, H2 and objects
//! describing a person need a second approver of the originating organisation (four eyes).
//! Every step is recorded in the audit log with the purpose; a final grant becomes a release
//! that every later decision of the gate reads.
//!
//! | route | who |
//! |---|---|
//! | `POST /entente/v1/releases/` | a member that received the object through the channel |
//! | `GET /entente/v1/releases/` | the requesting or the originating organisation |
//! | `GET /entente/v1/releases/{id}/` | the requesting or the originating organisation |
//! | `POST /entente/v1/releases/{id}/grant/` | a user of the originating organisation |
//! | `POST /entente/v1/releases/{id}/confirm/` | another user of the originating organisation |
//! | `POST /entente/v1/releases/{id}/deny/` | a user of the originating organisation |
//!
//! The state machine is [`crate::policy::release`]; this module loads, applies and stores.
//! A request concerning an object the principal may not read answers 404, like a request
//! that does not exist; another organisation's request answers 404 too.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use entente_stix::StixId;
use entente_store::{ObjectFilter, ReleaseRecord, ReleaseRequestRecord, VersionMatch};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::access::{Action, ObjectAction};
use crate::audit::{self, Outcome};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::policy::release::{ReleaseRequest, ReleaseState};
use crate::policy::{self, OrgId, ReleaseId, Tlp, UserId};
use crate::sharing::{destination_text, parse_destination};
use crate::taxii::TaxiiPath;

/// Longest reason or condition text accepted, in bytes.
const MAX_TEXT: usize = 4096;

/// The release routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/entente/v1/releases/", post(file).get(list))
        .route("/entente/v1/releases/{id}/", get(one))
        .route("/entente/v1/releases/{id}/grant/", post(grant))
        .route("/entente/v1/releases/{id}/confirm/", post(confirm))
        .route("/entente/v1/releases/{id}/deny/", post(deny))
}

/// A JSON response (the `/entente/v1/` API).
pub(crate) fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// A JSON request body, or a 400 saying what is wrong with it.
pub(crate) fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("invalid request: {e}")))
}

fn text(what: &str, s: &str) -> Result<(), ApiError> {
    if s.len() > MAX_TEXT || s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::BadRequest(format!(
            "{what}: at most {MAX_TEXT} bytes, no control characters"
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filing {
    api_root: String,
    collection: String,
    object_id: String,
    destination: String,
    reason: String,
    #[serde(default)]
    describes_person: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Grant {
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    derivative: Option<String>,
    #[serde(default)]
    wider_marking: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Denial {
    reason: String,
}

fn state_name(s: &ReleaseState) -> &'static str {
    match s {
        ReleaseState::Pending => "pending",
        ReleaseState::AwaitingSecondApproval { .. } => "awaiting-second-approval",
        ReleaseState::Granted { .. } => "granted",
        ReleaseState::Denied { .. } => "denied",
    }
}

/// The wire (and stored) form of a request.
fn to_json(r: &ReleaseRequest) -> Value {
    let mut v = json!({
        "id": r.id.as_str(),
        "object_id": r.object.as_str(),
        "originator": r.originator.as_str(),
        "requester": r.requester.as_str(),
        "requested_by": r.requested_by.as_str(),
        "destination": destination_text(&r.destination),
        "reason": r.reason,
        "four_eyes": r.four_eyes,
        "state": state_name(&r.state),
    });
    match &r.state {
        ReleaseState::Pending => {}
        ReleaseState::AwaitingSecondApproval {
            first,
            conditions,
            derivative,
            wider_marking,
        } => {
            v["granted_by"] = json!([first.as_str()]);
            v["conditions"] = json!(conditions);
            v["derivative"] = json!(derivative.as_ref().map(|d| d.as_str()));
            v["wider_marking"] = json!(wider_marking.map(|t| t.as_str()));
        }
        ReleaseState::Granted {
            by,
            conditions,
            derivative,
            wider_marking,
        } => {
            v["granted_by"] = json!(by.iter().map(|u| u.as_str()).collect::<Vec<_>>());
            v["conditions"] = json!(conditions);
            v["derivative"] = json!(derivative.as_ref().map(|d| d.as_str()));
            v["wider_marking"] = json!(wider_marking.map(|t| t.as_str()));
        }
        ReleaseState::Denied { by, reason } => {
            v["denied_by"] = json!(by.as_str());
            v["denial_reason"] = json!(reason);
        }
    }
    v
}

fn from_json(v: &Value) -> Option<ReleaseRequest> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let strings = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let derivative = match s("derivative") {
        Some(d) => Some(d.parse::<StixId>().ok()?),
        None => None,
    };
    let wider = match s("wider_marking") {
        Some(t) => Some(Tlp::from_name(&t)?),
        None => None,
    };
    let by: Vec<UserId> = strings("granted_by").into_iter().map(UserId).collect();
    let state = match s("state")?.as_str() {
        "pending" => ReleaseState::Pending,
        "awaiting-second-approval" => ReleaseState::AwaitingSecondApproval {
            first: by.first()?.clone(),
            conditions: strings("conditions"),
            derivative,
            wider_marking: wider,
        },
        "granted" => ReleaseState::Granted {
            by,
            conditions: strings("conditions"),
            derivative,
            wider_marking: wider,
        },
        "denied" => ReleaseState::Denied {
            by: UserId(s("denied_by")?),
            reason: s("denial_reason")?,
        },
        _ => return None,
    };
    Some(ReleaseRequest {
        id: ReleaseId(s("id")?),
        object: s("object_id")?.parse().ok()?,
        originator: OrgId(s("originator")?),
        requester: OrgId(s("requester")?),
        requested_by: UserId(s("requested_by")?),
        destination: parse_destination(&s("destination")?)?,
        reason: s("reason")?,
        four_eyes: v.get("four_eyes")?.as_bool()?,
        state,
    })
}

fn record_of(r: &ReleaseRequest) -> ReleaseRequestRecord {
    ReleaseRequestRecord {
        id: r.id.0.clone(),
        object_id: r.object.as_str().to_owned(),
        originator: r.originator.0.clone(),
        requester: r.requester.0.clone(),
        state: state_name(&r.state).to_owned(),
        body: to_json(r).to_string(),
    }
}

async fn audit_step(
    state: &AppState,
    principal: &Principal,
    action: &str,
    target: &str,
    outcome: Outcome,
    rule: &str,
    detail: &str,
) -> Result<(), ApiError> {
    let mut r = audit::record(
        &principal.user,
        &principal.organisation,
        action,
        target,
        outcome,
        rule,
        detail,
    );
    r.purpose = principal.purpose.clone();
    state.journal.record(r).await?;
    Ok(())
}

/// Whether an object describes a person (four eyes): an individual's identity, or an object
/// that says it is about one.
fn describes_a_person(o: &entente_stix::Object) -> bool {
    let v = o.to_value();
    (o.object_type() == "identity"
        && v.get("identity_class").and_then(|c| c.as_str()) == Some("individual"))
        || v.get("x_entente_describes_person")
            .and_then(|b| b.as_bool())
            == Some(true)
}

/// POST /entente/v1/releases/
async fn file(
    principal: Principal,
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let f: Filing = body(&bytes)?;
    text("reason", &f.reason)?;
    let object: StixId = f
        .object_id
        .parse()
        .map_err(|_| ApiError::BadRequest("object_id: not a STIX identifier".into()))?;
    let destination = parse_destination(&f.destination).ok_or_else(|| {
        ApiError::BadRequest("destination: channel:<id>, organisation:<id> or export".into())
    })?;
    let reached = crate::taxii::reach_collection(
        &state,
        &principal,
        &f.api_root,
        &f.collection,
        Action::Read,
    )
    .await?;
    let gate = &reached.gate;
    // The newest version the principal may read: without one, the object does not exist for
    // it.
    let filter = ObjectFilter {
        ids: vec![object.as_str().to_owned()],
        versions: vec![VersionMatch::Last],
        limit: 1,
        ..ObjectFilter::default()
    };
    let page = state
        .store
        .objects_page(&reached.collection.id, &filter)
        .await?;
    let Some(stored) = page.items.into_iter().next() else {
        return Err(ApiError::NotFound("no such object".into()));
    };
    let facts = gate.facts(&stored.sharing, &[]);
    if !gate.decide(ObjectAction::Read, &facts).is_allow() {
        return Err(ApiError::NotFound("no such object".into()));
    }
    let crate::sharing::OwnedScope::Channel(channel) = &gate.scope else {
        return Err(ApiError::Unprocessable(
            "only objects received through a channel need a release".into(),
        ));
    };
    let id = ReleaseId(uuid::Uuid::new_v4().to_string());
    let request = ReleaseRequest::file(
        id.clone(),
        &gate.principal,
        object.clone(),
        &facts,
        channel,
        destination,
        f.reason,
    )
    .map_err(|e| ApiError::Forbidden(e.to_string()))?
    .describing_a_person(f.describes_person || describes_a_person(&stored.object));
    state.store.put_release_request(record_of(&request)).await?;
    audit_step(
        &state,
        &principal,
        "release.request",
        &id.0,
        Outcome::Allow,
        "release-request",
        &format!(
            "object={} destination={} four_eyes={}",
            object,
            destination_text(&request.destination),
            request.four_eyes
        ),
    )
    .await?;
    Ok(json_response(StatusCode::CREATED, &to_json(&request)))
}

/// Loads a request the principal's organisation is party to (else 404).
async fn load(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<ReleaseRequest, ApiError> {
    let rec = state.store.release_request(id).await?;
    if rec.originator != principal.organisation && rec.requester != principal.organisation {
        return Err(ApiError::NotFound("no such release request".into()));
    }
    let v: Value = serde_json::from_str(&rec.body).map_err(ApiError::internal)?;
    from_json(&v).ok_or_else(|| ApiError::internal("a stored release request is malformed"))
}

/// GET /entente/v1/releases/
async fn list(principal: Principal, State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut out = Vec::new();
    for rec in state
        .store
        .release_requests(&principal.organisation)
        .await?
    {
        let v: Value = serde_json::from_str(&rec.body).map_err(ApiError::internal)?;
        out.push(v);
    }
    Ok(json_response(StatusCode::OK, &json!({ "releases": out })))
}

/// GET /entente/v1/releases/{id}/
async fn one(
    principal: Principal,
    State(state): State<AppState>,
    TaxiiPath(id): TaxiiPath<String>,
) -> Result<Response, ApiError> {
    let r = load(&state, &principal, &id).await?;
    Ok(json_response(StatusCode::OK, &to_json(&r)))
}

/// Applies a decision, stores it, records the release when final, audits.
async fn decide(
    state: &AppState,
    principal: &Principal,
    id: &str,
    action: &str,
    apply: impl FnOnce(&mut ReleaseRequest, &policy::Principal) -> Result<(), String>,
) -> Result<Response, ApiError> {
    let mut r = load(state, principal, id).await?;
    let who = policy::Principal::of(principal, principal.purpose.clone().map(policy::Purpose));
    if let Err(e) = apply(&mut r, &who) {
        audit_step(
            state,
            principal,
            action,
            id,
            Outcome::Deny,
            "release-transition",
            &e,
        )
        .await?;
        return Err(ApiError::Forbidden(e));
    }
    state.store.put_release_request(record_of(&r)).await?;
    if let Some(release) = r.release() {
        state
            .store
            .add_release(ReleaseRecord {
                object_id: r.object.as_str().to_owned(),
                destination: destination_text(&release.to),
                conditions: release.conditions.clone(),
                derivative: release.derivative.as_ref().map(|d| d.as_str().to_owned()),
                wider_marking: release.wider_marking.map(|t| t.as_str().to_owned()),
                request: r.id.0.clone(),
            })
            .await?;
        state.sharing.invalidate();
    }
    audit_step(
        state,
        principal,
        action,
        id,
        Outcome::Allow,
        "release-transition",
        &format!("object={} state={}", r.object, state_name(&r.state)),
    )
    .await?;
    Ok(json_response(StatusCode::OK, &to_json(&r)))
}

/// POST /entente/v1/releases/{id}/grant/
async fn grant(
    principal: Principal,
    State(state): State<AppState>,
    TaxiiPath(id): TaxiiPath<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let g: Grant = if bytes.is_empty() {
        Grant::default()
    } else {
        body(&bytes)?
    };
    for c in &g.conditions {
        text("conditions", c)?;
    }
    let derivative = g
        .derivative
        .map(|d| {
            d.parse::<StixId>()
                .map_err(|_| ApiError::BadRequest("derivative: not a STIX identifier".into()))
        })
        .transpose()?;
    let wider = g
        .wider_marking
        .map(|t| {
            Tlp::from_name(&t).ok_or_else(|| {
                ApiError::BadRequest(
                    "wider_marking: clear, green, amber, amber+strict or red".into(),
                )
            })
        })
        .transpose()?;
    decide(&state, &principal, &id, "release.grant", |r, who| {
        r.grant(who, g.conditions, derivative, wider)
            .map_err(|e| e.to_string())
    })
    .await
}

/// POST /entente/v1/releases/{id}/confirm/
async fn confirm(
    principal: Principal,
    State(state): State<AppState>,
    TaxiiPath(id): TaxiiPath<String>,
) -> Result<Response, ApiError> {
    decide(&state, &principal, &id, "release.confirm", |r, who| {
        r.confirm(who).map_err(|e| e.to_string())
    })
    .await
}

/// POST /entente/v1/releases/{id}/deny/
async fn deny(
    principal: Principal,
    State(state): State<AppState>,
    TaxiiPath(id): TaxiiPath<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let d: Denial = body(&bytes)?;
    text("reason", &d.reason)?;
    decide(&state, &principal, &id, "release.deny", |r, who| {
        r.deny(who, d.reason).map_err(|e| e.to_string())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Destination;

    #[test]
    fn requests_round_trip_through_their_stored_form() {
        let base = ReleaseRequest {
            id: ReleaseId("r1".into()),
            object: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
                .parse()
                .unwrap(),
            originator: OrgId("a".into()),
            requester: OrgId("b".into()),
            requested_by: UserId("bob".into()),
            destination: Destination::Channel(policy::ChannelId("c".into())),
            reason: "case 12".into(),
            four_eyes: true,
            state: ReleaseState::Pending,
        };
        let states = [
            ReleaseState::Pending,
            ReleaseState::AwaitingSecondApproval {
                first: UserId("ann".into()),
                conditions: vec!["no media".into()],
                derivative: Some(
                    "indicator--1e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
                        .parse()
                        .unwrap(),
                ),
                wider_marking: Some(Tlp::Green),
            },
            ReleaseState::Granted {
                by: vec![UserId("ann".into()), UserId("al".into())],
                conditions: vec![],
                derivative: None,
                wider_marking: None,
            },
            ReleaseState::Denied {
                by: UserId("ann".into()),
                reason: "ongoing operation".into(),
            },
        ];
        for s in states {
            let r = ReleaseRequest {
                state: s,
                ..base.clone()
            };
            assert_eq!(from_json(&to_json(&r)), Some(r));
        }
        for d in [
            Destination::Export,
            Destination::Organisation(OrgId("x".into())),
        ] {
            let r = ReleaseRequest {
                destination: d,
                ..base.clone()
            };
            assert_eq!(from_json(&to_json(&r)), Some(r));
        }
    }
}
