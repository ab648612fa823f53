//! The one access check. Every read and write of every path asks [`check`] for a decision.
//!
//! **Invariant 1 (DESIGN.md, "One gate")**: every read, write, export, correlation hit and
//! federation transfer asks this one function for a decision. Nothing reaches a principal, a
//! file or a peer without an [`Decision::Allow`] from it, and the default is deny. The
//! sharing-rules work extends this function (channels, agreements, markings, purposes); it
//! never gets a sibling.
//!
//! The rules today:
//! - A collection is reached only through an explicit [`Permission`] of the principal on it.
//!   Being an admin does not grant reading or writing intelligence: admins manage the node
//!   (users, collections, API roots through the CLI), analysts and partners exchange.
//! - **Seeing** a collection (its metadata, its entry in the collections list) needs a
//!   permission with `can_read` or `can_write`; a write-only collection is listed (with
//!   `can_read: false`) so that its writers can find it.
//! - **Reading** (objects, one object, versions, manifest) needs `can_read`.
//! - **Writing** and **deleting** need `can_write`, and a reviewer (oversight) never writes.
//! - A **status** resource is read by the principal who made the request, or an admin of the
//!   same organisation.
//! - An **API root** (its information, its entry in discovery) is seen by every authenticated
//!   principal: it names a part of the node, not intelligence. The sharing rules may narrow
//!   this (an API root per partner); it goes through here so that they can.
//!
//! **404 or 403** (decided here, applied by [`Denial::into_error`]): when the principal may not
//! even see the collection (no permission at all, or one with neither flag), the denial is
//! *concealed* and answers 404, exactly as for a collection that does not exist: a principal
//! must not learn which collections exist beyond its own (TAXII 2.1 section 5.2 allows 404 for
//! "does not have access"). When it can see the collection but not do this action (a
//! write-only principal reading, a read-only principal writing), the answer is 403, because
//! the collection's existence is already known to it and the client deserves to know why. A
//! status of somebody else is concealed the same way.
//!
//! [`Decision::HitOnly`] ("a match exists, here is whom to contact") is defined for the
//! sharing rules and correlation; no rule returns it yet, and every caller treats it as a
//! denial of content.

use entente_store::{Collection, Permission, Role};

use crate::auth::Principal;
use crate::error::ApiError;

/// What the principal wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Learn that the collection exists and read its metadata.
    See,
    /// Read objects, versions or the manifest.
    Read,
    /// Add objects.
    Write,
    /// Delete object versions.
    Delete,
    /// Read a status resource.
    ReadStatus,
    /// Screen names against the stored sanctions lists.
    Screen,
    /// Record a human decision on a screening hit.
    Adjudicate,
    /// Change the node's configuration (organisations, channels, users, bindings).
    Administer,
    /// Read the audit trail (oversight).
    ReadAudit,
}

/// What the action is on, with the facts the rules need.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Resource<'a> {
    /// A collection and the principal's permission on it (`None` when none was granted).
    Collection {
        /// The collection.
        collection: &'a Collection,
        /// The principal's permission, when one exists.
        permission: Option<&'a Permission>,
    },
    /// An API root, by name.
    ApiRoot {
        /// The API root's name (its URL path segment).
        name: &'a str,
    },
    /// A status resource and the user who made the request it reports on.
    Status {
        /// The owner's user name.
        owner: &'a str,
        /// The owner's organisation (a status names the objects of a write: only the owner and
        /// the administrators of its own organisation read it).
        owner_organisation: &'a str,
    },
    /// The sanctions lists and the screening of subjects against them.
    Screening,
    /// The node's configuration.
    Node,
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// A reason fit for the requester (never content, never other principals' data).
    pub reason: String,
    /// Whether the resource's existence must be hidden (answer as if it did not exist).
    pub conceal: bool,
    /// The rule that decided, for the audit log (the reason itself when no named rule did).
    pub rule: String,
}

impl Denial {
    fn concealed(reason: &str) -> Denial {
        Denial {
            reason: reason.to_owned(),
            conceal: true,
            rule: reason.to_owned(),
        }
    }

    fn forbidden(reason: &str) -> Denial {
        Denial {
            reason: reason.to_owned(),
            conceal: false,
            rule: reason.to_owned(),
        }
    }

    fn by_rule(mut self, rule: &str) -> Denial {
        self.rule = rule.to_owned();
        self
    }

    /// The API error for this denial: 404 when concealed, 403 otherwise.
    pub fn into_error(self) -> ApiError {
        if self.conceal {
            ApiError::NotFound("no such resource".into())
        } else {
            ApiError::Forbidden(self.reason)
        }
    }
}

/// The outcome of [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused.
    Deny(Denial),
    /// The principal may learn that a match exists and whom to contact, never the content.
    HitOnly,
}

impl Decision {
    /// Whether this is [`Decision::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow)
    }

    /// `Ok` for `Allow`; the mapped error otherwise (`HitOnly` is a 403 for content requests).
    pub fn require(self) -> Result<(), ApiError> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(d) => Err(d.into_error()),
            Decision::HitOnly => Err(ApiError::Forbidden(
                "only the existence of a match may be disclosed".into(),
            )),
        }
    }
}

/// Decides whether `principal` may do `action` on `resource`. Deny by default: every case
/// not explicitly allowed below is refused.
pub fn check(principal: &Principal, action: Action, resource: &Resource<'_>) -> Decision {
    match (action, resource) {
        (Action::See, Resource::ApiRoot { .. }) => Decision::Allow,
        // Screening serves the analysts and liaison officers of the node (and partner systems
        // through a service credential); adjudicating a hit is a human decision, never a
        // machine's. The purpose is recorded with every screening in the audit log.
        (Action::Screen, Resource::Screening) => match principal.role {
            Role::Analyst | Role::LiaisonOfficer | Role::Service => Decision::Allow,
            _ => Decision::Deny(Denial::forbidden(
                "your role does not screen names (analyst, liaison officer or service)",
            )),
        },
        // Administrators manage the node (and, by the permission rules above, are not thereby
        // readers of intelligence).
        (Action::Administer, Resource::Node) if principal.role == Role::Admin => Decision::Allow,
        (Action::Administer, Resource::Node) => Decision::Deny(Denial::forbidden(
            "only an administrator changes the node's configuration",
        )),
        // Oversight reads the whole trail; so does the administrator who keeps the node.
        (Action::ReadAudit, Resource::Node) => match principal.role {
            Role::Reviewer | Role::Admin => Decision::Allow,
            _ => Decision::Deny(Denial::forbidden(
                "only a reviewer or an administrator reads the audit trail",
            )),
        },
        (Action::Adjudicate, Resource::Screening) => match principal.role {
            Role::Analyst | Role::LiaisonOfficer => Decision::Allow,
            _ => Decision::Deny(Denial::forbidden(
                "only an analyst or a liaison officer adjudicates a screening hit",
            )),
        },
        (
            Action::ReadStatus,
            Resource::Status {
                owner,
                owner_organisation,
            },
        ) => {
            if *owner == principal.user
                || (principal.role == Role::Admin && *owner_organisation == principal.organisation)
            {
                Decision::Allow
            } else {
                Decision::Deny(Denial::concealed("the status belongs to another user"))
            }
        }
        (
            Action::See | Action::Read | Action::Write | Action::Delete,
            Resource::Collection { permission, .. },
        ) => {
            let Some(p) = permission.filter(|p| p.user == principal.user) else {
                return Decision::Deny(Denial::concealed("no permission on this collection"));
            };
            if !p.can_read && !p.can_write {
                return Decision::Deny(Denial::concealed("no permission on this collection"));
            }
            match action {
                Action::See => Decision::Allow,
                Action::Read if p.can_read => Decision::Allow,
                Action::Read => Decision::Deny(Denial::forbidden(
                    "you may add objects to this collection but not read it",
                )),
                Action::Write | Action::Delete if principal.role == Role::Reviewer => {
                    Decision::Deny(Denial::forbidden("the reviewer role is read-only"))
                }
                Action::Write | Action::Delete if p.can_write => Decision::Allow,
                Action::Write | Action::Delete => Decision::Deny(Denial::forbidden(
                    "you may read this collection but not change it",
                )),
                _ => Decision::Deny(Denial::concealed("not allowed")),
            }
        }
        _ => Decision::Deny(Denial::concealed("not allowed")),
    }
}

// ---- The sharing rules on objects (issue 4) ----

use std::sync::Arc;

use entente_store::{ObjectSharing, ReleaseRecord};
use time::OffsetDateTime;

use crate::policy::{self, ObjectFacts};
use crate::sharing::{OwnedScope, Snapshot};

/// The sharing rules for one request on one collection: the principal's policy facts (with
/// the declared purpose), the collection's scope and the request's `now`, read once. Every
/// object a read returns, and every object a write stores, is decided here by
/// [`crate::policy::decide`] (through [`Gate::decide`]).
#[derive(Clone)]
pub struct Gate {
    /// The principal as the policy sees it.
    pub principal: policy::Principal,
    /// The collection's scope.
    pub scope: OwnedScope,
    /// The request's instant: every decision of the request uses it.
    pub now: OffsetDateTime,
    snapshot: Arc<Snapshot>,
}

/// What a principal does with objects through the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectAction {
    /// Receive content (objects, versions, manifest). For a service credential this is a
    /// federation transfer to its own organisation.
    Read,
    /// Store objects.
    Write,
    /// Put objects into an export.
    Export,
}

impl Gate {
    /// The gate for `principal` on the collection `collection`, with the current snapshot.
    pub fn new(
        principal: &Principal,
        collection: &entente_store::CollectionId,
        snapshot: Arc<Snapshot>,
    ) -> Gate {
        Gate {
            principal: policy::Principal::of(
                principal,
                principal.purpose.clone().map(policy::Purpose),
            ),
            scope: snapshot.scope_of(collection),
            now: OffsetDateTime::now_utc(),
            snapshot,
        }
    }

    /// The collection-level rules (purpose declared, owner or member, agreement in force,
    /// purpose allowed), once per request. Refusals a principal outside the collection's
    /// organisation or channel would get are concealed (404, as for a collection that does
    /// not exist); the others (a member whose agreement expired, whose purpose is not allowed,
    /// who declared none) are a 403 with the reason.
    pub fn scope(&self) -> policy::Decision {
        let Some(scope) = self.scope.as_scope() else {
            return policy::Decision::Deny {
                reason: policy::Reason::NotOwner,
                rule: "collection-unowned",
            };
        };
        let d = policy::decide_scope(&self.principal, scope, self.now);
        if d.reason() == Some(policy::Reason::PurposeRequired) {
            // Whether the principal is inside the collection's organisation or channel does
            // not depend on the purpose: an outsider who declares none is still an outsider,
            // and must get the concealed answer, not a hint that the collection exists.
            let mut any = self.principal.clone();
            any.purpose = Some(policy::Purpose("-".into()));
            let membership = policy::decide_scope(&any, scope, self.now);
            if matches!(
                membership.reason(),
                Some(policy::Reason::NotOwner | policy::Reason::NotAMember)
            ) {
                return membership;
            }
        }
        d
    }

    /// The decision for one object version.
    pub fn decide(&self, action: ObjectAction, facts: &ObjectFacts) -> policy::Decision {
        let Some(scope) = self.scope.as_scope() else {
            return policy::Decision::Deny {
                reason: policy::Reason::NotOwner,
                rule: "collection-unowned",
            };
        };
        let action = match action {
            ObjectAction::Read if self.principal.role == Role::Service => {
                policy::Action::FederationTransfer {
                    to: policy::Peer::Organisation(self.principal.organisation.clone()),
                }
            }
            ObjectAction::Read => policy::Action::Read,
            ObjectAction::Write => policy::Action::Write,
            ObjectAction::Export => policy::Action::Export,
        };
        policy::decide(&self.principal, &action, facts, scope, self.now)
    }

    /// The decision for any action of the policy on one object version held in this
    /// collection (a re-share, a search hit).
    pub fn decide_action(
        &self,
        action: &policy::Action<'_>,
        facts: &ObjectFacts,
    ) -> policy::Decision {
        match self.scope.as_scope() {
            Some(scope) => policy::decide(&self.principal, action, facts, scope, self.now),
            None => policy::Decision::Deny {
                reason: policy::Reason::NotOwner,
                rule: "collection-unowned",
            },
        }
    }

    /// The snapshot this gate decides with.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    /// The policy facts of a stored version in this collection.
    pub fn facts(&self, sharing: &ObjectSharing, releases: &[&ReleaseRecord]) -> ObjectFacts {
        crate::sharing::object_facts(sharing, &self.scope, releases)
    }

    /// Whether releases must be looked up (none exist on most nodes).
    pub fn needs_releases(&self) -> bool {
        self.snapshot.any_release
    }

    /// The channels the principal's organisation belongs to (for `hit-only`).
    pub fn partner_channels(&self) -> Vec<policy::Channel> {
        self.snapshot.channels_of(&self.principal.organisation)
    }
}

/// [`check`], then the collection-level sharing rules of `gate` ([`Gate::scope`]): the
/// decision for a collection of a channel or of an organisation.
///
/// - **See** (metadata, listing): refused, concealed, when the principal's organisation is
///   neither the owner nor a member of the channel; a member sees the collection even when
///   the agreement has expired or its purpose is not allowed (it learns why on reading).
/// - **Read, Write, Delete**: every collection-level rule; refusals outside the organisation
///   or channel are concealed (404), the others are 403 with the reason.
pub fn check_shared(
    principal: &Principal,
    action: Action,
    resource: &Resource<'_>,
    gate: &Gate,
) -> Decision {
    let first = check(principal, action, resource);
    if !first.is_allow() || cfg!(feature = "bench-gate-bypass") {
        return first;
    }
    let scope = gate.scope();
    let policy::Decision::Deny { reason, rule } = &scope else {
        return first;
    };
    use policy::Reason as R;
    let outside = matches!(reason, R::NotOwner | R::NotAMember | R::NotVisible);
    match action {
        Action::See if !outside => Decision::Allow,
        _ if outside => Decision::Deny(Denial::concealed(reason.code()).by_rule(rule)),
        _ => Decision::Deny(
            Denial::forbidden(&match reason {
                R::PurposeRequired => format!(
                    "{} (send the {} header)",
                    reason.message(),
                    crate::auth::PURPOSE_HEADER
                ),
                other => other.message().to_owned(),
            })
            .by_rule(rule),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_store::CollectionId;

    fn principal(user: &str, role: Role) -> Principal {
        Principal {
            user: user.into(),
            organisation: "org".into(),
            role,
            purpose: None,
        }
    }

    fn collection() -> Collection {
        Collection {
            id: CollectionId("91a7b528-80eb-42ed-a74d-c6fbd5a26116".into()),
            api_root: "api1".into(),
            title: "c".into(),
            description: None,
            alias: None,
            media_types: vec![],
        }
    }

    fn perm(user: &str, can_read: bool, can_write: bool) -> Permission {
        Permission {
            user: user.into(),
            collection: collection().id,
            can_read,
            can_write,
        }
    }

    fn decide(p: &Principal, a: Action, perm: Option<&Permission>) -> Decision {
        let c = collection();
        check(
            p,
            a,
            &Resource::Collection {
                collection: &c,
                permission: perm,
            },
        )
    }

    #[test]
    fn the_whole_matrix() {
        use Action::*;
        let actions = [See, Read, Write, Delete];
        // (role, permission flags) -> expected outcome per action: A allow, F 403, H 404.
        type Case = (Role, Option<(bool, bool)>, [char; 4]);
        let cases: &[Case] = &[
            (Role::Analyst, None, ['H', 'H', 'H', 'H']),
            (Role::Admin, None, ['H', 'H', 'H', 'H']),
            (Role::Analyst, Some((false, false)), ['H', 'H', 'H', 'H']),
            (Role::Analyst, Some((true, false)), ['A', 'A', 'F', 'F']),
            (Role::Analyst, Some((false, true)), ['A', 'F', 'A', 'A']),
            (Role::Analyst, Some((true, true)), ['A', 'A', 'A', 'A']),
            (Role::Admin, Some((true, true)), ['A', 'A', 'A', 'A']),
            (Role::Service, Some((true, true)), ['A', 'A', 'A', 'A']),
            (Role::Reviewer, Some((true, true)), ['A', 'A', 'F', 'F']),
            (
                Role::LiaisonOfficer,
                Some((true, false)),
                ['A', 'A', 'F', 'F'],
            ),
        ];
        for (role, flags, expected) in cases {
            let p = principal("u", *role);
            let pm = flags.map(|(r, w)| perm("u", r, w));
            for (a, e) in actions.iter().zip(expected) {
                let got = match decide(&p, *a, pm.as_ref()) {
                    Decision::Allow => 'A',
                    Decision::Deny(d) if d.conceal => 'H',
                    Decision::Deny(_) => 'F',
                    Decision::HitOnly => 'X',
                };
                assert_eq!(got, *e, "{role:?} {flags:?} {a:?}");
            }
        }
    }

    #[test]
    fn another_users_permission_does_not_count() {
        let p = principal("mallory", Role::Analyst);
        let pm = perm("alice", true, true);
        assert!(!decide(&p, Action::Read, Some(&pm)).is_allow());
    }

    #[test]
    fn api_roots_are_seen_by_every_principal() {
        let root = Resource::ApiRoot { name: "api1" };
        for role in [
            Role::Admin,
            Role::Analyst,
            Role::LiaisonOfficer,
            Role::Reviewer,
            Role::Service,
        ] {
            assert!(check(&principal("u", role), Action::See, &root).is_allow());
        }
    }

    #[test]
    fn status_owner_or_admin() {
        let r = Resource::Status {
            owner: "alice",
            owner_organisation: "org",
        };
        assert!(check(&principal("alice", Role::Analyst), Action::ReadStatus, &r).is_allow());
        assert!(check(&principal("root", Role::Admin), Action::ReadStatus, &r).is_allow());
        // An administrator of another organisation does not read it.
        let mut foreign = principal("root", Role::Admin);
        foreign.organisation = "elsewhere".into();
        assert!(!check(&foreign, Action::ReadStatus, &r).is_allow());
        assert_eq!(
            check(&principal("bob", Role::Analyst), Action::ReadStatus, &r),
            Decision::Deny(Denial::concealed("the status belongs to another user"))
        );
        // Mismatched action/resource pairs are denied.
        assert!(!check(&principal("alice", Role::Admin), Action::Read, &r).is_allow());
        let root = Resource::ApiRoot { name: "api1" };
        assert!(!check(&principal("alice", Role::Admin), Action::Write, &root).is_allow());
        assert!(!check(&principal("alice", Role::Admin), Action::Read, &root).is_allow());
    }
}
