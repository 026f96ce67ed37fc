//! Reports: the summary of a court's (or every court's) cases referred in a
//! period, aggregated by the database.
//!
//! Rule: the database counts (`GROUP BY`) and this module never loads whole
//! rows; the only per-case data read is two instants of each case with an
//! outcome, which the percentiles need. The figures themselves are defined in
//! `domain::reports`. The same SQL runs on SQLite and PostgreSQL (`$n`
//! parameters work on both), so both give the same answer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryResult,
    QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::auth::Caller;
use crate::domain::Role;
use crate::domain::case::AssignmentStatus;
use crate::domain::reports::{
    AttendanceCount, CaseCount, Figures, OutcomeTiming, Period, Summary, summarize,
};
use crate::error::{AppError, AppResult};

/// A mediator as a report names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediatorName {
    pub id: Uuid,
    pub name: String,
    pub registry_number: String,
}

/// The figures of one mediator's cases; `mediator_id` is `None` for cases
/// no mediator has accepted (yet).
#[derive(Debug, Clone, PartialEq)]
pub struct MediatorFigures {
    pub mediator_id: Option<Uuid>,
    pub mediator: Option<MediatorName>,
    pub figures: Figures,
}

/// A summary report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The court reported on; `None`: every court.
    pub court_id: Option<Uuid>,
    pub period: Period,
    pub total: Figures,
    pub by_category: Vec<(String, Figures)>,
    pub by_mediator: Vec<MediatorFigures>,
}

/// The court a caller's report covers: admins any court (it must exist) or
/// all; clerks their own court only — another court is not found, as it is
/// everywhere else. Mediators may not read reports.
async fn court_in_scope(
    db: &DatabaseConnection,
    caller: &Caller,
    court_id: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    let not_found = || AppError::not_found("court");
    match caller.role {
        Role::Mediator => Err(AppError::Forbidden(
            "only an admin or a clerk may read reports".into(),
        )),
        Role::Clerk => {
            let own = caller.court_id.ok_or_else(not_found)?;
            match court_id {
                Some(id) if id != own => Err(not_found()),
                _ => Ok(Some(own)),
            }
        }
        Role::Admin => {
            if let Some(id) = court_id {
                entity::courts::Entity::find_by_id(id)
                    .select_only()
                    .column(entity::courts::Column::Id)
                    .into_tuple::<Uuid>()
                    .one(db)
                    .await?
                    .ok_or_else(not_found)?;
            }
            Ok(court_id)
        }
    }
}

/// The cases of the report: referred (`cases.created_at`) in the period, of
/// the court when one is given, each with the mediator whose assignment it
/// accepted. A case has at most one accepted assignment (a mediator is only
/// proposed for a case that has none, and a case never goes back to that
/// state once one accepted), so the join does not repeat a case.
/// Parameters: `$1` accepted, `$2` start, `$3` end, `$4` the court.
fn scope(with_court: bool) -> String {
    format!(
        "WITH scope AS (
            SELECT c.id AS id, c.category AS category, c.status AS status,
                   c.created_at AS created_at, a.mediator_id AS mediator_id
              FROM cases c
              LEFT JOIN assignments a ON a.case_id = c.id AND a.status = $1
             WHERE c.created_at >= $2 AND c.created_at < $3{}
        )",
        if with_court {
            " AND c.court_id = $4"
        } else {
            ""
        }
    )
}

/// Cases by category, mediator, status and the result of their latest
/// outcome version (the one no other version of the case follows).
const CASE_COUNTS: &str = "
    SELECT s.category AS category, s.mediator_id AS mediator_id, s.status AS status,
           o.result AS result, COUNT(*) AS cases
      FROM scope s
      LEFT JOIN outcomes o ON o.case_id = s.id
           AND NOT EXISTS (SELECT 1 FROM outcomes o2
                            WHERE o2.case_id = o.case_id AND o2.version > o.version)
     GROUP BY s.category, s.mediator_id, s.status, o.result";

/// Invited parties, and those absent, of sessions whose attendance was
/// recorded, by category and mediator. `${absent}` is false, the parameter
/// after those of the scope.
fn attendance(absent: usize) -> String {
    format!(
        "
    SELECT s.category AS category, s.mediator_id AS mediator_id,
           COUNT(*) AS invited,
           SUM(CASE WHEN sp.attended = ${absent} THEN 1 ELSE 0 END) AS absent
      FROM scope s
      JOIN sessions se ON se.case_id = s.id
      JOIN session_parties sp ON sp.session_id = se.id
     WHERE se.attendance_recorded_at IS NOT NULL
     GROUP BY s.category, s.mediator_id"
    )
}

/// Each case with an outcome: its referral and its first outcome version
/// (the one no other version of the case precedes).
const TIMINGS: &str = "
    SELECT s.category AS category, s.mediator_id AS mediator_id,
           s.created_at AS referred_at, o.created_at AS outcome_at
      FROM scope s
      JOIN outcomes o ON o.case_id = s.id
           AND NOT EXISTS (SELECT 1 FROM outcomes o2
                            WHERE o2.case_id = o.case_id AND o2.version < o.version)";

/// The summary of the cases referred in `period`, of `court_id` or (for an
/// admin who names none) of every court.
pub async fn summary(
    db: &DatabaseConnection,
    caller: &Caller,
    court_id: Option<Uuid>,
    period: Period,
) -> AppResult<Report> {
    let court_id = court_in_scope(db, caller, court_id).await?;
    let (start, end) = period.instants();
    let mut values: Vec<Value> = vec![
        AssignmentStatus::Accepted.as_str().into(),
        start.into(),
        end.into(),
    ];
    if let Some(court) = court_id {
        values.push(court.into());
    }
    let scope = scope(court_id.is_some());
    let statement = |body: &str, extra: Option<Value>| {
        let mut values = values.clone();
        values.extend(extra);
        Statement::from_sql_and_values(db.get_database_backend(), format!("{scope}{body}"), values)
    };

    let (case_rows, attendance_rows, timing_rows) = tokio::try_join!(
        db.query_all_raw(statement(CASE_COUNTS, None)),
        db.query_all_raw(statement(&attendance(values.len() + 1), Some(false.into()))),
        db.query_all_raw(statement(TIMINGS, None)),
    )?;
    let cases = case_rows
        .iter()
        .map(|r| {
            Ok(CaseCount {
                category: r.try_get("", "category")?,
                mediator: r.try_get("", "mediator_id")?,
                status: r.try_get("", "status")?,
                result: r.try_get("", "result")?,
                cases: count(r, "cases")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let attendance = attendance_rows
        .iter()
        .map(|r| {
            Ok(AttendanceCount {
                category: r.try_get("", "category")?,
                mediator: r.try_get("", "mediator_id")?,
                invited: count(r, "invited")?,
                absent: count(r, "absent")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let timings = timing_rows
        .iter()
        .map(|r| {
            Ok(OutcomeTiming {
                category: r.try_get("", "category")?,
                mediator: r.try_get("", "mediator_id")?,
                referred_at: r.try_get::<DateTime<Utc>>("", "referred_at")?,
                outcome_at: r.try_get::<DateTime<Utc>>("", "outcome_at")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;

    let Summary {
        total,
        by_category,
        by_mediator,
    } = summarize(&cases, &attendance, &timings);
    let names = mediator_names(db, by_mediator.iter().filter_map(|(m, _)| *m).collect()).await?;
    let by_mediator = by_mediator
        .into_iter()
        .map(|(id, figures)| MediatorFigures {
            mediator_id: id,
            mediator: id.and_then(|id| names.get(&id).cloned()),
            figures,
        })
        .collect();
    Ok(Report {
        court_id,
        period,
        total,
        by_category,
        by_mediator,
    })
}

/// A count read back: `COUNT` and `SUM` are 64-bit integers on both
/// databases (`SUM` over no rows does not occur: groups have rows).
fn count(row: &QueryResult, column: &str) -> AppResult<u64> {
    let n: Option<i64> = row.try_get("", column)?;
    u64::try_from(n.unwrap_or(0))
        .map_err(|e| AppError::internal("reading a count of the report", e))
}

async fn mediator_names(
    db: &DatabaseConnection,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, MediatorName>> {
    use entity::mediators::{Column, Entity};
    let mut names = HashMap::with_capacity(ids.len());
    // Bounded chunks: a country has thousands of mediators, and a statement
    // has a limit on its parameters.
    for chunk in ids.chunks(500) {
        let rows: Vec<(Uuid, String, String)> = Entity::find()
            .select_only()
            .columns([Column::Id, Column::Name, Column::RegistryNumber])
            .filter(Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, name, registry_number) in rows {
            names.insert(
                id,
                MediatorName {
                    id,
                    name,
                    registry_number,
                },
            );
        }
    }
    Ok(names)
}

/// The figures of one calendar month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigures {
    pub year: i32,
    pub month: u32,
    pub figures: Figures,
}

/// The calendar months from `first` (its month) to `last` (its month), at
/// most [`crate::domain::reports::MAX_SPAN_MONTHS`], each a [`Period`].
pub fn months_between(
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
) -> AppResult<Vec<(i32, u32, Period)>> {
    use chrono::{Datelike, Months, NaiveDate};
    let start = |d: NaiveDate| NaiveDate::from_ymd_opt(d.year(), d.month(), 1);
    let (Some(mut at), Some(end)) = (start(first), start(last)) else {
        return Err(AppError::field("from", "is not a date"));
    };
    Period::new(at, last).map_err(|(f, m)| AppError::field(f, m))?;
    let mut out = Vec::new();
    while at <= end {
        let next = at
            .checked_add_months(Months::new(1))
            .ok_or_else(|| AppError::field("to", "is too far ahead"))?;
        let period = Period::new(at, next.pred_opt().unwrap_or(at))
            .map_err(|(f, m)| AppError::field(f, m))?;
        out.push((at.year(), at.month(), period));
        at = next;
    }
    Ok(out)
}

/// The summary of each month from `first` to `last`, of `court_id` as in
/// [`summary`]: the series the report's charts draw.
pub async fn monthly(
    db: &DatabaseConnection,
    caller: &Caller,
    court_id: Option<Uuid>,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
) -> AppResult<Vec<MonthFigures>> {
    let mut out = Vec::new();
    for (year, month, period) in months_between(first, last)? {
        let report = summary(db, caller, court_id, period).await?;
        out.push(MonthFigures {
            year,
            month,
            figures: report.total,
        });
    }
    Ok(out)
}
