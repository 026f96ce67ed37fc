//! Outcomes of mediation: how it ended, the agreed terms, and the court's
//! decision on the agreement; and attendance of sessions, which decides
//! when an outcome may be recorded.
//!
//! Rules a newcomer must not break:
//! - A settlement (full or partial) needs at least one held session and at
//!   least one term; a withdrawal can be recorded at any time after a
//!   mediator accepted the case; other outcomes carry no terms.
//! - A version that left the draft status is frozen: nothing changes it any
//!   more. A correction after the court returned it is a new version.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::Language;
use super::mediator::string_enum;
use super::primitives::Reason;
use super::session::SessionStatus;
use crate::error::FieldError;

string_enum!(
    /// How mediation ended.
    OutcomeResult, "result" {
        Settled => "settled",
        PartiallySettled => "partially_settled",
        NotSettled => "not_settled",
        Withdrawn => "withdrawn",
    }
);

impl OutcomeResult {
    /// Whether the outcome is an agreement of the parties, with terms and a
    /// document to sign and register.
    pub fn is_agreement(self) -> bool {
        matches!(
            self,
            OutcomeResult::Settled | OutcomeResult::PartiallySettled
        )
    }
}

string_enum!(
    /// Where a version of an outcome stands.
    OutcomeStatus, "outcome status" {
        Draft => "draft",
        Submitted => "submitted",
        Registered => "registered",
        Returned => "returned",
    }
);

impl OutcomeStatus {
    /// Whether the version is frozen: submitted to the court, whatever the
    /// court decided since.
    pub fn is_frozen(self) -> bool {
        self != OutcomeStatus::Draft
    }
}

string_enum!(
    /// What the court decided about a submitted agreement.
    RegistrationDecision, "decision" {
        Registered => "registered",
        Returned => "returned",
    }
);

/// Most terms of one outcome (as the agreement document allows).
pub const MAX_TERMS: usize = 100;
/// Longest term, and longest text of what stays unresolved.
pub const MAX_TERM_CHARS: usize = 4_000;
/// Most line breaks in one term.
pub const MAX_TERM_LINE_BREAKS: usize = 60;
/// Longest place of signing.
pub const MAX_PLACE_CHARS: usize = 300;
/// Longest court registration number.
pub const MAX_REGISTRATION_NUMBER_CHARS: usize = 64;

/// One term as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermInput {
    pub text: String,
    pub due_date: Option<NaiveDate>,
    pub owed_by_party_id: Option<Uuid>,
}

/// An outcome as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeInput {
    pub result: OutcomeResult,
    pub terms: Vec<TermInput>,
    pub signed_on: NaiveDate,
    pub signed_at_place: String,
    /// For a partial settlement: what stays with the court.
    pub unresolved: Option<String>,
}

/// A checked term: its text trimmed, with Unix line ends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Term {
    pub text: String,
    pub due_date: Option<NaiveDate>,
    pub owed_by_party_id: Option<Uuid>,
}

/// A checked outcome, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: OutcomeResult,
    pub terms: Vec<Term>,
    pub signed_on: NaiveDate,
    pub signed_at_place: String,
    pub unresolved: Option<String>,
}

/// What the outcome rules look at in the case.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    /// Sessions of the case recorded as held.
    pub held_sessions: usize,
    /// Claimants and respondents: the only parties who can owe a term.
    pub principal_party_ids: &'a [Uuid],
    /// Today in the court's zone (Asia/Almaty for every court so far).
    pub today: NaiveDate,
}

/// Why an outcome was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeProblem {
    /// Fields with invalid values (a 422 naming each).
    Fields(Vec<FieldError>),
    /// The result is not possible yet: a settlement before any held session
    /// (a 422 on `result` with this reason code).
    ResultNotAllowed { code: &'static str, message: String },
}

/// Unix line ends, no surrounding white space.
fn multiline(raw: &str) -> String {
    raw.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_owned()
}

fn check_text(value: &str, max: usize, max_breaks: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    let count = value.chars().count();
    if count > max {
        return Err(format!(
            "must be at most {max} characters long (has {count})"
        ));
    }
    if value.matches('\n').count() > max_breaks {
        return Err(format!("must have at most {max_breaks} line breaks"));
    }
    if value.chars().any(|c| c != '\n' && c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

/// Checks an outcome against the rules above, naming every field that
/// breaks one (`terms[2].due_date`).
pub fn check(input: &OutcomeInput, facts: CaseFacts<'_>) -> Result<Outcome, OutcomeProblem> {
    if input.result.is_agreement() && facts.held_sessions == 0 {
        return Err(OutcomeProblem::ResultNotAllowed {
            code: "no_held_session",
            message: format!(
                "a {} outcome needs at least one session recorded as held; only a withdrawal \
                 can be recorded before",
                input.result
            ),
        });
    }
    let mut errors = Vec::new();
    let mut push = |field: String, message: String| errors.push(FieldError::new(field, message));

    if input.signed_on > facts.today {
        push(
            "signed_on".into(),
            format!("must not be in the future (today is {})", facts.today),
        );
    }
    let place = input.signed_at_place.trim().to_owned();
    if let Err(e) = check_text(&place, MAX_PLACE_CHARS, 0) {
        let e = if e.contains("line breaks") {
            "must be one line".to_owned()
        } else {
            e
        };
        push("signed_at_place".into(), e);
    }

    let terms: Vec<Term> = input
        .terms
        .iter()
        .map(|t| Term {
            text: multiline(&t.text),
            due_date: t.due_date,
            owed_by_party_id: t.owed_by_party_id,
        })
        .collect();
    if input.result.is_agreement() {
        if terms.is_empty() {
            push(
                "terms".into(),
                format!("a {} outcome needs at least one term", input.result),
            );
        }
    } else if !terms.is_empty() {
        push(
            "terms".into(),
            format!("a {} outcome has no terms", input.result),
        );
    }
    if terms.len() > MAX_TERMS {
        push(
            "terms".into(),
            format!("at most {MAX_TERMS} terms (has {})", terms.len()),
        );
    }
    for (i, t) in terms.iter().enumerate().take(MAX_TERMS) {
        if let Err(e) = check_text(&t.text, MAX_TERM_CHARS, MAX_TERM_LINE_BREAKS) {
            push(format!("terms[{i}].text"), e);
        }
        if let Some(due) = t.due_date
            && due < input.signed_on
        {
            push(
                format!("terms[{i}].due_date"),
                format!("must not be before the signing date ({})", input.signed_on),
            );
        }
        if let Some(p) = t.owed_by_party_id
            && !facts.principal_party_ids.contains(&p)
        {
            push(
                format!("terms[{i}].owed_by_party_id"),
                "must be a claimant or respondent of this case".into(),
            );
        }
    }

    let unresolved = match (input.result, input.unresolved.as_deref().map(multiline)) {
        (OutcomeResult::PartiallySettled, Some(text)) => {
            if let Err(e) = check_text(&text, MAX_TERM_CHARS, MAX_TERM_LINE_BREAKS) {
                push("unresolved".into(), e);
            }
            Some(text)
        }
        (OutcomeResult::PartiallySettled, None) => None,
        (_, Some(text)) if !text.is_empty() => {
            push(
                "unresolved".into(),
                "only a partial settlement leaves matters unresolved".into(),
            );
            None
        }
        (_, _) => None,
    };

    if !errors.is_empty() {
        return Err(OutcomeProblem::Fields(errors));
    }
    Ok(Outcome {
        result: input.result,
        terms,
        signed_on: input.signed_on,
        signed_at_place: place,
        unresolved,
    })
}

/// What a partial settlement leaves to the court when the mediator did not
/// say: the rest of the dispute, in the document's language.
pub fn default_unresolved(language: Language) -> &'static str {
    match language {
        Language::Kk => "Даудың осы келісімде реттелмеген қалған талаптары",
        Language::Ru => "Остальные требования по спору, не урегулированные настоящим соглашением",
        Language::En => "The remaining claims of the dispute not settled by this agreement",
    }
}

/// The court's decision, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    Registered { number: String },
    Returned { reason: Reason },
}

/// Checks a registration decision: registered needs the court's number,
/// returned needs a reason.
pub fn check_registration(
    decision: RegistrationDecision,
    number: Option<&str>,
    reason: Option<&str>,
) -> Result<Registration, Vec<FieldError>> {
    match decision {
        RegistrationDecision::Registered => {
            let number = number.map(str::trim).unwrap_or_default();
            let problem = if number.is_empty() {
                Some("is required when the agreement is registered".to_owned())
            } else if number.chars().count() > MAX_REGISTRATION_NUMBER_CHARS {
                Some(format!(
                    "must be at most {MAX_REGISTRATION_NUMBER_CHARS} characters long"
                ))
            } else if number.chars().any(char::is_control) {
                Some("must be one line without control characters".to_owned())
            } else {
                None
            };
            match problem {
                Some(m) => Err(vec![FieldError::new("court_registration_number", m)]),
                None => Ok(Registration::Registered {
                    number: number.to_owned(),
                }),
            }
        }
        RegistrationDecision::Returned => {
            let raw = reason.unwrap_or_default();
            match Reason::parse(raw) {
                Ok(reason) => Ok(Registration::Returned { reason }),
                Err(e) if raw.trim().is_empty() => Err(vec![FieldError::new(
                    "reason",
                    format!("is required when the agreement is returned ({e})"),
                )]),
                Err(e) => Err(vec![FieldError::new("reason", e)]),
            }
        }
    }
}

// ---- attendance --------------------------------------------------------------------

/// Why attendance cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendanceProblem {
    /// The session is not scheduled any more (cancelled, or recorded).
    NotScheduled(SessionStatus),
    /// The session has not started yet.
    NotStarted,
    /// Fields with invalid values.
    Fields(Vec<FieldError>),
}

/// Who attended a session: for each invited party, present or not.
pub fn check_attendance(
    status: SessionStatus,
    starts_at: DateTime<Utc>,
    at: DateTime<Utc>,
    invited: &[Uuid],
    present: &[Uuid],
) -> Result<Vec<(Uuid, bool)>, AttendanceProblem> {
    if status != SessionStatus::Scheduled {
        return Err(AttendanceProblem::NotScheduled(status));
    }
    if at < starts_at {
        return Err(AttendanceProblem::NotStarted);
    }
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, p) in present.iter().enumerate() {
        if !invited.contains(p) {
            errors.push(FieldError::new(
                format!("present_party_ids[{i}]"),
                "is not a party invited to this session",
            ));
        } else if !seen.insert(*p) {
            errors.push(FieldError::new(
                format!("present_party_ids[{i}]"),
                "is listed twice",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AttendanceProblem::Fields(errors));
    }
    Ok(invited.iter().map(|p| (*p, present.contains(p))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn input(result: OutcomeResult, terms: Vec<TermInput>) -> OutcomeInput {
        OutcomeInput {
            result,
            terms,
            signed_on: d(2026, 11, 30),
            signed_at_place: " Алматы ".into(),
            unresolved: None,
        }
    }

    fn term(text: &str) -> TermInput {
        TermInput {
            text: text.into(),
            due_date: None,
            owed_by_party_id: None,
        }
    }

    fn fields(p: OutcomeProblem) -> Vec<String> {
        match p {
            OutcomeProblem::Fields(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("expected fields, got {other:?}"),
        }
    }

    fn today() -> NaiveDate {
        d(2026, 11, 30)
    }

    #[test]
    fn a_settlement_needs_a_held_session_but_a_withdrawal_does_not() {
        let facts = CaseFacts {
            held_sessions: 0,
            principal_party_ids: &[],
            today: today(),
        };
        let settled = input(OutcomeResult::Settled, vec![term("Pays 100")]);
        assert!(matches!(
            check(&settled, facts),
            Err(OutcomeProblem::ResultNotAllowed {
                code: "no_held_session",
                ..
            })
        ));
        let withdrawn = input(OutcomeResult::Withdrawn, vec![]);
        let ok = check(&withdrawn, facts).expect("a withdrawal");
        assert_eq!(ok.signed_at_place, "Алматы");
    }

    #[test]
    fn bad_outcomes_name_every_field() {
        let owner = Uuid::from_u128(1);
        let facts = CaseFacts {
            held_sessions: 1,
            principal_party_ids: &[owner],
            today: today(),
        };
        assert_eq!(
            fields(check(&input(OutcomeResult::Settled, vec![]), facts).expect_err("refused")),
            ["terms"]
        );
        let mut bad = input(
            OutcomeResult::PartiallySettled,
            vec![
                TermInput {
                    due_date: Some(d(2026, 11, 29)),
                    owed_by_party_id: Some(Uuid::from_u128(2)),
                    ..term("x")
                },
                term(&"я".repeat(MAX_TERM_CHARS + 1)),
                term("  "),
            ],
        );
        bad.signed_on = d(2026, 12, 1);
        bad.signed_at_place = "a\nb".into();
        assert_eq!(
            fields(check(&bad, facts).expect_err("refused")),
            [
                "signed_on",
                "signed_at_place",
                "terms[0].due_date",
                "terms[0].owed_by_party_id",
                "terms[1].text",
                "terms[2].text"
            ]
        );
        let many = input(OutcomeResult::Settled, vec![term("t"); MAX_TERMS + 1]);
        assert_eq!(fields(check(&many, facts).expect_err("refused")), ["terms"]);
        let not_settled = input(OutcomeResult::NotSettled, vec![term("t")]);
        assert_eq!(
            fields(check(&not_settled, facts).expect_err("refused")),
            ["terms"]
        );
        let ok = input(
            OutcomeResult::Settled,
            vec![TermInput {
                due_date: Some(d(2026, 11, 30)),
                owed_by_party_id: Some(owner),
                ..term(" a\r\nb ")
            }],
        );
        assert_eq!(check(&ok, facts).expect("valid").terms[0].text, "a\nb");
    }

    #[test]
    fn registration_needs_a_number_and_a_return_needs_a_reason() {
        use RegistrationDecision as D;
        let field =
            |r: Result<Registration, Vec<FieldError>>| r.expect_err("refused")[0].field.clone();
        assert_eq!(
            field(check_registration(D::Registered, None, None)),
            "court_registration_number"
        );
        assert_eq!(field(check_registration(D::Returned, None, None)), "reason");
        assert_eq!(
            check_registration(D::Registered, Some(" 2-7/26 "), None),
            Ok(Registration::Registered {
                number: "2-7/26".into()
            })
        );
        assert!(check_registration(D::Returned, None, Some("Term 2 unclear")).is_ok());
    }

    #[test]
    fn attendance_is_for_started_scheduled_sessions_and_invited_parties() {
        let start = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1000);
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let invited = [a, b];
        assert_eq!(
            check_attendance(SessionStatus::Scheduled, start, start, &invited, &[a]),
            Ok(vec![(a, true), (b, false)])
        );
        assert_eq!(
            check_attendance(
                SessionStatus::Scheduled,
                start,
                start - chrono::Duration::seconds(1),
                &invited,
                &[a]
            ),
            Err(AttendanceProblem::NotStarted)
        );
        assert_eq!(
            check_attendance(SessionStatus::Held, start, start, &invited, &[a]),
            Err(AttendanceProblem::NotScheduled(SessionStatus::Held))
        );
        match check_attendance(SessionStatus::Scheduled, start, start, &invited, &[a, c, a]) {
            Err(AttendanceProblem::Fields(f)) => {
                let names: Vec<_> = f.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(names, ["present_party_ids[1]", "present_party_ids[2]"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_drafts_can_change() {
        assert!(!OutcomeStatus::Draft.is_frozen());
        for s in &OutcomeStatus::ALL[1..] {
            assert!(s.is_frozen());
        }
        assert!(OutcomeResult::PartiallySettled.is_agreement());
        assert!(!OutcomeResult::Withdrawn.is_agreement());
    }
}
