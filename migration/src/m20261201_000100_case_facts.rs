//! Report facts: one row per case with what the summary report counts, kept
//! by the database itself.
//!
//! - `case_facts`: for each case its court, category, referral instant and
//!   status; the mediator whose assignment it accepted; the result of its
//!   latest outcome version; the days from referral to its first outcome
//!   version (calendar days in Asia/Almaty); and the invited and absent
//!   parties of its sessions whose attendance was recorded. The report
//!   becomes a `GROUP BY` over one narrow table instead of joins over cases,
//!   assignments, outcomes, sessions and their invited parties.
//! - `report_zone_offsets`: Asia/Almaty's UTC offset from each instant on
//!   (epoch seconds), from the tz data the service is built with, so that
//!   both databases count days in Almaty without tz data of their own
//!   (SQLite has none; PostgreSQL's may predate Kazakhstan's move to UTC+5
//!   in 2024). Should the zone change again, a migration refills it.
//! - Triggers on `cases`, `assignments`, `outcomes`, `sessions` and
//!   `session_parties` recompute a case's row from those tables whenever
//!   something the report reads changes, in the same transaction, whoever
//!   writes: the services, the demo, an import, a fix made by hand. A
//!   recomputation rather than a running total, so a row is never more
//!   than one statement away from the truth.
//! - On PostgreSQL the recomputation first locks the case's row (`FOR NO
//!   KEY UPDATE`, which does not block foreign-key checks): two transactions
//!   changing the same case recompute one after the other, the second from
//!   what the first committed. SQLite has one writer at a time.
//! - Existing cases are back-filled here.
//!
//! Raw SQL, unlike the other migrations: triggers have no portable builder,
//! and each backend spells them its own way.

use chrono::{DateTime, Offset, TimeZone};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The zone whose calendar days the report counts (`domain::reports::REPORT_ZONE`).
const ZONE: chrono_tz::Tz = chrono_tz::Asia::Almaty;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportZoneOffsets::Table)
                    .col(big_integer(ReportZoneOffsets::StartsAt).primary_key())
                    .col(integer(ReportZoneOffsets::OffsetSeconds))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert.into_table(ReportZoneOffsets::Table).columns([
            ReportZoneOffsets::StartsAt,
            ReportZoneOffsets::OffsetSeconds,
        ]);
        for (starts_at, offset) in zone_offsets() {
            insert.values_panic([starts_at.into(), offset.into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseFacts::Table)
                    .col(pk_uuid(CaseFacts::CaseId))
                    .col(uuid(CaseFacts::CourtId))
                    .col(string(CaseFacts::Category))
                    .col(string(CaseFacts::Status))
                    .col(timestamp_with_time_zone(CaseFacts::ReferredAt))
                    .col(uuid_null(CaseFacts::MediatorId))
                    .col(string_null(CaseFacts::Result))
                    .col(integer_null(CaseFacts::DaysToOutcome))
                    .col(integer(CaseFacts::InvitedParties).default(0))
                    .col(integer(CaseFacts::AbsentParties).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_facts_case_id")
                            .from(CaseFacts::Table, CaseFacts::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Each holds every column the report reads: a court's period, or
        // every court's.
        for (name, first) in [
            (
                "idx_case_facts_court_id_referred_at",
                Some(CaseFacts::CourtId),
            ),
            ("idx_case_facts_referred_at", None),
        ] {
            let mut index = Index::create();
            index.name(name).table(CaseFacts::Table);
            if let Some(first) = first {
                index.col(first);
            }
            index
                .col(CaseFacts::ReferredAt)
                .col(CaseFacts::Category)
                .col(CaseFacts::Status)
                .col(CaseFacts::Result)
                .col(CaseFacts::MediatorId)
                .col(CaseFacts::DaysToOutcome)
                .col(CaseFacts::InvitedParties)
                .col(CaseFacts::AbsentParties);
            manager.create_index(index.to_owned()).await?;
        }

        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for statement in trigger_statements(backend) {
            db.execute_unprepared(&statement).await?;
        }
        // Back-fill: every case there is (new ones are the triggers' job).
        db.execute_unprepared(&upsert(backend, "TRUE")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for t in &TRIGGERS {
            let statements = match backend {
                DatabaseBackend::Postgres => {
                    vec![format!("DROP TRIGGER IF EXISTS {} ON {}", t.name, t.table)]
                }
                // Split into one trigger per event, see `sqlite_triggers`.
                _ => ["", "_1", "_2"]
                    .iter()
                    .map(|suffix| format!("DROP TRIGGER IF EXISTS {}{suffix}", t.name))
                    .collect(),
            };
            for statement in statements {
                db.execute_unprepared(&statement).await?;
            }
        }
        if backend == DatabaseBackend::Postgres {
            for function in [
                "case_facts_from_cases()",
                "case_facts_from_new_case_id()",
                "case_facts_from_old_case_id()",
                "case_facts_from_new_session_id()",
                "case_facts_from_old_session_id()",
                "case_facts_refresh(uuid)",
            ] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(CaseFacts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ReportZoneOffsets::Table).to_owned())
            .await
    }
}

/// Asia/Almaty's offsets: `(from this epoch second on, offset in seconds)`,
/// the first row covering everything before. Found by stepping a day at a
/// time from 1900 to 2100 and narrowing each change to its second.
fn zone_offsets() -> Vec<(i64, i32)> {
    let offset_at = |t: i64| -> i32 {
        let utc = DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .naive_utc();
        ZONE.offset_from_utc_datetime(&utc).fix().local_minus_utc()
    };
    const DAY: i64 = 86_400;
    let (start, end) = (-2_208_988_800_i64, 4_133_980_800_i64); // 1900 … 2101
    let mut rows = vec![(i64::MIN, offset_at(start))];
    let mut t = start;
    while t < end {
        let (now, next) = (offset_at(t), offset_at(t + DAY));
        if now != next {
            // The first second in (t, t + DAY] with the new offset.
            let (mut lo, mut hi) = (t, t + DAY);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid) == now {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            rows.push((hi, next));
        }
        t += DAY;
    }
    rows
}

/// The epoch second of a timestamp expression.
fn epoch(backend: DatabaseBackend, t: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {t})) AS BIGINT)"),
        // Timestamps are stored as RFC 3339 text.
        _ => format!("CAST(strftime('%s', {t}) AS INTEGER)"),
    }
}

/// The day number (days since 1970-01-01) of a timestamp expression in
/// Asia/Almaty; NULL when the timestamp is NULL. Instants are after 1970,
/// so integer division is the floor.
fn local_day(backend: DatabaseBackend, t: &str) -> String {
    let e = epoch(backend, t);
    format!(
        "(({e} + (SELECT z.offset_seconds FROM report_zone_offsets z \
          WHERE z.starts_at <= {e} ORDER BY z.starts_at DESC LIMIT 1)) / 86400)"
    )
}

/// Recomputes the facts of the cases `c` matching `condition` from the
/// tables they come from, inserting the rows missing. The definitions are
/// those of the summary report (`services::reports`): the accepted
/// assignment (a case has at most one), the latest outcome version's
/// result, the first version's day minus the referral's day, invited
/// parties of sessions whose attendance was recorded and those absent.
fn upsert(backend: DatabaseBackend, condition: &str) -> String {
    let first_outcome_at = "(SELECT o.created_at FROM outcomes o WHERE o.case_id = c.id \
                            ORDER BY o.version LIMIT 1)";
    let days = format!(
        "{} - {}",
        local_day(backend, first_outcome_at),
        local_day(backend, "c.created_at")
    );
    let recorded = "FROM sessions se JOIN session_parties sp ON sp.session_id = se.id \
                    WHERE se.case_id = c.id AND se.attendance_recorded_at IS NOT NULL";
    format!(
        "INSERT INTO case_facts (case_id, court_id, category, status, referred_at, mediator_id, \
                                 result, days_to_outcome, invited_parties, absent_parties) \
         SELECT c.id, c.court_id, c.category, c.status, c.created_at, \
                (SELECT a.mediator_id FROM assignments a \
                  WHERE a.case_id = c.id AND a.status = 'accepted' \
                  ORDER BY a.proposed_at, a.id LIMIT 1), \
                (SELECT o.result FROM outcomes o WHERE o.case_id = c.id \
                  ORDER BY o.version DESC LIMIT 1), \
                {days}, \
                (SELECT COUNT(*) {recorded}), \
                (SELECT COUNT(*) {recorded} AND sp.attended = FALSE) \
           FROM cases c WHERE {condition} \
         ON CONFLICT (case_id) DO UPDATE SET \
                court_id = excluded.court_id, category = excluded.category, \
                status = excluded.status, referred_at = excluded.referred_at, \
                mediator_id = excluded.mediator_id, result = excluded.result, \
                days_to_outcome = excluded.days_to_outcome, \
                invited_parties = excluded.invited_parties, \
                absent_parties = excluded.absent_parties"
    )
}

/// Which case a trigger recomputes.
#[derive(Clone, Copy)]
enum Target {
    /// `cases` itself: `NEW.id`.
    Case,
    NewCaseId,
    OldCaseId,
    /// `session_parties`: the case of the session.
    NewSessionId,
    OldSessionId,
}

impl Target {
    /// The case id, as an SQL expression inside a trigger.
    fn case_id(self) -> &'static str {
        match self {
            Target::Case => "NEW.id",
            Target::NewCaseId => "NEW.case_id",
            Target::OldCaseId => "OLD.case_id",
            Target::NewSessionId => {
                "(SELECT s.case_id FROM sessions s WHERE s.id = NEW.session_id)"
            }
            Target::OldSessionId => {
                "(SELECT s.case_id FROM sessions s WHERE s.id = OLD.session_id)"
            }
        }
    }

    /// The PostgreSQL trigger function.
    fn function(self) -> &'static str {
        match self {
            Target::Case => "case_facts_from_cases",
            Target::NewCaseId => "case_facts_from_new_case_id",
            Target::OldCaseId => "case_facts_from_old_case_id",
            Target::NewSessionId => "case_facts_from_new_session_id",
            Target::OldSessionId => "case_facts_from_old_session_id",
        }
    }
}

struct Trigger {
    name: &'static str,
    table: &'static str,
    event: &'static str,
    /// A condition on the row alone (PostgreSQL allows no subquery here).
    when: Option<&'static str>,
    target: Target,
}

/// Every change of a column the facts are computed from. Updates of other
/// columns (a session moved, an outcome submitted, a party's email) fire
/// nothing. An update that moves a row to another case recomputes both.
const TRIGGERS: [Trigger; 16] = [
    Trigger {
        name: "case_facts_cases_insert",
        table: "cases",
        event: "INSERT",
        when: None,
        target: Target::Case,
    },
    Trigger {
        name: "case_facts_cases_update",
        table: "cases",
        event: "UPDATE OF court_id, category, status, created_at",
        when: None,
        target: Target::Case,
    },
    Trigger {
        name: "case_facts_assignments_insert",
        table: "assignments",
        event: "INSERT",
        when: Some("NEW.status = 'accepted'"),
        target: Target::NewCaseId,
    },
    Trigger {
        name: "case_facts_assignments_update",
        table: "assignments",
        event: "UPDATE OF case_id, mediator_id, status",
        when: None,
        target: Target::NewCaseId,
    },
    Trigger {
        name: "case_facts_assignments_update_old",
        table: "assignments",
        event: "UPDATE OF case_id",
        when: Some("OLD.case_id <> NEW.case_id"),
        target: Target::OldCaseId,
    },
    Trigger {
        name: "case_facts_assignments_delete",
        table: "assignments",
        event: "DELETE",
        when: Some("OLD.status = 'accepted'"),
        target: Target::OldCaseId,
    },
    Trigger {
        name: "case_facts_outcomes_insert",
        table: "outcomes",
        event: "INSERT",
        when: None,
        target: Target::NewCaseId,
    },
    Trigger {
        name: "case_facts_outcomes_update",
        table: "outcomes",
        event: "UPDATE OF case_id, version, result, created_at",
        when: None,
        target: Target::NewCaseId,
    },
    Trigger {
        name: "case_facts_outcomes_update_old",
        table: "outcomes",
        event: "UPDATE OF case_id",
        when: Some("OLD.case_id <> NEW.case_id"),
        target: Target::OldCaseId,
    },
    Trigger {
        name: "case_facts_outcomes_delete",
        table: "outcomes",
        event: "DELETE",
        when: None,
        target: Target::OldCaseId,
    },
    Trigger {
        name: "case_facts_sessions_insert",
        table: "sessions",
        event: "INSERT",
        when: Some("NEW.attendance_recorded_at IS NOT NULL"),
        target: Target::NewCaseId,
    },
    Trigger {
        name: "case_facts_sessions_update",
        table: "sessions",
        event: "UPDATE OF case_id, attendance_recorded_at",
        when: None,
        target: Target::NewCaseId,
    },
    Trigger {
        name: "case_facts_sessions_update_old",
        table: "sessions",
        event: "UPDATE OF case_id",
        when: Some("OLD.case_id <> NEW.case_id"),
        target: Target::OldCaseId,
    },
    Trigger {
        name: "case_facts_sessions_delete",
        table: "sessions",
        event: "DELETE",
        when: Some("OLD.attendance_recorded_at IS NOT NULL"),
        target: Target::OldCaseId,
    },
    // Parties invited to a session count once its attendance is recorded;
    // the functions (PostgreSQL) and the conditions (SQLite) skip the rows
    // written when a session is booked.
    Trigger {
        name: "case_facts_session_parties_insert_update",
        table: "session_parties",
        event: "INSERT OR UPDATE OF session_id, attended",
        when: None,
        target: Target::NewSessionId,
    },
    Trigger {
        name: "case_facts_session_parties_delete_update",
        table: "session_parties",
        event: "DELETE OR UPDATE OF session_id",
        when: None,
        target: Target::OldSessionId,
    },
];

/// Whether the session of a `session_parties` row (`NEW` or `OLD`) has its
/// attendance recorded, or the row says who attended.
fn counts(row: &str) -> String {
    format!(
        "{row}.attended IS NOT NULL OR EXISTS (SELECT 1 FROM sessions s \
         WHERE s.id = {row}.session_id AND s.attendance_recorded_at IS NOT NULL)"
    )
}

fn trigger_statements(backend: DatabaseBackend) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => postgres_triggers(),
        _ => sqlite_triggers(),
    }
}

fn postgres_triggers() -> Vec<String> {
    let mut out = vec![format!(
        "CREATE FUNCTION case_facts_refresh(target uuid) RETURNS void LANGUAGE plpgsql AS $$
         BEGIN
             IF target IS NULL THEN RETURN; END IF;
             PERFORM 1 FROM cases WHERE id = target FOR NO KEY UPDATE;
             {};
         END $$",
        upsert(DatabaseBackend::Postgres, "c.id = target")
    )];
    for target in [
        Target::Case,
        Target::NewCaseId,
        Target::OldCaseId,
        Target::NewSessionId,
        Target::OldSessionId,
    ] {
        let condition = match target {
            Target::NewSessionId => counts("NEW"),
            Target::OldSessionId => counts("OLD"),
            _ => "TRUE".into(),
        };
        out.push(format!(
            "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF {condition} THEN
                     PERFORM case_facts_refresh({});
                 END IF;
                 RETURN NULL;
             END $$",
            target.function(),
            target.case_id()
        ));
    }
    for t in &TRIGGERS {
        let event = t.event;
        let when = t.when.map(|w| format!(" WHEN ({w})")).unwrap_or_default();
        out.push(format!(
            "CREATE TRIGGER {} AFTER {event} ON {} FOR EACH ROW{when} EXECUTE FUNCTION {}()",
            t.name,
            t.table,
            t.target.function()
        ));
    }
    out
}

fn sqlite_triggers() -> Vec<String> {
    let mut out = Vec::new();
    for t in &TRIGGERS {
        // SQLite has one event per trigger: `INSERT OR UPDATE OF …` becomes two.
        let events: Vec<&str> = t.event.split(" OR ").collect();
        for (i, event) in events.iter().enumerate() {
            let name = if events.len() > 1 {
                format!("{}_{}", t.name, i + 1)
            } else {
                t.name.to_owned()
            };
            let row_condition = match (t.target, *event) {
                // A deleted row has no NEW; an inserted one no OLD.
                (Target::NewSessionId, _) => Some(counts("NEW")),
                (Target::OldSessionId, _) => Some(counts("OLD")),
                _ => t.when.map(str::to_owned),
            };
            let when = row_condition
                .map(|w| format!(" WHEN {w}"))
                .unwrap_or_default();
            out.push(format!(
                "CREATE TRIGGER {name} AFTER {event} ON {} FOR EACH ROW{when} BEGIN {}; END",
                t.table,
                upsert(
                    DatabaseBackend::Sqlite,
                    &format!("c.id = {}", t.target.case_id())
                )
            ));
        }
    }
    out
}

#[derive(DeriveIden)]
enum CaseFacts {
    Table,
    CaseId,
    CourtId,
    Category,
    Status,
    ReferredAt,
    MediatorId,
    Result,
    DaysToOutcome,
    InvitedParties,
    AbsentParties,
}

#[derive(DeriveIden)]
enum ReportZoneOffsets {
    Table,
    StartsAt,
    OffsetSeconds,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}
