//! Outcomes in words: how mediation ended and where the agreement stands,
//! as emails and the party's page say them.

use crate::domain::Language;
use crate::domain::outcome::{OutcomeResult, OutcomeStatus};

/// How mediation ended: «келісімге келді», «урегулирован», "settled".
pub fn result(lang: Language, result: OutcomeResult) -> &'static str {
    use OutcomeResult as R;
    match (lang, result) {
        (Language::Kk, R::Settled) => "тараптар толық татуласты",
        (Language::Kk, R::PartiallySettled) => "тараптар ішінара татуласты",
        (Language::Kk, R::NotSettled) => "тараптар татуласпады",
        (Language::Kk, R::Withdrawn) => "медиациядан бас тартылды",
        (Language::Ru, R::Settled) => "спор урегулирован полностью",
        (Language::Ru, R::PartiallySettled) => "спор урегулирован частично",
        (Language::Ru, R::NotSettled) => "спор не урегулирован",
        (Language::Ru, R::Withdrawn) => "медиация прекращена по отказу стороны",
        (Language::En, R::Settled) => "settled in full",
        (Language::En, R::PartiallySettled) => "partially settled",
        (Language::En, R::NotSettled) => "not settled",
        (Language::En, R::Withdrawn) => "withdrawn from mediation",
    }
}

/// Where a version of the outcome stands.
pub fn status(lang: Language, status: OutcomeStatus) -> &'static str {
    use OutcomeStatus as S;
    match (lang, status) {
        (Language::Kk, S::Draft) => "медиатор дайындап жатыр",
        (Language::Kk, S::Submitted) => "сотқа жіберілді",
        (Language::Kk, S::Registered) => "сотта тіркелді",
        (Language::Kk, S::Returned) => "сот түзетуге қайтарды",
        (Language::Ru, S::Draft) => "готовится медиатором",
        (Language::Ru, S::Submitted) => "направлено в суд",
        (Language::Ru, S::Registered) => "зарегистрировано судом",
        (Language::Ru, S::Returned) => "возвращено судом на исправление",
        (Language::En, S::Draft) => "being prepared by the mediator",
        (Language::En, S::Submitted) => "submitted to the court",
        (Language::En, S::Registered) => "registered by the court",
        (Language::En, S::Returned) => "returned by the court for correction",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_result_and_status_has_distinct_words_in_every_language() {
        for lang in Language::ALL {
            let results: std::collections::BTreeSet<_> = OutcomeResult::ALL
                .iter()
                .map(|r| result(lang, *r))
                .collect();
            assert_eq!(results.len(), OutcomeResult::ALL.len());
            let statuses: std::collections::BTreeSet<_> = OutcomeStatus::ALL
                .iter()
                .map(|s| status(lang, *s))
                .collect();
            assert_eq!(statuses.len(), OutcomeStatus::ALL.len());
        }
    }
}
