//! Cases: their vocabulary, the life cycle every case follows, the referral
//! checks of the Law on Mediation, and the safeguards for violence and minors.
//!
//! Rule: a case changes status only through [`CaseStatus::apply`]; the server
//! never writes a status it did not get from there, so an illegal transition
//! is always a 409 with the reason given here.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

use super::mediator::{Specialty, string_enum};
use super::session::SessionFormat;

string_enum!(
    /// The kind of dispute; each needs the mediator specialty of the same name.
    CaseCategory, "category" {
        Civil => "civil",
        Family => "family",
        Labour => "labour",
        Commercial => "commercial",
        Administrative => "administrative",
        CriminalMinor => "criminal-minor",
    }
);

impl CaseCategory {
    /// The specialty a mediator needs for this category.
    pub fn specialty(self) -> Specialty {
        match self {
            CaseCategory::Civil => Specialty::Civil,
            CaseCategory::Family => Specialty::Family,
            CaseCategory::Labour => Specialty::Labour,
            CaseCategory::Commercial => Specialty::Commercial,
            CaseCategory::Administrative => Specialty::Administrative,
            CaseCategory::CriminalMinor => Specialty::CriminalMinor,
        }
    }
}

/// A court's own number of a case, e.g. `2-1234/2026`: 1 to 40 letters,
/// digits, spaces and `- / . ( )`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNumber(String);

impl CaseNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > 40 {
            return Err("must be 1 to 40 characters long".into());
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || "-/.() ".contains(c))
        {
            return Err("may contain only letters, digits, spaces and - / . ( )".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_enum!(
    /// A party's place in the case. Claimants and respondents are the
    /// principal parties; the others take part on someone's behalf or help.
    PartyRole, "party role" {
        Claimant => "claimant",
        Respondent => "respondent",
        Representative => "representative",
        Guardian => "guardian",
        Interpreter => "interpreter",
    }
);

impl PartyRole {
    /// Whether the party is one of the sides of the dispute (whose voluntary
    /// participation counts).
    pub fn is_principal(self) -> bool {
        matches!(self, PartyRole::Claimant | PartyRole::Respondent)
    }
}

string_enum!(
    /// Legal capacity as declared by a court. Mediation is not available to a
    /// party declared incapable or of limited capacity (Law on Mediation,
    /// art. 1).
    LegalCapacity, "legal capacity" {
        Full => "full",
        Limited => "limited",
        Incapable => "incapable",
    }
);

string_enum!(
    /// Where a case is in its life cycle.
    CaseStatus, "case status" {
        Referred => "referred",
        MediatorProposed => "mediator_proposed",
        MediatorAccepted => "mediator_accepted",
        Scheduled => "scheduled",
        OutcomeRecorded => "outcome_recorded",
        SubmittedToCourt => "submitted_to_court",
        Registered => "registered",
        Returned => "returned",
        Withdrawn => "withdrawn",
        Expired => "expired",
    }
);

string_enum!(
    /// Where a mediator's assignment to a case stands. Proposed and
    /// accepted assignments are the ones that count: they show the case to
    /// the mediator and weigh on their caseload.
    AssignmentStatus, "assignment status" {
        Proposed => "proposed",
        Accepted => "accepted",
        Declined => "declined",
        Withdrawn => "withdrawn",
    }
);

impl AssignmentStatus {
    /// The statuses in which the mediator holds the case.
    pub const HOLDING: [AssignmentStatus; 2] =
        [AssignmentStatus::Proposed, AssignmentStatus::Accepted];
}

/// What can happen to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAction {
    /// The clerk proposes a mediator (or records the parties' joint choice).
    ProposeMediator,
    /// The proposed mediator accepts.
    AcceptAssignment,
    /// The proposed mediator declines; the case goes back to the clerk.
    DeclineAssignment,
    /// The first session is booked.
    Schedule,
    /// The mediator records how mediation ended.
    RecordOutcome,
    /// The mediator corrects an outcome not yet submitted (the draft is
    /// replaced; the case stays where it is).
    CorrectOutcome,
    /// The mediator sends the agreement to the court.
    Submit,
    /// The court registers the agreement.
    Register,
    /// The court returns the agreement for correction.
    Return,
    /// The clerk withdraws the referral.
    Withdraw,
    /// The deadline passed with no outcome.
    Expire,
}

impl CaseAction {
    fn describe(self) -> &'static str {
        match self {
            CaseAction::ProposeMediator => "a mediator can be proposed",
            CaseAction::AcceptAssignment => "the proposal can be accepted",
            CaseAction::DeclineAssignment => "the proposal can be declined",
            CaseAction::Schedule => "sessions can be scheduled",
            CaseAction::RecordOutcome => "an outcome can be recorded",
            CaseAction::CorrectOutcome => "the recorded outcome can be corrected",
            CaseAction::Submit => "the outcome can be submitted to the court",
            CaseAction::Register => "the agreement can be registered",
            CaseAction::Return => "the agreement can be returned",
            CaseAction::Withdraw => "the referral can be withdrawn",
            CaseAction::Expire => "the case can expire",
        }
    }
}

/// A refused transition, with the reason shown to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: CaseStatus,
    pub action: CaseAction,
    pub allowed_from: &'static [CaseStatus],
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = self.allowed_from.iter().map(|s| s.as_str()).collect();
        write!(
            f,
            "the case is {}; {} only when it is {}",
            self.from,
            self.action.describe(),
            allowed.join(" or ")
        )
    }
}

/// Statuses in which mediation is still under way (no outcome yet): these can
/// be withdrawn, and expire when the deadline passes.
pub const OPEN_BEFORE_OUTCOME: &[CaseStatus] = &[
    CaseStatus::Referred,
    CaseStatus::MediatorProposed,
    CaseStatus::MediatorAccepted,
    CaseStatus::Scheduled,
];

/// Statuses in which a case takes up its mediator's time (counted against
/// the mediator's maximum of active cases).
pub const ACTIVE_FOR_MEDIATOR: &[CaseStatus] = &[
    CaseStatus::MediatorProposed,
    CaseStatus::MediatorAccepted,
    CaseStatus::Scheduled,
    CaseStatus::OutcomeRecorded,
    CaseStatus::Returned,
];

impl CaseStatus {
    /// Where `action` may start from, and where it leads.
    fn rule(action: CaseAction) -> (&'static [CaseStatus], CaseStatus) {
        use CaseStatus as S;
        match action {
            CaseAction::ProposeMediator => (&[S::Referred], S::MediatorProposed),
            CaseAction::AcceptAssignment => (&[S::MediatorProposed], S::MediatorAccepted),
            CaseAction::DeclineAssignment => (&[S::MediatorProposed], S::Referred),
            CaseAction::Schedule => (&[S::MediatorAccepted], S::Scheduled),
            // From an accepted case with no session yet only a withdrawal
            // can be recorded; `domain::outcome` says which result when.
            CaseAction::RecordOutcome => (
                &[S::MediatorAccepted, S::Scheduled, S::Returned],
                S::OutcomeRecorded,
            ),
            CaseAction::CorrectOutcome => (&[S::OutcomeRecorded], S::OutcomeRecorded),
            CaseAction::Submit => (&[S::OutcomeRecorded], S::SubmittedToCourt),
            CaseAction::Register => (&[S::SubmittedToCourt], S::Registered),
            CaseAction::Return => (&[S::SubmittedToCourt], S::Returned),
            CaseAction::Withdraw => (OPEN_BEFORE_OUTCOME, S::Withdrawn),
            CaseAction::Expire => (OPEN_BEFORE_OUTCOME, S::Expired),
        }
    }

    /// The status after `action`, or why it may not happen now.
    pub fn apply(self, action: CaseAction) -> Result<CaseStatus, IllegalTransition> {
        let (allowed_from, to) = Self::rule(action);
        if allowed_from.contains(&self) {
            Ok(to)
        } else {
            Err(IllegalTransition {
                from: self,
                action,
                allowed_from,
            })
        }
    }

    /// Whether nothing more can happen to the case.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseStatus::Registered | CaseStatus::Withdrawn | CaseStatus::Expired
        )
    }
}

/// Why a referral is refused outright (Law on Mediation No. 401-IV, art. 1):
/// the stable codes of the `reasons` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralRefusal {
    /// A party has been declared legally incapable or of limited capacity.
    PartyLegalCapacity,
    /// A criminal case concerning corruption or crimes against public service.
    CorruptionOrPublicService,
}

impl ReferralRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralRefusal::PartyLegalCapacity => "party_legal_capacity",
            ReferralRefusal::CorruptionOrPublicService => "corruption_or_public_service",
        }
    }
}

/// The facts of one party that the referral rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartyFacts {
    pub role: PartyRole,
    pub is_minor: bool,
    pub legal_capacity: LegalCapacity,
}

/// A problem with the parties of a referral, with the index of the party
/// concerned where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartiesProblem {
    /// No claimant or no respondent.
    MissingSide(PartyRole),
    /// A minor party but no adult guardian or representative.
    MinorWithoutGuardian,
    /// A guardian, representative or interpreter who is a minor.
    MinorActingForOthers(usize),
    /// Refused under the Law on Mediation.
    Refused(usize, ReferralRefusal),
}

impl fmt::Display for PartiesProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartiesProblem::MissingSide(role) => write!(f, "a case needs at least one {role}"),
            PartiesProblem::MinorWithoutGuardian => f.write_str(
                "a case with a minor party must name an adult guardian or representative",
            ),
            PartiesProblem::MinorActingForOthers(_) => {
                f.write_str("a guardian, representative or interpreter cannot be a minor")
            }
            PartiesProblem::Refused(_, _) => f.write_str(
                "mediation is not available to a party declared legally incapable or of \
                 limited capacity (Law on Mediation, art. 1)",
            ),
        }
    }
}

/// Checks the parties of a referral: both sides present, minors accompanied
/// by an adult guardian or representative, nobody of limited capacity.
pub fn check_parties(parties: &[PartyFacts]) -> Vec<PartiesProblem> {
    let mut problems = Vec::new();
    for side in [PartyRole::Claimant, PartyRole::Respondent] {
        if !parties.iter().any(|p| p.role == side) {
            problems.push(PartiesProblem::MissingSide(side));
        }
    }
    for (i, p) in parties.iter().enumerate() {
        if p.legal_capacity != LegalCapacity::Full {
            problems.push(PartiesProblem::Refused(
                i,
                ReferralRefusal::PartyLegalCapacity,
            ));
        }
        if p.is_minor && !p.role.is_principal() {
            problems.push(PartiesProblem::MinorActingForOthers(i));
        }
    }
    let has_minor = parties.iter().any(|p| p.is_minor);
    let has_adult_guardian = parties
        .iter()
        .any(|p| !p.is_minor && matches!(p.role, PartyRole::Guardian | PartyRole::Representative));
    if has_minor && !has_adult_guardian {
        problems.push(PartiesProblem::MinorWithoutGuardian);
    }
    problems
}

/// The format a new session gets when the booking does not say: separate
/// (each party meets the mediator on their own) where violence was reported,
/// so that a victim never has to face the other party unasked.
pub fn default_session_format(violence_reported: bool) -> SessionFormat {
    if violence_reported {
        SessionFormat::Separate
    } else {
        SessionFormat::Joint
    }
}

/// Whether a joint session may be booked: where violence was reported only
/// after the clerk's explicit, audited override.
pub fn joint_session_allowed(violence_reported: bool, clerk_override: bool) -> bool {
    !violence_reported || clerk_override
}

/// Indexes of the principal parties who still have to confirm that they take
/// part voluntarily before any session can be booked. Empty when violence
/// was not reported (nothing to confirm) or all have confirmed.
pub fn awaiting_voluntary_confirmation(
    violence_reported: bool,
    parties: &[(PartyRole, bool)],
) -> Vec<usize> {
    if !violence_reported {
        return Vec::new();
    }
    parties
        .iter()
        .enumerate()
        .filter(|(_, (role, confirmed))| role.is_principal() && !confirmed)
        .map(|(i, _)| i)
        .collect()
}

/// Order in which accepted cases wait to be scheduled: cases with minors
/// first, then the nearest deadline.
pub fn scheduling_priority(minors_involved: bool) -> u8 {
    if minors_involved { 0 } else { 1 }
}

/// Whether a party's personal link has expired: once `lifetime` has passed
/// since the case closed. An open case's links do not expire.
pub fn party_link_expired(
    closed_at: Option<chrono::DateTime<chrono::Utc>>,
    lifetime: chrono::Duration,
    at: chrono::DateTime<chrono::Utc>,
) -> bool {
    closed_at.is_some_and(|closed| at >= closed + lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_link_expires_only_once_the_set_time_after_closing_has_passed() {
        let closed = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("a date")
            .with_timezone(&chrono::Utc);
        let lifetime = chrono::Duration::days(90);
        let later = |days| closed + chrono::Duration::days(days);
        assert!(!party_link_expired(None, lifetime, later(1000)));
        assert!(!party_link_expired(Some(closed), lifetime, later(89)));
        assert!(party_link_expired(Some(closed), lifetime, later(90)));
    }

    fn party(role: PartyRole) -> PartyFacts {
        PartyFacts {
            role,
            is_minor: false,
            legal_capacity: LegalCapacity::Full,
        }
    }

    #[test]
    fn the_happy_path_runs_from_referral_to_registration() {
        use CaseAction::*;
        let mut s = CaseStatus::Referred;
        for action in [
            ProposeMediator,
            AcceptAssignment,
            Schedule,
            RecordOutcome,
            Submit,
            Register,
        ] {
            s = s.apply(action).expect("legal");
        }
        assert_eq!(s, CaseStatus::Registered);
        assert!(s.is_final());
    }

    #[test]
    fn a_declined_proposal_returns_the_case_to_the_clerk() {
        let s = CaseStatus::Referred
            .apply(CaseAction::ProposeMediator)
            .and_then(|s| s.apply(CaseAction::DeclineAssignment));
        assert_eq!(s, Ok(CaseStatus::Referred));
    }

    #[test]
    fn a_returned_agreement_can_be_corrected_and_submitted_again() {
        let s = CaseStatus::Returned
            .apply(CaseAction::RecordOutcome)
            .and_then(|s| s.apply(CaseAction::Submit));
        assert_eq!(s, Ok(CaseStatus::SubmittedToCourt));
    }

    #[test]
    fn every_illegal_transition_is_refused_with_a_reason() {
        use CaseAction::*;
        let actions = [
            ProposeMediator,
            AcceptAssignment,
            DeclineAssignment,
            Schedule,
            RecordOutcome,
            CorrectOutcome,
            Submit,
            Register,
            Return,
            Withdraw,
            Expire,
        ];
        let mut refused = 0;
        for from in CaseStatus::ALL {
            for action in actions {
                let (allowed, _) = CaseStatus::rule(action);
                match from.apply(action) {
                    Ok(_) => assert!(allowed.contains(from)),
                    Err(e) => {
                        refused += 1;
                        assert!(!allowed.contains(from));
                        let text = e.to_string();
                        assert!(text.contains(from.as_str()), "{text}");
                        assert!(text.contains(" only when it is "), "{text}");
                    }
                }
            }
        }
        // 10 statuses × 11 actions, of which 19 are legal.
        assert_eq!(refused, 110 - 19);
    }

    #[test]
    fn final_cases_accept_nothing() {
        for s in CaseStatus::ALL.iter().filter(|s| s.is_final()) {
            assert!(s.apply(CaseAction::Withdraw).is_err());
            assert!(s.apply(CaseAction::Expire).is_err());
        }
    }

    #[test]
    fn a_referral_needs_both_sides() {
        let problems = check_parties(&[party(PartyRole::Claimant)]);
        assert_eq!(
            problems,
            vec![PartiesProblem::MissingSide(PartyRole::Respondent)]
        );
    }

    #[test]
    fn a_minor_party_needs_an_adult_guardian_or_representative() {
        let mut child = party(PartyRole::Claimant);
        child.is_minor = true;
        let base = vec![child, party(PartyRole::Respondent)];
        assert_eq!(
            check_parties(&base),
            vec![PartiesProblem::MinorWithoutGuardian]
        );

        let mut with_guardian = base.clone();
        with_guardian.push(party(PartyRole::Guardian));
        assert!(check_parties(&with_guardian).is_empty());

        let mut minor_guardian = party(PartyRole::Guardian);
        minor_guardian.is_minor = true;
        let mut with_minor_guardian = base;
        with_minor_guardian.push(minor_guardian);
        assert_eq!(
            check_parties(&with_minor_guardian),
            vec![
                PartiesProblem::MinorActingForOthers(2),
                PartiesProblem::MinorWithoutGuardian
            ]
        );
    }

    #[test]
    fn a_party_of_limited_capacity_cannot_be_referred() {
        let mut p = party(PartyRole::Respondent);
        p.legal_capacity = LegalCapacity::Limited;
        assert_eq!(
            check_parties(&[party(PartyRole::Claimant), p]),
            vec![PartiesProblem::Refused(
                1,
                ReferralRefusal::PartyLegalCapacity
            )]
        );
    }

    #[test]
    fn violence_means_separate_sessions_unless_the_clerk_overrides() {
        assert_eq!(default_session_format(true), SessionFormat::Separate);
        assert_eq!(default_session_format(false), SessionFormat::Joint);
        assert!(!joint_session_allowed(true, false));
        assert!(joint_session_allowed(true, true));
        assert!(joint_session_allowed(false, false));
    }

    #[test]
    fn with_violence_every_principal_party_must_confirm() {
        let parties = [
            (PartyRole::Claimant, true),
            (PartyRole::Respondent, false),
            (PartyRole::Interpreter, false),
        ];
        assert_eq!(awaiting_voluntary_confirmation(true, &parties), vec![1]);
        assert!(awaiting_voluntary_confirmation(false, &parties).is_empty());
    }

    #[test]
    fn case_numbers_are_courts_numbers_not_free_text() {
        assert_eq!(
            CaseNumber::parse(" 2-1234/2026 (a) ").map(|n| n.as_str().to_owned()),
            Ok("2-1234/2026 (a)".to_owned())
        );
        assert_eq!(
            CaseNumber::parse("7511-26-00-2/101").map(|n| n.as_str().to_owned()),
            Ok("7511-26-00-2/101".to_owned())
        );
        assert!(CaseNumber::parse("").is_err());
        assert!(CaseNumber::parse(&"1".repeat(41)).is_err());
        assert!(CaseNumber::parse("2-1234; DROP").is_err());
    }

    #[test]
    fn every_category_maps_to_the_specialty_of_the_same_name() {
        for c in CaseCategory::ALL {
            assert_eq!(c.specialty().as_str(), c.as_str());
        }
    }
}
