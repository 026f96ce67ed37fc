//! Deadline watch: tells the clerk who referred a case when it is
//! [`WARN_DAYS_BEFORE`] days from its mediation deadline with no outcome, and
//! marks cases whose deadline has passed with no outcome as expired (an
//! email to the clerk each time). Dates are the court's local dates.
//!
//! Rule: the "warned" stamp and the expiry are written in the same
//! transaction as the email, so a rerun never repeats one and a crash never
//! loses one.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::audit::Actor;
use super::cases::{case_link, transition};
use super::emails::{self, Addressee};
use super::records::Case;
use crate::config::Settings;
use crate::db::{begin_write, now};
use crate::domain::case::{CaseAction, OPEN_BEFORE_OUTCOME};
use crate::domain::{EmailAddress, Language, TimeZoneName};
use crate::error::{AppError, AppResult};
use crate::i18n::{dates, words};
use crate::mail::templates::{CaseDeadlineNear, CaseExpired};

pub const WARN_DAYS_BEFORE: i64 = 5;

/// Warns and expires as due at `at`; returns (warned, expired).
pub async fn watch(
    db: &DatabaseConnection,
    settings: &Settings,
    at: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    use entity::cases::Column;
    // Local dates differ from UTC by at most a day either way.
    let horizon = (at + Duration::days(WARN_DAYS_BEFORE + 1)).date_naive();
    let open: Vec<&str> = OPEN_BEFORE_OUTCOME.iter().map(|s| s.as_str()).collect();
    let candidates = entity::cases::Entity::find()
        .filter(Column::Status.is_in(open))
        .filter(Column::MediationDeadline.lte(horizon))
        .find_also_related(entity::courts::Entity)
        .all(db)
        .await?;
    let (mut warned, mut expired) = (0, 0);
    for (case, court) in candidates {
        let Some(court) = court else { continue };
        let deadline_warned_at = case.deadline_warned_at;
        let case = Case::try_from(case)?;
        let today = at
            .with_timezone(&TimeZoneName::stored(&court.timezone))
            .date_naive();
        let days_left = (case.mediation_deadline - today).num_days();
        let past = days_left < 0;
        if !past && (deadline_warned_at.is_some() || days_left > WARN_DAYS_BEFORE) {
            continue;
        }
        let clerk = entity::users::Entity::find_by_id(case.referred_by)
            .one(db)
            .await?;
        let txn = begin_write(db).await?;
        if past {
            match transition(
                &txn,
                &case,
                CaseAction::Expire,
                Actor::System,
                "case.expired",
                Some(serde_json::json!({ "mediation_deadline": case.mediation_deadline })),
            )
            .await
            {
                Ok(_) => {}
                // Changed meanwhile (an outcome recorded, a withdrawal): leave it.
                Err(AppError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        } else {
            entity::cases::Entity::update_many()
                .col_expr(Column::DeadlineWarnedAt, Expr::value(now()))
                .filter(Column::Id.eq(case.id))
                .exec(&txn)
                .await?;
        }
        if let Some((clerk, to)) = clerk
            .filter(|u| u.active)
            .and_then(|u| EmailAddress::parse(&u.email).ok().map(|to| (u, to)))
        {
            let language = Language::stored(&clerk.language);
            let addressee = Addressee {
                address: &to,
                name: &clerk.name,
                language,
            };
            let (name, court_case_number, mediation_deadline, case_link) = (
                clerk.name.clone(),
                case.court_case_number.clone(),
                dates::long_date(language, case.mediation_deadline),
                case_link(settings, case.id),
            );
            if past {
                let context = CaseExpired {
                    name,
                    court_case_number,
                    mediation_deadline,
                    case_link,
                };
                emails::send_case_expired(&txn, settings, case.id, addressee, context).await?;
            } else {
                let context = CaseDeadlineNear {
                    name,
                    court_case_number,
                    mediation_deadline,
                    case_link,
                    days_left,
                    status: words::case_status(language, case.status).to_owned(),
                };
                emails::send_case_deadline_near(&txn, settings, case.id, addressee, context)
                    .await?;
            }
        }
        txn.commit().await?;
        if past {
            expired += 1;
        } else {
            warned += 1;
        }
    }
    Ok((warned, expired))
}
