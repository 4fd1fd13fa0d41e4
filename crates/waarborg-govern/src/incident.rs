//! Incidents of a face-recognition use and the deployer's clocks (AI Act Art. 26(5) and
//! 73): reported by anyone who works with the system, classified by the privacy officer —
//! serious or not, and of which kind —, notified to the provider and the market
//! surveillance authority within the time its kind allows, and, where the use must stop,
//! the deployment suspended from the incident in one step.
//!
//! ```text
//! reported (what, when it became known, the deployment, the searches it touched)
//!   → classified (privacy officer; may be classified again): not serious — no clock;
//!     serious — the clocks run from when it became known:
//!       the provider: at once (24 hours)
//!       the market surveillance authority: 2 days (widespread infringement or critical
//!       infrastructure), 10 days (a death), 15 days (any other serious incident)
//!   → notified (privacy officer or chief of police: to whom, when, their reference)
//!   → (the deployment suspended from it: the chief of police or the privacy officer)
//! ```
//!
//! Nothing is notified before the incident is classified ([`Rule::IncidentUnclassified`]):
//! a clock needs a kind.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::rule::Rule;
use crate::GovernError;

/// Of which kind a serious incident is (Art. 3(49), Art. 73(2)–(4)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriousKind {
    /// A widespread infringement or a serious disruption of critical infrastructure.
    WidespreadOrCritical,
    /// The death of a person.
    Death,
    /// Any other serious incident (harm to health, to fundamental rights, to property or
    /// the environment).
    Other,
}

impl SeriousKind {
    /// Every kind.
    pub const ALL: [SeriousKind; 3] = [
        SeriousKind::WidespreadOrCritical,
        SeriousKind::Death,
        SeriousKind::Other,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            SeriousKind::WidespreadOrCritical => "widespread_or_critical",
            SeriousKind::Death => "death",
            SeriousKind::Other => "other_serious",
        }
    }

    /// Reads a stable name.
    pub fn parse(s: &str) -> Option<SeriousKind> {
        SeriousKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Days from awareness within which the market surveillance authority is told.
    pub fn authority_days(self) -> i64 {
        match self {
            SeriousKind::WidespreadOrCritical => 2,
            SeriousKind::Death => 10,
            SeriousKind::Other => 15,
        }
    }
}

/// Who is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The provider of the AI system.
    Provider,
    /// The market surveillance authority.
    Authority,
}

impl Recipient {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Provider => "provider",
            Recipient::Authority => "authority",
        }
    }

    /// Reads a stable name.
    pub fn parse(s: &str) -> Option<Recipient> {
        [Recipient::Provider, Recipient::Authority]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The privacy officer's classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// Serious, and of which kind; `None`: not serious.
    pub serious: Option<SeriousKind>,
    /// Who classified it.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reasons: String,
}

/// A notification made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// To whom.
    pub to: Recipient,
    /// When it was sent.
    pub sent: Timestamp,
    /// Their reference (or ours).
    pub reference: String,
    /// Who recorded it.
    pub by: String,
}

/// One deadline of a serious incident, and whether it was met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// Who is to be told.
    pub to: Recipient,
    /// By when.
    pub due: Timestamp,
    /// When they were told, if they were.
    pub done: Option<Timestamp>,
}

impl Clock {
    /// Not done and past its time.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.done.is_none() && now > self.due
    }
}

/// An incident of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Id.
    pub id: String,
    /// The deployment it concerns.
    pub deployment: String,
    /// The searches it touched (may be none).
    #[serde(default)]
    pub searches: Vec<String>,
    /// What happened.
    pub description: String,
    /// Who reported it.
    pub reported_by: String,
    /// When it was reported.
    pub reported_at: Timestamp,
    /// When the organisation became aware of it (the clocks run from here).
    pub aware_since: Timestamp,
    /// The classification, once made (the latest).
    #[serde(default)]
    pub classification: Option<Classification>,
    /// The notifications made.
    #[serde(default)]
    pub notifications: Vec<Notification>,
    /// The deployment was suspended from this incident: by whom, when.
    #[serde(default)]
    pub suspended: Option<(String, Timestamp)>,
}

/// Who may report an incident: whoever works with or oversees the system.
pub const REPORTERS: &[Role] = &[
    Role::Examiner,
    Role::Verifier,
    Role::Coordinator,
    Role::PrivacyOfficer,
    Role::ChiefOfPolice,
    Role::Auditor,
    Role::ReviewCommitteeMember,
    Role::Applicant,
];

/// Who notifies the provider and the authority.
pub const NOTIFIERS: &[Role] = &[Role::PrivacyOfficer, Role::ChiefOfPolice];

fn refuse<T>(rule: Rule) -> Result<T, GovernError> {
    Err(GovernError::Refused(rule))
}

impl Incident {
    /// A new incident reported by `actor`: what happened (at least a sentence), known since
    /// `aware_since` (not after `now`).
    #[allow(clippy::too_many_arguments)]
    pub fn report(
        actor: &Actor,
        id: &str,
        deployment: &str,
        searches: Vec<String>,
        description: &str,
        aware_since: Timestamp,
        now: Timestamp,
    ) -> Result<Incident, GovernError> {
        if !REPORTERS.contains(&actor.role) {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: "report an incident",
                needs: REPORTERS,
            });
        }
        if description.trim().chars().count() < 10 {
            return refuse(Rule::NeedsReasons {
                step: "report an incident",
            });
        }
        if aware_since > now {
            return refuse(Rule::IncidentFromTheFuture);
        }
        Ok(Incident {
            id: id.to_string(),
            deployment: deployment.to_string(),
            searches,
            description: description.trim().to_string(),
            reported_by: actor.user.clone(),
            reported_at: now,
            aware_since,
            classification: None,
            notifications: Vec::new(),
            suspended: None,
        })
    }

    /// The privacy officer classifies it (again): serious and of which kind, or not, with
    /// reasons.
    pub fn classify(
        &mut self,
        actor: &Actor,
        serious: Option<SeriousKind>,
        reasons: &str,
        now: Timestamp,
    ) -> Result<(), GovernError> {
        if actor.role != Role::PrivacyOfficer {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: "classify an incident",
                needs: &[Role::PrivacyOfficer],
            });
        }
        if reasons.trim().chars().count() < 3 {
            return refuse(Rule::NeedsReasons {
                step: "classify an incident",
            });
        }
        self.classification = Some(Classification {
            serious,
            by: actor.user.clone(),
            at: now,
            reasons: reasons.trim().to_string(),
        });
        Ok(())
    }

    /// A notification to `to`, sent at `sent` (not after `now`) under `reference`: once the
    /// incident is classified.
    pub fn notify(
        &mut self,
        actor: &Actor,
        to: Recipient,
        sent: Timestamp,
        reference: &str,
        now: Timestamp,
    ) -> Result<(), GovernError> {
        if !NOTIFIERS.contains(&actor.role) {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: "record a notification",
                needs: NOTIFIERS,
            });
        }
        if self.classification.is_none() {
            return refuse(Rule::IncidentUnclassified);
        }
        if reference.trim().is_empty() {
            return refuse(Rule::NeedsReasons {
                step: "record a notification (its reference)",
            });
        }
        if sent > now {
            return refuse(Rule::IncidentFromTheFuture);
        }
        self.notifications.push(Notification {
            to,
            sent,
            reference: reference.trim().to_string(),
            by: actor.user.clone(),
        });
        Ok(())
    }

    /// Whether it was classified serious.
    pub fn serious(&self) -> Option<SeriousKind> {
        self.classification.as_ref().and_then(|c| c.serious)
    }

    /// The clocks of a serious incident (none for one not serious or not yet classified):
    /// the provider at once (24 hours), the authority within its kind's days.
    pub fn clocks(&self) -> Vec<Clock> {
        let Some(kind) = self.serious() else {
            return Vec::new();
        };
        let done = |to: Recipient| {
            self.notifications
                .iter()
                .filter(|n| n.to == to)
                .map(|n| n.sent)
                .min()
        };
        vec![
            Clock {
                to: Recipient::Provider,
                due: self.aware_since.plus(Timestamp::DAY),
                done: done(Recipient::Provider),
            },
            Clock {
                to: Recipient::Authority,
                due: self
                    .aware_since
                    .plus(kind.authority_days() * Timestamp::DAY),
                done: done(Recipient::Authority),
            },
        ]
    }

    /// Whether a clock of it is overdue at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.clocks().iter().any(|c| c.overdue(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_800_000_000);

    fn officer() -> Actor {
        Actor::new("privacy-1", Role::PrivacyOfficer, "privacy")
    }

    fn reported() -> Incident {
        let examiner = Actor::new("examiner-1", Role::Examiner, "bc");
        Incident::report(
            &examiner,
            "I-1",
            "catch-demo",
            vec!["S-1".into()],
            "A candidate list showed images of a restricted person",
            T0,
            T0,
        )
        .unwrap()
    }

    fn code<T: std::fmt::Debug>(r: Result<T, GovernError>) -> &'static str {
        match r {
            Err(GovernError::Refused(rule)) => rule.code(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// One row per refusal; each leaves the incident as it was.
    #[test]
    fn every_refusal_of_an_incident_has_a_row() {
        let requester = Actor::new("officer-1", Role::Requester, "district");
        assert_eq!(
            code(Incident::report(
                &requester,
                "I",
                "d",
                vec![],
                "something went wrong",
                T0,
                T0
            )),
            "wrong_role"
        );
        assert_eq!(
            code(Incident::report(
                &officer(),
                "I",
                "d",
                vec![],
                "oops",
                T0,
                T0
            )),
            "needs_reasons"
        );
        assert_eq!(
            code(Incident::report(
                &officer(),
                "I",
                "d",
                vec![],
                "something went wrong",
                T0.plus(60),
                T0
            )),
            "incident_from_the_future"
        );
        type Step = Box<dyn Fn(&mut Incident) -> Result<(), GovernError>>;
        let chief = Actor::new("chief-1", Role::ChiefOfPolice, "staff");
        let rows: Vec<(&str, Incident, Step, &str)> = vec![
            (
                "classified by the chief",
                reported(),
                Box::new(move |i: &mut Incident| {
                    i.classify(&chief, Some(SeriousKind::Other), "harm", T0)
                }),
                "wrong_role",
            ),
            (
                "classified without reasons",
                reported(),
                Box::new(|i: &mut Incident| i.classify(&officer(), None, " ", T0)),
                "needs_reasons",
            ),
            (
                "notified before it is classified",
                reported(),
                Box::new(|i: &mut Incident| {
                    i.notify(&officer(), Recipient::Provider, T0, "ref-1", T0)
                }),
                "incident_unclassified",
            ),
            (
                "notified by an examiner",
                reported(),
                Box::new(|i: &mut Incident| {
                    let examiner = Actor::new("examiner-1", Role::Examiner, "bc");
                    i.notify(&examiner, Recipient::Provider, T0, "ref-1", T0)
                }),
                "wrong_role",
            ),
            (
                "notified without a reference",
                {
                    let mut i = reported();
                    i.classify(&officer(), None, "no harm", T0).unwrap();
                    i
                },
                Box::new(|i: &mut Incident| {
                    i.notify(&officer(), Recipient::Authority, T0, " ", T0)
                }),
                "needs_reasons",
            ),
        ];
        for (name, mut i, step, want) in rows {
            let before = i.clone();
            assert_eq!(code(step(&mut i)), want, "{name}");
            assert_eq!(i, before, "{name}: refused, yet changed");
        }
    }

    #[test]
    fn a_serious_incidents_clocks_run_from_awareness_and_stop_when_notified() {
        let mut i = reported();
        assert!(i.clocks().is_empty(), "no clock before it is classified");
        i.classify(&officer(), None, "no harm done", T0).unwrap();
        assert!(i.clocks().is_empty(), "none for an incident not serious");
        for (kind, days) in [
            (SeriousKind::WidespreadOrCritical, 2),
            (SeriousKind::Death, 10),
            (SeriousKind::Other, 15),
        ] {
            i.classify(&officer(), Some(kind), "harm to a person's rights", T0)
                .unwrap();
            let clocks = i.clocks();
            assert_eq!(
                clocks[0].due,
                T0.plus(Timestamp::DAY),
                "the provider at once"
            );
            assert_eq!(clocks[1].due, T0.plus(days * Timestamp::DAY), "{kind:?}");
            assert!(!i.overdue(T0.plus(Timestamp::HOUR)));
            assert!(
                i.overdue(T0.plus(Timestamp::DAY + 1)),
                "the provider's clock ran out"
            );
        }
        i.notify(
            &officer(),
            Recipient::Provider,
            T0.plus(3600),
            "ticket-7",
            T0.plus(3600),
        )
        .unwrap();
        assert!(!i.overdue(T0.plus(Timestamp::DAY + 1)));
        assert!(i.overdue(T0.plus(16 * Timestamp::DAY)), "the authority's");
        let chief = Actor::new("chief-1", Role::ChiefOfPolice, "staff");
        i.notify(
            &chief,
            Recipient::Authority,
            T0.plus(7200),
            "AP-2027-1",
            T0.plus(7200),
        )
        .unwrap();
        assert!(!i.overdue(T0.plus(100 * Timestamp::DAY)));
        assert_eq!(SeriousKind::parse("death"), Some(SeriousKind::Death));
        assert_eq!(Recipient::parse("authority"), Some(Recipient::Authority));
    }
}
