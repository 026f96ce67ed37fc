//! Why a rule refused something, in plain words: the matching exclusions
//! and the other stable reason codes of the API (`reasons: [code…]`).
//!
//! Rule: a page shows these words, never the code; an unknown code falls
//! back to a general phrase, so a new rule never shows a raw value.

use crate::domain::Language;
use crate::domain::matching::Exclusion;

type Phrase = [&'static str; 3];

fn pick(lang: Language, phrase: Phrase) -> &'static str {
    match lang {
        Language::Kk => phrase[0],
        Language::Ru => phrase[1],
        Language::En => phrase[2],
    }
}

/// Why a mediator may not take a case.
pub fn exclusion(lang: Language, reason: Exclusion) -> &'static str {
    pick(
        lang,
        match reason {
            Exclusion::Inactive => [
                "медиатор қазір жұмыс істемейді",
                "медиатор сейчас не работает",
                "the mediator is not active",
            ],
            Exclusion::CertificationExpired => [
                "куәлігі медиация мерзіміне дейін аяқталады",
                "свидетельство истекает до срока медиации",
                "their certification ends before the mediation deadline",
            ],
            Exclusion::Specialty => [
                "бұл санаттағы істерге маманданбаған (немесе кәмелетке толмағандармен, зорлық-зомбылық істерімен жұмыс дайындығы жоқ)",
                "не специализируется на делах этой категории (или нет подготовки для дел с несовершеннолетними, с насилием)",
                "lacks the specialty for this kind of case (or the training for minors or violence)",
            ],
            Exclusion::Language => [
                "тараптардың бірінің тілін білмейді",
                "не владеет языком одной из сторон",
                "does not speak the language of one of the parties",
            ],
            Exclusion::Court => [
                "бұл сотқа қызмет көрсетпейді",
                "не работает с этим судом",
                "does not serve this court",
            ],
            Exclusion::ConflictOfInterest => [
                "тараптардың бірімен мүдделер қақтығысы бар",
                "конфликт интересов с одной из сторон",
                "has a conflict of interest with a party",
            ],
            Exclusion::Capacity => [
                "істерінің саны ең көп шегіне жетті",
                "достигнуто наибольшее число дел",
                "already has as many cases as they may take",
            ],
            Exclusion::NoAvailability => [
                "мерзімге дейін бос уақыты жоқ",
                "нет свободного времени до срока",
                "has no free time before the deadline",
            ],
        },
    )
}

/// Any reason code of a refusal, in words.
pub fn code(lang: Language, code: &str) -> &'static str {
    if let Some(e) = Exclusion::ALL.iter().find(|e| e.as_str() == code) {
        return exclusion(lang, *e);
    }
    pick(
        lang,
        match code {
            "party_legal_capacity" => [
                "тараптардың бірі әрекетке қабілетсіз немесе әрекет қабілеттілігі шектеулі деп танылған",
                "одна из сторон признана недееспособной или ограниченно дееспособной",
                "a party has been declared legally incapable or of limited capacity",
            ],
            "corruption_or_public_service" => [
                "сыбайлас жемқорлық немесе мемлекеттік қызметке қарсы қылмыс туралы іс медиацияға жіберілмейді",
                "дело о коррупции или преступлении против госслужбы не может идти на медиацию",
                "a case of corruption or crimes against public service cannot go to mediation",
            ],
            "case_status" => [
                "істің қазіргі күйінде бұл әрекет мүмкін емес",
                "в нынешнем состоянии дела это действие невозможно",
                "the case is not at a stage where this can be done",
            ],
            "outcome_not_submitted" => [
                "нәтиже сотқа әлі жіберілмеген",
                "результат ещё не направлен в суд",
                "the outcome has not been submitted to the court",
            ],
            _ => [
                "ереже бұл әрекетке жол бермейді",
                "правило не позволяет это действие",
                "a rule does not allow this",
            ],
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exclusion_has_words_that_are_not_its_code() {
        for lang in Language::ALL {
            for e in Exclusion::ALL {
                let w = exclusion(lang, e);
                assert!(!w.is_empty() && !w.contains('_'), "{w}");
                assert_eq!(code(lang, e.as_str()), w);
            }
            assert!(!code(lang, "something_new").contains('_'));
        }
    }
}
