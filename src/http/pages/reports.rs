//! The reports page: referrals and the settlement rate per month, days from
//! referral to outcome, and the caseload per mediator, each drawn as an SVG
//! on the server with its data table beside it and a CSV download.
//!
//! Rule: the figures come from `services::reports` (the API's summary, one
//! per month); this module only lays bars out. A chart never stands
//! alone: its table says the same in words and numbers.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::clerk::Choice;
use super::frame::{Reader, see_other, v, words};
use crate::domain::{Language, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::dates;
use crate::mail::templates;
use crate::services::auth::Caller;
use crate::services::courts;
use crate::services::page::PageRequest;
use crate::services::reports::{self, MonthFigures};
use crate::state::AppState;

/// The spans a reader may choose, in months.
const SPANS: [u32; 4] = [3, 6, 12, 24];
const DEFAULT_SPAN: u32 = 12;
/// Mediators drawn in the caseload chart (the table lists them all, up to
/// [`MAX_MEDIATOR_ROWS`]).
const MAX_MEDIATOR_BARS: usize = 20;
const MAX_MEDIATOR_ROWS: usize = 200;

/// Chart geometry, in SVG user units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 16.0;
const BAR_ROW: f64 = 22.0;
const NAME_WIDTH: f64 = 220.0;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(page))
        .route("/reports/monthly.csv", get(monthly_csv))
        .route("/reports/mediators.csv", get(mediators_csv))
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    months: Option<String>,
    court_id: Option<String>,
}

struct Scope {
    months: u32,
    court_id: Option<Uuid>,
    first: NaiveDate,
    last: NaiveDate,
}

fn scope(q: &ReportQuery) -> AppResult<Scope> {
    let months = match q.months.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => DEFAULT_SPAN,
        Some(m) => m
            .parse::<u32>()
            .ok()
            .filter(|m| SPANS.contains(m))
            .ok_or_else(|| AppError::field("months", "must be 3, 6, 12 or 24"))?,
    };
    let court_id = match q
        .court_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(c) => Some(
            c.parse::<Uuid>()
                .map_err(|_| AppError::field("court_id", "is not a court id"))?,
        ),
    };
    let last = crate::db::now()
        .with_timezone(&crate::domain::reports::REPORT_ZONE)
        .date_naive();
    let this_month = NaiveDate::from_ymd_opt(last.year(), last.month(), 1).unwrap_or(last);
    let first = this_month
        .checked_sub_months(Months::new(months - 1))
        .unwrap_or(this_month);
    Ok(Scope {
        months,
        court_id,
        first,
        last,
    })
}

/// One bar, laid out.
#[derive(Serialize)]
struct Bar {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    /// Where its label sits.
    label_x: f64,
    label_y: f64,
    label: String,
    /// The label as drawn where room is short.
    short: String,
    value: String,
}

/// Longest label drawn beside a horizontal bar.
const MAX_LABEL_CHARS: usize = 32;

fn shorten(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A chart, laid out: `bars` over a baseline, with the highest value's
/// gridline.
#[derive(Serialize)]
struct Chart {
    id: &'static str,
    title: String,
    desc: String,
    width: f64,
    height: f64,
    baseline: f64,
    left: f64,
    right: f64,
    top_line: f64,
    top_value: String,
    bars: Vec<Bar>,
    horizontal: bool,
}

/// Vertical bars, one per value (`None`: no bar, only its label).
fn columns(
    id: &'static str,
    title: String,
    desc: String,
    points: &[(String, Option<f64>)],
    unit: &str,
) -> Chart {
    let max = points
        .iter()
        .filter_map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let plot = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT) / points.len().max(1) as f64;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let h = value.map_or(0.0, |v| {
                (v / max * plot).max(if v > 0.0 { 1.0 } else { 0.0 })
            });
            let x = LEFT + i as f64 * slot + slot * 0.15;
            Bar {
                x: round(x),
                y: round(HEIGHT - BOTTOM - h),
                w: round(slot * 0.7),
                h: round(h),
                label_x: round(x + slot * 0.35),
                label_y: HEIGHT - BOTTOM + 16.0,
                label: label.clone(),
                short: shorten(label),
                value: value.map_or_else(|| "—".to_owned(), |v| format!("{}{unit}", number(v))),
            }
        })
        .collect();
    Chart {
        id,
        title,
        desc,
        width: WIDTH,
        height: HEIGHT,
        baseline: HEIGHT - BOTTOM,
        left: LEFT,
        right: WIDTH,
        top_line: TOP,
        top_value: format!("{}{unit}", number(max)),
        bars,
        horizontal: false,
    }
}

/// Horizontal bars, one row per named value.
fn rows(id: &'static str, title: String, desc: String, points: &[(String, f64)]) -> Chart {
    let max = points
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let height = TOP + BAR_ROW * points.len().max(1) as f64 + BOTTOM;
    let plot = WIDTH - NAME_WIDTH - 40.0;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let y = TOP + i as f64 * BAR_ROW;
            let w = (value / max * plot).max(if *value > 0.0 { 1.0 } else { 0.0 });
            Bar {
                x: NAME_WIDTH,
                y: round(y + 3.0),
                w: round(w),
                h: BAR_ROW - 6.0,
                label_x: NAME_WIDTH - 6.0,
                label_y: round(y + BAR_ROW * 0.7),
                label: label.clone(),
                short: shorten(label),
                value: number(*value),
            }
        })
        .collect();
    Chart {
        id,
        title,
        desc,
        width: WIDTH,
        height,
        baseline: height - BOTTOM,
        left: NAME_WIDTH,
        right: NAME_WIDTH + plot,
        top_line: TOP,
        top_value: number(max),
        bars,
        horizontal: true,
    }
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A figure as people write it: whole numbers without decimals, others
/// with one.
fn number(x: f64) -> String {
    if (x - x.round()).abs() < 0.05 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}")
    }
}

fn short_month(lang: Language, year: i32, month: u32) -> String {
    // The chart's axis has little room: "11.2026"; the table says it in
    // words.
    let _ = lang;
    format!("{month:02}.{year}")
}

async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> AppResult<Result<(Reader, Caller), Response>> {
    let reader = Reader::of(state, headers).await?;
    match reader.caller.clone() {
        Some(c) if c.role != Role::Mediator => Ok(Ok((reader, c))),
        Some(_) => Err(AppError::Forbidden(
            "only an admin or a clerk may read reports".into(),
        )),
        None => Ok(Err(see_other("/login"))),
    }
}

/// The data of the page: the months, and the mediators of the whole span.
async fn data(
    state: &AppState,
    caller: &Caller,
    s: &Scope,
) -> AppResult<(Vec<MonthFigures>, reports::Report)> {
    let months = reports::monthly(&state.db, caller, s.court_id, s.first, s.last).await?;
    let period = crate::domain::reports::Period::new(s.first, s.last)
        .map_err(|(f, m)| AppError::field(f, m))?;
    let whole = reports::summary(&state.db, caller, s.court_id, period).await?;
    Ok((months, whole))
}

fn mediator_name(lang: Language, m: &reports::MediatorFigures) -> String {
    match &m.mediator {
        Some(n) => format!("{} ({})", n.name, n.registry_number),
        None => words(
            lang,
            "медиатор әлі жоқ",
            "медиатора ещё нет",
            "no mediator yet",
        )
        .to_owned(),
    }
}

/// `GET /reports`.
async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    let (reader, caller) = match signed_in(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let lang = reader.language;
    let s = scope(&q)?;
    let (months, whole) = data(&state, &caller, &s).await?;

    let month_rows: Vec<serde_json::Value> = months
        .iter()
        .map(|m| {
            let f = &m.figures;
            serde_json::json!({
                "month": dates::month_year(lang, m.year, m.month),
                "referrals": f.referrals,
                "outcomes": f.outcomes,
                "rate": f.settlement_rate_percent.map(|r| format!("{} %", number(r))).unwrap_or_else(|| "—".into()),
                "median": f.median_days_to_outcome.map(number).unwrap_or_else(|| "—".into()),
                "p90": f.p90_days_to_outcome.map(number).unwrap_or_else(|| "—".into()),
            })
        })
        .collect();
    let label = |m: &MonthFigures| short_month(lang, m.year, m.month);
    let referrals = columns(
        "referrals",
        words(lang, "Айына жолдамалар", "Направления по месяцам", "Referrals per month").to_owned(),
        words(
            lang,
            "Әр айда медиацияға жіберілген істер саны; сандар төмендегі кестеде.",
            "Число дел, направленных на медиацию в каждом месяце; числа — в таблице ниже.",
            "The number of cases referred to mediation in each month; the figures are in the table below.",
        )
        .to_owned(),
        &months.iter().map(|m| (label(m), Some(m.figures.referrals as f64))).collect::<Vec<_>>(),
        "",
    );
    let rate = columns(
        "settlement",
        words(lang, "Айына татуласу үлесі", "Доля примирений по месяцам", "Settlement rate per month").to_owned(),
        words(
            lang,
            "Нәтижесі бар істердің ішінде толық немесе ішінара татуласқандардың пайызы; нәтижесі жоқ айда баған жоқ.",
            "Процент дел, закончившихся полным или частичным примирением, среди дел с результатом; в месяц без результатов столбца нет.",
            "Percent of cases with an outcome that settled fully or partly; a month without outcomes has no bar.",
        )
        .to_owned(),
        &months.iter().map(|m| (label(m), m.figures.settlement_rate_percent)).collect::<Vec<_>>(),
        " %",
    );
    let days = columns(
        "days",
        words(lang, "Жолдамадан нәтижеге дейінгі күндер", "Дней от направления до результата", "Days from referral to outcome").to_owned(),
        words(
            lang,
            "Әр айда жіберілген істердің нәтижеге дейінгі күндерінің медианасы.",
            "Медиана дней от направления до результата для дел каждого месяца.",
            "The median number of days from referral to outcome of the cases referred in each month.",
        )
        .to_owned(),
        &months.iter().map(|m| (label(m), m.figures.median_days_to_outcome)).collect::<Vec<_>>(),
        "",
    );
    let mut by_mediator: Vec<&reports::MediatorFigures> = whole.by_mediator.iter().collect();
    by_mediator.sort_by_key(|m| std::cmp::Reverse(m.figures.referrals));
    by_mediator.truncate(MAX_MEDIATOR_ROWS);
    let caseload = rows(
        "caseload",
        words(
            lang,
            "Медиаторлардың іс жүктемесі",
            "Нагрузка медиаторов",
            "Caseload per mediator",
        )
        .to_owned(),
        words(
            lang,
            "Кезеңде жіберілген және әр медиатор қабылдаған істер саны, ең көбінен бастап.",
            "Число дел периода, принятых каждым медиатором, от большего к меньшему.",
            "Cases of the period each mediator accepted, most first.",
        )
        .to_owned(),
        &by_mediator
            .iter()
            .take(MAX_MEDIATOR_BARS)
            .map(|m| (mediator_name(lang, m), m.figures.referrals as f64))
            .collect::<Vec<_>>(),
    );
    let mediator_rows: Vec<serde_json::Value> = by_mediator
        .iter()
        .map(|m| {
            let f = &m.figures;
            serde_json::json!({
                "name": mediator_name(lang, m),
                "cases": f.referrals,
                "outcomes": f.outcomes,
                "rate": f.settlement_rate_percent.map(|r| format!("{} %", number(r))).unwrap_or_else(|| "—".into()),
            })
        })
        .collect();
    let spans: Vec<Choice> = SPANS
        .iter()
        .map(|m| Choice {
            value: m.to_string(),
            label: match lang {
                Language::Kk => format!("{m} ай"),
                Language::Ru => format!("{m} мес."),
                Language::En => format!("{m} months"),
            },
            selected: *m == s.months,
        })
        .collect();
    let court_choices = if caller.role == Role::Admin {
        let (list, _) =
            courts::list_visible(&state.db, &caller, PageRequest::parse(Some(100), None)?).await?;
        Some(
            list.into_iter()
                .map(|c| Choice {
                    selected: Some(c.id) == s.court_id,
                    value: c.id.to_string(),
                    label: c.name,
                })
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("months", &s.months.to_string());
    if let Some(c) = s.court_id {
        query.append_pair("court_id", &c.to_string());
    }
    let query = query.finish();
    let html = templates::render_page(
        templates::REPORTS_PAGE,
        minijinja::context! {
            frame => v(&reader.frame("/reports")),
            period => format!("{} — {}", dates::long_date(lang, s.first), dates::long_date(lang, s.last)),
            spans => v(&spans),
            courts => v(&court_choices),
            month_rows => v(&month_rows),
            mediator_rows => v(&mediator_rows),
            referrals => v(&referrals),
            rate => v(&rate),
            days => v(&days),
            caseload => v(&caseload),
            query => query,
        },
    )?;
    Ok(reader.answer(StatusCode::OK, html))
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would be read as a formula by a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_response(name: &str, body: String) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    super::frame::private(&mut response);
    response
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// `GET /reports/monthly.csv`: the months of the page, machine-readable.
async fn monthly_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    let (_, caller) = match signed_in(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let s = scope(&q)?;
    let months = reports::monthly(&state.db, &caller, s.court_id, s.first, s.last).await?;
    let mut out = String::from(
        "month,referrals,outcomes,settlement_rate_percent,median_days_to_outcome,p90_days_to_outcome\n",
    );
    for m in &months {
        let f = &m.figures;
        out.push_str(&format!(
            "{:04}-{:02},{},{},{},{},{}\n",
            m.year,
            m.month,
            f.referrals,
            f.outcomes,
            opt(f.settlement_rate_percent),
            opt(f.median_days_to_outcome),
            opt(f.p90_days_to_outcome)
        ));
    }
    Ok(csv_response("referrals-per-month.csv", out))
}

/// `GET /reports/mediators.csv`: the caseload of each mediator.
async fn mediators_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    let (_, caller) = match signed_in(&state, &headers).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let s = scope(&q)?;
    let period = crate::domain::reports::Period::new(s.first, s.last)
        .map_err(|(f, m)| AppError::field(f, m))?;
    let whole = reports::summary(&state.db, &caller, s.court_id, period).await?;
    let mut out = String::from("registry_number,name,cases,outcomes,settlement_rate_percent\n");
    for m in &whole.by_mediator {
        let (number, name) = m
            .mediator
            .as_ref()
            .map_or((String::new(), String::new()), |n| {
                (n.registry_number.clone(), n.name.clone())
            });
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            csv_field(&number),
            csv_field(&name),
            m.figures.referrals,
            m.figures.outcomes,
            opt(m.figures.settlement_rate_percent)
        ));
    }
    Ok(csv_response("caseload-per-mediator.csv", out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_highest_value_and_gaps_have_no_height() {
        let chart = columns(
            "t",
            "T".into(),
            "D".into(),
            &[
                ("a".into(), Some(10.0)),
                ("b".into(), Some(5.0)),
                ("c".into(), None),
            ],
            "",
        );
        assert_eq!(chart.bars[0].h, HEIGHT - TOP - BOTTOM);
        assert_eq!(chart.bars[1].h * 2.0, chart.bars[0].h);
        assert_eq!(chart.bars[2].h, 0.0);
        assert_eq!(chart.bars[2].value, "—");
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("Ақбота"), "Ақбота");
    }
}
