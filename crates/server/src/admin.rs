//! Managing organisations, channels, users and collection bindings over HTTP (issue 4), the
//! same acts as `entente org|channel|user|collection bind`, for an administrator of the node.
//!
//! | route | who |
//! |---|---|
//! | `GET /entente/v1/organisations/` | every authenticated principal (names only) |
//! | `POST /entente/v1/organisations/` | admin |
//! | `GET /entente/v1/channels/` | admin: all; others: the channels of their organisation |
//! | `PUT /entente/v1/channels/{id}/` | admin (creates or replaces members and agreement) |
//! | `GET /entente/v1/users/` | admin |
//! | `POST /entente/v1/users/` | admin (a token-only credential; the token is returned once) |
//! | `PUT /entente/v1/collections/{id}/scope/` | admin |
//! | `GET /entente/v1/audit/?after=SEQ&limit=N` | reviewer, admin: the audit trail, verified |
//!
//! Every change is recorded in the audit log. Bodies are JSON; unknown fields are refused.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};
use entente_store::{
    ApiToken, ChannelRecord, CollectionId, CollectionScope, Organisation, Role, User,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::audit::{self, Outcome};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::releases::{body, json_response};
use crate::taxii::TaxiiPath;

/// The administration routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/entente/v1/organisations/",
            get(organisations).post(add_organisation),
        )
        .route("/entente/v1/channels/", get(channels))
        .route("/entente/v1/channels/{id}/", put(put_channel))
        .route("/entente/v1/users/", get(users).post(add_user))
        .route("/entente/v1/collections/{id}/scope/", put(bind))
        .route("/entente/v1/audit/", get(audit_trail))
}

fn identifier(what: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "{what}: 1-64 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// Only administrators change the node's configuration.
async fn administer(state: &AppState, principal: &Principal, target: &str) -> Result<(), ApiError> {
    let d = access::check(principal, Action::Administer, &Resource::Node);
    crate::audit::record_refusal(&state.journal, principal, Action::Administer, target, &d).await?;
    d.require()
}

async fn record(
    state: &AppState,
    principal: &Principal,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), ApiError> {
    let r = audit::record(
        &principal.user,
        &principal.organisation,
        action,
        target,
        Outcome::Allow,
        "administer",
        detail,
    );
    state.journal.record(r).await?;
    state.sharing.invalidate();
    state.catalog.invalidate();
    Ok(())
}

async fn organisations(
    _principal: Principal,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let orgs = state.store.organisations().await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "organisations": orgs }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrganisation {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

async fn add_organisation(
    principal: Principal,
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    administer(&state, &principal, "organisations").await?;
    let o: NewOrganisation = body(&bytes)?;
    identifier("id", &o.id)?;
    let org = Organisation {
        name: o.name.unwrap_or_else(|| o.id.clone()),
        id: o.id,
        home: false,
    };
    match state.store.add_organisation(org.clone()).await {
        Err(entente_store::Error::Conflict(_)) => {
            return Err(ApiError::Unprocessable(format!(
                "organisation {} exists",
                org.id
            )));
        }
        other => other?,
    }
    record(&state, &principal, "org.add", &org.id, "home=false").await?;
    Ok(json_response(StatusCode::CREATED, &json!(org)))
}

async fn channels(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let all = state.store.channels().await?;
    let visible: Vec<ChannelRecord> = if principal.role == Role::Admin {
        all
    } else {
        all.into_iter()
            .filter(|c| c.members.contains(&principal.organisation))
            .collect()
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({ "channels": visible }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelBody {
    #[serde(default)]
    title: Option<String>,
    members: Vec<String>,
    legal_basis: String,
    purposes: Vec<String>,
    max_marking: String,
    #[serde(default)]
    require_tlp: bool,
    valid_from: String,
    #[serde(default)]
    valid_until: Option<String>,
}

fn micros(what: &str, t: &str) -> Result<i64, ApiError> {
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::BadRequest(format!("{what}: not an RFC 3339 time")))?;
    Ok((t.unix_timestamp_nanos() / 1000) as i64)
}

async fn put_channel(
    principal: Principal,
    State(state): State<AppState>,
    TaxiiPath(id): TaxiiPath<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    administer(&state, &principal, &id).await?;
    identifier("channel id", &id)?;
    let b: ChannelBody = body(&bytes)?;
    let mut members = b.members;
    members.sort();
    members.dedup();
    if members.len() < 2 {
        return Err(ApiError::BadRequest(
            "members: a channel has at least two organisations".into(),
        ));
    }
    let mut purposes = b.purposes;
    purposes.sort();
    purposes.dedup();
    if purposes.is_empty() || !purposes.iter().all(|p| crate::auth::is_purpose_name(p)) {
        return Err(ApiError::BadRequest(
            "purposes: at least one purpose name (lowercase letters, digits, '-', '_', '.', ':')"
                .into(),
        ));
    }
    let tlp = entente_stix::tlp::Tlp::from_name(&b.max_marking).ok_or_else(|| {
        ApiError::BadRequest("max_marking: clear, green, amber, amber+strict or red".into())
    })?;
    if b.legal_basis.trim().is_empty() || b.legal_basis.len() > 4096 {
        return Err(ApiError::BadRequest(
            "legal_basis: the agreement's legal basis, at most 4096 bytes".into(),
        ));
    }
    let valid_from = micros("valid_from", &b.valid_from)?;
    let valid_until = b
        .valid_until
        .as_deref()
        .map(|t| micros("valid_until", t))
        .transpose()?;
    if valid_until.is_some_and(|u| u <= valid_from) {
        return Err(ApiError::BadRequest(
            "valid_until must be after valid_from".into(),
        ));
    }
    let record_ = ChannelRecord {
        title: b.title.unwrap_or_else(|| id.clone()),
        id: id.clone(),
        members,
        legal_basis: b.legal_basis,
        purposes,
        max_marking: tlp.as_str().to_owned(),
        require_tlp: b.require_tlp,
        valid_from,
        valid_until,
    };
    match state.store.put_channel(record_.clone()).await {
        Err(entente_store::Error::NotFound(m)) => {
            return Err(ApiError::Unprocessable(format!("unknown {m}")));
        }
        other => other?,
    }
    let detail = serde_json::to_string(&record_).map_err(ApiError::internal)?;
    record(&state, &principal, "channel.put", &id, &detail).await?;
    Ok(json_response(StatusCode::OK, &json!(record_)))
}

async fn users(principal: Principal, State(state): State<AppState>) -> Result<Response, ApiError> {
    administer(&state, &principal, "users").await?;
    let users: Vec<Value> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| json!({"name": u.name, "organisation": u.organisation, "role": u.role.as_str()}))
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "users": users })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    organisation: String,
    role: String,
    #[serde(default)]
    purpose: Option<String>,
}

async fn add_user(
    principal: Principal,
    State(state): State<AppState>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    administer(&state, &principal, "users").await?;
    let u: NewUser = body(&bytes)?;
    identifier("name", &u.name)?;
    let role: Role = u
        .role
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("role: {e}")))?;
    if !state
        .store
        .organisations()
        .await?
        .iter()
        .any(|o| o.id == u.organisation)
    {
        return Err(ApiError::Unprocessable(format!(
            "organisation {} is not registered",
            u.organisation
        )));
    }
    if let Some(p) = &u.purpose
        && !crate::auth::is_purpose_name(p)
    {
        return Err(ApiError::BadRequest("purpose: not a purpose name".into()));
    }
    match state
        .store
        .add_user(User {
            name: u.name.clone(),
            organisation: u.organisation.clone(),
            role,
            password_hash: None,
        })
        .await
    {
        Err(entente_store::Error::Conflict(_)) => {
            return Err(ApiError::Unprocessable(format!("user {} exists", u.name)));
        }
        other => other?,
    }
    let (token, sha256) = crate::auth::mint_token();
    state
        .store
        .add_token(ApiToken {
            sha256,
            user: u.name.clone(),
            label: "created over the API".into(),
        })
        .await?;
    if u.purpose.is_some() {
        state
            .store
            .set_default_purpose(&u.name, u.purpose.clone())
            .await?;
    }
    let detail = format!(
        "organisation={} role={} purpose={}",
        u.organisation,
        role.as_str(),
        u.purpose.as_deref().unwrap_or("-")
    );
    record(&state, &principal, "user.add", &u.name, &detail).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"name": u.name, "organisation": u.organisation, "role": role.as_str(), "token": token}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeBody {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    owner: Option<String>,
}

async fn bind(
    principal: Principal,
    State(state): State<AppState>,
    TaxiiPath(id): TaxiiPath<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    administer(&state, &principal, &id).await?;
    let b: ScopeBody = body(&bytes)?;
    let scope = match (b.channel, b.owner) {
        (Some(c), None) => CollectionScope::Channel(c),
        (None, Some(o)) => CollectionScope::Private(o),
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of channel or owner".into(),
            ));
        }
    };
    match state
        .store
        .set_collection_scope(&CollectionId(id.to_ascii_lowercase()), scope.clone())
        .await
    {
        Err(entente_store::Error::NotFound(m)) => {
            return Err(ApiError::Unprocessable(format!("unknown {m}")));
        }
        other => other?,
    }
    let detail = match &scope {
        CollectionScope::Channel(c) => format!("channel={c}"),
        CollectionScope::Private(o) => format!("owner={o}"),
    };
    record(&state, &principal, "collection.bind", &id, &detail).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"collection": id, "scope": detail}),
    ))
}

struct AuditQuery {
    after: u64,
    limit: Option<usize>,
}

/// Most audit entries per response.
const AUDIT_PAGE_MAX: usize = 1000;

/// GET /entente/v1/audit/: entries after `after`, oldest first, each with its hashes, and
/// whether the chain up to the last one returned verifies (from the first entry).
async fn audit_trail(
    principal: Principal,
    State(state): State<AppState>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, ApiError> {
    let d = access::check(&principal, Action::ReadAudit, &Resource::Node);
    crate::audit::record_refusal(
        &state.journal,
        &principal,
        Action::ReadAudit,
        "audit-log",
        &d,
    )
    .await?;
    d.require()?;
    let q: AuditQuery = audit_query(raw.as_deref())?;
    let limit = q.limit.unwrap_or(100).clamp(1, AUDIT_PAGE_MAX);
    let entries = state.store.audit_page(q.after, limit).await?;
    // Verify the chain from its start up to the last entry returned.
    let mut verifier = audit::Verifier::new(None);
    let end = entries.last().map_or(q.after, |e| e.seq);
    let mut cursor = 0;
    let mut intact = true;
    while cursor < end && intact {
        let page = state.store.audit_page(cursor, audit::VERIFY_PAGE).await?;
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        for e in page.iter().filter(|e| e.seq <= end) {
            if verifier.push(e).is_err() {
                intact = false;
                break;
            }
        }
    }
    let out: Vec<Value> = entries
        .iter()
        .map(|e| {
            let r = &e.record;
            json!({
                "seq": e.seq,
                "time": entente_stix::Timestamp::from_unix_micros(r.time).as_str(),
                "actor": r.actor, "organisation": r.organisation, "action": r.action,
                "target": r.target, "purpose": r.purpose, "decision": r.decision,
                "rule": r.rule, "detail": r.detail,
                "prev_hash": audit::to_hex(&e.prev_hash), "hash": audit::to_hex(&e.hash),
            })
        })
        .collect();
    let mut rec = audit::record(
        &principal.user,
        &principal.organisation,
        "audit.read",
        "audit-log",
        Outcome::Allow,
        "read-audit",
        &format!("after={} entries={}", q.after, out.len()),
    );
    rec.purpose = principal.purpose.clone();
    state.journal.record(rec).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "entries": out, "chain_intact": intact }),
    ))
}

/// Parses `after=N&limit=N` strictly (unknown or repeated parameters are a 400).
fn audit_query(raw: Option<&str>) -> Result<AuditQuery, ApiError> {
    let mut q = AuditQuery {
        after: 0,
        limit: None,
    };
    let mut seen = std::collections::HashSet::new();
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !seen.insert(k.to_owned()) {
            return Err(ApiError::BadRequest(format!("{k}: given twice")));
        }
        let n: u64 = v
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("{k}: not a number")))?;
        match k {
            "after" => q.after = n,
            "limit" => q.limit = Some(n.min(AUDIT_PAGE_MAX as u64) as usize),
            other => return Err(ApiError::BadRequest(format!("unknown parameter {other}"))),
        }
    }
    Ok(q)
}
