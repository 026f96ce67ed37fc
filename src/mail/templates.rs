//! Templates compiled into the binary: every email (`templates/email/`),
//! each with a context struct of its own, and the party's page
//! (`templates/pages/`), all in one strict environment.
//!
//! Rules: an email is rendered only through its context struct (see
//! [`Template`]): the struct names the template folder, so a wrong folder
//! name does not compile, and its fields are the template's variables, so
//! a forgotten one does not compile either. Undefined is strict — a
//! variable a template uses but the struct lacks is an error, never an
//! empty string in a court's email — and the tests render every template
//! in every language with a sample of its struct.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::domain::Language;
use crate::error::{AppError, AppResult};

mod sealed {
    /// Only the context structs below are templates.
    pub trait Sealed {}
}

/// The context of one email template; `NAME` is its folder under
/// `templates/email/`. Implemented only here, by [`email_templates!`].
pub trait Template: Serialize + sealed::Sealed {
    const NAME: &'static str;
}

macro_rules! email_templates {
    ($($ty:ident => $name:literal),+ $(,)?) => {
        /// Every email template, by folder name.
        pub const NAMES: &[&str] = &[$($name),+];

        $(
            impl sealed::Sealed for $ty {}
            impl Template for $ty {
                const NAME: &'static str = $name;
            }
        )+

        /// Renders template `name` from `value` read as its context struct:
        /// a sample that lacks a field of the struct fails here.
        #[cfg(test)]
        fn render_sample(name: &str, language: Language, value: serde_json::Value) -> AppResult<Rendered> {
            let sample = |e: serde_json::Error| AppError::internal("reading a sample context", e);
            match name {
                $($name => render::<$ty>(language, &serde_json::from_value::<$ty>(value).map_err(sample)?),)+
                other => Err(AppError::internal("rendering a sample", anyhow::anyhow!("no template {other}"))),
            }
        }

        fn add_emails(env: &mut Environment<'static>) -> Result<(), minijinja::Error> {
            $(
                env.add_template(concat!($name, "/subject.txt"), include_str!(concat!("../../templates/email/", $name, "/subject.txt.j2")))?;
                env.add_template(concat!($name, "/body.txt"), include_str!(concat!("../../templates/email/", $name, "/body.txt.j2")))?;
                env.add_template(concat!($name, "/body.html"), include_str!(concat!("../../templates/email/", $name, "/body.html.j2")))?;
            )+
            Ok(())
        }
    };
}

/// A mediator's certification ends within the warning period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct CertificationExpiring {
    pub name: String,
    pub registry_number: String,
    pub certified_until: String,
}

/// A mediator was suspended: their certification ended.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct CertificationSuspended {
    pub name: String,
    pub registry_number: String,
    pub certified_until: String,
}

/// To each party of a new referral, with their personal link.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct CaseReferred {
    pub name: String,
    pub court_name: String,
    pub court_case_number: String,
    pub mediation_deadline: String,
    pub party_link: String,
    pub violence_reported: bool,
}

/// To the mediator proposed for a case.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct AssignmentProposed {
    pub name: String,
    pub court_name: String,
    pub court_case_number: String,
    pub category: String,
    pub mediation_deadline: String,
    pub chosen_by_parties: bool,
    pub case_link: String,
}

/// To the clerk who proposed a mediator: accepted or declined.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct AssignmentAnswered {
    pub name: String,
    pub mediator_name: String,
    pub registry_number: String,
    pub court_case_number: String,
    pub accepted: bool,
    /// Empty when accepted.
    pub reason: String,
    pub case_link: String,
}

/// To the clerk: a case's mediation deadline is near.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct CaseDeadlineNear {
    pub name: String,
    pub court_case_number: String,
    pub mediation_deadline: String,
    pub case_link: String,
    pub days_left: i64,
    pub status: String,
}

/// To the clerk: a case expired with no outcome.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct CaseExpired {
    pub name: String,
    pub court_case_number: String,
    pub mediation_deadline: String,
    pub case_link: String,
}

/// An invitation to a booked or moved session (with its calendar part).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct SessionInvitation {
    pub name: String,
    pub court_case_number: String,
    pub starts_local: String,
    pub duration_minutes: i64,
    pub location: String,
    pub moved: bool,
    pub format: String,
    /// Empty for the mediator.
    pub party_link: String,
}

/// A session was cancelled (with its calendar part).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct SessionCancelled {
    pub name: String,
    pub court_case_number: String,
    pub starts_local: String,
    pub reason: String,
    /// Empty for the mediator.
    pub party_link: String,
}

/// A reminder before a session.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct SessionReminder {
    pub name: String,
    pub court_case_number: String,
    pub starts_local: String,
    pub duration_minutes: i64,
    pub location: String,
    /// Empty for the mediator.
    pub party_link: String,
}

/// To each clerk of the referring court: the mediator submitted an outcome.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct OutcomeSubmitted {
    pub name: String,
    pub court_case_number: String,
    pub mediator_name: String,
    /// How mediation ended, in words of the recipient's language.
    pub result: String,
    pub version: i32,
    /// The day of submission, in words.
    pub submitted_on: String,
    pub case_link: String,
}

/// To the mediator: the court registered or returned the agreement.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct OutcomeDecided {
    pub name: String,
    pub court_case_number: String,
    pub registered: bool,
    /// Empty when returned.
    pub court_registration_number: String,
    /// Empty when registered.
    pub reason: String,
    pub version: i32,
    /// The day of the decision, in words.
    pub decided_on: String,
    pub case_link: String,
}

/// To each party: the court registered the agreement. Carries no terms:
/// the party reads them behind their personal link.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct OutcomeRegistered {
    pub name: String,
    pub court_name: String,
    pub court_case_number: String,
    pub court_registration_number: String,
    /// The day of registration, in words.
    pub decided_on: String,
    pub party_link: String,
}

/// To a party whose personal link was replaced: the new link; the old
/// ones no longer work.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct PartyLinkReplaced {
    pub name: String,
    pub court_name: String,
    pub court_case_number: String,
    pub party_link: String,
}

/// To the mediator: a party proposed another time for a session from
/// their mail client (iTIP COUNTER), with one-click links to move the
/// session or to decline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct CounterProposed {
    pub name: String,
    pub party_name: String,
    pub court_case_number: String,
    /// The session's time now, in words.
    pub starts_local: String,
    /// The proposed start, in words.
    pub proposed_local: String,
    pub duration_minutes: i64,
    /// What the party wrote with the proposal; may be empty.
    pub comment: String,
    pub move_link: String,
    pub decline_link: String,
    /// Until when the links work, in words.
    pub expires_local: String,
}

/// To a party: the mediator declined their proposed time (with the
/// DECLINECOUNTER calendar part).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct CounterDeclined {
    pub name: String,
    pub court_case_number: String,
    pub starts_local: String,
    pub proposed_local: String,
    pub party_link: String,
}

/// To the mediator: a party wrote to the reply mailbox in words.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct PartyMessageForwarded {
    pub name: String,
    pub party_name: String,
    pub party_address: String,
    pub court_case_number: String,
    pub message_subject: String,
    pub message_text: String,
}

email_templates!(
    CertificationExpiring => "certification_expiring",
    CertificationSuspended => "certification_suspended",
    CaseReferred => "case_referred",
    AssignmentProposed => "assignment_proposed",
    AssignmentAnswered => "assignment_answered",
    CaseDeadlineNear => "case_deadline_near",
    CaseExpired => "case_expired",
    SessionInvitation => "session_invitation",
    SessionCancelled => "session_cancelled",
    SessionReminder => "session_reminder",
    OutcomeSubmitted => "outcome_submitted",
    OutcomeDecided => "outcome_decided",
    OutcomeRegistered => "outcome_registered",
    PartyLinkReplaced => "party_link_replaced",
    CounterProposed => "counter_proposed",
    CounterDeclined => "counter_declined",
    PartyMessageForwarded => "party_message_forwarded",
);

/// The party's own page.
pub const PARTY_PAGE: &str = "pages/party.html";
/// The mediator's one-click decision on a proposed time.
pub const COUNTER_PAGE: &str = "pages/counter.html";
/// The staff pages and their common frame.
pub const LOGIN_PAGE: &str = "pages/login.html";
pub const HOME_PAGE: &str = "pages/home.html";
pub const CASE_PAGE: &str = "pages/case.html";
pub const MESSAGE_PAGE: &str = "pages/message.html";
/// The mediator's pages.
pub const MEDIATOR_HOME_PAGE: &str = "pages/mediator_home.html";
pub const CALENDAR_PAGE: &str = "pages/calendar.html";
pub const AVAILABILITY_PAGE: &str = "pages/availability.html";
pub const BOOK_PAGE: &str = "pages/book.html";
pub const SESSION_PAGE: &str = "pages/session.html";
pub const OUTCOME_PAGE: &str = "pages/outcome.html";
const MEDIATOR_PAGES: [(&str, &str); 7] = [
    (
        "pages/mediator_nav.html",
        include_str!("../../templates/pages/mediator_nav.html.j2"),
    ),
    (
        MEDIATOR_HOME_PAGE,
        include_str!("../../templates/pages/mediator_home.html.j2"),
    ),
    (
        CALENDAR_PAGE,
        include_str!("../../templates/pages/calendar.html.j2"),
    ),
    (
        AVAILABILITY_PAGE,
        include_str!("../../templates/pages/availability.html.j2"),
    ),
    (
        BOOK_PAGE,
        include_str!("../../templates/pages/book.html.j2"),
    ),
    (
        SESSION_PAGE,
        include_str!("../../templates/pages/session.html.j2"),
    ),
    (
        OUTCOME_PAGE,
        include_str!("../../templates/pages/outcome.html.j2"),
    ),
];
const STAFF_PAGES: [(&str, &str); 5] = [
    (
        "pages/layout.html",
        include_str!("../../templates/pages/layout.html.j2"),
    ),
    (
        LOGIN_PAGE,
        include_str!("../../templates/pages/login.html.j2"),
    ),
    (
        HOME_PAGE,
        include_str!("../../templates/pages/home.html.j2"),
    ),
    (
        CASE_PAGE,
        include_str!("../../templates/pages/case.html.j2"),
    ),
    (
        MESSAGE_PAGE,
        include_str!("../../templates/pages/message.html.j2"),
    ),
];

/// The clerk's and the admin's pages, the reports, and their macros.
pub const NEW_CASE_PAGE: &str = "pages/new_case.html";
pub const MATCHES_PAGE: &str = "pages/matches.html";
pub const REPORTS_PAGE: &str = "pages/reports.html";
pub const ADMIN_COURTS_PAGE: &str = "pages/admin_courts.html";
pub const ADMIN_COURT_PAGE: &str = "pages/admin_court.html";
pub const ADMIN_USERS_PAGE: &str = "pages/admin_users.html";
pub const ADMIN_MEDIATORS_PAGE: &str = "pages/admin_mediators.html";
pub const ADMIN_OUTBOX_PAGE: &str = "pages/admin_outbox.html";
const OFFICE_PAGES: [(&str, &str); 10] = [
    (
        "pages/macros.html",
        include_str!("../../templates/pages/macros.html.j2"),
    ),
    (
        "pages/chart.html",
        include_str!("../../templates/pages/chart.html.j2"),
    ),
    (
        NEW_CASE_PAGE,
        include_str!("../../templates/pages/new_case.html.j2"),
    ),
    (
        MATCHES_PAGE,
        include_str!("../../templates/pages/matches.html.j2"),
    ),
    (
        REPORTS_PAGE,
        include_str!("../../templates/pages/reports.html.j2"),
    ),
    (
        ADMIN_COURTS_PAGE,
        include_str!("../../templates/pages/admin_courts.html.j2"),
    ),
    (
        ADMIN_COURT_PAGE,
        include_str!("../../templates/pages/admin_court.html.j2"),
    ),
    (
        ADMIN_USERS_PAGE,
        include_str!("../../templates/pages/admin_users.html.j2"),
    ),
    (
        ADMIN_MEDIATORS_PAGE,
        include_str!("../../templates/pages/admin_mediators.html.j2"),
    ),
    (
        ADMIN_OUTBOX_PAGE,
        include_str!("../../templates/pages/admin_outbox.html.j2"),
    ),
];

/// `t("kk", "ru", "en")` in a page: the text in the page's language
/// (`frame.language`, or `language`).
fn in_language(state: &minijinja::State, kk: String, ru: String, en: String) -> String {
    let lang = state
        .lookup("frame")
        .and_then(|f| f.get_attr("language").ok())
        .or_else(|| state.lookup("language"))
        .map(|v| v.to_string())
        .unwrap_or_default();
    match lang.as_str() {
        "kk" => kk,
        "en" => en,
        _ => ru,
    }
}

fn env() -> AppResult<&'static Environment<'static>> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        add_emails(&mut env).map_err(|e| e.to_string())?;
        env.add_template(
            PARTY_PAGE,
            include_str!("../../templates/pages/party.html.j2"),
        )
        .map_err(|e| e.to_string())?;
        env.add_template(
            COUNTER_PAGE,
            include_str!("../../templates/pages/counter.html.j2"),
        )
        .map_err(|e| e.to_string())?;
        env.add_function("t", in_language);
        for (name, source) in STAFF_PAGES.iter().chain(&OFFICE_PAGES) {
            env.add_template(name, source).map_err(|e| e.to_string())?;
        }
        for (name, source) in MEDIATOR_PAGES {
            env.add_template(name, source).map_err(|e| e.to_string())?;
        }
        Ok(env)
    })
    .as_ref()
    .map_err(|e| AppError::internal("loading the templates", anyhow::anyhow!(e.clone())))
}

/// Renders a page template with `context`.
pub fn render_page(name: &str, context: impl Serialize) -> AppResult<String> {
    env()?
        .get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(context)))
        .map_err(|e| AppError::internal("rendering a page", anyhow::anyhow!("{name}: {e:#}")))
}

/// A rendered email.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An email's variables: its context and the language it is written in.
#[derive(Serialize)]
struct InLanguage<'a, T: Serialize> {
    language: &'static str,
    #[serde(flatten)]
    context: &'a T,
}

/// Renders the three parts of `T`'s template in `language` (the HTML part
/// autoescaped).
pub fn render<T: Template>(language: Language, context: &T) -> AppResult<Rendered> {
    render_named(
        T::NAME,
        &InLanguage {
            language: language.as_str(),
            context,
        },
    )
}

fn render_named(name: &str, context: &impl Serialize) -> AppResult<Rendered> {
    let env = env()?;
    let part = |p: &str| -> AppResult<String> {
        env.get_template(&format!("{name}/{p}"))
            .and_then(|t| t.render(minijinja::value::Serde(context)))
            .map_err(|e| {
                AppError::internal("rendering an email", anyhow::anyhow!("{name}/{p}: {e:#}"))
            })
    };
    Ok(Rendered {
        // A header is one line.
        subject: part("subject.txt")?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        text: part("body.txt")?,
        html: part("body.html")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One context with every variable any template uses.
    fn sample() -> serde_json::Value {
        serde_json::json!({
            "name": "Dana <Serik>", "registry_number": "KZ-1", "certified_until": "2026-12-31",
            "court_name": "Almaly district court", "court_case_number": "2-1234/2026",
            "mediation_deadline": "2026-03-31", "party_link": "https://kelisim.test/p/tok",
            "violence_reported": true, "category": "family", "chosen_by_parties": true,
            "case_link": "https://kelisim.test/cases/1", "mediator_name": "Aigerim <Bek>",
            "accepted": false, "reason": "Conflict of interest", "days_left": 5,
            "status": "scheduled",
            "starts_local": "2026-12-03 10:00 (Asia/Almaty)", "duration_minutes": 90,
            "location": "Room 4", "moved": false, "format": "joint",
            "result": "settled in full", "version": 2, "submitted_on": "30 November 2026",
            "registered": false, "court_registration_number": "REG-77",
            "decided_on": "1 December 2026",
            "party_name": "Nurlan <Abenov>", "proposed_local": "8 December 2026, 11:00",
            "comment": "An hour later, please", "move_link": "https://kelisim.test/counter/t?decision=move",
            "decline_link": "https://kelisim.test/counter/t?decision=decline",
            "expires_local": "7 December 2026, 10:00", "party_address": "nurlan@example.kz",
            "message_subject": "Late", "message_text": "I will be 10 minutes late.",
        })
    }

    /// Values template `name` must show in its text part, given `sample()`.
    fn must_show(name: &str) -> &'static [&'static str] {
        match name {
            "certification_expiring" | "certification_suspended" => &["KZ-1", "2026-12-31"],
            "case_referred" => &["2-1234/2026", "2026-03-31", "https://kelisim.test/p/tok"],
            "assignment_proposed" => &["2-1234/2026", "family", "https://kelisim.test/cases/1"],
            "assignment_answered" => &[
                "Aigerim <Bek>",
                "KZ-1",
                "2-1234/2026",
                "Conflict of interest",
                "https://kelisim.test/cases/1",
            ],
            "case_deadline_near" => &[
                "2-1234/2026",
                "2026-03-31",
                "scheduled",
                "https://kelisim.test/cases/1",
            ],
            "case_expired" => &["2-1234/2026", "2026-03-31", "https://kelisim.test/cases/1"],
            "session_invitation" | "session_reminder" => &[
                "2-1234/2026",
                "2026-12-03 10:00 (Asia/Almaty)",
                "90",
                "Room 4",
                "https://kelisim.test/p/tok",
            ],
            "session_cancelled" => &[
                "2-1234/2026",
                "2026-12-03 10:00 (Asia/Almaty)",
                "Conflict of interest",
                "https://kelisim.test/p/tok",
            ],
            "outcome_submitted" => &[
                "2-1234/2026",
                "Aigerim <Bek>",
                "settled in full",
                "30 November 2026",
                "https://kelisim.test/cases/1",
            ],
            "outcome_decided" => &[
                "2-1234/2026",
                "Conflict of interest",
                "1 December 2026",
                "https://kelisim.test/cases/1",
            ],
            "outcome_registered" => &[
                "2-1234/2026",
                "REG-77",
                "1 December 2026",
                "https://kelisim.test/p/tok",
            ],
            "party_link_replaced" => &[
                "Almaly district court",
                "2-1234/2026",
                "https://kelisim.test/p/tok",
            ],
            "counter_proposed" => &[
                "2-1234/2026",
                "2026-12-03 10:00 (Asia/Almaty)",
                "8 December 2026, 11:00",
                "An hour later, please",
                "https://kelisim.test/counter/t?decision=move",
                "https://kelisim.test/counter/t?decision=decline",
            ],
            "counter_declined" => &[
                "2-1234/2026",
                "2026-12-03 10:00 (Asia/Almaty)",
                "8 December 2026, 11:00",
                "https://kelisim.test/p/tok",
            ],
            "party_message_forwarded" => &[
                "2-1234/2026",
                "nurlan@example.kz",
                "Late",
                "I will be 10 minutes late.",
            ],
            other => panic!("say what {other} must show"),
        }
    }

    /// Template `name` rendered in `lang` from its context struct, read
    /// from the sample with `changes`.
    fn render_in(name: &str, lang: &str, changes: serde_json::Value) -> Rendered {
        let mut ctx = sample();
        for (k, v) in changes.as_object().expect("changes are an object") {
            ctx[k] = v.clone();
        }
        let language: Language = lang.parse().expect("a language");
        render_sample(name, language, ctx).unwrap_or_else(|e| panic!("{name} in {lang}: {e:?}"))
    }

    #[test]
    fn every_template_renders_in_every_language() {
        for name in NAMES {
            for lang in ["kk", "ru", "en"] {
                let r = render_in(name, lang, serde_json::json!({}));
                assert!(!r.subject.is_empty() && !r.subject.contains('\n'));
                for value in must_show(name) {
                    assert!(r.text.contains(value), "{name} in {lang} shows {value}");
                }
                assert!(r.text.contains("Dana <Serik>"));
                assert!(r.html.contains("Dana &lt;Serik&gt;"), "HTML is escaped");
                assert!(!r.html.contains("<Serik>") && !r.html.contains("<Bek>"));
                assert!(
                    r.text.trim_end().ends_with("Kelisim"),
                    "{name} in {lang} is signed"
                );
            }
        }
    }

    #[test]
    fn optional_paragraphs_follow_their_flags() {
        for lang in ["kk", "ru", "en"] {
            for (name, flag) in [
                ("case_referred", "violence_reported"),
                ("assignment_proposed", "chosen_by_parties"),
            ] {
                let on = render_in(name, lang, serde_json::json!({ flag: true }));
                let off = render_in(name, lang, serde_json::json!({ flag: false }));
                assert!(
                    on.text.len() > off.text.len(),
                    "{name} in {lang}: {flag} adds text"
                );
                assert!(
                    on.html.len() > off.html.len(),
                    "{name} in {lang}: {flag} adds HTML"
                );
            }

            let accepted = render_in(
                "assignment_answered",
                lang,
                serde_json::json!({"accepted": true}),
            );
            assert!(!accepted.text.contains("Conflict of interest"));
            assert!(!accepted.html.contains("Conflict of interest"));
            assert_ne!(
                accepted.subject,
                render_in("assignment_answered", lang, serde_json::json!({})).subject
            );
            let label = match lang {
                "kk" => "Себебі:",
                "ru" => "Причина:",
                _ => "Reason:",
            };
            let declined = render_in("assignment_answered", lang, serde_json::json!({}));
            assert!(declined.text.contains(label) && declined.html.contains(label));
            assert!(!accepted.text.contains(label));
            let no_reason = render_in(
                "assignment_answered",
                lang,
                serde_json::json!({"reason": " "}),
            );
            assert!(!no_reason.text.contains(label) && !no_reason.html.contains(label));
        }
    }

    #[test]
    fn days_left_agrees_with_its_number_in_russian() {
        for (days, words) in [
            (0, "(сегодня)"),
            (1, "(завтра)"),
            (2, "через 2 дня"),
            (5, "через 5 дней"),
            (11, "через 11 дней"),
            (21, "через 21 день"),
            (24, "через 24 дня"),
        ] {
            let r = render_in(
                "case_deadline_near",
                "ru",
                serde_json::json!({"days_left": days}),
            );
            assert!(r.text.contains(words), "{days}: {}", r.text);
            assert!(r.html.contains(words), "{days}: {}", r.html);
        }
        let r = render_in(
            "case_deadline_near",
            "en",
            serde_json::json!({"days_left": 7}),
        );
        assert!(r.text.contains("in 7 days"));
    }

    #[test]
    fn a_variable_missing_from_the_context_is_an_error() {
        let ctx = serde_json::json!({"language": "en", "name": "Dana"});
        for name in NAMES {
            assert!(render_named(name, &ctx).is_err(), "{name}");
            assert!(
                render_sample(name, Language::En, ctx.clone()).is_err(),
                "{name}: its struct needs every field"
            );
        }
    }

    #[test]
    fn the_party_page_renders_strictly() {
        assert!(render_page(PARTY_PAGE, serde_json::json!({"language": "en"})).is_err());
    }
}
