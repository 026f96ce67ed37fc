//! Certification watch: warns a mediator 30 days before their certification
//! ends and suspends them the day after it ends, each with an email and an
//! audit entry. Dates are the mediator's own local dates.
//!
//! Rule: the "warned" stamp is written in the same transaction as the email,
//! so a rerun never warns twice and a crash never loses the warning.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::config::Settings;
use crate::domain::mediator::MediatorStatus;
use crate::domain::{EmailAddress, Language, TimeZoneName};
use crate::error::AppResult;
use crate::mail::{self, Email};
use crate::services::audit::{self, Actor, Entry};

pub const WARN_DAYS_BEFORE: i64 = 30;

/// Returns (warned, suspended).
pub async fn run(
    db: &DatabaseConnection,
    settings: &Settings,
    at: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    use entity::mediators::Column;
    let horizon = (at + Duration::days(WARN_DAYS_BEFORE + 1)).date_naive();
    let candidates = entity::mediators::Entity::find()
        .filter(Column::Status.eq(MediatorStatus::Active.as_str()))
        .filter(Column::CertifiedUntil.lte(horizon))
        .all(db)
        .await?;
    let (mut warned, mut suspended) = (0, 0);
    for m in candidates {
        let tz = TimeZoneName::parse(&m.timezone)
            .map(|t| t.tz())
            .unwrap_or(chrono_tz::Asia::Almaty);
        let today = at.with_timezone(&tz).date_naive();
        let Ok(email) = EmailAddress::parse(&m.email) else {
            continue;
        };
        let language = match m.user_id {
            Some(uid) => entity::users::Entity::find_by_id(uid)
                .one(db)
                .await?
                .and_then(|u| u.language.parse::<Language>().ok())
                .unwrap_or(Language::Ru),
            None => Language::Ru,
        };
        let context = serde_json::json!({
            "name": m.name,
            "registry_number": m.registry_number,
            "certified_until": m.certified_until.to_string(),
        });
        if today > m.certified_until {
            let txn = db.begin().await?;
            let mut active: entity::mediators::ActiveModel = m.clone().into();
            active.status = Set(MediatorStatus::Suspended.as_str().to_owned());
            active.updated_at = Set(crate::db::now());
            active.update(&txn).await?;
            let mut entry = Entry::new(
                Actor::System,
                "mediator.suspended_certification_ended",
                "mediator",
                m.id,
            );
            entry.from_state = Some(m.status.clone());
            entry.to_state = Some(MediatorStatus::Suspended.as_str().to_owned());
            audit::record(&txn, entry).await?;
            mail::enqueue(
                &txn,
                settings,
                Email {
                    template: "certification_suspended",
                    to: &email,
                    to_name: &m.name,
                    language,
                    context,
                    case_id: None,
                    session_id: None,
                    calendar: None,
                },
            )
            .await?;
            txn.commit().await?;
            suspended += 1;
        } else if m.certification_warned_at.is_none()
            && m.certified_until - today <= Duration::days(WARN_DAYS_BEFORE)
        {
            let txn = db.begin().await?;
            let mut active: entity::mediators::ActiveModel = m.clone().into();
            active.certification_warned_at = Set(Some(crate::db::now()));
            active.update(&txn).await?;
            audit::record(
                &txn,
                Entry::new(
                    Actor::System,
                    "mediator.certification_expiring",
                    "mediator",
                    m.id,
                ),
            )
            .await?;
            mail::enqueue(
                &txn,
                settings,
                Email {
                    template: "certification_expiring",
                    to: &email,
                    to_name: &m.name,
                    language,
                    context,
                    case_id: None,
                    session_id: None,
                    calendar: None,
                },
            )
            .await?;
            txn.commit().await?;
            warned += 1;
        }
    }
    Ok((warned, suspended))
}
