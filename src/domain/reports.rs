//! Reports: the period a report covers, and the figures computed from the
//! counts the database aggregated — rates, percentiles of days from referral
//! to outcome, roll-ups by category and mediator — and CSV cells that a
//! spreadsheet cannot run as formulas.
//!
//! Rule: every figure is defined here, once, and the API documentation says
//! the same words. Dates of a report are days in Asia/Almaty; rates and days
//! are rounded to one decimal only when written out, never before summing.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::case::CaseStatus;

/// The zone in which a report's dates and day counts are read.
pub const REPORT_ZONE: Tz = chrono_tz::Asia::Almaty;

/// The longest period one report may cover, in months.
pub const MAX_SPAN_MONTHS: u32 = 60;

/// The results an outcome may have, in the order reports list them.
pub const RESULTS: [&str; 4] = ["settled", "partially_settled", "not_settled", "withdrawn"];

/// The results that count as a settlement.
const SETTLING: [&str; 2] = ["settled", "partially_settled"];

/// The days `from` to `to`, both included, in [`REPORT_ZONE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

impl Period {
    /// A period of at most [`MAX_SPAN_MONTHS`] months with `from` not after
    /// `to`; otherwise the field at fault (`to`) and why.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, (&'static str, String)> {
        if to < from {
            return Err(("to", "must not be before `from`".into()));
        }
        let limit = from.checked_add_months(Months::new(MAX_SPAN_MONTHS));
        if limit.is_none_or(|limit| to >= limit) {
            return Err((
                "to",
                format!(
                    "the period may cover at most {} years",
                    MAX_SPAN_MONTHS / 12
                ),
            ));
        }
        Ok(Self { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The instants the period covers: from the start of `from` (included)
    /// to the start of the day after `to` (excluded), in [`REPORT_ZONE`].
    pub fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            start_of(self.from),
            start_of(self.to + chrono::Days::new(1)),
        )
    }
}

/// The first instant of `day` in [`REPORT_ZONE`]. Kazakhstan has no
/// daylight saving time, so midnight always exists; should it ever not, the
/// earliest instant of the day is taken.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    REPORT_ZONE
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// Days from referral to outcome: the difference of their calendar dates in
/// [`REPORT_ZONE`] (an outcome on the day of referral is 0 days). The
/// database keeps this per case (`case_facts.days_to_outcome`, computed by
/// its triggers from [`REPORT_ZONE`]'s offsets); this is the definition they
/// follow, and the tests hold them to it.
pub fn days_between(referred_at: DateTime<Utc>, outcome_at: DateTime<Utc>) -> i64 {
    let a = referred_at.with_timezone(&REPORT_ZONE).date_naive();
    let b = outcome_at.with_timezone(&REPORT_ZONE).date_naive();
    (b - a).num_days()
}

/// The `p`-th quantile (0 ≤ p ≤ 1) of `sorted` (ascending), by linear
/// interpolation between the closest ranks: the value at position
/// `p × (n − 1)` counted from 0 — PostgreSQL's `percentile_cont` and
/// spreadsheets' `PERCENTILE.INC`. So the median of an even count is the
/// mean of the two middle values. `None` for an empty list.
pub fn percentile(sorted: &[i64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = p.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let low = sorted[below.min(last)] as f64;
    let high = sorted[above.min(last)] as f64;
    Some(low + (high - low) * (position - below as f64))
}

/// `part` over `whole` as a percentage; `None` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// `value` rounded to one decimal, as reports write it.
pub fn one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// A CSV cell that a spreadsheet reads as text, never as a formula: a cell
/// beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading single quote (OWASP, "CSV injection"). Quoting of commas and
/// quotes is the CSV writer's job.
pub fn csv_cell(raw: &str) -> Cow<'_, str> {
    match raw.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{raw}")),
        _ => Cow::Borrowed(raw),
    }
}

// ---- what the database aggregated -------------------------------------------------

/// Which mediator a case counts for: the one whose assignment it accepted,
/// or none yet.
pub type MediatorKey = Option<Uuid>;

/// Cases referred in the period of one group — a category (`G = String`) or
/// a mediator (`G = MediatorKey`) — with the same status and result of
/// their latest outcome version (`None`: no outcome yet), as the database
/// counted them from the cases' facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount<G> {
    pub group: G,
    pub status: String,
    pub result: Option<String>,
    pub cases: u64,
    /// Invited parties of those cases' sessions whose attendance was
    /// recorded, and of them those absent.
    pub invited: u64,
    pub absent: u64,
    /// For each of those cases with an outcome, the days from its referral
    /// to its first outcome version ([`days_between`]), in any order.
    pub days: Vec<i64>,
}

// ---- the figures ---------------------------------------------------------------------

/// Every figure of a report, for all its cases or for one group of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Cases referred in the period.
    pub referrals: u64,
    /// Those cases by their status now; every status is listed.
    pub by_status: BTreeMap<&'static str, u64>,
    /// Cases with at least one outcome version.
    pub outcomes: u64,
    /// Those cases by the result of their latest outcome version, in the
    /// order of [`RESULTS`].
    pub by_result: [u64; 4],
    /// (settled + partially settled) × 100 ÷ cases with an outcome, any
    /// result (withdrawn included); `None` when no case has an outcome.
    pub settlement_rate_percent: Option<f64>,
    /// Cases whose days to outcome were counted (= `outcomes`).
    pub timed_cases: u64,
    pub median_days_to_outcome: Option<f64>,
    pub p90_days_to_outcome: Option<f64>,
    /// Invited parties of the cases' sessions whose attendance was recorded.
    pub invited_parties: u64,
    /// Those marked absent.
    pub absent_parties: u64,
    /// absent × 100 ÷ invited; `None` when no attendance was recorded.
    pub no_show_rate_percent: Option<f64>,
}

/// Counts of one group, before rates and percentiles are taken.
#[derive(Debug, Clone, Default)]
struct Tally {
    referrals: u64,
    by_status: BTreeMap<&'static str, u64>,
    by_result: [u64; 4],
    days: Vec<i64>,
    invited: u64,
    absent: u64,
}

impl Tally {
    fn add<G>(&mut self, row: &GroupCount<G>) {
        self.referrals += row.cases;
        self.invited += row.invited;
        self.absent += row.absent;
        self.days.extend_from_slice(&row.days);
        if let Some(status) = CaseStatus::exactly(&row.status) {
            *self.by_status.entry(status.as_str()).or_insert(0) += row.cases;
        }
        if let Some(i) = row
            .result
            .as_deref()
            .and_then(|r| RESULTS.iter().position(|known| *known == r))
        {
            self.by_result[i] += row.cases;
        }
    }

    fn figures(mut self) -> Figures {
        let mut by_status: BTreeMap<&'static str, u64> =
            CaseStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for (status, n) in self.by_status {
            by_status.insert(status, n);
        }
        let outcomes: u64 = self.by_result.iter().sum();
        let settled: u64 = RESULTS
            .iter()
            .zip(self.by_result)
            .filter(|(r, _)| SETTLING.contains(r))
            .map(|(_, n)| n)
            .sum();
        self.days.sort_unstable();
        Figures {
            referrals: self.referrals,
            by_status,
            outcomes,
            by_result: self.by_result,
            settlement_rate_percent: percent(settled, outcomes).map(one_decimal),
            timed_cases: self.days.len() as u64,
            median_days_to_outcome: percentile(&self.days, 0.5).map(one_decimal),
            p90_days_to_outcome: percentile(&self.days, 0.9).map(one_decimal),
            invited_parties: self.invited,
            absent_parties: self.absent,
            no_show_rate_percent: percent(self.absent, self.invited).map(one_decimal),
        }
    }
}

/// A report: the figures of all its cases, then by category (in the order
/// of their codes) and by mediator (in the order of their ids; cases with
/// no accepted mediator under `None`, last).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub total: Figures,
    pub by_category: Vec<(String, Figures)>,
    pub by_mediator: Vec<(MediatorKey, Figures)>,
}

/// Rolls the database's counts up into the figures of the whole, of each
/// category and of each mediator. The groups are those that have cases;
/// the whole is the sum of the categories.
pub fn summarize(
    by_category: &[GroupCount<String>],
    by_mediator: &[GroupCount<MediatorKey>],
) -> Summary {
    let mut total = Tally::default();
    let mut categories: BTreeMap<String, Tally> = BTreeMap::new();
    // `Some` sorts after `None`; the key is flipped so unassigned comes last.
    let mut mediators: BTreeMap<(bool, MediatorKey), Tally> = BTreeMap::new();

    for row in by_category {
        total.add(row);
        // Look up before inserting: most rows find their category, and a
        // key is only copied for a new one.
        match categories.get_mut(&row.group) {
            Some(tally) => tally.add(row),
            None => categories.entry(row.group.clone()).or_default().add(row),
        }
    }
    for row in by_mediator {
        mediators
            .entry((row.group.is_none(), row.group))
            .or_default()
            .add(row);
    }
    Summary {
        total: total.figures(),
        by_category: categories
            .into_iter()
            .map(|(c, t)| (c, t.figures()))
            .collect(),
        by_mediator: mediators
            .into_iter()
            .map(|((_, m), t)| (m, t.figures()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("an instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_period_runs_from_midnight_to_midnight_in_almaty() {
        let p = Period::new(day("2026-01-01"), day("2026-01-31")).expect("valid");
        assert_eq!(
            p.instants(),
            (at("2025-12-31T19:00:00Z"), at("2026-01-31T19:00:00Z"))
        );
        // Before 1 March 2024 Almaty was UTC+6.
        let old = Period::new(day("2024-01-01"), day("2024-01-01")).expect("valid");
        assert_eq!(
            old.instants(),
            (at("2023-12-31T18:00:00Z"), at("2024-01-01T18:00:00Z"))
        );
    }

    #[test]
    fn a_period_ending_before_it_starts_or_longer_than_five_years_is_refused() {
        assert_eq!(
            Period::new(day("2026-02-01"), day("2026-01-31"))
                .expect_err("reversed")
                .0,
            "to"
        );
        assert!(Period::new(day("2026-01-01"), day("2030-12-31")).is_ok());
        assert!(Period::new(day("2026-01-01"), day("2031-01-01")).is_err());
        assert!(Period::new(day("2026-01-01"), day("2026-01-01")).is_ok());
    }

    #[test]
    fn days_are_counted_between_calendar_dates_in_almaty() {
        // 23:30 and 00:30 Almaty time on consecutive days: one day.
        assert_eq!(
            days_between(at("2026-03-01T18:30:00Z"), at("2026-03-01T19:30:00Z")),
            1
        );
        // Same local day: zero.
        assert_eq!(
            days_between(at("2026-03-01T19:30:00Z"), at("2026-03-02T18:59:00Z")),
            0
        );
        assert_eq!(
            days_between(at("2026-03-01T05:00:00Z"), at("2026-03-31T05:00:00Z")),
            30
        );
    }

    #[test]
    fn percentiles_interpolate_between_the_closest_ranks() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.5), Some(7.0));
        assert_eq!(percentile(&[7], 0.9), Some(7.0));
        assert_eq!(percentile(&[1, 3], 0.5), Some(2.0));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2.5));
        // Position 0.9 × 9 = 8.1: 9 + 0.1 × (100 − 9).
        let ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 100];
        assert_eq!(percentile(&ten, 0.9).map(one_decimal), Some(18.1));
        assert_eq!(percentile(&ten, 0.5), Some(5.5));
        assert_eq!(percentile(&ten, 0.0), Some(1.0));
        assert_eq!(percentile(&ten, 1.0), Some(100.0));
    }

    #[test]
    fn rates_are_percentages_and_undefined_over_nothing() {
        assert_eq!(percent(1, 3).map(one_decimal), Some(33.3));
        assert_eq!(percent(2, 3).map(one_decimal), Some(66.7));
        assert_eq!(percent(0, 5), Some(0.0));
        assert_eq!(percent(0, 0), None);
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_get_a_quote() {
        for (raw, safe) in [
            ("=1+1", "'=1+1"),
            ("+7 701", "'+7 701"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Айгерім", "Айгерім"),
            ("a=b", "a=b"),
            ("", ""),
            ("12.5", "12.5"),
        ] {
            assert_eq!(csv_cell(raw), safe, "{raw:?}");
        }
    }

    #[test]
    fn counts_roll_up_into_the_total_each_category_and_each_mediator() {
        let m1 = Some(Uuid::from_u128(1));
        fn row<G>(
            group: G,
            status: &str,
            result: Option<&str>,
            cases: u64,
            (invited, absent): (u64, u64),
            days: &[i64],
        ) -> GroupCount<G> {
            GroupCount {
                group,
                status: status.into(),
                result: result.map(Into::into),
                cases,
                invited,
                absent,
                days: days.to_vec(),
            }
        }
        let by_category = [
            row(
                "civil".to_owned(),
                "registered",
                Some("settled"),
                2,
                (4, 1),
                &[10, 20],
            ),
            row(
                "civil".to_owned(),
                "outcome_recorded",
                Some("not_settled"),
                1,
                (0, 0),
                &[4],
            ),
            row("family".to_owned(), "referred", None, 3, (0, 0), &[]),
            row(
                "family".to_owned(),
                "withdrawn",
                Some("withdrawn"),
                1,
                (0, 0),
                &[7],
            ),
        ];
        let by_mediator = [
            row(m1, "registered", Some("settled"), 2, (4, 1), &[20, 10]),
            row(m1, "outcome_recorded", Some("not_settled"), 1, (0, 0), &[4]),
            row(None, "referred", None, 3, (0, 0), &[]),
            row(m1, "withdrawn", Some("withdrawn"), 1, (0, 0), &[7]),
        ];
        let s = summarize(&by_category, &by_mediator);

        assert_eq!(s.total.referrals, 7);
        assert_eq!(s.total.outcomes, 4);
        assert_eq!(s.total.by_result, [2, 0, 1, 1]);
        assert_eq!(s.total.settlement_rate_percent, Some(50.0));
        assert_eq!(s.total.by_status["referred"], 3);
        assert_eq!(s.total.by_status["registered"], 2);
        assert_eq!(s.total.by_status["expired"], 0);
        assert_eq!(s.total.by_status.len(), CaseStatus::ALL.len());
        assert_eq!(s.total.timed_cases, 4);
        assert_eq!(s.total.median_days_to_outcome, Some(8.5));
        assert_eq!(s.total.p90_days_to_outcome, Some(17.0));
        assert_eq!(s.total.no_show_rate_percent, Some(25.0));

        let names: Vec<&str> = s.by_category.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(names, ["civil", "family"]);
        let civil = &s.by_category[0].1;
        assert_eq!(
            (
                civil.referrals,
                civil.outcomes,
                civil.settlement_rate_percent
            ),
            (3, 3, Some(66.7))
        );
        assert_eq!(civil.median_days_to_outcome, Some(10.0));
        let family = &s.by_category[1].1;
        assert_eq!(family.settlement_rate_percent, Some(0.0));
        assert_eq!(family.no_show_rate_percent, None);

        let mediators: Vec<MediatorKey> = s.by_mediator.iter().map(|(m, _)| *m).collect();
        assert_eq!(mediators, [m1, None]);
        assert_eq!(s.by_mediator[0].1.referrals, 4);
        assert_eq!(s.by_mediator[0].1.median_days_to_outcome, Some(8.5));
        assert_eq!(s.by_mediator[1].1.referrals, 3);
        assert_eq!(s.by_mediator[1].1.settlement_rate_percent, None);
        assert_eq!(s.by_mediator[1].1.median_days_to_outcome, None);
    }
}
