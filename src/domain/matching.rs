//! Matching: which mediators may take a case, and in which order to offer them.
//!
//! Given the facts of one case and of every mediator in the registry, [`rank`]
//! applies the hard rules of DESIGN.md ("Matching: who may mediate this case")
//! and returns the eligible mediators in a fixed order, each with its earliest
//! free slot and the parts of its score, plus every excluded mediator with all
//! the rules it fails, by stable code ([`Exclusion`]). [`check`] does the same
//! for one mediator, to refuse (409) the proposal of an ineligible one.
//!
//! Rules a newcomer must not break:
//!
//! - The hard rules are never optional. Parties who jointly choose a mediator
//!   override the *ranking*, never the rules: the caller must still pass their
//!   choice through [`check`] and refuse it on `Err`.
//! - The same request on the same data gives the same answer, whatever the
//!   order of the mediators in the input. The ranking is a total order that
//!   ends with the mediator id; keep it total if you add a criterion.
//! - This is pure code: no clock, no database, no threads. "Now" is
//!   [`MatchRequest::now`].
//! - `no_availability` is evaluated only for a mediator who passes every
//!   other rule: the slot search is the one costly rule, and ranking a
//!   national registry must stay in milliseconds. So an excluded mediator
//!   lists all its failing *cheap* rules, and `no_availability` appears only
//!   alone.
//! - The mediation deadline is a date in the court's zone; the last instant a
//!   session may end is the end of that local day ([`deadline_instant`]),
//!   never the end of the UTC day.

use std::borrow::Borrow;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::iin::IinBin;
use crate::domain::mediator::{MediatorStatus, Specialty};
use crate::domain::primitives::Language;
use crate::domain::slots::{Busy, Interval, SlotRules, WeeklyInterval, earliest_slot};

// ---- inputs ----------------------------------------------------------------

/// What matching needs to know about a case.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    /// The referring court.
    pub court_id: Uuid,
    /// The case category (civil, family, labour, commercial, administrative,
    /// criminal-minor) as the specialty a mediator must have.
    pub category: Specialty,
    /// Minors are involved: the mediator needs [`Specialty::Juvenile`].
    pub minors_involved: bool,
    /// Violence was reported: the mediator needs
    /// [`Specialty::DomesticViolence`].
    pub violence_reported: bool,
    /// The case has an interpreter, so the language rule does not apply.
    pub interpreter_needed: bool,
    /// The last day of mediation, in the court's zone.
    pub mediation_deadline: NaiveDate,
    /// The court's zone, in which `mediation_deadline` is read.
    pub court_tz: Tz,
    pub parties: Vec<PartyFacts>,
}

/// What matching needs to know about a party of the case.
#[derive(Debug, Clone)]
pub struct PartyFacts {
    pub name: String,
    pub iin_bin: Option<IinBin>,
    pub language: Language,
    pub email: String,
}

/// A conflict of interest a mediator declared: a person or organisation they
/// may not mediate for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// By identification number: matches a party with the same IIN/BIN.
    IinBin(IinBin),
    /// By name: matches a party whose name is the same once surrounding
    /// spaces are trimmed and letters lowercased (Unicode, so Cyrillic and
    /// Kazakh letters too). No other folding: "Ё" and "Е" differ.
    Name(String),
}

/// A mediator's availability, as the slot engine takes it.
#[derive(Debug, Clone)]
pub struct MediatorCalendar {
    /// The mediator's own zone, in which `weekly` is read.
    pub tz: Tz,
    pub weekly: Vec<WeeklyInterval>,
    /// Time off, booked sessions and busy blocks, already merged.
    pub busy: Busy,
    /// Local dates with no sessions at all (holidays, court closures).
    pub closed_days: Vec<NaiveDate>,
}

/// What matching needs to know about a mediator.
#[derive(Debug, Clone)]
pub struct MediatorFacts {
    /// Unique in the registry: the last tie-break of the ranking.
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub registry_number: String,
    pub status: MediatorStatus,
    /// The last day the certification is valid.
    pub certified_until: NaiveDate,
    pub specialties: Vec<Specialty>,
    pub languages: Vec<Language>,
    pub court_ids: Vec<Uuid>,
    pub max_active_cases: i32,
    pub active_cases: i32,
    pub assignments_last_90_days: i32,
    pub conflicts: Vec<Conflict>,
    pub calendar: MediatorCalendar,
}

/// The request: when it is asked, and what kind of session is to be held.
#[derive(Debug, Clone)]
pub struct MatchRequest {
    /// Slots are searched from here on.
    pub now: DateTime<Utc>,
    /// Length, grid and buffer of the first session.
    pub rules: SlotRules,
}

// ---- outputs ---------------------------------------------------------------

/// The eligible mediators in ranking order, and the excluded ones with why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MatchResult {
    /// Best first; see [`rank`] for the order.
    pub candidates: Vec<Candidate>,
    /// Sorted by registry number, then id.
    pub excluded: Vec<Excluded>,
}

/// An eligible mediator.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Candidate {
    pub mediator_id: Uuid,
    pub name: String,
    pub registry_number: String,
    /// The first free slot of the requested length, in UTC.
    #[schema(schema_with = interval_schema)]
    pub earliest_slot: Interval,
    /// Lower is better, and never decreases down the list: the parts of
    /// [`ScoreParts`] written side by side as decimal digits, `MMM…MCCCAAAA`
    /// — minutes until the earliest slot, then active cases (3 digits, capped
    /// at 999), then assignments in the last 90 days (4 digits, capped at
    /// 9,999). So `14400030017` is a slot in 1,440 minutes, 3 active cases
    /// and 17 recent assignments. Equal scores are ordered by registry
    /// number, then id. Exact in a JSON double for slots up to ~1,700 years
    /// ahead.
    pub score: i64,
    pub score_parts: ScoreParts,
}

/// The ranking criteria of a candidate, each as it was compared.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScoreParts {
    /// Whole minutes from the request's `now` to the start of the earliest
    /// slot (the first, most significant part of the score).
    pub earliest_slot_minutes: i64,
    /// The same in whole hours, for display.
    pub earliest_slot_hours: i64,
    /// Current caseload: lighter first.
    pub active_cases: i32,
    /// Fair rotation: fewer recent assignments first.
    pub assignments_last_90_days: i32,
}

/// A mediator who may not take the case, with every rule they fail.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Excluded {
    pub mediator_id: Uuid,
    pub name: String,
    pub registry_number: String,
    /// In the order of [`Exclusion::ALL`], never empty. `no_availability`
    /// appears only alone (see the module documentation).
    pub reasons: Vec<Exclusion>,
}

/// A hard rule a mediator fails, by stable code (DESIGN.md, "Matching").
///
/// The codes are part of the API: clients match on them, so never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Status is not active.
    Inactive,
    /// Certification ends before the mediation deadline.
    CertificationExpired,
    /// Lacks the case category, or `juvenile` when minors are involved, or
    /// `domestic_violence` when violence was reported.
    Specialty,
    /// Does not speak some party's language, and there is no interpreter.
    Language,
    /// Does not serve the referring court.
    Court,
    /// A declared conflict names a party, or the mediator is a party.
    ConflictOfInterest,
    /// Active cases at (or above) the mediator's maximum.
    Capacity,
    /// No free slot of the requested length before the deadline.
    NoAvailability,
}

impl Exclusion {
    /// Every code, in the order reasons are listed.
    pub const ALL: [Exclusion; 8] = [
        Exclusion::Inactive,
        Exclusion::CertificationExpired,
        Exclusion::Specialty,
        Exclusion::Language,
        Exclusion::Court,
        Exclusion::ConflictOfInterest,
        Exclusion::Capacity,
        Exclusion::NoAvailability,
    ];

    /// The stable code, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::Inactive => "inactive",
            Exclusion::CertificationExpired => "certification_expired",
            Exclusion::Specialty => "specialty",
            Exclusion::Language => "language",
            Exclusion::Court => "court",
            Exclusion::ConflictOfInterest => "conflict_of_interest",
            Exclusion::Capacity => "capacity",
            Exclusion::NoAvailability => "no_availability",
        }
    }

    /// The bit of this code in a [`Reasons`] set; its position in
    /// [`Exclusion::ALL`].
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Interval` belongs to the slot engine and has no OpenAPI schema of its
/// own, so the shape it serialises to is described here: `{ "start": …,
/// "end": … }`, both RFC 3339 instants in UTC.
fn interval_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let instant = |what: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(what))
            .build()
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("A half-open span [start, end) in UTC."))
        .property("start", instant("First instant of the slot."))
        .required("start")
        .property("end", instant("First instant after the slot."))
        .required("end")
        .build()
}

// ---- the rules -------------------------------------------------------------

/// The instant the mediation deadline ends: the start of the local day after
/// `deadline` in the court's zone. A session must end at or before it.
///
/// When that local midnight happens twice (clocks set back) the first one
/// counts; when it does not exist (clocks set forward at midnight) the first
/// local minute that does exist counts.
pub fn deadline_instant(deadline: NaiveDate, court_tz: Tz) -> DateTime<Utc> {
    let Some(next_day) = deadline.succ_opt() else {
        return DateTime::<Utc>::MAX_UTC;
    };
    let midnight = next_day.and_time(NaiveTime::MIN);
    // Gaps are an hour, rarely two, in the tz database; a day covers any.
    (0..=1440)
        .find_map(|minute| {
            let local = midnight.checked_add_signed(Duration::minutes(minute))?;
            court_tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        })
        // A zone with a whole missing day has never existed; reading the
        // midnight as UTC still gives an answer near the right one.
        .unwrap_or_else(|| midnight.and_utc())
}

/// A set of exclusions as bits, so that checking the rules allocates
/// nothing; turned into a list only for the excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Reasons(u8);

impl Reasons {
    fn add(&mut self, e: Exclusion) {
        self.0 |= e.bit();
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// In the order of [`Exclusion::ALL`].
    fn to_vec(self) -> Vec<Exclusion> {
        Exclusion::ALL
            .into_iter()
            .filter(|e| self.0 & e.bit() != 0)
            .collect()
    }
}

fn language_bit(language: Language) -> u8 {
    match language {
        Language::Kk => 1,
        Language::Ru => 2,
        Language::En => 4,
    }
}

/// Letters lowercased one by one (not `str::to_lowercase`), so that both
/// sides of a comparison go through exactly the same mapping and the
/// mediator's side needs no allocation.
fn lowered(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// The parties' names (or emails), trimmed and lowercased, to compare a
/// mediator's texts against without allocating.
struct TextSet {
    /// Each text with its first letter, which rejects almost every
    /// comparison after a single case mapping of the mediator's text. Blank
    /// texts are left out: a missing name or email must not make everyone a
    /// party.
    texts: Vec<(char, String)>,
}

impl TextSet {
    fn new<'t>(texts: impl Iterator<Item = &'t str>) -> Self {
        Self {
            texts: texts
                .filter_map(|t| {
                    let text: String = lowered(t.trim()).collect();
                    Some((text.chars().next()?, text))
                })
                .collect(),
        }
    }

    /// Whether `raw`, trimmed and lowercased, is one of the texts.
    fn contains(&self, raw: &str) -> bool {
        let trimmed = raw.trim_start();
        let Some(first) = lowered(trimmed).next() else {
            return false;
        };
        self.texts
            .iter()
            .any(|(f, text)| *f == first && lowered(trimmed.trim_end()).eq(text.chars()))
    }
}

/// The case, prepared once per request so that each mediator costs only
/// comparisons.
struct CaseView<'a> {
    case: &'a CaseFacts,
    /// Languages every mediator must speak (bits of [`language_bit`]); none
    /// with an interpreter.
    languages_needed: u8,
    party_names: TextSet,
    party_emails: TextSet,
    deadline_end: DateTime<Utc>,
}

impl<'a> CaseView<'a> {
    fn new(case: &'a CaseFacts) -> Self {
        let languages_needed = if case.interpreter_needed {
            0
        } else {
            case.parties
                .iter()
                .fold(0, |bits, p| bits | language_bit(p.language))
        };
        Self {
            case,
            languages_needed,
            party_names: TextSet::new(case.parties.iter().map(|p| p.name.as_str())),
            party_emails: TextSet::new(case.parties.iter().map(|p| p.email.as_str())),
            deadline_end: deadline_instant(case.mediation_deadline, case.court_tz),
        }
    }

    /// Every rule but `no_availability`.
    fn cheap_reasons(&self, m: &MediatorFacts) -> Reasons {
        let case = self.case;
        let mut reasons = Reasons::default();
        if m.status != MediatorStatus::Active {
            reasons.add(Exclusion::Inactive);
        }
        if m.certified_until < case.mediation_deadline {
            reasons.add(Exclusion::CertificationExpired);
        }
        let has = |s: Specialty| m.specialties.contains(&s);
        if !has(case.category)
            || (case.minors_involved && !has(Specialty::Juvenile))
            || (case.violence_reported && !has(Specialty::DomesticViolence))
        {
            reasons.add(Exclusion::Specialty);
        }
        let spoken = m
            .languages
            .iter()
            .fold(0, |bits, l| bits | language_bit(*l));
        if self.languages_needed & !spoken != 0 {
            reasons.add(Exclusion::Language);
        }
        if !m.court_ids.contains(&case.court_id) {
            reasons.add(Exclusion::Court);
        }
        if self.conflicted(m) {
            reasons.add(Exclusion::ConflictOfInterest);
        }
        if m.active_cases >= m.max_active_cases {
            reasons.add(Exclusion::Capacity);
        }
        reasons
    }

    fn conflicted(&self, m: &MediatorFacts) -> bool {
        let declared = m.conflicts.iter().any(|c| match c {
            Conflict::IinBin(number) => self
                .case
                .parties
                .iter()
                .any(|p| p.iin_bin.as_ref() == Some(number)),
            Conflict::Name(name) => self.party_names.contains(name),
        });
        let is_a_party = self.party_emails.contains(&m.email) || self.party_names.contains(&m.name);
        declared || is_a_party
    }

    /// All the rules; the slot search only when everything else passed.
    fn evaluate(&self, m: &MediatorFacts, request: &MatchRequest) -> Result<Interval, Reasons> {
        let mut reasons = self.cheap_reasons(m);
        if !reasons.is_empty() {
            return Err(reasons);
        }
        let cal = &m.calendar;
        let from = search_start(&cal.busy, request.now);
        if from < self.deadline_end
            && let Some(slot) = earliest_slot(
                cal.tz,
                &cal.weekly,
                &cal.busy,
                &cal.closed_days,
                from,
                self.deadline_end,
                &request.rules,
            )
        {
            return Ok(slot);
        }
        reasons.add(Exclusion::NoAvailability);
        Err(reasons)
    }
}

/// Where the slot search may start: `now`, or the end of the time off or
/// busy block under way at `now`.
///
/// No slot can start inside such a block (they get no buffer), so the answer
/// is the same; but the slot engine walks the range day by day, and a
/// mediator on leave until after the deadline would otherwise cost a walk
/// through every day of it, dozens of times the cost of anyone else. The
/// blocks are merged (touching ones joined), so the block after this one
/// starts strictly later and one step is enough.
fn search_start(busy: &Busy, now: DateTime<Utc>) -> DateTime<Utc> {
    let fixed = busy.fixed();
    match fixed.get(fixed.partition_point(|b| b.end <= now)) {
        Some(block) if block.start <= now => block.end,
        _ => now,
    }
}

// ---- the entry points ------------------------------------------------------

/// Checks one mediator against every hard rule: their earliest free slot
/// before the deadline, or every rule they fail (in the order of
/// [`Exclusion::ALL`]; `no_availability` only if all the others pass).
///
/// This is what refuses a proposed mediator, including one the parties chose
/// jointly: their choice overrides the ranking, never these rules.
pub fn check(
    case: &CaseFacts,
    mediator: &MediatorFacts,
    request: &MatchRequest,
) -> Result<Interval, Vec<Exclusion>> {
    CaseView::new(case)
        .evaluate(mediator, request)
        .map_err(Reasons::to_vec)
}

/// Ranks the mediators for a case.
///
/// Every mediator ends up in exactly one of the two lists. Candidates are
/// ordered by earliest slot start, then active cases, then assignments in
/// the last 90 days (all ascending), then registry number (as a string),
/// then id, so the order is total and does not depend on the input order.
/// Excluded mediators are ordered by registry number, then id.
///
/// Single-threaded and allocation-light: the case is prepared once, the
/// cheap rules run on every mediator without allocating, and the slot search
/// runs only for those who passed them.
///
/// The mediators may be owned or borrowed (`Cow`, `&MediatorFacts`), so that
/// a caller holding the registry in memory passes it without copying.
pub fn rank<M: Borrow<MediatorFacts>>(
    case: &CaseFacts,
    mediators: &[M],
    request: &MatchRequest,
) -> MatchResult {
    let view = CaseView::new(case);

    // The output records are built while each mediator's data is in cache,
    // and only small keys are sorted: sorting the records themselves, or
    // sorting references and reading the mediators afterwards, jumps all
    // over the heap and costs more than everything else but the slot search.
    let mut candidates: Vec<Option<Candidate>> = Vec::with_capacity(mediators.len());
    let mut candidate_keys: Vec<(CandidateKey<'_>, usize)> = Vec::with_capacity(mediators.len());
    let mut excluded: Vec<Option<Excluded>> = Vec::new();
    let mut excluded_keys: Vec<(RegistryKey<'_>, usize)> = Vec::new();
    for m in mediators {
        let m: &MediatorFacts = m.borrow();
        match view.evaluate(m, request) {
            Ok(slot) => {
                let key = (
                    slot.start,
                    m.active_cases,
                    m.assignments_last_90_days,
                    registry_key(m),
                );
                candidate_keys.push((key, candidates.len()));
                candidates.push(Some(candidate(m, slot, request.now)));
            }
            Err(reasons) => {
                excluded_keys.push((registry_key(m), excluded.len()));
                excluded.push(Some(Excluded {
                    mediator_id: m.id,
                    name: m.name.clone(),
                    registry_number: m.registry_number.clone(),
                    reasons: reasons.to_vec(),
                }));
            }
        }
    }

    // Unstable sorts are fine: both keys end with the id, so two distinct
    // mediators never tie and the position after the key is never reached.
    candidate_keys.sort_unstable();
    excluded_keys.sort_unstable();

    MatchResult {
        candidates: in_key_order(&candidate_keys, candidates),
        excluded: in_key_order(&excluded_keys, excluded),
    }
}

/// Registry number then id: the end of both orders. The first eight bytes
/// of the registry number come first as one integer, so that most
/// comparisons never read the string; padding with zero bytes keeps that
/// consistent with comparing the strings (a shorter string is smaller than
/// any longer one it begins).
type RegistryKey<'m> = (u64, &'m str, Uuid);

/// Earliest slot start, active cases, recent assignments, then the
/// registry key: the ranking order of [`rank`].
type CandidateKey<'m> = (DateTime<Utc>, i32, i32, RegistryKey<'m>);

fn registry_key(m: &MediatorFacts) -> RegistryKey<'_> {
    let mut prefix = [0u8; 8];
    for (to, from) in prefix.iter_mut().zip(m.registry_number.as_bytes()) {
        *to = *from;
    }
    (u64::from_be_bytes(prefix), m.registry_number.as_str(), m.id)
}

/// Moves the records out in the order of the sorted keys.
fn in_key_order<K, T>(keys: &[(K, usize)], mut records: Vec<Option<T>>) -> Vec<T> {
    keys.iter()
        .filter_map(|(_, i)| records.get_mut(*i).and_then(Option::take))
        .collect()
}

/// Width of the active-cases part of the score (3 decimal digits).
const ACTIVE_CASES_SPAN: i64 = 1_000;
/// Width of the assignments part of the score (4 decimal digits).
const ASSIGNMENTS_SPAN: i64 = 10_000;

fn candidate(m: &MediatorFacts, slot: Interval, now: DateTime<Utc>) -> Candidate {
    let until = slot.start - now;
    let parts = ScoreParts {
        // The slot search starts at `now`, so this is never negative.
        earliest_slot_minutes: until.num_minutes().max(0),
        earliest_slot_hours: until.num_hours().max(0),
        active_cases: m.active_cases,
        assignments_last_90_days: m.assignments_last_90_days,
    };
    Candidate {
        mediator_id: m.id,
        name: m.name.clone(),
        registry_number: m.registry_number.clone(),
        earliest_slot: slot,
        score: score(&parts),
        score_parts: parts,
    }
}

/// The parts side by side as digits (see [`Candidate::score`]). Capping and
/// saturating are monotone and each lower part stays below the unit of the
/// part above, so a candidate ranked later never has a lower score; a cap
/// can only turn a difference into a tie, which the order then breaks.
fn score(parts: &ScoreParts) -> i64 {
    let active = i64::from(parts.active_cases).clamp(0, ACTIVE_CASES_SPAN - 1);
    let assignments = i64::from(parts.assignments_last_90_days).clamp(0, ASSIGNMENTS_SPAN - 1);
    parts
        .earliest_slot_minutes
        .saturating_mul(ACTIVE_CASES_SPAN * ASSIGNMENTS_SPAN)
        .saturating_add(active * ASSIGNMENTS_SPAN)
        .saturating_add(assignments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::slots::parse_weekly;

    const COURT: Uuid = Uuid::from_u128(0xC0);
    const OTHER_COURT: Uuid = Uuid::from_u128(0xC1);

    fn utc(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn date(iso: &str) -> NaiveDate {
        iso.parse().expect("test date")
    }

    fn span(start: &str, end: &str) -> Interval {
        Interval::new(utc(start), utc(end))
    }

    fn iin(raw: &str) -> IinBin {
        IinBin::parse(raw).expect("test IIN")
    }

    fn weekdays_nine_to_six() -> Vec<WeeklyInterval> {
        parse_weekly(&[
            (1, "09:00", "18:00"),
            (2, "09:00", "18:00"),
            (3, "09:00", "18:00"),
            (4, "09:00", "18:00"),
            (5, "09:00", "18:00"),
        ])
        .expect("valid weekly hours")
    }

    /// Monday 6 January 2025, 05:00 in Almaty (UTC+5).
    fn request() -> MatchRequest {
        MatchRequest {
            now: utc("2025-01-06T00:00:00Z"),
            rules: SlotRules::new(Duration::minutes(60)),
        }
    }

    /// A family case in an Almaty court, deadline Friday 31 January 2025,
    /// two parties speaking Kazakh and Russian.
    fn case() -> CaseFacts {
        CaseFacts {
            court_id: COURT,
            category: Specialty::Family,
            minors_involved: false,
            violence_reported: false,
            interpreter_needed: false,
            mediation_deadline: date("2025-01-31"),
            court_tz: chrono_tz::Asia::Almaty,
            parties: vec![
                PartyFacts {
                    name: "Айгерім Серікқызы".into(),
                    iin_bin: Some(iin("900101300126")),
                    language: Language::Kk,
                    email: "aigerim@example.kz".into(),
                },
                PartyFacts {
                    name: "ТОО «Дала Строй»".into(),
                    iin_bin: Some(iin("850712400320")),
                    language: Language::Ru,
                    email: "office@dala.kz".into(),
                },
            ],
        }
    }

    /// A mediator who passes every rule of [`case`], free on weekdays
    /// 09:00–18:00 in Almaty, so their earliest slot is Monday 04:00Z.
    fn mediator(n: u128) -> MediatorFacts {
        MediatorFacts {
            id: Uuid::from_u128(n),
            name: format!("Mediator {n}"),
            email: format!("m{n}@mediators.kz"),
            registry_number: format!("M-{n:04}"),
            status: MediatorStatus::Active,
            certified_until: date("2026-12-31"),
            specialties: vec![Specialty::Family, Specialty::Civil],
            languages: vec![Language::Kk, Language::Ru],
            court_ids: vec![OTHER_COURT, COURT],
            max_active_cases: 10,
            active_cases: 2,
            assignments_last_90_days: 5,
            conflicts: vec![],
            calendar: MediatorCalendar {
                tz: chrono_tz::Asia::Almaty,
                weekly: weekdays_nine_to_six(),
                busy: Busy::default(),
                closed_days: vec![],
            },
        }
    }

    fn reasons_of(m: &MediatorFacts) -> Vec<Exclusion> {
        reasons_for(&case(), m)
    }

    fn reasons_for(case: &CaseFacts, m: &MediatorFacts) -> Vec<Exclusion> {
        match check(case, m, &request()) {
            Ok(slot) => panic!("expected an exclusion, got the slot {slot:?}"),
            Err(reasons) => reasons,
        }
    }

    fn is_eligible(case: &CaseFacts, m: &MediatorFacts) -> bool {
        check(case, m, &request()).is_ok()
    }

    fn order(result: &MatchResult) -> Vec<&str> {
        result
            .candidates
            .iter()
            .map(|c| c.registry_number.as_str())
            .collect()
    }

    // ---- one code each -------------------------------------------------------

    #[test]
    fn the_base_mediator_is_eligible_from_nine_on_monday_in_almaty() {
        let slot = check(&case(), &mediator(1), &request());
        assert_eq!(
            slot,
            Ok(span("2025-01-06T04:00:00Z", "2025-01-06T05:00:00Z"))
        );
    }

    #[test]
    fn a_suspended_or_retired_mediator_is_inactive() {
        for status in [MediatorStatus::Suspended, MediatorStatus::Retired] {
            let m = MediatorFacts {
                status,
                ..mediator(1)
            };
            assert_eq!(reasons_of(&m), [Exclusion::Inactive], "{status}");
        }
    }

    #[test]
    fn certification_ending_the_day_before_the_deadline_is_expired() {
        let m = MediatorFacts {
            certified_until: date("2025-01-30"),
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::CertificationExpired]);
    }

    #[test]
    fn certification_ending_on_the_deadline_day_is_fine() {
        let m = MediatorFacts {
            certified_until: date("2025-01-31"),
            ..mediator(1)
        };
        assert!(is_eligible(&case(), &m));
    }

    #[test]
    fn a_mediator_without_the_case_category_fails_specialty() {
        let m = MediatorFacts {
            specialties: vec![Specialty::Civil, Specialty::Juvenile],
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::Specialty]);
    }

    #[test]
    fn minors_involved_need_juvenile_training() {
        let with_minors = CaseFacts {
            minors_involved: true,
            ..case()
        };
        assert_eq!(
            reasons_for(&with_minors, &mediator(1)),
            [Exclusion::Specialty]
        );
        let trained = MediatorFacts {
            specialties: vec![Specialty::Family, Specialty::Juvenile],
            ..mediator(1)
        };
        assert!(is_eligible(&with_minors, &trained));
    }

    #[test]
    fn reported_violence_needs_domestic_violence_training() {
        let with_violence = CaseFacts {
            violence_reported: true,
            ..case()
        };
        assert_eq!(
            reasons_for(&with_violence, &mediator(1)),
            [Exclusion::Specialty]
        );
        let trained = MediatorFacts {
            specialties: vec![Specialty::Family, Specialty::DomesticViolence],
            ..mediator(1)
        };
        assert!(is_eligible(&with_violence, &trained));
        // Juvenile training does not stand in for it.
        let wrong_training = MediatorFacts {
            specialties: vec![Specialty::Family, Specialty::Juvenile],
            ..mediator(1)
        };
        assert_eq!(
            reasons_for(&with_violence, &wrong_training),
            [Exclusion::Specialty]
        );
    }

    #[test]
    fn a_mediator_lacking_one_partys_language_fails_language() {
        let m = MediatorFacts {
            languages: vec![Language::Ru, Language::En],
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::Language]);
    }

    #[test]
    fn an_interpreter_lifts_the_language_rule() {
        let m = MediatorFacts {
            languages: vec![Language::En],
            ..mediator(1)
        };
        let interpreted = CaseFacts {
            interpreter_needed: true,
            ..case()
        };
        assert!(is_eligible(&interpreted, &m));
    }

    #[test]
    fn a_mediator_not_serving_the_court_fails_court() {
        let m = MediatorFacts {
            court_ids: vec![OTHER_COURT],
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::Court]);
    }

    #[test]
    fn a_declared_conflict_with_a_partys_iin_bin_is_a_conflict_of_interest() {
        let m = MediatorFacts {
            conflicts: vec![Conflict::IinBin(iin("850712400320"))],
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::ConflictOfInterest]);
        let unrelated = MediatorFacts {
            conflicts: vec![Conflict::IinBin(iin("190401400013"))],
            ..mediator(1)
        };
        assert!(is_eligible(&case(), &unrelated));
    }

    #[test]
    fn a_declared_conflict_matches_a_cyrillic_name_whatever_its_case_and_spaces() {
        let m = MediatorFacts {
            conflicts: vec![Conflict::Name("  АЙГЕРІМ СЕРІКҚЫЗЫ ".into())],
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::ConflictOfInterest]);
        // Exact name: a different letter is a different person.
        let other = MediatorFacts {
            conflicts: vec![Conflict::Name("Айгерим Серикқызы".into())],
            ..mediator(1)
        };
        assert!(is_eligible(&case(), &other));
    }

    #[test]
    fn a_mediator_who_is_a_party_by_email_or_name_is_a_conflict_of_interest() {
        let by_email = MediatorFacts {
            email: "Office@DALA.kz".into(),
            ..mediator(1)
        };
        assert_eq!(reasons_of(&by_email), [Exclusion::ConflictOfInterest]);
        let by_name = MediatorFacts {
            name: "айгерім серікқызы".into(),
            ..mediator(1)
        };
        assert_eq!(reasons_of(&by_name), [Exclusion::ConflictOfInterest]);
    }

    #[test]
    fn a_blank_party_email_or_name_makes_no_one_a_party() {
        let mut blank = case();
        blank.parties[0].email = "  ".into();
        blank.parties[1].name = String::new();
        let m = MediatorFacts {
            email: String::new(),
            name: " ".into(),
            conflicts: vec![Conflict::Name(String::new())],
            ..mediator(1)
        };
        assert!(is_eligible(&blank, &m));
    }

    #[test]
    fn capacity_excludes_at_the_maximum_and_allows_one_below() {
        let full = MediatorFacts {
            max_active_cases: 4,
            active_cases: 4,
            ..mediator(1)
        };
        assert_eq!(reasons_of(&full), [Exclusion::Capacity]);
        let one_free = MediatorFacts {
            max_active_cases: 4,
            active_cases: 3,
            ..mediator(1)
        };
        assert!(is_eligible(&case(), &one_free));
    }

    #[test]
    fn no_availability_when_the_only_free_hours_are_after_the_deadline() {
        let m = MediatorFacts {
            calendar: MediatorCalendar {
                // Booked solid until the end of February.
                busy: Busy::new(
                    vec![span("2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z")],
                    vec![],
                    vec![],
                ),
                ..mediator(1).calendar
            },
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::NoAvailability]);
        let later_deadline = CaseFacts {
            mediation_deadline: date("2025-03-31"),
            ..case()
        };
        assert_eq!(
            check(&later_deadline, &m, &request()),
            Ok(span("2025-03-03T04:00:00Z", "2025-03-03T05:00:00Z"))
        );
    }

    #[test]
    fn a_mediator_with_no_weekly_hours_has_no_availability() {
        let m = MediatorFacts {
            calendar: MediatorCalendar {
                weekly: vec![],
                ..mediator(1).calendar
            },
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::NoAvailability]);
    }

    #[test]
    fn a_deadline_already_past_leaves_no_one_available() {
        // Sunday 5 January ended at 19:00Z in Almaty, before `now`.
        let past = CaseFacts {
            mediation_deadline: date("2025-01-05"),
            ..case()
        };
        let result = rank(&past, &[mediator(1), mediator(2)], &request());
        assert!(result.candidates.is_empty());
        for e in &result.excluded {
            assert_eq!(e.reasons, [Exclusion::NoAvailability]);
        }
        // A deadline of today still leaves today's hours.
        let today = CaseFacts {
            mediation_deadline: date("2025-01-06"),
            ..case()
        };
        assert!(is_eligible(&today, &mediator(1)));
    }

    #[test]
    fn the_deadline_ends_at_midnight_in_the_courts_zone() {
        assert_eq!(
            deadline_instant(date("2025-01-10"), chrono_tz::Asia::Almaty),
            utc("2025-01-10T19:00:00Z")
        );
        // Before 1 March 2024 Almaty was UTC+6.
        assert_eq!(
            deadline_instant(date("2024-02-01"), chrono_tz::Asia::Almaty),
            utc("2024-02-01T18:00:00Z")
        );
    }

    #[test]
    fn a_session_must_end_by_midnight_in_an_almaty_court_not_by_midnight_utc() {
        // The case must be mediated by Friday 10 January in Almaty (UTC+5),
        // which ends at 19:00Z. The mediator keeps UTC hours 18:00–20:00 on
        // Fridays.
        let almaty_case = CaseFacts {
            mediation_deadline: date("2025-01-10"),
            ..case()
        };
        let evening = |busy: Busy| MediatorFacts {
            calendar: MediatorCalendar {
                tz: chrono_tz::UTC,
                weekly: parse_weekly(&[(5, "18:00", "20:00")]).expect("valid weekly hours"),
                busy,
                closed_days: vec![],
            },
            ..mediator(1)
        };
        // A slot ending exactly at the deadline instant fits.
        assert_eq!(
            check(&almaty_case, &evening(Busy::default()), &request()),
            Ok(span("2025-01-10T18:00:00Z", "2025-01-10T19:00:00Z"))
        );
        // Once it is taken, the next one would end after local midnight.
        let taken = Busy::new(
            vec![],
            vec![span("2025-01-10T18:00:00Z", "2025-01-10T18:15:00Z")],
            vec![],
        );
        assert_eq!(
            reasons_for(&almaty_case, &evening(taken)),
            [Exclusion::NoAvailability]
        );
    }

    // ---- several reasons -----------------------------------------------------

    #[test]
    fn every_failing_rule_is_listed_in_the_order_of_the_codes() {
        let m = MediatorFacts {
            status: MediatorStatus::Retired,
            certified_until: date("2024-12-31"),
            specialties: vec![Specialty::Labour],
            languages: vec![Language::En],
            court_ids: vec![],
            conflicts: vec![Conflict::Name("ТОО «ДАЛА СТРОЙ»".into())],
            max_active_cases: 1,
            active_cases: 1,
            ..mediator(1)
        };
        let all_but_availability = &Exclusion::ALL[..Exclusion::ALL.len() - 1];
        assert_eq!(reasons_of(&m), all_but_availability);
    }

    #[test]
    fn no_availability_is_not_searched_for_a_mediator_already_excluded() {
        let m = MediatorFacts {
            court_ids: vec![],
            calendar: MediatorCalendar {
                weekly: vec![],
                ..mediator(1).calendar
            },
            ..mediator(1)
        };
        assert_eq!(reasons_of(&m), [Exclusion::Court]);
    }

    // ---- ranking -------------------------------------------------------------

    /// Scores never decrease down the list, and each agrees with its parts.
    fn assert_scores_follow_the_order(result: &MatchResult) {
        for pair in result.candidates.windows(2) {
            assert!(pair[0].score <= pair[1].score, "{pair:?}");
        }
        for c in &result.candidates {
            assert_eq!(c.score, score(&c.score_parts));
        }
    }

    fn booked(m: MediatorFacts, sessions: Vec<Interval>) -> MediatorFacts {
        MediatorFacts {
            calendar: MediatorCalendar {
                busy: Busy::new(vec![], sessions, vec![]),
                ..m.calendar
            },
            ..m
        }
    }

    #[test]
    fn an_earlier_slot_ranks_first_whatever_the_caseload() {
        let busy_morning = booked(
            MediatorFacts {
                active_cases: 0,
                assignments_last_90_days: 0,
                ..mediator(1)
            },
            vec![span("2025-01-06T04:00:00Z", "2025-01-06T06:00:00Z")],
        );
        let free = MediatorFacts {
            active_cases: 9,
            assignments_last_90_days: 40,
            ..mediator(2)
        };
        let result = rank(&case(), &[busy_morning, free], &request());
        assert_eq!(order(&result), ["M-0002", "M-0001"]);
        let parts: Vec<(i64, i64)> = result
            .candidates
            .iter()
            .map(|c| {
                (
                    c.score_parts.earliest_slot_minutes,
                    c.score_parts.earliest_slot_hours,
                )
            })
            .collect();
        assert_eq!(parts, [(240, 4), (360, 6)]);
        assert_scores_follow_the_order(&result);
    }

    #[test]
    fn with_equal_slots_the_lighter_caseload_ranks_first() {
        let heavy = MediatorFacts {
            active_cases: 5,
            assignments_last_90_days: 0,
            ..mediator(1)
        };
        let light = MediatorFacts {
            active_cases: 1,
            assignments_last_90_days: 30,
            ..mediator(2)
        };
        let result = rank(&case(), &[heavy, light], &request());
        assert_eq!(order(&result), ["M-0002", "M-0001"]);
        assert_scores_follow_the_order(&result);
    }

    #[test]
    fn with_equal_slots_and_caseloads_fewer_recent_assignments_rank_first() {
        let often = MediatorFacts {
            assignments_last_90_days: 9,
            ..mediator(1)
        };
        let rarely = MediatorFacts {
            assignments_last_90_days: 3,
            ..mediator(2)
        };
        let result = rank(&case(), &[often, rarely], &request());
        assert_eq!(order(&result), ["M-0002", "M-0001"]);
        assert!(result.candidates[0].score < result.candidates[1].score);
        assert_scores_follow_the_order(&result);
    }

    #[test]
    fn with_everything_else_equal_the_registry_number_decides_as_a_string() {
        let nine = MediatorFacts {
            registry_number: "M-9".into(),
            ..mediator(1)
        };
        let ten = MediatorFacts {
            registry_number: "M-10".into(),
            ..mediator(2)
        };
        let result = rank(&case(), &[nine, ten], &request());
        assert_eq!(order(&result), ["M-10", "M-9"]);
        assert_eq!(result.candidates[0].score, result.candidates[1].score);
    }

    #[test]
    fn the_registry_key_orders_like_the_registry_number_string() {
        let numbers = [
            "ABCDEFGH1",
            "M-9",
            "A",
            "ABCDEFGH",
            "",
            "M-10",
            "ABCDEFGG9",
            "AB",
            "A-1",
            "Ә-1",
            "ABCDEFGH0",
            "A\u{0}",
        ];
        let mediators: Vec<MediatorFacts> = numbers
            .iter()
            .map(|n| MediatorFacts {
                registry_number: (*n).into(),
                ..mediator(1)
            })
            .collect();
        let mut by_key: Vec<RegistryKey<'_>> = mediators.iter().map(registry_key).collect();
        by_key.sort_unstable();
        let mut by_string = numbers;
        by_string.sort_unstable();
        let keyed: Vec<&str> = by_key.iter().map(|k| k.1).collect();
        assert_eq!(keyed, by_string);
    }

    #[test]
    fn with_the_same_registry_number_the_id_decides() {
        let a = MediatorFacts {
            registry_number: "M-1".into(),
            ..mediator(7)
        };
        let b = MediatorFacts {
            registry_number: "M-1".into(),
            ..mediator(3)
        };
        let result = rank(&case(), &[a, b], &request());
        let ids: Vec<Uuid> = result.candidates.iter().map(|c| c.mediator_id).collect();
        assert_eq!(ids, [Uuid::from_u128(3), Uuid::from_u128(7)]);
    }

    #[test]
    fn the_excluded_are_sorted_by_registry_number_then_id() {
        let retired = |n: u128, registry: &str| MediatorFacts {
            status: MediatorStatus::Retired,
            registry_number: registry.into(),
            ..mediator(n)
        };
        let result = rank(
            &case(),
            &[
                retired(3, "B"),
                retired(2, "A"),
                mediator(9),
                retired(1, "A"),
            ],
            &request(),
        );
        let excluded: Vec<(&str, Uuid)> = result
            .excluded
            .iter()
            .map(|e| (e.registry_number.as_str(), e.mediator_id))
            .collect();
        assert_eq!(
            excluded,
            [
                ("A", Uuid::from_u128(1)),
                ("A", Uuid::from_u128(2)),
                ("B", Uuid::from_u128(3))
            ]
        );
        assert_eq!(order(&result), ["M-0009"]);
    }

    /// A tiny deterministic generator, so the test needs no `rand`.
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    #[test]
    fn the_input_order_of_mediators_does_not_change_the_result() {
        let mut rng = Lcg(42);
        let mediators: Vec<MediatorFacts> = (1..=40)
            .map(|n| {
                let base = mediator(n);
                let monday = utc("2025-01-06T04:00:00Z");
                // Few distinct values, so every tie-break level is exercised.
                let sessions = (0..rng.below(4))
                    .map(|k| {
                        let start = monday + Duration::hours(i64::try_from(k).unwrap_or(0));
                        Interval::new(start, start + Duration::hours(1))
                    })
                    .collect();
                let m = MediatorFacts {
                    active_cases: i32::try_from(rng.below(3)).unwrap_or(0),
                    assignments_last_90_days: i32::try_from(rng.below(3)).unwrap_or(0),
                    registry_number: format!("R-{}", rng.below(8)),
                    status: if rng.below(6) == 0 {
                        MediatorStatus::Suspended
                    } else {
                        MediatorStatus::Active
                    },
                    court_ids: if rng.below(7) == 0 {
                        vec![]
                    } else {
                        base.court_ids.clone()
                    },
                    ..base
                };
                booked(m, sessions)
            })
            .collect();
        let expected = rank(&case(), &mediators, &request());
        assert_eq!(
            expected.candidates.len() + expected.excluded.len(),
            mediators.len()
        );
        assert!(expected.candidates.len() > 10 && expected.excluded.len() > 3);
        assert_scores_follow_the_order(&expected);

        let mut shuffled = mediators.clone();
        for _ in 0..20 {
            // Fisher–Yates.
            for i in (1..shuffled.len()).rev() {
                let j = usize::try_from(rng.below(i as u64 + 1)).unwrap_or(0);
                shuffled.swap(i, j);
            }
            assert_eq!(rank(&case(), &shuffled, &request()), expected);
        }
    }

    #[test]
    fn searching_from_the_end_of_the_time_off_under_way_finds_the_same_slot() {
        let mut rng = Lcg(5);
        let now = utc("2025-01-06T00:00:00Z");
        let to = now + Duration::days(30);
        let minutes = |rng: &mut Lcg, below: u64| Duration::minutes(rng.below(below) as i64);
        let rules = SlotRules {
            duration: Duration::minutes(60),
            grid_minutes: 15,
            buffer: Duration::minutes(15),
        };
        let (mut found, mut none, mut skipped) = (0, 0, 0);
        for round in 0..300 {
            let mut fixed = Vec::new();
            if rng.below(4) != 0 {
                // Under way at `now`, sometimes past the end of the range,
                // sometimes touching or overlapping the next block.
                let end = now + minutes(&mut rng, 35 * 1440);
                fixed.push(Interval::new(now - minutes(&mut rng, 3000), end));
                fixed.push(Interval::new(
                    end - minutes(&mut rng, 120),
                    end + minutes(&mut rng, 600),
                ));
            }
            let random = |rng: &mut Lcg, count: u64| -> Vec<Interval> {
                (0..count)
                    .map(|_| {
                        let start = now + minutes(rng, 30 * 1440);
                        Interval::new(start, start + minutes(rng, 600))
                    })
                    .collect()
            };
            let sessions = random(&mut rng, 20);
            let blocks = random(&mut rng, 10);
            let busy = Busy::new(fixed, sessions, blocks);
            let from = search_start(&busy, now);
            let expected = earliest_slot(
                chrono_tz::Asia::Almaty,
                &weekdays_nine_to_six(),
                &busy,
                &[],
                now,
                to,
                &rules,
            );
            let actual = earliest_slot(
                chrono_tz::Asia::Almaty,
                &weekdays_nine_to_six(),
                &busy,
                &[],
                from,
                to,
                &rules,
            );
            assert_eq!(actual, expected, "round {round}");
            found += usize::from(expected.is_some());
            none += usize::from(expected.is_none());
            skipped += usize::from(from > now);
        }
        assert!(
            found > 50 && none > 10 && skipped > 100,
            "{found} {none} {skipped}"
        );
    }

    #[test]
    fn check_agrees_with_rank() {
        let mediators = [
            mediator(1),
            MediatorFacts {
                court_ids: vec![],
                ..mediator(2)
            },
        ];
        let result = rank(&case(), &mediators, &request());
        assert_eq!(
            check(&case(), &mediators[0], &request()),
            Ok(result.candidates[0].earliest_slot)
        );
        assert_eq!(
            check(&case(), &mediators[1], &request()),
            Err(result.excluded[0].reasons.clone())
        );
    }

    // ---- score and wire format -----------------------------------------------

    #[test]
    fn the_score_reads_as_minutes_then_cases_then_assignments() {
        let parts = |minutes, active, assignments| ScoreParts {
            earliest_slot_minutes: minutes,
            earliest_slot_hours: minutes / 60,
            active_cases: active,
            assignments_last_90_days: assignments,
        };
        assert_eq!(score(&parts(1440, 3, 17)), 14_400_030_017);
        // Capped parts tie rather than spill into the part above.
        assert_eq!(score(&parts(1, 5_000, 0)), score(&parts(1, 999, 0)));
        assert!(score(&parts(1, 999, 99_999)) < score(&parts(2, 0, 0)));
        assert_eq!(score(&parts(i64::MAX, 0, 0)), i64::MAX);
    }

    #[test]
    fn exclusion_codes_serialise_as_their_stable_names() {
        for e in Exclusion::ALL {
            assert_eq!(
                serde_json::to_value(e).expect("serialises"),
                serde_json::Value::String(e.as_str().into())
            );
        }
        let codes: Vec<&str> = Exclusion::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            codes,
            [
                "inactive",
                "certification_expired",
                "specialty",
                "language",
                "court",
                "conflict_of_interest",
                "capacity",
                "no_availability"
            ]
        );
    }

    #[test]
    fn a_result_serialises_with_slots_as_utc_instants() {
        let result = rank(
            &case(),
            &[
                mediator(1),
                MediatorFacts {
                    court_ids: vec![],
                    ..mediator(2)
                },
            ],
            &request(),
        );
        let json = serde_json::to_value(&result).expect("serialises");
        assert_eq!(
            json["candidates"][0]["earliest_slot"]["start"],
            "2025-01-06T04:00:00Z"
        );
        assert_eq!(
            json["candidates"][0]["score_parts"]["earliest_slot_hours"],
            4
        );
        assert_eq!(json["excluded"][0]["reasons"][0], "court");
    }

    #[test]
    fn the_openapi_schema_describes_the_slot_as_two_instants() {
        let schema = <Candidate as utoipa::PartialSchema>::schema();
        let json = serde_json::to_string(&schema).expect("serialises");
        assert!(json.contains("earliest_slot"), "{json}");
        assert!(json.contains("date-time"), "{json}");
    }
}
