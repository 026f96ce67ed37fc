//! Reports: the summary of a court's (or every court's) cases referred in a
//! period, aggregated by the database.
//!
//! Rule: the database counts (`GROUP BY`) over the per-case facts it keeps
//! (`case_facts`, recomputed by triggers in the transaction of every change
//! they depend on), and this module never loads whole rows; the only
//! per-case data read is each timed case's days to outcome, packed into
//! one string per group, which the percentiles need. The figures themselves
//! are defined in `domain::reports`. The same SQL runs on SQLite and
//! PostgreSQL (`$n` parameters work on both) but for the name of the
//! string aggregate, so both give the same answer.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryResult, QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::auth::Caller;
use crate::domain::Role;
use crate::domain::reports::{Figures, GroupCount, Period, Summary, summarize};
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

/// Cases referred (`case_facts.referred_at`, the case's `created_at`) in
/// the period, of the court when one is given, grouped by `group` (a
/// category or the accepted mediator), status and result, with their
/// attendance summed and their days to outcome listed as one string of
/// comma-separated integers (NULLs, cases with no outcome, left out).
/// Parameters: `$1` start, `$2` end, `$3` the court.
///
/// The facts are kept by the database (migration `m20261201_000100`), one
/// row per case: this reads one narrow table through an index that holds
/// every column it needs, and sends back a few hundred rows.
fn grouped(backend: DbBackend, group: &str, with_court: bool) -> String {
    let days = match backend {
        DbBackend::Postgres => "string_agg(CAST(days_to_outcome AS TEXT), ',')",
        _ => "group_concat(days_to_outcome, ',')",
    };
    let court = if with_court { " AND court_id = $3" } else { "" };
    format!(
        "SELECT {group} AS grp, status, result, COUNT(*) AS cases,
                SUM(invited_parties) AS invited, SUM(absent_parties) AS absent,
                {days} AS days
           FROM case_facts
          WHERE referred_at >= $1 AND referred_at < $2{court}
          GROUP BY {group}, status, result"
    )
}

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
    let mut values: Vec<Value> = vec![start.into(), end.into()];
    if let Some(court) = court_id {
        values.push(court.into());
    }
    let backend = db.get_database_backend();
    let statement = |group: &str| {
        Statement::from_sql_and_values(
            backend,
            grouped(backend, group, court_id.is_some()),
            values.clone(),
        )
    };
    let (category_rows, mediator_rows) = tokio::try_join!(
        db.query_all_raw(statement("category")),
        db.query_all_raw(statement("mediator_id")),
    )?;
    let by_category = category_rows
        .iter()
        .map(|r| group_count(r, r.try_get::<String>("", "grp")?))
        .collect::<AppResult<Vec<_>>>()?;
    let by_mediator = mediator_rows
        .iter()
        .map(|r| group_count(r, r.try_get::<Option<Uuid>>("", "grp")?))
        .collect::<AppResult<Vec<_>>>()?;

    let Summary {
        total,
        by_category,
        by_mediator,
    } = summarize(&by_category, &by_mediator);
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

/// One row of [`grouped`] for `group`.
fn group_count<G>(row: &QueryResult, group: G) -> AppResult<GroupCount<G>> {
    let days: Option<String> = row.try_get("", "days")?;
    let days = days
        .as_deref()
        .map(|list| {
            list.split(',')
                .map(|d| d.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .map_err(|e| AppError::internal("reading the days to outcome of the report", e))?
        .unwrap_or_default();
    Ok(GroupCount {
        group,
        status: row.try_get("", "status")?,
        result: row.try_get("", "result")?,
        cases: count(row, "cases")?,
        invited: count(row, "invited")?,
        absent: count(row, "absent")?,
        days,
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
