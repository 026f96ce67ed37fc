//! What a matches request needs about the whole registry, kept by the
//! database itself so that the request reads a handful of rows, not the
//! registry and every assignment.
//!
//! - `mediator_caseloads`: per mediator, the active cases the `capacity`
//!   rule counts — holding assignments (`proposed`, `accepted`) whose case
//!   is still with its mediator (`domain::case::ACTIVE_FOR_MEDIATOR`).
//!   Triggers on `assignments` and `cases` recompute a mediator's row
//!   whenever one of theirs changes in a way that can change the count, in
//!   the same transaction, whoever writes. A recomputation rather than a
//!   running total, so a row is never more than one statement away from the
//!   truth. On PostgreSQL the recomputation first locks the mediator's row
//!   here: two transactions changing the same mediator's cases recompute
//!   one after the other, the second from what the first committed. SQLite
//!   has one writer at a time.
//! - `registry_version`: one row whose `version` goes up with every change
//!   of what matching reads about a mediator apart from their calendar and
//!   caseload: the mediator's name, email, registry number, status,
//!   certification, maximum of active cases, specialties, languages, courts
//!   and declared conflicts. Each instance keeps the registry in memory and
//!   checks this one number before using it (`services::matching`).
//! - Existing data is back-filled here.
//!
//! Raw SQL, as in `m20261201_000100_case_facts`: triggers have no portable
//! builder. Keep the status lists in step with `domain::case`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `AssignmentStatus::HOLDING`.
const HOLDING: &str = "('proposed', 'accepted')";
/// `ACTIVE_FOR_MEDIATOR`.
const ACTIVE: &str =
    "('mediator_proposed', 'mediator_accepted', 'scheduled', 'outcome_recorded', 'returned')";

/// Tables whose every change changes the registry as matching sees it.
const REGISTRY_LISTS: [&str; 4] = [
    "mediator_specialties",
    "mediator_languages",
    "mediator_courts",
    "conflicts",
];
/// The columns of `mediators` matching reads (not the calendar version,
/// raised by every booking).
const MEDIATOR_COLUMNS: &str =
    "name, email, registry_number, status, certified_until, max_active_cases";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MediatorCaseloads::Table)
                    .col(pk_uuid(MediatorCaseloads::MediatorId))
                    .col(integer(MediatorCaseloads::ActiveCases).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mediator_caseloads_mediator_id")
                            .from(MediatorCaseloads::Table, MediatorCaseloads::MediatorId)
                            .to(Mediators::Table, Mediators::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Matching asks for those at or above the smallest maximum there is.
        manager
            .create_index(
                Index::create()
                    .name("idx_mediator_caseloads_active_cases")
                    .table(MediatorCaseloads::Table)
                    .col(MediatorCaseloads::ActiveCases)
                    .col(MediatorCaseloads::MediatorId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistryVersion::Table)
                    .col(integer(RegistryVersion::Id).primary_key())
                    .col(big_integer(RegistryVersion::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RegistryVersion::Table)
                    .columns([RegistryVersion::Id, RegistryVersion::Version])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;

        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        let statements = match backend {
            DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        // Back-fill: every mediator there is.
        db.execute_unprepared(&refresh("TRUE")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for (name, table) in trigger_names() {
            let statement = match backend {
                DatabaseBackend::Postgres => format!("DROP TRIGGER IF EXISTS {name} ON {table}"),
                _ => format!("DROP TRIGGER IF EXISTS {name}"),
            };
            db.execute_unprepared(&statement).await?;
        }
        if backend == DatabaseBackend::Postgres {
            for function in [
                "mediator_caseloads_from_new_mediator_id()",
                "mediator_caseloads_from_old_mediator_id()",
                "mediator_caseloads_from_cases()",
                "mediator_caseloads_from_new_mediator()",
                "mediator_caseloads_refresh(uuid)",
                "registry_version_raise()",
            ] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(RegistryVersion::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MediatorCaseloads::Table).to_owned())
            .await
    }
}

/// Recomputes the caseload of the mediators `m` matching `condition`,
/// inserting the rows missing. Written with `EXISTS` so that the count
/// walks the mediator's assignments (by `idx_assignments_status_mediator_id`)
/// and looks each case up by id: as a join, SQLite starts from every active
/// case instead, which costs the whole table per trigger.
fn refresh(condition: &str) -> String {
    format!(
        "INSERT INTO mediator_caseloads (mediator_id, active_cases) \
         SELECT m.id, (SELECT COUNT(*) FROM assignments a \
                        WHERE a.mediator_id = m.id AND a.status IN {HOLDING} \
                          AND EXISTS (SELECT 1 FROM cases c \
                                      WHERE c.id = a.case_id AND c.status IN {ACTIVE})) \
           FROM mediators m WHERE {condition} \
         ON CONFLICT (mediator_id) DO UPDATE SET active_cases = excluded.active_cases"
    )
}

/// Whose caseload a trigger recomputes.
#[derive(Clone, Copy)]
enum Target {
    NewMediatorId,
    OldMediatorId,
    /// A case's status changed: every mediator with an assignment on it.
    CaseMediators,
}

impl Target {
    fn condition(self) -> &'static str {
        match self {
            Target::NewMediatorId => "m.id = NEW.mediator_id",
            Target::OldMediatorId => "m.id = OLD.mediator_id",
            Target::CaseMediators => {
                "m.id IN (SELECT a.mediator_id FROM assignments a WHERE a.case_id = NEW.id)"
            }
        }
    }

    fn function(self) -> &'static str {
        match self {
            Target::NewMediatorId => "mediator_caseloads_from_new_mediator_id",
            Target::OldMediatorId => "mediator_caseloads_from_old_mediator_id",
            Target::CaseMediators => "mediator_caseloads_from_cases",
        }
    }
}

struct Trigger {
    name: &'static str,
    table: &'static str,
    event: &'static str,
    /// A condition on the row alone (PostgreSQL allows no subquery here).
    when: Option<String>,
    target: Target,
}

/// Every change that can change a caseload. Accepting a proposal (holding
/// to holding), a session booked (`mediator_accepted` to `scheduled`) and
/// the like fire nothing.
fn caseload_triggers() -> Vec<Trigger> {
    vec![
        Trigger {
            name: "mediator_caseloads_assignments_insert",
            table: "assignments",
            event: "INSERT",
            when: Some(format!("NEW.status IN {HOLDING}")),
            target: Target::NewMediatorId,
        },
        Trigger {
            name: "mediator_caseloads_assignments_update",
            table: "assignments",
            event: "UPDATE OF status, mediator_id, case_id",
            when: Some(format!(
                "(OLD.status IN {HOLDING}) <> (NEW.status IN {HOLDING}) \
                 OR OLD.mediator_id <> NEW.mediator_id OR OLD.case_id <> NEW.case_id"
            )),
            target: Target::NewMediatorId,
        },
        Trigger {
            name: "mediator_caseloads_assignments_update_old",
            table: "assignments",
            event: "UPDATE OF mediator_id",
            when: Some("OLD.mediator_id <> NEW.mediator_id".into()),
            target: Target::OldMediatorId,
        },
        Trigger {
            name: "mediator_caseloads_assignments_delete",
            table: "assignments",
            event: "DELETE",
            when: Some(format!("OLD.status IN {HOLDING}")),
            target: Target::OldMediatorId,
        },
        Trigger {
            name: "mediator_caseloads_cases_update",
            table: "cases",
            event: "UPDATE OF status",
            when: Some(format!(
                "(OLD.status IN {ACTIVE}) <> (NEW.status IN {ACTIVE})"
            )),
            target: Target::CaseMediators,
        },
        Trigger {
            name: "mediator_caseloads_mediators_insert",
            table: "mediators",
            event: "INSERT",
            when: None,
            target: Target::NewMediatorId,
        },
    ]
}

/// `(name, table)` of every trigger, for `down`.
fn trigger_names() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = caseload_triggers()
        .into_iter()
        .map(|t| (t.name.to_owned(), t.table))
        .collect();
    for (name, table, _) in registry_triggers() {
        out.push((name, table));
    }
    out
}

/// `(name, table, event)` of the triggers that raise the registry version.
/// SQLite has one event per trigger, so each event has its own.
fn registry_triggers() -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    for table in REGISTRY_LISTS {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            out.push((
                format!("registry_version_{table}_{}", event.to_lowercase()),
                table,
                event.to_owned(),
            ));
        }
    }
    for event in [
        "INSERT".to_owned(),
        format!("UPDATE OF {MEDIATOR_COLUMNS}"),
        "DELETE".to_owned(),
    ] {
        let short = event
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        out.push((
            format!("registry_version_mediators_{short}"),
            "mediators",
            event,
        ));
    }
    out
}

const RAISE: &str = "UPDATE registry_version SET version = version + 1 WHERE id = 1";

fn postgres_triggers() -> Vec<String> {
    let mut out = vec![format!(
        "CREATE FUNCTION mediator_caseloads_refresh(target uuid) RETURNS void LANGUAGE plpgsql AS $$
         BEGIN
             IF target IS NULL OR NOT EXISTS (SELECT 1 FROM mediators WHERE id = target) THEN
                 RETURN;
             END IF;
             INSERT INTO mediator_caseloads (mediator_id, active_cases) VALUES (target, 0)
                 ON CONFLICT (mediator_id) DO NOTHING;
             PERFORM 1 FROM mediator_caseloads WHERE mediator_id = target FOR UPDATE;
             {};
         END $$",
        refresh("m.id = target")
    )];
    out.push(
        "CREATE FUNCTION mediator_caseloads_from_new_mediator_id() RETURNS trigger \
         LANGUAGE plpgsql AS $$
         BEGIN
             PERFORM mediator_caseloads_refresh(NEW.mediator_id);
             RETURN NULL;
         END $$"
            .into(),
    );
    out.push(
        "CREATE FUNCTION mediator_caseloads_from_old_mediator_id() RETURNS trigger \
         LANGUAGE plpgsql AS $$
         BEGIN
             PERFORM mediator_caseloads_refresh(OLD.mediator_id);
             RETURN NULL;
         END $$"
            .into(),
    );
    // In id order, so that two transactions lock the rows in the same order.
    out.push(
        "CREATE FUNCTION mediator_caseloads_from_cases() RETURNS trigger \
         LANGUAGE plpgsql AS $$
         DECLARE target uuid;
         BEGIN
             FOR target IN SELECT DISTINCT a.mediator_id FROM assignments a
                           WHERE a.case_id = NEW.id ORDER BY a.mediator_id LOOP
                 PERFORM mediator_caseloads_refresh(target);
             END LOOP;
             RETURN NULL;
         END $$"
            .into(),
    );
    out.push(format!(
        "CREATE FUNCTION registry_version_raise() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             {RAISE};
             RETURN NULL;
         END $$"
    ));
    for t in caseload_triggers() {
        // A new mediator has no assignments: the row is made for the lock.
        let function = match t.target {
            Target::NewMediatorId if t.table == "mediators" => {
                out.push(
                    "CREATE FUNCTION mediator_caseloads_from_new_mediator() RETURNS trigger \
                     LANGUAGE plpgsql AS $$
                     BEGIN
                         INSERT INTO mediator_caseloads (mediator_id, active_cases)
                             VALUES (NEW.id, 0) ON CONFLICT (mediator_id) DO NOTHING;
                         RETURN NULL;
                     END $$"
                        .into(),
                );
                "mediator_caseloads_from_new_mediator"
            }
            target => target.function(),
        };
        let when = t.when.map(|w| format!(" WHEN ({w})")).unwrap_or_default();
        out.push(format!(
            "CREATE TRIGGER {} AFTER {} ON {} FOR EACH ROW{when} EXECUTE FUNCTION {function}()",
            t.name, t.event, t.table
        ));
    }
    // Once per statement: a mediator's lists are rewritten whole.
    for (name, table, event) in registry_triggers() {
        out.push(format!(
            "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH STATEMENT \
             EXECUTE FUNCTION registry_version_raise()"
        ));
    }
    out
}

fn sqlite_triggers() -> Vec<String> {
    let mut out = Vec::new();
    for t in caseload_triggers() {
        let condition = if t.table == "mediators" {
            "m.id = NEW.id"
        } else {
            t.target.condition()
        };
        let when = t.when.map(|w| format!(" WHEN {w}")).unwrap_or_default();
        out.push(format!(
            "CREATE TRIGGER {} AFTER {} ON {} FOR EACH ROW{when} BEGIN {}; END",
            t.name,
            t.event,
            t.table,
            refresh(condition)
        ));
    }
    for (name, table, event) in registry_triggers() {
        out.push(format!(
            "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {RAISE}; END"
        ));
    }
    out
}

#[derive(DeriveIden)]
enum MediatorCaseloads {
    Table,
    MediatorId,
    ActiveCases,
}

#[derive(DeriveIden)]
enum RegistryVersion {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden)]
enum Mediators {
    Table,
    Id,
}
