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

email_templates!("certification_expiring", "certification_suspended");

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

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "name": "Dana <Serik>", "registry_number": "KZ-1", "certified_until": "2026-12-31",
        })
    }

    #[test]
    fn every_template_renders_in_every_language() {
        for name in NAMES {
            for lang in ["kk", "ru", "en"] {
                let mut ctx = sample();
                ctx["language"] = lang.into();
                let r = render(name, &ctx).unwrap_or_else(|e| panic!("{name} in {lang}: {e:?}"));
                assert!(!r.subject.is_empty() && !r.subject.contains('\n'));
                assert!(r.text.contains("KZ-1"));
                assert!(r.html.contains("Dana &lt;Serik&gt;"), "HTML is escaped");
            }
        }
    }

    #[test]
    fn a_missing_variable_is_an_error() {
        let ctx = serde_json::json!({"language": "en", "name": "Dana"});
        assert!(render("certification_expiring", &ctx).is_err());
    }
}
