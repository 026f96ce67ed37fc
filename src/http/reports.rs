//! Reports: the summary of cases referred in a period, as JSON or as CSV.
//!
//! Rule: the figures are defined in `domain::reports` and computed by
//! `services::reports`; this module only reads the query, picks the format
//! from `Accept`, and writes every CSV cell through `csv_cell`, so that no
//! cell (a mediator's name, say) can be run as a spreadsheet formula.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::auth::Staff;
use super::extract::ApiQuery;
use crate::domain::case::CaseStatus;
use crate::domain::reports::{Figures, Period, REPORT_ZONE, RESULTS, csv_cell};
use crate::error::{AppError, AppResult, Problem};
use crate::services::reports::{self, Report};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(summary))
}

#[derive(Deserialize, IntoParams)]
pub struct SummaryParams {
    /// The court; admins may leave it out for every court, a clerk's
    /// report is always of their own court.
    pub court_id: Option<Uuid>,
    /// First day of referral (`YYYY-MM-DD`, Asia/Almaty), included.
    pub from: NaiveDate,
    /// Last day of referral (`YYYY-MM-DD`, Asia/Almaty), included; not
    /// before `from`, and at most five years after it.
    pub to: NaiveDate,
}

/// Cases by the result of their latest outcome version.
#[derive(Serialize, ToSchema)]
pub struct OutcomesView {
    /// Cases with at least one outcome version.
    pub total: u64,
    pub settled: u64,
    pub partially_settled: u64,
    pub not_settled: u64,
    pub withdrawn: u64,
}

/// Calendar days (Asia/Almaty) from referral (`cases.created_at`) to the
/// first outcome version (its `created_at`), over the cases with an outcome.
#[derive(Serialize, ToSchema)]
pub struct DaysView {
    /// Cases counted.
    pub cases: u64,
    /// The median; of an even count, the mean of the two middle values.
    pub median: Option<f64>,
    /// The 90th percentile by linear interpolation between the closest
    /// ranks (PostgreSQL's `percentile_cont(0.9)`, `PERCENTILE.INC`).
    pub p90: Option<f64>,
}

/// Parties invited to the cases' sessions whose attendance was recorded.
#[derive(Serialize, ToSchema)]
pub struct AttendanceView {
    pub invited_parties: u64,
    /// Of those, the parties marked absent.
    pub absent_parties: u64,
    /// absent × 100 ÷ invited, to one decimal; null when none was recorded.
    pub no_show_rate_percent: Option<f64>,
}

/// The figures of a set of cases: those referred in the period (of the
/// court, category or mediator).
#[derive(Serialize, ToSchema)]
pub struct FiguresView {
    /// Cases referred in the period.
    pub referrals: u64,
    /// Those cases by their status today; every status is present.
    pub by_status: BTreeMap<String, u64>,
    pub outcomes: OutcomesView,
    /// (settled + partially settled) × 100 ÷ cases with an outcome of any
    /// result, withdrawn included, to one decimal; null when no case has
    /// an outcome.
    pub settlement_rate_percent: Option<f64>,
    pub days_to_outcome: DaysView,
    pub attendance: AttendanceView,
}

impl From<&Figures> for FiguresView {
    fn from(f: &Figures) -> Self {
        let [settled, partially_settled, not_settled, withdrawn] = f.by_result;
        Self {
            referrals: f.referrals,
            by_status: f
                .by_status
                .iter()
                .map(|(s, n)| ((*s).to_owned(), *n))
                .collect(),
            outcomes: OutcomesView {
                total: f.outcomes,
                settled,
                partially_settled,
                not_settled,
                withdrawn,
            },
            settlement_rate_percent: f.settlement_rate_percent,
            days_to_outcome: DaysView {
                cases: f.timed_cases,
                median: f.median_days_to_outcome,
                p90: f.p90_days_to_outcome,
            },
            attendance: AttendanceView {
                invited_parties: f.invited_parties,
                absent_parties: f.absent_parties,
                no_show_rate_percent: f.no_show_rate_percent,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CategoryFiguresView {
    pub category: String,
    #[serde(flatten)]
    pub figures: FiguresView,
}

#[derive(Serialize, ToSchema)]
pub struct MediatorFiguresView {
    /// The mediator who accepted the cases; null for cases no mediator
    /// has accepted.
    pub mediator_id: Option<Uuid>,
    pub name: Option<String>,
    pub registry_number: Option<String>,
    #[serde(flatten)]
    pub figures: FiguresView,
}

#[derive(Serialize, ToSchema)]
pub struct ReportView {
    /// The court; null for every court.
    pub court_id: Option<Uuid>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The zone the dates and day counts are read in: `Asia/Almaty`.
    pub timezone: String,
    pub total: FiguresView,
    /// Categories that have cases in the period, by code.
    pub by_category: Vec<CategoryFiguresView>,
    /// Mediators who accepted cases of the period, by id; cases with no
    /// accepted mediator last, under a null `mediator_id`.
    pub by_mediator: Vec<MediatorFiguresView>,
}

impl From<&Report> for ReportView {
    fn from(r: &Report) -> Self {
        Self {
            court_id: r.court_id,
            from: r.period.from(),
            to: r.period.to(),
            timezone: REPORT_ZONE.name().to_owned(),
            total: (&r.total).into(),
            by_category: r
                .by_category
                .iter()
                .map(|(category, f)| CategoryFiguresView {
                    category: category.clone(),
                    figures: f.into(),
                })
                .collect(),
            by_mediator: r
                .by_mediator
                .iter()
                .map(|m| MediatorFiguresView {
                    mediator_id: m.mediator_id,
                    name: m.mediator.as_ref().map(|n| n.name.clone()),
                    registry_number: m.mediator.as_ref().map(|n| n.registry_number.clone()),
                    figures: (&m.figures).into(),
                })
                .collect(),
        }
    }
}

/// The summary of the cases **referred** (`cases.created_at`) from `from`
/// to `to`, both days included, in Asia/Almaty: for all of them, by
/// category and by the mediator who accepted each case.
///
/// - `referrals`: cases referred in the period; `by_status`: those cases by
///   their status today.
/// - `outcomes`: cases with at least one outcome version, by the result of
///   the latest version.
/// - `settlement_rate_percent` = (settled + partially settled) × 100 ÷
///   cases with an outcome of any result (withdrawn included).
/// - `days_to_outcome`: calendar days in Asia/Almaty from the referral to
///   the first outcome version's `created_at`; median (mean of the two
///   middle values for an even count) and 90th percentile (linear
///   interpolation, as `percentile_cont(0.9)`).
/// - `attendance.no_show_rate_percent` = parties marked absent × 100 ÷
///   parties invited to the cases' sessions whose attendance was recorded.
///
/// Rates and days have one decimal; a rate over nothing is null.
/// With `Accept: text/csv` the same figures come as one CSV table, a row
/// per `section` (`total`, `category`, `mediator`); rates and days are
/// plain decimals, and a cell that begins with `=`, `+`, `-`, `@`, a tab or
/// a carriage return is prefixed with `'`.
///
/// Admins may name any court or none (every court); a clerk sees only their
/// own court (another court is 404); mediators get 403.
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(SummaryParams),
    security(("bearer" = [])), responses(
    (status = 200, description = "the report, as JSON or (`Accept: text/csv`) as CSV",
        content((ReportView = "application/json"), (String = "text/csv"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
async fn summary(
    State(state): State<AppState>,
    Staff(caller): Staff,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SummaryParams>,
) -> AppResult<Response> {
    let period = Period::new(q.from, q.to).map_err(|(field, e)| AppError::field(field, e))?;
    let report = reports::summary(&state.db, &caller, q.court_id, period).await?;
    let view = ReportView::from(&report);
    if wants_csv(&headers) {
        let body = to_csv(&view)?;
        let disposition = format!(
            "attachment; filename=\"kelisim-summary-{}-{}.csv\"",
            view.from, view.to
        );
        let mut response = body.into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(response);
    }
    Ok(Json(view).into_response())
}

/// Whether `Accept` prefers `text/csv` to JSON: CSV is named with a
/// quality above 0 and above that of `application/json` (`*/*` leaves the
/// choice to the more specific ranges; alone it means JSON).
fn wants_csv(headers: &HeaderMap) -> bool {
    let mut csv = 0.0_f32;
    let mut json = 0.0_f32;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                "text/csv" => csv = csv.max(q),
                "application/json" | "application/*" => json = json.max(q),
                _ => {}
            }
        }
    }
    csv > 0.0 && csv > json
}

/// A decimal as the CSV writes it: one decimal, empty when undefined.
fn decimal(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// The report as one CSV table: a header row, then the total, each
/// category and each mediator.
fn to_csv(view: &ReportView) -> AppResult<String> {
    let mut header: Vec<String> = [
        "section",
        "category",
        "mediator_id",
        "mediator_name",
        "registry_number",
        "referrals",
    ]
    .map(String::from)
    .to_vec();
    header.extend(CaseStatus::ALL.iter().map(|s| format!("status_{s}")));
    header.push("outcomes".into());
    header.extend(RESULTS.map(String::from));
    header.extend(
        [
            "settlement_rate_percent",
            "days_to_outcome_cases",
            "median_days_to_outcome",
            "p90_days_to_outcome",
            "invited_parties",
            "absent_parties",
            "no_show_rate_percent",
        ]
        .map(String::from),
    );

    let row = |section: &str,
               category: &str,
               mediator_id: Option<Uuid>,
               name: Option<&str>,
               registry: Option<&str>,
               f: &FiguresView| {
        let mut cells: Vec<String> = vec![
            section.to_owned(),
            category.to_owned(),
            mediator_id.map(|m| m.to_string()).unwrap_or_default(),
            name.unwrap_or_default().to_owned(),
            registry.unwrap_or_default().to_owned(),
            f.referrals.to_string(),
        ];
        cells.extend(CaseStatus::ALL.iter().map(|s| {
            f.by_status
                .get(s.as_str())
                .copied()
                .unwrap_or(0)
                .to_string()
        }));
        let o = &f.outcomes;
        cells.extend(
            [
                o.total,
                o.settled,
                o.partially_settled,
                o.not_settled,
                o.withdrawn,
            ]
            .map(|n| n.to_string()),
        );
        cells.push(decimal(f.settlement_rate_percent));
        cells.push(f.days_to_outcome.cases.to_string());
        cells.push(decimal(f.days_to_outcome.median));
        cells.push(decimal(f.days_to_outcome.p90));
        cells.push(f.attendance.invited_parties.to_string());
        cells.push(f.attendance.absent_parties.to_string());
        cells.push(decimal(f.attendance.no_show_rate_percent));
        cells
    };

    let mut rows = vec![header, row("total", "", None, None, None, &view.total)];
    for c in &view.by_category {
        rows.push(row("category", &c.category, None, None, None, &c.figures));
    }
    for m in &view.by_mediator {
        rows.push(row(
            "mediator",
            "",
            m.mediator_id,
            m.name.as_deref(),
            m.registry_number.as_deref(),
            &m.figures,
        ));
    }

    let mut out = csv::Writer::from_writer(Vec::new());
    for cells in rows {
        out.write_record(cells.iter().map(|c| csv_cell(c).into_owned()))
            .map_err(|e| AppError::internal("writing the report as CSV", e))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal("writing the report as CSV", e.into_error()))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal("writing the report as CSV", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).expect("header"));
        h
    }

    #[test]
    fn csv_is_chosen_only_when_accept_prefers_it() {
        assert!(wants_csv(&accept("text/csv")));
        assert!(wants_csv(&accept("text/csv; charset=utf-8")));
        assert!(wants_csv(&accept("application/json;q=0.5, text/csv")));
        assert!(!wants_csv(&HeaderMap::new()));
        assert!(!wants_csv(&accept("application/json")));
        assert!(!wants_csv(&accept("*/*")));
        assert!(wants_csv(&accept("text/csv, */*;q=0.8")));
        assert!(!wants_csv(&accept("text/csv;q=0.2, application/json")));
        assert!(!wants_csv(&accept("text/csv;q=0")));
    }
}
