//! Email templates, compiled into the binary from `templates/email/`.
//!
//! Rule: strict undefined — a missing variable is an error, never an empty
//! string in a court's email. Every template is rendered in every language by
//! the tests.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior};

use crate::error::{AppError, AppResult};

macro_rules! email_templates {
    ($($name:literal),+ $(,)?) => {
        /// Every email template, by folder name.
        pub const NAMES: &[&str] = &[$($name),+];

        fn add_all(env: &mut Environment<'static>) -> Result<(), minijinja::Error> {
            $(
                env.add_template(concat!($name, "/subject.txt"), include_str!(concat!("../../templates/email/", $name, "/subject.txt.j2")))?;
                env.add_template(concat!($name, "/body.txt"), include_str!(concat!("../../templates/email/", $name, "/body.txt.j2")))?;
                env.add_template(concat!($name, "/body.html"), include_str!(concat!("../../templates/email/", $name, "/body.html.j2")))?;
            )+
            Ok(())
        }
    };
}

email_templates!(
    "certification_expiring",
    "certification_suspended",
    "case_referred",
    "assignment_proposed",
    "assignment_answered",
    "case_deadline_near",
    "case_expired",
    "session_invitation",
    "session_cancelled",
    "session_reminder",
);

fn env() -> AppResult<&'static Environment<'static>> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        add_all(&mut env).map_err(|e| e.to_string())?;
        Ok(env)
    })
    .as_ref()
    .map_err(|e| AppError::internal("loading email templates", anyhow::anyhow!(e.clone())))
}

/// A rendered email.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the three parts of template `name` (the HTML part autoescaped).
pub fn render(name: &str, context: &serde_json::Value) -> AppResult<Rendered> {
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
            other => panic!("say what {other} must show"),
        }
    }

    fn render_in(name: &str, lang: &str, changes: serde_json::Value) -> Rendered {
        let mut ctx = sample();
        ctx["language"] = lang.into();
        for (k, v) in changes.as_object().expect("changes are an object") {
            ctx[k] = v.clone();
        }
        render(name, &ctx).unwrap_or_else(|e| panic!("{name} in {lang}: {e:?}"))
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
    fn a_missing_variable_is_an_error() {
        let ctx = serde_json::json!({"language": "en", "name": "Dana"});
        for name in NAMES {
            assert!(render(name, &ctx).is_err(), "{name}");
        }
    }
}
