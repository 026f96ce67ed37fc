//! Certification watch: warns a mediator [`WARN_DAYS_BEFORE`] days before
//! their certification ends and suspends them the day after it ends, each
//! with an email and an audit entry. Dates are the mediator's own local
//! dates.
//!
//! Rule: the "warned" stamp (or the suspension) is written in the same
//! transaction as the email, so a rerun never warns twice and a crash never
//! loses the warning.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::audit::{self, Actor, Entry};
use super::emails::{self, Addressee};
use super::users;
use crate::config::Settings;
use crate::db::{begin_write, now};
use crate::domain::mediator::MediatorStatus;
use crate::domain::{EmailAddress, TimeZoneName};
use crate::error::AppResult;
use crate::i18n::dates;
use crate::mail::templates::{CertificationExpiring, CertificationSuspended};

pub const WARN_DAYS_BEFORE: i64 = 30;

/// What the watch does to one mediator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Warn,
    Suspend,
}

/// Warns and suspends as due at `at`; returns (warned, suspended).
pub async fn watch(
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
        let today = at
            .with_timezone(&TimeZoneName::stored(&m.timezone))
            .date_naive();
        let step = if today > m.certified_until {
            Step::Suspend
        } else if m.certification_warned_at.is_none()
            && m.certified_until - today <= Duration::days(WARN_DAYS_BEFORE)
        {
            Step::Warn
        } else {
            continue;
        };
        let Ok(email) = EmailAddress::parse(&m.email) else {
            continue;
        };
        let language = users::language_of(db, m.user_id).await?;
        let txn = begin_write(db).await?;
        let mut active: entity::mediators::ActiveModel = m.clone().into();
        let (entry, _) = match step {
            Step::Suspend => {
                active.status = Set(MediatorStatus::Suspended.as_str().to_owned());
                active.updated_at = Set(now());
                let mut entry = Entry::new(
                    Actor::System,
                    "mediator.suspended_certification_ended",
                    "mediator",
                    m.id,
                );
                entry.from_state = Some(m.status.clone());
                entry.to_state = Some(MediatorStatus::Suspended.as_str().to_owned());
                (entry, Step::Suspend)
            }
            Step::Warn => {
                active.certification_warned_at = Set(Some(now()));
                let entry = Entry::new(
                    Actor::System,
                    "mediator.certification_expiring",
                    "mediator",
                    m.id,
                );
                (entry, Step::Warn)
            }
        };
        active.update(&txn).await?;
        audit::record(&txn, entry).await?;
        let to = Addressee {
            address: &email,
            name: &m.name,
            language,
        };
        let (name, registry_number, certified_until) = (
            m.name.clone(),
            m.registry_number.clone(),
            dates::long_date(language, m.certified_until),
        );
        match step {
            Step::Suspend => {
                emails::send_certification_suspended(
                    &txn,
                    settings,
                    to,
                    CertificationSuspended {
                        name,
                        registry_number,
                        certified_until,
                    },
                )
                .await?
            }
            Step::Warn => {
                emails::send_certification_expiring(
                    &txn,
                    settings,
                    to,
                    CertificationExpiring {
                        name,
                        registry_number,
                        certified_until,
                    },
                )
                .await?
            }
        };
        txn.commit().await?;
        match step {
            Step::Warn => warned += 1,
            Step::Suspend => suspended += 1,
        }
    }
    Ok((warned, suspended))
}
