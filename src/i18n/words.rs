//! Statuses, categories and roles as a person says them, in Kazakh, Russian
//! and English. Pages, emails and documents show these, never the stored
//! value.

use crate::domain::Language;
use crate::domain::case::{AssignmentStatus, CaseCategory, CaseStatus, PartyRole};
use crate::domain::session::{PartStat, SessionFormat, SessionStatus};

/// One phrase in the three languages, in the order kk, ru, en.
type Phrase = [&'static str; 3];

fn pick(lang: Language, phrase: Phrase) -> &'static str {
    match lang {
        Language::Kk => phrase[0],
        Language::Ru => phrase[1],
        Language::En => phrase[2],
    }
}

/// The kind of dispute: «отбасылық», «семейный», "family".
pub fn category(lang: Language, category: CaseCategory) -> &'static str {
    pick(
        lang,
        match category {
            CaseCategory::Civil => ["азаматтық", "гражданский", "civil"],
            CaseCategory::Family => ["отбасылық", "семейный", "family"],
            CaseCategory::Labour => ["еңбек", "трудовой", "labour"],
            CaseCategory::Commercial => ["коммерциялық", "коммерческий", "commercial"],
            CaseCategory::Administrative => ["әкімшілік", "административный", "administrative"],
            CaseCategory::CriminalMinor => [
                "онша ауыр емес қылмыстық",
                "уголовный (небольшой тяжести)",
                "minor criminal",
            ],
        },
    )
}

/// Where a case stands.
pub fn case_status(lang: Language, status: CaseStatus) -> &'static str {
    pick(
        lang,
        match status {
            CaseStatus::Referred => ["медиацияға жіберілді", "направлено на медиацию", "referred"],
            CaseStatus::MediatorProposed => [
                "медиатор ұсынылды",
                "медиатор предложен",
                "mediator proposed",
            ],
            CaseStatus::MediatorAccepted => [
                "медиатор келісті",
                "медиатор согласился",
                "mediator accepted",
            ],
            CaseStatus::Scheduled => [
                "кездесу белгіленді",
                "встреча назначена",
                "session scheduled",
            ],
            CaseStatus::OutcomeRecorded => {
                ["нәтиже енгізілді", "результат внесён", "outcome recorded"]
            }
            CaseStatus::SubmittedToCourt => [
                "сотқа жіберілді",
                "направлено в суд",
                "submitted to the court",
            ],
            CaseStatus::Registered => ["сотта тіркелді", "зарегистрировано судом", "registered"],
            CaseStatus::Returned => [
                "соттан қайтарылды",
                "возвращено судом",
                "returned by the court",
            ],
            CaseStatus::Withdrawn => ["кері қайтарылды", "отозвано", "withdrawn"],
            CaseStatus::Expired => ["мерзімі өтті", "срок истёк", "deadline passed"],
        },
    )
}

/// A party's place in the case.
pub fn party_role(lang: Language, role: PartyRole) -> &'static str {
    pick(
        lang,
        match role {
            PartyRole::Claimant => ["талапкер", "истец", "claimant"],
            PartyRole::Respondent => ["жауапкер", "ответчик", "respondent"],
            PartyRole::Representative => ["өкіл", "представитель", "representative"],
            PartyRole::Guardian => ["заңды өкіл", "законный представитель", "guardian"],
            PartyRole::Interpreter => ["аудармашы", "переводчик", "interpreter"],
        },
    )
}

/// Where a mediator's assignment to a case stands.
pub fn assignment_status(lang: Language, status: AssignmentStatus) -> &'static str {
    pick(
        lang,
        match status {
            AssignmentStatus::Proposed => ["ұсынылды", "предложено", "proposed"],
            AssignmentStatus::Accepted => ["қабылданды", "принято", "accepted"],
            AssignmentStatus::Declined => ["бас тартылды", "отклонено", "declined"],
            AssignmentStatus::Withdrawn => ["кері алынды", "отозвано", "withdrawn"],
        },
    )
}

/// Where a session stands.
pub fn session_status(lang: Language, status: SessionStatus) -> &'static str {
    pick(
        lang,
        match status {
            SessionStatus::Scheduled => ["белгіленді", "назначена", "scheduled"],
            SessionStatus::Cancelled => ["болдырылмады", "отменена", "cancelled"],
            SessionStatus::Held => ["өтті", "состоялась", "held"],
            SessionStatus::NotHeld => ["өтпеді", "не состоялась", "not held"],
        },
    )
}

/// Joint or separate.
pub fn session_format(lang: Language, format: SessionFormat) -> &'static str {
    pick(
        lang,
        match format {
            SessionFormat::Joint => ["бірлескен", "совместная", "joint"],
            SessionFormat::Separate => ["бөлек", "раздельная", "separate"],
        },
    )
}

/// A recipient's answer to an invitation.
pub fn partstat(lang: Language, answer: PartStat) -> &'static str {
    pick(
        lang,
        match answer {
            PartStat::NeedsAction => ["жауап берілмеді", "ответа нет", "no answer yet"],
            PartStat::Accepted => ["қатысады", "придёт", "will attend"],
            PartStat::Declined => ["қатыспайды", "не придёт", "will not attend"],
            PartStat::Tentative => ["мүмкін қатысады", "возможно, придёт", "may attend"],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_has_a_phrase_in_every_language_and_none_is_the_stored_value() {
        for lang in Language::ALL {
            for c in CaseCategory::ALL {
                let w = category(lang, *c);
                assert!(!w.is_empty());
                if lang != Language::En {
                    assert_ne!(w, c.as_str());
                }
            }
            for s in CaseStatus::ALL {
                let w = case_status(lang, *s);
                assert!(!w.is_empty() && !w.contains('_'), "{w}");
            }
            for s in PartStat::ALL {
                assert!(!partstat(lang, *s).contains('-'));
            }
        }
        assert_eq!(
            case_status(Language::Ru, CaseStatus::Scheduled),
            "встреча назначена"
        );
        assert_eq!(category(Language::Kk, CaseCategory::Family), "отбасылық");
    }
}
