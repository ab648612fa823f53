//! Release requests: a recipient asks the originator to let an object go beyond the channel it
//! came through (the third-party rule, DESIGN.md invariant 2).
//!
//! A pure state machine: `pending` → `granted` (with conditions, optionally a sanitised
//! derivative and a wider marking) or `denied` (with a reason). Both end states are final.
//! **Four eyes** (issue 4, item 6): releasing TLP:RED or H2 material, or an object describing
//! a person, needs a second approver: the first grant moves the request to
//! `awaiting-second-approval`, and a *different* user of the originating organisation
//! confirms it with [`ReleaseRequest::confirm`] (or denies it). The
//! transition functions check who may do what: only a member organisation that received the
//! object through a channel may file a request; only the originating organisation grants or
//! denies. Reviewers (read-only) and service credentials (machines) do neither. The store
//! records every request and transition; [`ReleaseRequest::release`] turns a granted request
//! into the [`Release`] that [`super::decide`] reads from [`ObjectFacts::releases`].

use entente_stix::StixId;

use super::{
    Channel, Destination, ObjectFacts, OrgId, Principal, Release, ReleaseId, Role, Tlp, UserId,
};

/// Where a request stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseState {
    /// Waiting for the originator.
    Pending,
    /// Granted by one user of the originator; a second one must confirm (four eyes).
    AwaitingSecondApproval {
        /// Who granted it first.
        first: UserId,
        /// Conditions attached.
        conditions: Vec<String>,
        /// The sanitised derivative that may go instead of the object, if any.
        derivative: Option<StixId>,
        /// A wider (less restrictive) marking the released copy may carry.
        wider_marking: Option<Tlp>,
    },
    /// Granted by the originator.
    Granted {
        /// Who granted it (users of the originating organisation: one, or two under four
        /// eyes, first approver first).
        by: Vec<UserId>,
        /// Conditions attached.
        conditions: Vec<String>,
        /// The sanitised derivative that may go instead of the object, if any.
        derivative: Option<StixId>,
        /// A wider (less restrictive) marking the released copy may carry.
        wider_marking: Option<Tlp>,
    },
    /// Denied by the originator.
    Denied {
        /// Who denied it.
        by: UserId,
        /// The originator's reason (shown to the requester).
        reason: String,
    },
}

/// A request to release one object to one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseRequest {
    /// The request.
    pub id: ReleaseId,
    /// The object.
    pub object: StixId,
    /// The originating organisation (who decides).
    pub originator: OrgId,
    /// The requesting organisation.
    pub requester: OrgId,
    /// The requesting user.
    pub requested_by: UserId,
    /// Where the requester wants to send it.
    pub destination: Destination,
    /// Why.
    pub reason: String,
    /// Whether a second approver is needed (TLP:RED, H2, or an object describing a person).
    pub four_eyes: bool,
    /// Where it stands.
    pub state: ReleaseState,
}

/// A transition that is not allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// Reviewers and service credentials neither request nor decide releases.
    #[error("your role may not request or decide releases")]
    RoleNotAllowed,
    /// The originator needs no release for its own object.
    #[error("the originator needs no release for its own object")]
    OwnObject,
    /// Only a member organisation that received the object through the channel may ask.
    #[error("only an organisation that received the object through this channel may ask")]
    NotARecipient,
    /// The destination is the channel the object already came through.
    #[error("the object is already shared with that channel")]
    AlreadyThere,
    /// Only the originating organisation grants or denies.
    #[error("only the originating organisation may decide on a release")]
    NotOriginator,
    /// The request was already granted or denied.
    #[error("the request has already been decided")]
    AlreadyDecided,
    /// The request is not awaiting a second approval.
    #[error("the request is not awaiting a second approval")]
    NotAwaitingSecondApproval,
    /// The second approver must be another user than the first.
    #[error("the second approver must be another user than the first")]
    SameApprover,
}

fn may_act(p: &Principal) -> Result<(), ReleaseError> {
    match p.role {
        Role::Reviewer | Role::Service => Err(ReleaseError::RoleNotAllowed),
        Role::Admin | Role::Analyst | Role::LiaisonOfficer => Ok(()),
    }
}

impl ReleaseRequest {
    /// Files a request. `received_via` is the channel the object came through
    /// (`facts.received_through`); the requester's organisation must be one of its members.
    /// Four eyes is required for TLP:RED and H2 material; call
    /// [`ReleaseRequest::describing_a_person`] when the object describes a person.
    pub fn file(
        id: ReleaseId,
        requester: &Principal,
        object: StixId,
        facts: &ObjectFacts,
        received_via: &Channel,
        destination: Destination,
        reason: String,
    ) -> Result<ReleaseRequest, ReleaseError> {
        may_act(requester)?;
        if requester.organisation == facts.originator {
            return Err(ReleaseError::OwnObject);
        }
        if facts.received_through.as_ref() != Some(&received_via.id)
            || !received_via.has_member(&requester.organisation)
        {
            return Err(ReleaseError::NotARecipient);
        }
        if destination == Destination::Channel(received_via.id.clone()) {
            return Err(ReleaseError::AlreadyThere);
        }
        Ok(ReleaseRequest {
            id,
            object,
            originator: facts.originator.clone(),
            requester: requester.organisation.clone(),
            requested_by: requester.user.clone(),
            destination,
            reason,
            four_eyes: facts.tlp == Some(Tlp::Red)
                || facts.handling == Some(super::HandlingCode::H2),
            state: ReleaseState::Pending,
        })
    }

    /// Marks the request as concerning an object that describes a person (four eyes).
    pub fn describing_a_person(mut self, yes: bool) -> ReleaseRequest {
        self.four_eyes |= yes;
        self
    }

    fn decider(&self, by: &Principal) -> Result<(), ReleaseError> {
        may_act(by)?;
        if by.organisation != self.originator {
            return Err(ReleaseError::NotOriginator);
        }
        match self.state {
            ReleaseState::Pending | ReleaseState::AwaitingSecondApproval { .. } => Ok(()),
            _ => Err(ReleaseError::AlreadyDecided),
        }
    }

    /// The originator grants, optionally with conditions, a sanitised derivative (to be
    /// linked to the object by a `derived-from` relationship) and a wider marking.
    pub fn grant(
        &mut self,
        by: &Principal,
        conditions: Vec<String>,
        derivative: Option<StixId>,
        wider_marking: Option<Tlp>,
    ) -> Result<(), ReleaseError> {
        self.decider(by)?;
        if self.state != ReleaseState::Pending {
            return Err(ReleaseError::AlreadyDecided);
        }
        self.state = if self.four_eyes {
            ReleaseState::AwaitingSecondApproval {
                first: by.user.clone(),
                conditions,
                derivative,
                wider_marking,
            }
        } else {
            ReleaseState::Granted {
                by: vec![by.user.clone()],
                conditions,
                derivative,
                wider_marking,
            }
        };
        Ok(())
    }

    /// The second approver (another user of the originating organisation) confirms a
    /// four-eyes grant, on the terms of the first.
    pub fn confirm(&mut self, by: &Principal) -> Result<(), ReleaseError> {
        self.decider(by)?;
        let ReleaseState::AwaitingSecondApproval {
            first,
            conditions,
            derivative,
            wider_marking,
        } = &self.state
        else {
            return Err(ReleaseError::NotAwaitingSecondApproval);
        };
        if *first == by.user {
            return Err(ReleaseError::SameApprover);
        }
        self.state = ReleaseState::Granted {
            by: vec![first.clone(), by.user.clone()],
            conditions: conditions.clone(),
            derivative: derivative.clone(),
            wider_marking: *wider_marking,
        };
        Ok(())
    }

    /// The originator denies, with a reason (also while awaiting a second approval).
    pub fn deny(&mut self, by: &Principal, reason: String) -> Result<(), ReleaseError> {
        self.decider(by)?;
        self.state = ReleaseState::Denied {
            by: by.user.clone(),
            reason,
        };
        Ok(())
    }

    /// The release this request grants, once granted.
    pub fn release(&self) -> Option<Release> {
        match &self.state {
            ReleaseState::Granted {
                conditions,
                derivative,
                wider_marking,
                ..
            } => Some(Release {
                to: self.destination.clone(),
                conditions: conditions.clone(),
                derivative: derivative.clone(),
                wider_marking: *wider_marking,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Agreement, ChannelId, ChannelKind};
    use time::macros::datetime;

    fn p(user: &str, org: &str, role: Role) -> Principal {
        Principal {
            user: user.into(),
            organisation: org.into(),
            role,
            purpose: Some("investigation".into()),
        }
    }

    fn channel() -> Channel {
        Channel {
            id: "c1".into(),
            kind: ChannelKind::Bilateral,
            members: ["orig".into(), "recv".into()].into_iter().collect(),
            agreement: Agreement {
                legal_basis: "MoU".into(),
                purposes: ["investigation".into()].into_iter().collect(),
                max_marking: Tlp::Red,
                valid_from: datetime!(2026-01-01 0:00 UTC),
                valid_until: None,
                require_tlp: false,
            },
        }
    }

    fn facts() -> ObjectFacts {
        ObjectFacts {
            originator: "orig".into(),
            received_through: Some("c1".into()),
            tlp: Some(Tlp::Amber),
            handling: None,
            named_recipients: vec![],
            releases: vec![],
        }
    }

    fn obj() -> StixId {
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
            .parse()
            .unwrap()
    }

    fn file(by: &Principal, dest: Destination) -> Result<ReleaseRequest, ReleaseError> {
        ReleaseRequest::file(
            "r1".into(),
            by,
            obj(),
            &facts(),
            &channel(),
            dest,
            "share with the event cell".into(),
        )
    }

    #[test]
    fn who_may_file() {
        let dest = Destination::Channel(ChannelId::from("c2"));
        assert!(file(&p("bob", "recv", Role::Analyst), dest.clone()).is_ok());
        assert_eq!(
            file(&p("eve", "other", Role::Analyst), dest.clone()),
            Err(ReleaseError::NotARecipient)
        );
        assert_eq!(
            file(&p("ann", "orig", Role::Analyst), dest.clone()),
            Err(ReleaseError::OwnObject)
        );
        assert_eq!(
            file(&p("rev", "recv", Role::Reviewer), dest.clone()),
            Err(ReleaseError::RoleNotAllowed)
        );
        assert_eq!(
            file(&p("svc", "recv", Role::Service), dest),
            Err(ReleaseError::RoleNotAllowed)
        );
        assert_eq!(
            file(
                &p("bob", "recv", Role::Analyst),
                Destination::Channel("c1".into())
            ),
            Err(ReleaseError::AlreadyThere)
        );
        // An object that did not come through this channel.
        let mut f = facts();
        f.received_through = Some("c9".into());
        assert_eq!(
            ReleaseRequest::file(
                "r2".into(),
                &p("bob", "recv", Role::Analyst),
                obj(),
                &f,
                &channel(),
                Destination::Export,
                String::new()
            ),
            Err(ReleaseError::NotARecipient)
        );
    }

    #[test]
    fn four_eyes_for_red_h2_and_persons() {
        let bob = p("bob", "recv", Role::Analyst);
        let ann = p("ann", "orig", Role::LiaisonOfficer);
        let carl = p("carl", "orig", Role::Admin);
        let mut red = facts();
        red.tlp = Some(Tlp::Red);
        let mut h2 = facts();
        h2.handling = Some(crate::policy::HandlingCode::H2);
        let file_for = |f: &ObjectFacts| {
            ReleaseRequest::file(
                "r".into(),
                &bob,
                obj(),
                f,
                &channel(),
                Destination::Export,
                "court".into(),
            )
            .unwrap()
        };
        assert!(!file_for(&facts()).four_eyes);
        assert!(file_for(&facts()).describing_a_person(true).four_eyes);
        for mut r in [
            file_for(&red),
            file_for(&h2),
            file_for(&facts()).describing_a_person(true),
        ] {
            assert!(r.four_eyes);
            assert_eq!(
                r.confirm(&carl),
                Err(ReleaseError::NotAwaitingSecondApproval)
            );
            r.grant(&ann, vec!["c".into()], None, None).unwrap();
            assert!(matches!(
                r.state,
                ReleaseState::AwaitingSecondApproval { .. }
            ));
            assert_eq!(r.release(), None);
            assert_eq!(
                r.grant(&carl, vec![], None, None),
                Err(ReleaseError::AlreadyDecided)
            );
            assert_eq!(r.confirm(&ann), Err(ReleaseError::SameApprover));
            assert_eq!(r.confirm(&bob), Err(ReleaseError::NotOriginator));
            r.confirm(&carl).unwrap();
            match &r.state {
                ReleaseState::Granted { by, .. } => {
                    assert_eq!(by, &vec![UserId::from("ann"), UserId::from("carl")])
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(r.release().unwrap().conditions, vec!["c".to_owned()]);
            assert_eq!(r.confirm(&carl), Err(ReleaseError::AlreadyDecided));
        }
        // The second approver may also refuse.
        let mut r = file_for(&red);
        r.grant(&ann, vec![], None, None).unwrap();
        r.deny(&carl, "no".into()).unwrap();
        assert_eq!(r.release(), None);
    }

    #[test]
    fn only_the_originator_decides_once() {
        let mut r = file(&p("bob", "recv", Role::Analyst), Destination::Export).unwrap();
        assert_eq!(r.release(), None);
        assert_eq!(
            r.grant(&p("bob", "recv", Role::Analyst), vec![], None, None),
            Err(ReleaseError::NotOriginator)
        );
        assert_eq!(
            r.deny(&p("rev", "orig", Role::Reviewer), "no".into()),
            Err(ReleaseError::RoleNotAllowed)
        );
        let derivative: StixId = "indicator--0a7e1e0c-5d57-4f5c-9d16-0f1f0b6c9a11"
            .parse()
            .unwrap();
        r.grant(
            &p("ann", "orig", Role::LiaisonOfficer),
            vec!["no attribution".into()],
            Some(derivative.clone()),
            Some(Tlp::Green),
        )
        .unwrap();
        assert_eq!(
            r.release(),
            Some(Release {
                to: Destination::Export,
                conditions: vec!["no attribution".into()],
                derivative: Some(derivative),
                wider_marking: Some(Tlp::Green),
            })
        );
        assert_eq!(
            r.deny(
                &p("ann", "orig", Role::LiaisonOfficer),
                "changed my mind".into()
            ),
            Err(ReleaseError::AlreadyDecided)
        );

        let mut r = file(&p("bob", "recv", Role::Analyst), Destination::Export).unwrap();
        r.deny(&p("ann", "orig", Role::Analyst), "source protection".into())
            .unwrap();
        assert_eq!(r.release(), None);
        assert!(matches!(r.state, ReleaseState::Denied { .. }));
        assert_eq!(
            r.grant(&p("ann", "orig", Role::Analyst), vec![], None, None),
            Err(ReleaseError::AlreadyDecided)
        );
    }
}
