//! Form errors on a page: the problem the API would answer, turned into a
//! message next to each field it names and a line for the whole form.
//!
//! Rule: a page checks nothing itself; it calls the service (or the API's
//! own parse function) and shows what that refused, field by field, in the
//! reader's language (`i18n::fields` says the API's message again).

use std::collections::BTreeMap;

use serde::Serialize;

use super::frame::words;
use crate::domain::Language;
use crate::error::{AppError, FieldError};
use crate::i18n;

/// Messages by form field, and one for the form as a whole.
#[derive(Debug, Default, Serialize)]
pub struct FormErrors {
    pub fields: BTreeMap<String, String>,
    pub form: String,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_empty()
    }

    pub fn field(&mut self, name: &str, message: impl Into<String>) {
        self.fields
            .entry(name.to_owned())
            .or_insert_with(|| message.into());
    }

    /// Adds the fields of `errors`, named as in the form.
    fn add(&mut self, lang: Language, errors: &[FieldError]) {
        for e in errors {
            let name = form_name(&e.field);
            let message = i18n::fields::message(lang, &e.message)
                .unwrap_or_else(|| format!("{} {}", check_words(lang), e.message));
            match self.fields.get_mut(&name) {
                Some(m) => {
                    m.push(' ');
                    m.push_str(&message);
                }
                None => {
                    self.fields.insert(name, message);
                }
            }
        }
    }

    /// The errors a refusal shows on a form, or the error itself when it is
    /// not about the input (a fault, not found, not allowed).
    pub fn from_error(lang: Language, error: AppError) -> Result<Self, AppError> {
        let mut out = Self::default();
        match &error {
            AppError::Validation(errors) => {
                out.add(lang, errors);
                out.form = words(
                    lang,
                    "Белгіленген өрістерді тексеріңіз.",
                    "Проверьте отмеченные поля.",
                    "Please check the marked fields.",
                )
                .to_owned();
            }
            AppError::Refused {
                reasons, errors, ..
            }
            | AppError::Conflict {
                reasons, errors, ..
            } => {
                out.add(lang, errors);
                let said: Vec<&str> = reasons
                    .iter()
                    .map(|r| i18n::reasons::code(lang, r))
                    .collect();
                out.form = if said.is_empty() && !errors.is_empty() {
                    words(
                        lang,
                        "Белгіленген өрістерді тексеріңіз.",
                        "Проверьте отмеченные поля.",
                        "Please check the marked fields.",
                    )
                    .to_owned()
                } else if said.is_empty() {
                    i18n::reasons::code(lang, "").to_owned()
                } else {
                    said.join("; ")
                };
            }
            _ => return Err(error),
        }
        Ok(out)
    }
}

/// `parties[1].email` → `party1_email`; `flags.minors_involved` →
/// `minors_involved`; other names as they are.
pub fn form_name(api_field: &str) -> String {
    if let Some(rest) = api_field.strip_prefix("parties[")
        && let Some((index, field)) = rest.split_once("].")
    {
        return format!("party{index}_{field}");
    }
    api_field
        .strip_prefix("flags.")
        .unwrap_or(api_field)
        .to_owned()
}

fn check_words(lang: Language) -> &'static str {
    words(lang, "Тексеріңіз:", "Проверьте:", "Check:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_field_names_become_form_names() {
        assert_eq!(form_name("parties[1].email"), "party1_email");
        assert_eq!(form_name("flags.minors_involved"), "minors_involved");
        assert_eq!(form_name("court_case_number"), "court_case_number");
    }
}
