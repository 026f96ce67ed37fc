//! What is wrong with a form field, in the reader's language.
//!
//! The API says it in English (`errors: [{field, message}]`), and those
//! messages are stable: clients and tests rely on them. A page shows the
//! same refusal, in words the reader understands: the message is read as a
//! code (with the numbers it carries) and said again in Kazakh, Russian or
//! English. The check itself stays where it is (the domain's `parse`, the
//! services); nothing here decides whether a value is valid.
//!
//! Rule: an English message this catalogue does not know is shown as the
//! API wrote it, never dropped; the tests below parse bad values through
//! the real checks, so a reworded message fails them instead of silently
//! falling back to English.

use crate::domain::Language;

/// A field problem the API names, with what its message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Empty,
    Length { min: String, max: String },
    AtMost(String),
    AtMostHas { max: String, has: String },
    LineBreaks(String),
    OneLine,
    Control,
    ControlOrBreaks,
    CaseNumberChars,
    CodeChars,
    Choice,
    EmailTooLong,
    EmailChars,
    Email,
    EmailDomain,
    Digits,
    TwelveDigits(String),
    ControlDigit,
    Phone,
    PartyCount(String),
    MissingSide(String),
    MinorWithoutGuardian,
    MinorActingForOthers,
    LegalCapacity,
    Corruption,
    NotYourCourt,
    AfterToday,
    Duplicate(String),
    WholeNumber,
    Between { min: String, max: String },
}

/// `s` without `prefix` and `suffix`, if it has both.
fn between<'a>(s: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    s.strip_prefix(prefix)?.strip_suffix(suffix)
}

fn number(s: &str) -> Option<String> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_owned())
}

impl Problem {
    /// The problem an API message names, if it is one this catalogue knows.
    fn of(message: &str) -> Option<Self> {
        use Problem::*;
        let fixed = match message {
            "must not be empty" => Some(Empty),
            "must be one line" => Some(OneLine),
            "must not contain control characters" => Some(Control),
            "must not contain control characters or line breaks" => Some(ControlOrBreaks),
            "may contain only letters, digits, spaces and - / . ( )" => Some(CaseNumberChars),
            "may contain only Latin letters, digits and dashes" => Some(CodeChars),
            "is longer than 254 characters" => Some(EmailTooLong),
            "contains characters an email address cannot have" => Some(EmailChars),
            "is not a valid email address" => Some(Email),
            "must have a domain such as example.kz" => Some(EmailDomain),
            "must contain only the digits 0-9" => Some(Digits),
            "is not a valid IIN/BIN: its control digit does not match" => Some(ControlDigit),
            "must be a phone number of 5 to 15 digits, e.g. +7 701 123 4567" => Some(Phone),
            "a case with a minor party must name an adult guardian or representative" => {
                Some(MinorWithoutGuardian)
            }
            "a guardian, representative or interpreter cannot be a minor" => {
                Some(MinorActingForOthers)
            }
            "mediation is not available to a party declared legally incapable or of \
             limited capacity (Law on Mediation, art. 1)" => Some(LegalCapacity),
            "a criminal case concerning corruption or crimes against public service cannot \
             go to mediation (Law on Mediation, art. 1)" => Some(Corruption),
            "is not the court you refer cases for" => Some(NotYourCourt),
            "must be a whole number" => Some(WholeNumber),
            _ => None,
        };
        if fixed.is_some() {
            return fixed;
        }
        if message.starts_with("unknown ") && message.contains("; expected ") {
            return Some(Choice);
        }
        if let Some(rest) = between(message, "must be 1 to ", " characters long") {
            return Some(Length {
                min: "1".into(),
                max: number(rest)?,
            });
        }
        if let Some(rest) = between(message, "must be at most ", ")")
            && let Some((max, has)) = rest.split_once(" characters long (has ")
        {
            return Some(AtMostHas {
                max: number(max)?,
                has: number(has)?,
            });
        }
        if let Some(rest) = between(message, "must be at most ", " characters long") {
            return Some(AtMost(number(rest)?));
        }
        if let Some(rest) = between(message, "must have at most ", " line breaks") {
            return Some(LineBreaks(number(rest)?));
        }
        if let Some(rest) = message.strip_prefix("must be exactly 12 digits, not ") {
            return Some(TwelveDigits(number(rest)?));
        }
        if let Some(rest) = between(message, "must list 2 to ", " parties") {
            return Some(PartyCount(number(rest)?));
        }
        if let Some(role) = message.strip_prefix("a case needs at least one ") {
            return Some(MissingSide(role.to_owned()));
        }
        if message.starts_with("must be after today (")
            && message.ends_with(") in the court's time zone")
        {
            return Some(AfterToday);
        }
        if let Some(case) = between(message, "case ", " of this court has already been referred") {
            return Some(Duplicate(case.to_owned()));
        }
        if let Some(rest) = message.strip_prefix("must be between ")
            && let Some((min, max)) = rest.split_once(" and ")
        {
            return Some(Between {
                min: number(min)?,
                max: number(max)?,
            });
        }
        None
    }

    fn say(&self, lang: Language) -> String {
        use Problem::*;
        let pick = |kk: &str, ru: &str, en: &str| {
            match lang {
                Language::Kk => kk,
                Language::Ru => ru,
                Language::En => en,
            }
            .to_owned()
        };
        match self {
            Empty => pick("Толтырыңыз.", "Заполните это поле.", "Fill in this field."),
            Length { min, max } => match lang {
                Language::Kk => format!("{min}–{max} таңба болуы керек."),
                Language::Ru => format!("Должно быть от {min} до {max} символов."),
                Language::En => format!("Must be {min} to {max} characters long."),
            },
            AtMost(max) => match lang {
                Language::Kk => format!("{max} таңбадан аспауы керек."),
                Language::Ru => format!("Не более {max} символов."),
                Language::En => format!("Must be at most {max} characters long."),
            },
            AtMostHas { max, has } => match lang {
                Language::Kk => format!("{max} таңбадан аспауы керек (қазір {has})."),
                Language::Ru => format!("Не более {max} символов (сейчас {has})."),
                Language::En => format!("Must be at most {max} characters long (has {has})."),
            },
            LineBreaks(max) => match lang {
                Language::Kk => format!("{max} жолдан аспауы керек."),
                Language::Ru => format!("Не более {max} переносов строки."),
                Language::En => format!("Must have at most {max} line breaks."),
            },
            OneLine => pick(
                "Бір жолмен жазыңыз.",
                "Должно быть в одну строку.",
                "Must be one line.",
            ),
            Control => pick(
                "Басқару таңбалары болмауы керек.",
                "Не должно содержать управляющих символов.",
                "Must not contain control characters.",
            ),
            ControlOrBreaks => pick(
                "Басқару таңбалары мен жол ауыстыру болмауы керек.",
                "Не должно содержать управляющих символов и переносов строки.",
                "Must not contain control characters or line breaks.",
            ),
            CaseNumberChars => pick(
                "Тек әріптер, сандар, бос орын және - / . ( ) болуы мүмкін.",
                "Допустимы только буквы, цифры, пробелы и - / . ( ).",
                "May contain only letters, digits, spaces and - / . ( ).",
            ),
            CodeChars => pick(
                "Тек латын әріптері, сандар және сызықша болуы мүмкін.",
                "Допустимы только латинские буквы, цифры и дефисы.",
                "May contain only Latin letters, digits and dashes.",
            ),
            Choice => pick(
                "Тізімнен таңдаңыз.",
                "Выберите значение из списка.",
                "Choose a value from the list.",
            ),
            EmailTooLong => pick(
                "Электрондық пошта мекенжайы 254 таңбадан аспауы керек.",
                "Адрес электронной почты не должен быть длиннее 254 символов.",
                "An email address is at most 254 characters long.",
            ),
            EmailChars => pick(
                "Электрондық пошта мекенжайында болмайтын таңбалар бар.",
                "В адресе электронной почты есть недопустимые символы.",
                "Contains characters an email address cannot have.",
            ),
            Email => pick(
                "Электрондық пошта мекенжайы дұрыс емес.",
                "Неверный адрес электронной почты.",
                "Not a valid email address.",
            ),
            EmailDomain => pick(
                "Мекенжайда домен болуы керек, мысалы example.kz.",
                "В адресе должен быть домен, например example.kz.",
                "Must have a domain such as example.kz.",
            ),
            Digits => pick(
                "Тек 0-9 сандары болуы керек.",
                "Допустимы только цифры 0–9.",
                "Must contain only the digits 0-9.",
            ),
            TwelveDigits(has) => match lang {
                Language::Kk => format!("Дәл 12 сан болуы керек, қазір {has}."),
                Language::Ru => format!("Должно быть ровно 12 цифр, сейчас {has}."),
                Language::En => format!("Must be exactly 12 digits, not {has}."),
            },
            ControlDigit => pick(
                "ЖСН/БСН дұрыс емес: бақылау саны сәйкес келмейді.",
                "Неверный ИИН/БИН: не сходится контрольная цифра.",
                "Not a valid IIN/BIN: its control digit does not match.",
            ),
            Phone => pick(
                "Телефон нөмірі 5–15 саннан тұруы керек, мысалы +7 701 123 4567.",
                "Номер телефона должен содержать от 5 до 15 цифр, например +7 701 123 4567.",
                "Must be a phone number of 5 to 15 digits, e.g. +7 701 123 4567.",
            ),
            PartyCount(max) => match lang {
                Language::Kk => format!("2-ден {max}-ға дейін тарап көрсетіңіз."),
                Language::Ru => format!("Укажите от 2 до {max} сторон."),
                Language::En => format!("List 2 to {max} parties."),
            },
            MissingSide(role) => match role.as_str() {
                "claimant" => pick(
                    "Кемінде бір талапкер көрсетіңіз.",
                    "Укажите хотя бы одного истца.",
                    "A case needs at least one claimant.",
                ),
                "respondent" => pick(
                    "Кемінде бір жауапкер көрсетіңіз.",
                    "Укажите хотя бы одного ответчика.",
                    "A case needs at least one respondent.",
                ),
                _ => pick(
                    "Екі тарапты да көрсетіңіз.",
                    "Укажите обе стороны.",
                    "A case needs both sides.",
                ),
            },
            MinorWithoutGuardian => pick(
                "Кәмелетке толмаған тарап болса, ересек қамқоршыны немесе өкілді көрсетіңіз.",
                "Если сторона несовершеннолетняя, укажите взрослого опекуна или представителя.",
                "A case with a minor party must name an adult guardian or representative.",
            ),
            MinorActingForOthers => pick(
                "Қамқоршы, өкіл немесе аудармашы кәмелетке толмаған бола алмайды.",
                "Опекун, представитель или переводчик не может быть несовершеннолетним.",
                "A guardian, representative or interpreter cannot be a minor.",
            ),
            LegalCapacity => pick(
                "Әрекетке қабілетсіз немесе әрекет қабілеті шектеулі деп танылған тарап үшін медиация жүргізілмейді (Медиация туралы заң, 1-бап).",
                "Медиация недоступна стороне, признанной недееспособной или ограниченно дееспособной (Закон о медиации, ст. 1).",
                "Mediation is not available to a party declared legally incapable or of limited capacity (Law on Mediation, art. 1).",
            ),
            Corruption => pick(
                "Сыбайлас жемқорлық немесе мемлекеттік қызмет мүдделеріне қарсы қылмыс туралы қылмыстық іс медиацияға жіберілмейді (Медиация туралы заң, 1-бап).",
                "Уголовное дело о коррупции или преступлениях против интересов государственной службы не может быть передано на медиацию (Закон о медиации, ст. 1).",
                "A criminal case concerning corruption or crimes against public service cannot go to mediation (Law on Mediation, art. 1).",
            ),
            NotYourCourt => pick(
                "Сіз бұл соттың істерін жібере алмайсыз.",
                "Вы не направляете дела этого суда.",
                "This is not the court you refer cases for.",
            ),
            AfterToday => pick(
                "Мерзім соттың уақыты бойынша бүгіннен кейін болуы керек.",
                "Срок должен быть позже сегодняшнего дня по времени суда.",
                "Must be after today in the court's time zone.",
            ),
            Duplicate(case) => match lang {
                Language::Kk => format!("Осы соттың {case} ісі медиацияға бұрын жіберілген."),
                Language::Ru => format!("Дело {case} этого суда уже направлено на медиацию."),
                Language::En => format!("Case {case} of this court has already been referred."),
            },
            WholeNumber => pick(
                "Бүтін сан енгізіңіз.",
                "Введите целое число.",
                "Must be a whole number.",
            ),
            Between { min, max } => match lang {
                Language::Kk => format!("{min}-ден {max}-ге дейін болуы керек."),
                Language::Ru => format!("Должно быть от {min} до {max}."),
                Language::En => format!("Must be between {min} and {max}."),
            },
        }
    }
}

/// The API's `message` about a field, said in `lang`; `None` when the
/// catalogue does not know it (the caller then shows it as it is).
pub fn message(lang: Language, api_message: &str) -> Option<String> {
    Problem::of(api_message).map(|p| p.say(lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;
    use crate::domain::case::{CaseCategory, CaseNumber, PartyRole};
    use crate::domain::iin::IinBin;
    use crate::domain::primitives::{FreeText, Phone, parse_name};

    /// Each refusal of the referral's own checks, as the API words it.
    fn refusals() -> Vec<String> {
        let mut out: Vec<String> = vec![
            CaseNumber::parse("").err(),
            CaseNumber::parse("2-1234;2026").err(),
            "x".parse::<CaseCategory>().err(),
            "x".parse::<PartyRole>().err(),
            "de".parse::<Language>().err(),
            FreeText::parse(&"a".repeat(5001), 5000).err(),
            FreeText::parse("a\u{7}", 5000).err(),
            parse_name("", 200).err(),
            parse_name(&"a".repeat(201), 200).err(),
            parse_name("a\nb", 200).err(),
            EmailAddress::parse("not an address").err(),
            EmailAddress::parse("a@localdomain").err(),
            EmailAddress::parse("a\"b@example.kz").err(),
            EmailAddress::parse(&format!("{}@example.kz", "a".repeat(250))).err(),
            Phone::parse("12").err(),
            IinBin::parse("12345678901A").err(),
            IinBin::parse("1234").err(),
            IinBin::parse("123456789012").err(),
        ]
        .into_iter()
        .flatten()
        .collect();
        for problem in [
            crate::domain::case::PartiesProblem::MissingSide(PartyRole::Claimant),
            crate::domain::case::PartiesProblem::MissingSide(PartyRole::Respondent),
            crate::domain::case::PartiesProblem::MinorWithoutGuardian,
            crate::domain::case::PartiesProblem::MinorActingForOthers(0),
            crate::domain::case::PartiesProblem::Refused(
                0,
                crate::domain::case::ReferralRefusal::PartyLegalCapacity,
            ),
        ] {
            out.push(problem.to_string());
        }
        out
    }

    #[test]
    fn every_refusal_of_the_referral_checks_is_said_in_each_language() {
        let all = refusals();
        assert!(all.len() >= 20, "the checks refused the bad values");
        for api in all {
            let ru = message(Language::Ru, &api)
                .unwrap_or_else(|| panic!("no Russian words for {api:?}"));
            let kk = message(Language::Kk, &api)
                .unwrap_or_else(|| panic!("no Kazakh words for {api:?}"));
            assert!(message(Language::En, &api).is_some(), "{api:?}");
            // Cyrillic: not the English text passed through.
            assert!(ru.chars().any(|c| ('а'..='я').contains(&c)), "{ru}");
            assert!(kk.chars().any(|c| ('а'..='я').contains(&c)), "{kk}");
        }
    }

    #[test]
    fn numbers_in_a_message_are_kept_and_unknown_messages_are_left_alone() {
        assert_eq!(
            message(Language::Ru, "must be at most 200 characters long").as_deref(),
            Some("Не более 200 символов.")
        );
        assert_eq!(
            message(Language::Ru, "must be exactly 12 digits, not 4").as_deref(),
            Some("Должно быть ровно 12 цифр, сейчас 4.")
        );
        assert_eq!(
            message(
                Language::Kk,
                "case 2-1/2026 of this court has already been referred"
            )
            .as_deref(),
            Some("Осы соттың 2-1/2026 ісі медиацияға бұрын жіберілген.")
        );
        assert_eq!(message(Language::Ru, "something new"), None);
    }
}
