//! Assignment of a mediator to a case: the clerk proposes (or records the
//! parties' joint choice), the mediator accepts or declines.
//!
//! Rule: a proposal is checked against every hard rule of matching inside
//! the request; an ineligible mediator is a 409 naming the rules, whoever
//! chose them. Nothing is ever assigned automatically.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::audit::Actor;
use super::auth::Caller;
use super::availability::cache::CalendarCache;
use super::cases::{self, CaseRecord, case_link, transition};
use super::emails::{self, Addressee};
use super::{matching, users};
use crate::config::Settings;
use crate::db::{begin_write, new_id, now};
use crate::domain::case::{AssignmentStatus, CaseAction};
use crate::domain::primitives::Reason;
use crate::domain::slots::SlotRules;
use crate::domain::{EmailAddress, Language, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::{dates, words};
use crate::mail::templates::{AssignmentAnswered, AssignmentProposed};

/// The slot length a proposal is checked with when none is given.
pub const DEFAULT_SESSION_MINUTES: i64 = 60;

/// Slot rules for matching a case: `minutes` long, on the service's grid
/// and with its buffer between sessions.
pub fn rules(settings: &Settings, minutes: i64) -> SlotRules {
    SlotRules {
        duration: Duration::minutes(minutes),
        grid_minutes: settings.slot_grid_minutes,
        buffer: Duration::minutes(i64::from(settings.session_buffer_minutes)),
    }
}

/// Proposes `mediator_id` for the case (a clerk of its court).
#[allow(clippy::too_many_arguments)]
pub async fn propose(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    settings: &Settings,
    caller: &Caller,
    case_id: Uuid,
    mediator_id: Uuid,
    chosen_by_parties: bool,
) -> AppResult<CaseRecord> {
    let record = cases::load_for_court(db, caller, case_id).await?;
    if caller.role != Role::Clerk {
        return Err(AppError::Forbidden(
            "only a clerk of the case's court proposes a mediator".into(),
        ));
    }
    // The state first: proposing on a case that is past it says so, rather
    // than listing the mediator's reasons.
    if let Err(e) = record.case.status.apply(CaseAction::ProposeMediator) {
        return Err(AppError::conflict_with_reasons(
            e.to_string(),
            vec!["case_status".into()],
        ));
    }
    let at = now();
    let rules = rules(settings, DEFAULT_SESSION_MINUTES);
    if let Err(reasons) = matching::eligibility(db, cache, &record, mediator_id, rules, at).await? {
        let codes: Vec<String> = reasons.iter().map(|r| r.as_str().to_owned()).collect();
        return Err(AppError::conflict_with_reasons(
            format!("this mediator may not take the case: {}", codes.join(", ")),
            codes,
        ));
    }
    let mediator = entity::mediators::Entity::find_by_id(mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::field("mediator_id", "no mediator has this id"))?;
    let court = entity::courts::Entity::find_by_id(record.case.court_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("court"))?;
    let language = users::language_of(db, mediator.user_id).await?;

    let txn = begin_write(db).await?;
    transition(
        &txn,
        &record.case,
        CaseAction::ProposeMediator,
        Actor::User(caller.user_id),
        "case.mediator_proposed",
        Some(serde_json::json!({
            "mediator_id": mediator_id,
            "registry_number": mediator.registry_number,
            "chosen_by_parties": chosen_by_parties,
        })),
    )
    .await?;
    entity::assignments::ActiveModel {
        id: Set(new_id()),
        case_id: Set(case_id),
        mediator_id: Set(mediator_id),
        status: Set(AssignmentStatus::Proposed.as_str().to_owned()),
        chosen_by_parties: Set(chosen_by_parties),
        proposed_by: Set(caller.user_id),
        proposed_at: Set(at),
        answered_at: Set(None),
        decline_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    if let Ok(to) = EmailAddress::parse(&mediator.email) {
        emails::send_assignment_proposed(
            &txn,
            settings,
            case_id,
            Addressee {
                address: &to,
                name: &mediator.name,
                language,
            },
            AssignmentProposed {
                name: mediator.name.clone(),
                court_name: court.name.clone(),
                court_case_number: record.case.court_case_number.clone(),
                category: words::category(language, record.case.category).to_owned(),
                mediation_deadline: dates::long_date(language, record.case.mediation_deadline),
                chosen_by_parties,
                case_link: case_link(settings, case_id),
            },
        )
        .await?;
    }
    txn.commit().await?;
    let record = cases::load_for_court(db, caller, case_id).await?;
    cases::audit_read(db, caller, &record, Some("case.mediator_proposed")).await?;
    Ok(record)
}

/// The proposed mediator's answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    Decline { reason: Reason },
}

/// The proposed mediator accepts or declines; the clerk who proposed is told.
pub async fn answer(
    db: &DatabaseConnection,
    settings: &Settings,
    caller: &Caller,
    case_id: Uuid,
    answer: Answer,
) -> AppResult<CaseRecord> {
    let (record, access) = cases::load_visible(db, caller, case_id).await?;
    let cases::CaseAccess::Mediator(mediator_id) = access else {
        return Err(AppError::Forbidden(
            "only the proposed mediator answers a proposal".into(),
        ));
    };
    let assignment = record
        .assignment
        .clone()
        .filter(|a| a.mediator_id == mediator_id)
        .ok_or_else(|| AppError::not_found("case"))?;
    if assignment.status != AssignmentStatus::Proposed {
        return Err(AppError::conflict_with_reasons(
            format!("the proposal was already answered ({})", assignment.status),
            vec!["assignment_status".into()],
        ));
    }
    let (action, status, audit_action, reason) = match &answer {
        Answer::Accept => (
            CaseAction::AcceptAssignment,
            AssignmentStatus::Accepted,
            "case.mediator_accepted",
            None,
        ),
        Answer::Decline { reason } => (
            CaseAction::DeclineAssignment,
            AssignmentStatus::Declined,
            "case.mediator_declined",
            Some(reason.as_str().to_owned()),
        ),
    };
    let mediator = entity::mediators::Entity::find_by_id(mediator_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("mediator"))?;
    let clerk = entity::users::Entity::find_by_id(assignment.proposed_by)
        .one(db)
        .await?;
    let txn = begin_write(db).await?;
    let to = transition(
        &txn,
        &record.case,
        action,
        Actor::User(caller.user_id),
        audit_action,
        Some(serde_json::json!({
            "mediator_id": mediator_id,
            "reason": reason,
        })),
    )
    .await?;
    let res = entity::assignments::Entity::update_many()
        .col_expr(
            entity::assignments::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(entity::assignments::Column::AnsweredAt, Expr::value(now()))
        .col_expr(
            entity::assignments::Column::DeclineReason,
            Expr::value(reason.clone()),
        )
        .filter(entity::assignments::Column::Id.eq(assignment.id))
        .filter(entity::assignments::Column::Status.eq(AssignmentStatus::Proposed.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::conflict_with_reasons(
            "the proposal was answered meanwhile",
            vec!["assignment_status".into()],
        ));
    }
    if let Some((clerk, to)) = clerk
        .filter(|u| u.active)
        .and_then(|u| EmailAddress::parse(&u.email).ok().map(|to| (u, to)))
    {
        emails::send_assignment_answered(
            &txn,
            settings,
            case_id,
            Addressee {
                address: &to,
                name: &clerk.name,
                language: Language::stored(&clerk.language),
            },
            AssignmentAnswered {
                name: clerk.name.clone(),
                mediator_name: mediator.name.clone(),
                registry_number: mediator.registry_number.clone(),
                court_case_number: record.case.court_case_number.clone(),
                accepted: matches!(answer, Answer::Accept),
                reason: reason.unwrap_or_default(),
                case_link: case_link(settings, case_id),
            },
        )
        .await?;
    }
    txn.commit().await?;
    // A mediator who declined no longer sees the case; the one who accepted
    // now sees the parties' contacts, and that read is audited.
    match cases::load_visible(db, caller, case_id).await {
        Ok((record, _)) => {
            cases::audit_read(db, caller, &record, Some(audit_action)).await?;
            Ok(record)
        }
        Err(AppError::NotFound(_)) => {
            // Loaded while only proposed: without contacts.
            let mut record = record;
            record.case.status = to;
            record.assignment = None;
            record.mediator = None;
            Ok(record)
        }
        Err(e) => Err(e),
    }
}
