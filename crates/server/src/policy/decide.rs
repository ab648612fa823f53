//! [`decide`]: the rules of the module table, in order. Each check returns `Err(decision)` to
//! stop with that decision; falling through every check of an action is the only way to an
//! `Allow` (deny by default, invariant 1).

use time::OffsetDateTime;

use super::{
    Action, Channel, Decision, Destination, HandlingCode, ObjectFacts, Peer, Principal, Purpose,
    Reason, Recipient, Role, Scope, Tlp,
};

type Check = Result<(), Decision>;

fn deny(reason: Reason, rule: &'static str) -> Check {
    Err(Decision::deny(reason, rule))
}

/// Decides whether `principal` may do `action` on the object version `object`, held in a
/// collection of `scope`, at `now`. See the module documentation for the rules.
pub fn decide(
    principal: &Principal,
    action: &Action<'_>,
    object: &ObjectFacts,
    scope: Scope<'_>,
    now: OffsetDateTime,
) -> Decision {
    let outcome = match action {
        Action::Read => role(principal, action, scope)
            .and_then(|()| scope_checks(principal, scope, now))
            .and_then(|()| object_checks(principal, object, scope))
            .map(|()| "read"),
        Action::Search { partner_channels } | Action::CorrelationHit { partner_channels } => {
            return search(principal, action, object, scope, partner_channels, now);
        }
        Action::Write => role(principal, action, scope)
            .and_then(|()| scope_checks(principal, scope, now))
            .and_then(|()| object_checks(principal, object, scope))
            .map(|()| "write"),
        Action::Export => role(principal, action, scope)
            .and_then(|()| scope_checks(principal, scope, now))
            .and_then(|()| object_checks(principal, object, scope))
            .and_then(|()| export(principal, object))
            .map(|()| "export"),
        Action::FederationTransfer { to } => role(principal, action, scope)
            .and_then(|()| transfer(principal, object, scope, to, now))
            .map(|()| "transfer"),
        Action::ReShare {
            to,
            tlp,
            derivative,
        } => role(principal, action, scope)
            .and_then(|()| scope_checks(principal, scope, now))
            .and_then(|()| object_checks(principal, object, scope))
            .and_then(|()| reshare(principal, object, to, *tlp, derivative.as_ref(), now))
            .map(|()| "reshare"),
    };
    match outcome {
        Ok(rule) => Decision::Allow { rule },
        Err(d) => d,
    }
}

/// The collection-level part of [`decide`] (purpose declared, private owner, channel
/// membership, agreement in force, purpose allowed), to run once per request before paging.
/// Returns `Allow { rule: "scope" }` or the denial [`decide`] would give for any object.
pub fn decide_scope(principal: &Principal, scope: Scope<'_>, now: OffsetDateTime) -> Decision {
    match scope_checks(principal, scope, now) {
        Ok(()) => Decision::Allow { rule: "scope" },
        Err(d) => d,
    }
}

/// Role rules: the reviewer reads, the service credential only moves data between nodes,
/// only liaison officers and service credentials transfer to peers.
fn role(p: &Principal, action: &Action<'_>, scope: Scope<'_>) -> Check {
    match p.role {
        Role::Reviewer => match action {
            Action::Read | Action::Search { .. } | Action::CorrelationHit { .. } => Ok(()),
            _ => deny(Reason::ReviewerReadOnly, "role-reviewer"),
        },
        Role::Service => match action {
            Action::FederationTransfer {
                to: Peer::Organisation(o),
            } if *o == p.organisation => Ok(()),
            // Inbound federation: a partner node pushing into a channel collection.
            Action::Write if matches!(scope, Scope::Channel(_)) => Ok(()),
            _ => deny(Reason::ServiceFederationOnly, "role-service"),
        },
        Role::Admin | Role::Analyst => match action {
            Action::FederationTransfer { .. } => deny(Reason::RoleNotAllowed, "role-federation"),
            _ => Ok(()),
        },
        Role::LiaisonOfficer => Ok(()),
    }
}

fn purpose_declared(p: &Principal) -> Result<&Purpose, Decision> {
    p.purpose
        .as_ref()
        .ok_or(Decision::deny(Reason::PurposeRequired, "purpose-declared"))
}

/// Membership, agreement in force, purpose allowed, for a channel used under `rule`.
fn channel_terms(
    p: &Principal,
    c: &Channel,
    now: OffsetDateTime,
    rules: [&'static str; 3],
) -> Check {
    let purpose = purpose_declared(p)?;
    if !c.has_member(&p.organisation) {
        return deny(Reason::NotAMember, rules[0]);
    }
    let a = &c.agreement;
    if now < a.valid_from {
        return deny(Reason::AgreementNotYetValid, rules[1]);
    }
    if a.valid_until.is_some_and(|u| now >= u) {
        return deny(Reason::AgreementExpired, rules[1]);
    }
    if !a.purposes.contains(purpose) {
        return deny(Reason::PurposeNotAllowed, rules[2]);
    }
    Ok(())
}

fn scope_checks(p: &Principal, scope: Scope<'_>, now: OffsetDateTime) -> Check {
    purpose_declared(p)?;
    match scope {
        Scope::Private { owner } => {
            if &p.organisation != owner {
                return deny(Reason::NotOwner, "private-owner");
            }
            Ok(())
        }
        Scope::Channel(c) => channel_terms(
            p,
            c,
            now,
            ["channel-member", "agreement-validity", "agreement-purpose"],
        ),
    }
}

/// Whether `p` is the originator or a named TLP:RED recipient.
fn named(p: &Principal, o: &ObjectFacts) -> bool {
    p.organisation == o.originator
        || o.named_recipients.iter().any(|r| match r {
            Recipient::Organisation(org) => *org == p.organisation,
            Recipient::User(u) => *u == p.user,
        })
}

/// Markings against the channel, handling codes, TLP:RED recipients, and the third-party
/// rule at rest (a copy held in a channel other than the one it came through).
fn object_checks(p: &Principal, o: &ObjectFacts, scope: Scope<'_>) -> Check {
    let originator = p.organisation == o.originator;
    if let Scope::Channel(c) = scope {
        if c.agreement.require_tlp && o.tlp.is_none() {
            return deny(Reason::UnmarkedObject, "channel-require-tlp");
        }
        if o.tlp.is_some_and(|t| t > c.agreement.max_marking) {
            return deny(Reason::MarkingAboveChannel, "channel-max-marking");
        }
    }
    if !originator
        && o.handling == Some(HandlingCode::H1)
        && p.purpose
            .as_ref()
            .is_some_and(|x| x.as_str() == Purpose::JUDICIAL_PROCEEDINGS)
    {
        return deny(Reason::HandlingNoJudicialUse, "handling-h1");
    }
    if o.tlp == Some(Tlp::Red) && !named(p, o) {
        return deny(Reason::NotNamedRecipient, "tlp-red-recipients");
    }
    if let (Scope::Channel(c), Some(src)) = (scope, &o.received_through)
        && *src != c.id
        && !originator
        && o.release_for(&Destination::Channel(c.id.clone())).is_none()
    {
        if o.tlp == Some(Tlp::AmberStrict) {
            return deny(Reason::AmberStrictRecipientsOnly, "amber-strict-recipients");
        }
        if !o.clear_exception() {
            return deny(Reason::ReleaseRequired, "third-party");
        }
    }
    Ok(())
}

/// Search and correlation hits: the content if Read is allowed, else `hit-only` under the
/// rule of the module documentation, else `not-visible`.
fn search(
    p: &Principal,
    action: &Action<'_>,
    o: &ObjectFacts,
    scope: Scope<'_>,
    partner_channels: &[Channel],
    now: OffsetDateTime,
) -> Decision {
    if let Err(d) = role(p, action, scope) {
        return d;
    }
    let purpose = match purpose_declared(p) {
        Ok(x) => x,
        Err(d) => return d,
    };
    let read = scope_checks(p, scope, now).and_then(|()| object_checks(p, o, scope));
    if read.is_ok() {
        return Decision::Allow { rule: "read" };
    }
    // Existence is information: only disclosed inside a channel the principal's organisation
    // is in (never from a private collection, never across the third-party boundary), and
    // never for TLP:RED.
    let in_channel = matches!(scope, Scope::Channel(c) if c.has_member(&p.organisation));
    if o.tlp == Some(Tlp::Red) || !in_channel {
        return Decision::deny(Reason::NotVisible, "not-visible");
    }
    let related = partner_channels.iter().any(|k| {
        k.has_member(&p.organisation)
            && k.has_member(&o.originator)
            && k.agreement.in_force(now)
            && k.agreement.purposes.contains(purpose)
    });
    if related {
        Decision::HitOnly {
            contact: o.originator.clone(),
            rule: "hit-only",
        }
    } else {
        Decision::deny(Reason::NotVisible, "not-visible")
    }
}

fn export(p: &Principal, o: &ObjectFacts) -> Check {
    if p.organisation != o.originator
        && !o.clear_exception()
        && o.release_for(&Destination::Export).is_none()
    {
        return deny(Reason::ReleaseRequired, "export-third-party");
    }
    Ok(())
}

fn transfer(
    p: &Principal,
    o: &ObjectFacts,
    scope: Scope<'_>,
    to: &Peer,
    now: OffsetDateTime,
) -> Check {
    let c = match scope {
        Scope::Private { .. } => {
            purpose_declared(p)?;
            return deny(Reason::PrivateCollection, "private-no-federation");
        }
        Scope::Channel(c) => c,
    };
    scope_checks(p, scope, now)?;
    object_checks(p, o, scope)?;
    let (within, dest) = match to {
        Peer::Channel(id) => (*id == c.id, Destination::Channel(id.clone())),
        Peer::Organisation(org) => (c.has_member(org), Destination::Organisation(org.clone())),
    };
    if !within && !o.clear_exception() && o.release_for(&dest).is_none() {
        return deny(Reason::DestinationOutsideChannel, "transfer-destination");
    }
    if o.tlp == Some(Tlp::Red) {
        let reaches = |org: &super::OrgId| {
            *org == o.originator
                || o.named_recipients
                    .contains(&Recipient::Organisation(org.clone()))
        };
        let ok = match to {
            Peer::Organisation(org) => reaches(org),
            Peer::Channel(_) => c.members.iter().all(reaches),
        };
        if !ok {
            return deny(Reason::NotNamedRecipient, "transfer-red-recipient");
        }
    }
    Ok(())
}

fn reshare(
    p: &Principal,
    o: &ObjectFacts,
    to: &Channel,
    out: Option<Tlp>,
    derivative: Option<&entente_stix::StixId>,
    now: OffsetDateTime,
) -> Check {
    const DEST: [&str; 3] = [
        "reshare-destination",
        "reshare-destination",
        "reshare-destination",
    ];
    channel_terms(p, to, now, DEST)?;
    if to.agreement.require_tlp && out.is_none() {
        return deny(Reason::UnmarkedObject, "reshare-destination");
    }
    if out.is_some_and(|t| t > to.agreement.max_marking) {
        return deny(Reason::MarkingAboveChannel, "reshare-destination");
    }
    if p.organisation == o.originator {
        // The originator decides about its own intelligence.
        return Ok(());
    }
    let same_channel = o.received_through.as_ref() == Some(&to.id);
    let mut floor = o.tlp;
    if !same_channel {
        match o.release_for(&Destination::Channel(to.id.clone())) {
            None if o.clear_exception() => {}
            None => return deny(Reason::ReleaseRequired, "reshare-third-party"),
            Some(r) => {
                if let Some(d) = &r.derivative
                    && derivative != Some(d)
                {
                    return deny(Reason::DerivativeRequired, "reshare-derivative");
                }
                if let Some(w) = r.wider_marking {
                    floor = Some(floor.map_or(w, |f| f.min(w)));
                }
            }
        }
    }
    // Distribution only narrows: the outgoing marking is at least as restrictive as the
    // floor (the object's own, or what the release grants). An unmarked original can be
    // shared with any marking, since adding one narrows.
    if let Some(f) = floor
        && out.is_none_or(|t| t < f)
    {
        return deny(Reason::MarkingWidened, "reshare-narrowing");
    }
    Ok(())
}

#[cfg(test)]
#[path = "decide_test.rs"]
mod tests;
