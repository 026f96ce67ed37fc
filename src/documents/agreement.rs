//! The settlement agreement: what a mediator and the parties sign and a
//! court registers, as HTML and as PDF, in the case's language.
//!
//! [`AgreementInput`] is plain data (no database types) holding everything
//! the document shows. [`render`] checks it, builds one view of finished
//! strings (words from `templates/documents/agreement.<lang>.toml`, dates
//! written out by [`crate::i18n::dates`]) and lays that view out twice: with
//! `agreement.html.j2` (minijinja, HTML-escaped) and with `agreement.typ`
//! (Typst, which reads the view as JSON data, so no value is ever markup).
//!
//! Rules a newcomer must not break:
//! - **Deterministic.** The same input gives byte-identical HTML and PDF:
//!   the document's identifier and PDF creation date come from the input
//!   (its SHA-256 and the signing date), never from a clock or randomness,
//!   because the hash is stored with a frozen version and checked later.
//! - **User text is data.** Never paste a value into the Typst template's
//!   source or mark one `|safe` in the HTML template.
//! - **Refuse rather than garble.** Input over the limits below, with
//!   control or bidirectional-override characters, or with characters the
//!   shipped font cannot show is refused with the field named (a 422), so a
//!   signed document never silently loses a character.
//!
//! Limits (characters, after trimming): names, court and place 300; case and
//! registry numbers 64; subject, each term and the unresolved matters 4,000
//! with at most 60 line breaks each; 2–30 parties; 1–100 terms; and 60,000
//! characters of text in all, about 25 pages. A document within them renders
//! in well under a second (10 terms: see `benches/agreement.rs`).

use std::sync::LazyLock;

use chrono::NaiveDate;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::typeset::{self, PdfIdentity};
use crate::domain::case::{CaseCategory, PartyRole};
use crate::domain::primitives::Language;
use crate::error::{AppError, FieldError};
use crate::i18n::dates;

/// Longest name of a person, organisation, court or place.
pub const MAX_NAME_CHARS: usize = 300;
/// Longest case or registry number.
pub const MAX_NUMBER_CHARS: usize = 64;
/// Longest subject, term or list of unresolved matters.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Most line breaks in one multi-line text.
pub const MAX_LINE_BREAKS: usize = 60;
/// Fewest and most parties (all roles together).
pub const PARTIES: std::ops::RangeInclusive<usize> = 2..=30;
/// Fewest and most terms.
pub const TERMS: std::ops::RangeInclusive<usize> = 1..=100;
/// Most characters of text in the whole document.
pub const MAX_TOTAL_CHARS: usize = 60_000;
/// Highest document version number.
pub const MAX_VERSION: u32 = 9_999;

/// Everything the agreement shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementInput {
    /// The case's language: the whole document is written in it.
    pub language: Language,
    /// The document version (1 for the first; a correction after a return
    /// from court is the next).
    pub version: u32,
    pub court_name: String,
    pub case_number: String,
    pub category: CaseCategory,
    /// What the dispute is about; may have line breaks.
    pub subject: String,
    /// Principal parties and those who act for or help them, in the order
    /// the document lists them.
    pub parties: Vec<AgreementParty>,
    pub mediator: AgreementMediator,
    pub result: AgreementResult,
    pub terms: Vec<AgreementTerm>,
    pub signed_on: NaiveDate,
    pub signing_place: String,
}

/// A party of the case as the agreement names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementParty {
    pub role: PartyRole,
    pub name: String,
    /// Shown as a minor (their guardian should be among the parties).
    #[serde(default)]
    pub minor: bool,
    /// For a representative, guardian or interpreter: the index in
    /// `parties` of the claimant or respondent they act for or interpret
    /// for. `None` for a claimant or respondent.
    #[serde(default)]
    pub acts_for: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementMediator {
    pub name: String,
    pub registry_number: String,
}

/// How mediation ended, for the outcomes that produce an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgreementResult {
    Settled,
    /// Part of the dispute is settled; `unresolved` says what is not, which
    /// stays with the court.
    PartiallySettled {
        unresolved: String,
    },
}

/// One obligation of the agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementTerm {
    /// What is to be done; may have line breaks.
    pub text: String,
    /// The last day for performing it, if the parties set one.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Index in `parties` of the claimant or respondent who owes it; `None`
    /// when the parties owe it jointly.
    #[serde(default)]
    pub owed_by: Option<usize>,
}

/// The agreement in both formats, each with its SHA-256 (lower-case hex).
#[derive(Debug, Clone)]
pub struct RenderedAgreement {
    pub html: String,
    pub html_sha256: String,
    pub pdf: Vec<u8>,
    pub pdf_sha256: String,
}

/// Why an agreement could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum AgreementError {
    /// The input breaks a rule; every offending field is named.
    #[error("invalid agreement: {}", describe_fields(.0))]
    Invalid(Vec<FieldError>),
    /// A fault of the templates or the service, not of the input.
    #[error("rendering the agreement: {0}")]
    Render(String),
}

fn describe_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<AgreementError> for AppError {
    fn from(err: AgreementError) -> Self {
        match err {
            AgreementError::Invalid(fields) => AppError::Validation(fields),
            AgreementError::Render(message) => {
                AppError::internal("rendering the agreement", anyhow::anyhow!(message))
            }
        }
    }
}

/// Checks `input` and renders it as HTML and PDF.
pub fn render(input: &AgreementInput) -> Result<RenderedAgreement, AgreementError> {
    let view = View::build(input)?;
    let html = html_of(&view)?;
    let pdf = pdf_of(&view, input)?;
    Ok(RenderedAgreement {
        html_sha256: sha256_hex(html.as_bytes()),
        html,
        pdf_sha256: sha256_hex(&pdf),
        pdf,
    })
}

/// Checks `input` and renders it as HTML only.
pub fn render_html(input: &AgreementInput) -> Result<String, AgreementError> {
    html_of(&View::build(input)?)
}

/// Checks `input` and renders it as PDF only.
pub fn render_pdf(input: &AgreementInput) -> Result<Vec<u8>, AgreementError> {
    let view = View::build(input)?;
    pdf_of(&view, input)
}

/// Checks `input` against the limits and rules of this module without
/// rendering it.
pub fn validate(input: &AgreementInput) -> Result<(), AgreementError> {
    let problems = check(input);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AgreementError::Invalid(problems))
    }
}

/// SHA-256 of `bytes` as lower-case hex, as stored next to a frozen version.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn html_of(view: &View) -> Result<String, AgreementError> {
    let env = html_env()?;
    env.get_template(HTML_NAME)
        .and_then(|t| t.render(minijinja::value::Serde(view)))
        .map_err(|e| AgreementError::Render(format!("{e:#}")))
}

fn pdf_of(view: &View, input: &AgreementInput) -> Result<Vec<u8>, AgreementError> {
    let json = serde_json::to_string(view).map_err(|e| AgreementError::Render(e.to_string()))?;
    // CLDR puts a narrow no-break space inside «2026 г.»; PT Serif has no
    // glyph for it, so the PDF gets an ordinary no-break space instead.
    let json = json.replace('\u{202f}', "\u{a0}");
    let identity = PdfIdentity {
        ident: &view.identifier,
        created_on: input.signed_on,
    };
    typeset::pdf(
        "the settlement agreement",
        TYPST_TEMPLATE,
        json.into_bytes(),
        &identity,
    )
    .map_err(|e| AgreementError::Render(e.to_string()))
}

const TYPST_TEMPLATE: &str = include_str!("../../templates/documents/agreement.typ");
const HTML_NAME: &str = "agreement.html";

fn html_env() -> Result<&'static Environment<'static>, AgreementError> {
    static ENV: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.add_template(
            HTML_NAME,
            include_str!("../../templates/documents/agreement.html.j2"),
        )
        .map_err(|e| e.to_string())?;
        Ok(env)
    });
    ENV.as_ref()
        .map_err(|e| AgreementError::Render(format!("loading the HTML template: {e}")))
}

// ---------------------------------------------------------------------------
// Wording

/// Every phrase of the agreement in one language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wording {
    title: String,
    preamble: String,
    court: String,
    case_number: String,
    category: String,
    subject: String,
    place: String,
    date: String,
    parties: String,
    minor: String,
    acts_for: String,
    interprets_for: String,
    mediator: String,
    registry_number: String,
    result_settled: String,
    result_partial: String,
    terms: String,
    owed_by: String,
    owed_jointly: String,
    due: String,
    unresolved_heading: String,
    unresolved_intro: String,
    consequences_heading: String,
    consequences_civil: String,
    consequences_administrative: String,
    consequences_criminal: String,
    signatures: String,
    signature: String,
    version: String,
    identifier: String,
    categories: CategoryWords,
    roles: RoleWords,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryWords {
    civil: String,
    family: String,
    labour: String,
    commercial: String,
    administrative: String,
    #[serde(rename = "criminal-minor")]
    criminal_minor: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleWords {
    claimant: String,
    respondent: String,
    representative: String,
    guardian: String,
    interpreter: String,
}

impl Wording {
    fn category(&self, category: CaseCategory) -> &str {
        let c = &self.categories;
        match category {
            CaseCategory::Civil => &c.civil,
            CaseCategory::Family => &c.family,
            CaseCategory::Labour => &c.labour,
            CaseCategory::Commercial => &c.commercial,
            CaseCategory::Administrative => &c.administrative,
            CaseCategory::CriminalMinor => &c.criminal_minor,
        }
    }

    fn role(&self, role: PartyRole) -> &str {
        let r = &self.roles;
        match role {
            PartyRole::Claimant => &r.claimant,
            PartyRole::Respondent => &r.respondent,
            PartyRole::Representative => &r.representative,
            PartyRole::Guardian => &r.guardian,
            PartyRole::Interpreter => &r.interpreter,
        }
    }

    /// What non-performance leads to depends on which procedure code the
    /// case is heard under.
    fn consequences(&self, category: CaseCategory) -> &str {
        match category {
            CaseCategory::Civil
            | CaseCategory::Family
            | CaseCategory::Labour
            | CaseCategory::Commercial => &self.consequences_civil,
            CaseCategory::Administrative => &self.consequences_administrative,
            CaseCategory::CriminalMinor => &self.consequences_criminal,
        }
    }
}

fn wording(lang: Language) -> Result<&'static Wording, AgreementError> {
    static WORDING: LazyLock<Result<[Wording; 3], String>> = LazyLock::new(|| {
        let parse = |name: &str, text: &str| {
            toml::from_str::<Wording>(text).map_err(|e| format!("agreement.{name}.toml: {e}"))
        };
        Ok([
            parse(
                "kk",
                include_str!("../../templates/documents/agreement.kk.toml"),
            )?,
            parse(
                "ru",
                include_str!("../../templates/documents/agreement.ru.toml"),
            )?,
            parse(
                "en",
                include_str!("../../templates/documents/agreement.en.toml"),
            )?,
        ])
    });
    let all = WORDING
        .as_ref()
        .map_err(|e| AgreementError::Render(format!("loading the wording: {e}")))?;
    Ok(match lang {
        Language::Kk => &all[0],
        Language::Ru => &all[1],
        Language::En => &all[2],
    })
}

/// Fills the one `{placeholder}` of a phrase. Done once, so a value that
/// itself contains `{name}` is left as typed.
fn fill(phrase: &str, placeholder: &str, value: &str) -> String {
    phrase.replacen(placeholder, value, 1)
}

// ---------------------------------------------------------------------------
// The view both templates lay out: finished strings only.

#[derive(Debug, Serialize)]
struct View {
    lang: &'static str,
    title: String,
    preamble: String,
    labels: Labels,
    court_name: String,
    case_number: String,
    category: String,
    subject: Vec<String>,
    place: String,
    date: String,
    parties: Vec<PartyView>,
    mediator: MediatorView,
    result: String,
    terms: Vec<TermView>,
    unresolved: Option<UnresolvedView>,
    consequences: String,
    signatures: Vec<SignatureView>,
    footer: String,
    /// SHA-256 of the normalized input: the PDF's stable identifier.
    identifier: String,
}

#[derive(Debug, Serialize)]
struct Labels {
    court: String,
    case_number: String,
    category: String,
    subject: String,
    place: String,
    date: String,
    parties: String,
    mediator: String,
    terms: String,
    unresolved_heading: String,
    consequences_heading: String,
    signatures: String,
    signature: String,
}

#[derive(Debug, Serialize)]
struct PartyView {
    role: String,
    name: String,
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct MediatorView {
    name: String,
    registry: String,
}

#[derive(Debug, Serialize)]
struct TermView {
    number: usize,
    lines: Vec<String>,
    owed: String,
    due: Option<String>,
}

#[derive(Debug, Serialize)]
struct UnresolvedView {
    intro: String,
    lines: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SignatureView {
    role: String,
    name: String,
}

impl View {
    fn build(raw: &AgreementInput) -> Result<Self, AgreementError> {
        let input = normalized(raw);
        validate(&input)?;
        let w = wording(input.language)?;
        let lang = input.language;
        let identifier = sha256_hex(
            &serde_json::to_vec(&input).map_err(|e| AgreementError::Render(e.to_string()))?,
        );
        let party_name = |i: usize| input.parties.get(i).map_or("", |p| p.name.as_str());

        let parties = input
            .parties
            .iter()
            .map(|p| {
                let mut notes = Vec::new();
                if p.minor {
                    notes.push(w.minor.clone());
                }
                if let Some(i) = p.acts_for {
                    let phrase = match p.role {
                        PartyRole::Interpreter => &w.interprets_for,
                        _ => &w.acts_for,
                    };
                    notes.push(fill(phrase, "{name}", party_name(i)));
                }
                PartyView {
                    role: w.role(p.role).to_owned(),
                    name: p.name.clone(),
                    notes,
                }
            })
            .collect();

        let terms = input
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| TermView {
                number: i + 1,
                lines: lines(&t.text),
                owed: match t.owed_by {
                    Some(p) => fill(&w.owed_by, "{name}", party_name(p)),
                    None => w.owed_jointly.clone(),
                },
                due: t
                    .due_on
                    .map(|d| fill(&w.due, "{date}", &dates::long_date(lang, d))),
            })
            .collect();

        let (result, unresolved) = match &input.result {
            AgreementResult::Settled => (w.result_settled.clone(), None),
            AgreementResult::PartiallySettled { unresolved } => (
                w.result_partial.clone(),
                Some(UnresolvedView {
                    intro: w.unresolved_intro.clone(),
                    lines: lines(unresolved),
                }),
            ),
        };

        let mut signatures: Vec<SignatureView> = input
            .parties
            .iter()
            .map(|p| SignatureView {
                role: w.role(p.role).to_owned(),
                name: p.name.clone(),
            })
            .collect();
        signatures.push(SignatureView {
            role: w.mediator.clone(),
            name: input.mediator.name.clone(),
        });

        let footer = format!(
            "{} · {} {}",
            fill(&w.version, "{version}", &input.version.to_string()),
            w.identifier,
            identifier.get(..16).unwrap_or(&identifier)
        );

        Ok(View {
            lang: lang.as_str(),
            title: w.title.clone(),
            preamble: w.preamble.clone(),
            labels: Labels {
                court: w.court.clone(),
                case_number: w.case_number.clone(),
                category: w.category.clone(),
                subject: w.subject.clone(),
                place: w.place.clone(),
                date: w.date.clone(),
                parties: w.parties.clone(),
                mediator: w.mediator.clone(),
                terms: w.terms.clone(),
                unresolved_heading: w.unresolved_heading.clone(),
                consequences_heading: w.consequences_heading.clone(),
                signatures: w.signatures.clone(),
                signature: w.signature.clone(),
            },
            court_name: input.court_name.clone(),
            case_number: input.case_number.clone(),
            category: w.category(input.category).to_owned(),
            subject: lines(&input.subject),
            place: input.signing_place.clone(),
            date: dates::long_date(lang, input.signed_on),
            parties,
            mediator: MediatorView {
                name: input.mediator.name.clone(),
                registry: fill(
                    &w.registry_number,
                    "{number}",
                    &input.mediator.registry_number,
                ),
            },
            result,
            terms,
            unresolved,
            consequences: w.consequences(input.category).to_owned(),
            signatures,
            footer,
            identifier,
        })
    }
}

fn lines(text: &str) -> Vec<String> {
    text.split('\n').map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------
// Normalizing and checking

/// Trims every text, turns CR LF and CR into LF and tabs into spaces, and
/// trims each line of multi-line texts, so that the same agreement typed
/// with different line endings is the same document (and hash).
fn normalized(input: &AgreementInput) -> AgreementInput {
    let one = |s: &str| s.trim().replace('\t', " ");
    let multi = |s: &str| {
        let unified = s
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\t', " ");
        unified
            .split('\n')
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned()
    };
    AgreementInput {
        language: input.language,
        version: input.version,
        court_name: one(&input.court_name),
        case_number: one(&input.case_number),
        category: input.category,
        subject: multi(&input.subject),
        parties: input
            .parties
            .iter()
            .map(|p| AgreementParty {
                name: one(&p.name),
                ..p.clone()
            })
            .collect(),
        mediator: AgreementMediator {
            name: one(&input.mediator.name),
            registry_number: one(&input.mediator.registry_number),
        },
        result: match &input.result {
            AgreementResult::Settled => AgreementResult::Settled,
            AgreementResult::PartiallySettled { unresolved } => AgreementResult::PartiallySettled {
                unresolved: multi(unresolved),
            },
        },
        terms: input
            .terms
            .iter()
            .map(|t| AgreementTerm {
                text: multi(&t.text),
                ..t.clone()
            })
            .collect(),
        signed_on: input.signed_on,
        signing_place: one(&input.signing_place),
    }
}

/// Every rule the input breaks, with the field named as the outcome request
/// names it (`terms[2].text`). Expects a [`normalized`] input.
fn check(input: &AgreementInput) -> Vec<FieldError> {
    let mut problems = Problems::default();

    let one_line = [
        ("court_name", &input.court_name, MAX_NAME_CHARS),
        ("case_number", &input.case_number, MAX_NUMBER_CHARS),
        ("mediator.name", &input.mediator.name, MAX_NAME_CHARS),
        (
            "mediator.registry_number",
            &input.mediator.registry_number,
            MAX_NUMBER_CHARS,
        ),
        ("signing_place", &input.signing_place, MAX_NAME_CHARS),
    ];
    for (field, value, max) in one_line {
        problems.text(field.to_owned(), value, max, false);
    }
    problems.text("subject".into(), &input.subject, MAX_TEXT_CHARS, true);
    for (i, p) in input.parties.iter().enumerate() {
        problems.text(format!("parties[{i}].name"), &p.name, MAX_NAME_CHARS, false);
    }
    for (i, t) in input.terms.iter().enumerate() {
        problems.text(format!("terms[{i}].text"), &t.text, MAX_TEXT_CHARS, true);
    }
    if let AgreementResult::PartiallySettled { unresolved } = &input.result {
        problems.text("result.unresolved".into(), unresolved, MAX_TEXT_CHARS, true);
    }
    if problems.total_chars > MAX_TOTAL_CHARS {
        let total = problems.total_chars;
        problems.push(
            "terms",
            format!("the agreement has {total} characters of text; at most {MAX_TOTAL_CHARS} fit in one document"),
        );
    }

    if !(1..=MAX_VERSION).contains(&input.version) {
        problems.push("version", format!("must be between 1 and {MAX_VERSION}"));
    }
    if !PARTIES.contains(&input.parties.len()) {
        problems.push(
            "parties",
            format!("must list {} to {} parties", PARTIES.start(), PARTIES.end()),
        );
    }
    let principals = input
        .parties
        .iter()
        .filter(|p| p.role.is_principal())
        .count();
    if principals < 2 {
        problems.push(
            "parties",
            "an agreement needs at least two claimants or respondents".into(),
        );
    }
    let is_principal = |i: usize| input.parties.get(i).is_some_and(|p| p.role.is_principal());
    for (i, p) in input.parties.iter().enumerate() {
        let field = format!("parties[{i}].acts_for");
        match (p.role.is_principal(), p.acts_for) {
            (true, Some(_)) => {
                problems.push(
                    &field,
                    "a claimant or respondent acts for themselves".into(),
                );
            }
            (false, None) => problems.push(
                &field,
                format!("a {} must name the party they act for", p.role),
            ),
            (false, Some(j)) if !is_principal(j) => problems.push(
                &field,
                "must be the index of a claimant or respondent in parties".into(),
            ),
            _ => {}
        }
    }
    if !TERMS.contains(&input.terms.len()) {
        problems.push(
            "terms",
            format!(
                "a settlement needs {} to {} terms",
                TERMS.start(),
                TERMS.end()
            ),
        );
    }
    for (i, t) in input.terms.iter().enumerate() {
        if let Some(p) = t.owed_by
            && !is_principal(p)
        {
            problems.push(
                &format!("terms[{i}].owed_by"),
                "must be the index of a claimant or respondent in parties".into(),
            );
        }
        if let Some(due) = t.due_on
            && due < input.signed_on
        {
            problems.push(
                &format!("terms[{i}].due_on"),
                "must not be before the signing date".into(),
            );
        }
    }
    problems.fields
}

#[derive(Default)]
struct Problems {
    fields: Vec<FieldError>,
    total_chars: usize,
}

impl Problems {
    fn push(&mut self, field: &str, message: String) {
        self.fields.push(FieldError::new(field, message));
    }

    fn text(&mut self, field: String, value: &str, max: usize, multiline: bool) {
        self.total_chars += value.chars().count();
        if let Err(message) = check_text(value, max, multiline) {
            self.fields.push(FieldError::new(field, message));
        }
    }
}

/// One text's rules: not empty, not too long, no control characters (line
/// breaks only where allowed), no bidirectional overrides that could make a
/// signed text read differently from what it says, and only characters the
/// document font can show.
fn check_text(value: &str, max: usize, multiline: bool) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    let count = value.chars().count();
    if count > max {
        return Err(format!(
            "must be at most {max} characters long (has {count})"
        ));
    }
    let breaks = value.matches('\n').count();
    if !multiline && breaks > 0 {
        return Err("must be one line".into());
    }
    if breaks > MAX_LINE_BREAKS {
        return Err(format!("must have at most {MAX_LINE_BREAKS} line breaks"));
    }
    if value.chars().any(|c| c != '\n' && c.is_control()) {
        return Err("must not contain control characters".into());
    }
    if value.chars().any(is_bidi_control) {
        return Err("must not contain bidirectional override characters".into());
    }
    let mut missing: Vec<char> = value
        .chars()
        .filter(|c| *c != '\n' && !typeset::font_covers(*c))
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        missing.dedup();
        let shown: String = missing.iter().take(5).collect();
        return Err(format!(
            "contains characters the document font cannot show: {shown}"
        ));
    }
    Ok(())
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn party(role: PartyRole, name: &str, acts_for: Option<usize>) -> AgreementParty {
        AgreementParty {
            role,
            name: name.into(),
            minor: false,
            acts_for,
        }
    }

    fn term(text: &str, owed_by: Option<usize>, due_on: Option<NaiveDate>) -> AgreementTerm {
        AgreementTerm {
            text: text.into(),
            due_on,
            owed_by,
        }
    }

    /// A family case in Kazakh, partly settled, with a minor, her guardian,
    /// a representative and an interpreter. Between them the names and
    /// terms use every Kazakh letter, small and capital.
    fn kazakh() -> AgreementInput {
        AgreementInput {
            language: Language::Kk,
            version: 1,
            court_name: "Алматы қаласы Медеу аудандық соты".into(),
            case_number: "2-1234/2026".into(),
            category: CaseCategory::Family,
            subject: "Алимент өндіру және баланың тұрғылықты жерін анықтау туралы".into(),
            parties: vec![
                party(PartyRole::Claimant, "Әсел Ғалымқызы Нұрланова", None),
                party(PartyRole::Respondent, "Өмірзақ Үмбетұлы Һашимов", None),
                AgreementParty {
                    minor: true,
                    ..party(PartyRole::Claimant, "Іңкәр Өмірзаққызы Һашимова", None)
                },
                party(PartyRole::Guardian, "Гүлнар Серікқызы Ахметова", Some(2)),
                party(
                    PartyRole::Representative,
                    "Ғабит Ұлықбекұлы Жүсіпов",
                    Some(1),
                ),
                party(
                    PartyRole::Interpreter,
                    "Ұлжан Шаһмарданқызы Сейітова",
                    Some(1),
                ),
            ],
            mediator: AgreementMediator {
                name: "Бақытжан Ерланұлы Қожахметов".into(),
                registry_number: "М-0427".into(),
            },
            result: AgreementResult::PartiallySettled {
                unresolved: "Ортақ мүлікті бөлу туралы мәселе".into(),
            },
            terms: vec![
                term(
                    "Жауапкер кәмелетке толмаған Іңкәрді асырауға ай сайын 60 000 (алпыс мың) теңге төлейді.",
                    Some(1),
                    Some(date(2027, 1, 10)),
                ),
                term(
                    "Төлемдер «ТАҢ-ӨРНЕК» ЖШС арқылы талапкердің банк шотына аударылады.",
                    Some(1),
                    None,
                ),
                term(
                    "Баланың тұрғылықты жері анасының мекенжайы болып табылады.\nӘкесі баламен әр сенбі сайын кездеседі.",
                    None,
                    Some(date(2026, 12, 5)),
                ),
            ],
            signed_on: date(2026, 11, 30),
            signing_place: "Алматы қаласы".into(),
        }
    }

    /// A commercial case in Russian, fully settled, whose Kazakh names carry
    /// every Kazakh letter.
    fn russian() -> AgreementInput {
        AgreementInput {
            language: Language::Ru,
            version: 1,
            court_name: "Специализированный межрайонный экономический суд города Астаны".into(),
            case_number: "2-5678/2026".into(),
            category: CaseCategory::Commercial,
            subject: "Взыскание задолженности по договору поставки № 17".into(),
            parties: vec![
                party(PartyRole::Claimant, "ТОО «Дала-Өнім»", None),
                party(
                    PartyRole::Respondent,
                    "ИП Құрманғалиев Өмірбек Әділұлы",
                    None,
                ),
                party(PartyRole::Representative, "Иванова Мария Петровна", Some(0)),
                party(
                    PartyRole::Representative,
                    "Шаһизада Іңкәрқызы Жүсіпова",
                    Some(1),
                ),
            ],
            mediator: AgreementMediator {
                name: "Ахметов Төлеген Сәкенұлы".into(),
                registry_number: "ПМ-00158".into(),
            },
            result: AgreementResult::Settled,
            terms: vec![
                term(
                    "Ответчик уплачивает истцу 4 500 000 (четыре миллиона пятьсот тысяч) тенге основного долга.",
                    Some(1),
                    Some(date(2026, 12, 25)),
                ),
                term(
                    "Истец отказывается от требования о взыскании неустойки в размере 350 000 тенге.",
                    Some(0),
                    None,
                ),
                term("Судебные расходы стороны несут самостоятельно.", None, None),
            ],
            signed_on: date(2026, 11, 30),
            signing_place: "г. Астана".into(),
        }
    }

    /// The text a reader (or a screen reader) gets out of the PDF, read by an
    /// extractor independent of the one that wrote it, with every run of
    /// white space (line ends, no-break spaces) made one space.
    fn pdf_text(pdf: &[u8]) -> String {
        let text = pdf_extract::extract_text_from_mem(pdf).expect("the PDF can be read");
        squash(&text)
    }

    fn squash(text: &str) -> String {
        text.split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            // The extractor puts a space where bold type meets regular
            // ("Claimant : …"); the PDF itself has none.
            .replace(" :", ":")
            .replace("( ", "(")
    }

    fn assert_contains_all(haystack: &str, needles: &[&str]) {
        for needle in needles {
            let needle = squash(needle);
            assert!(
                haystack.contains(&needle),
                "missing {needle:?} in:\n{haystack}"
            );
        }
    }

    fn fields_of(err: AgreementError) -> Vec<String> {
        match err {
            AgreementError::Invalid(fields) => fields.into_iter().map(|f| f.field).collect(),
            AgreementError::Render(e) => panic!("expected a validation error, got {e}"),
        }
    }

    #[test]
    fn a_kazakh_agreement_pdf_carries_its_names_terms_and_dates_as_text() {
        let input = kazakh();
        let rendered = render(&input).expect("renders");
        assert!(rendered.pdf.starts_with(b"%PDF-"));
        let text = pdf_text(&rendered.pdf);

        let mut expected: Vec<&str> = input.parties.iter().map(|p| p.name.as_str()).collect();
        expected.extend(input.terms.iter().flat_map(|t| t.text.split('\n')));
        expected.extend([
            "Медиация тәртібімен дауды реттеу туралы келісім",
            "Алматы қаласы Медеу аудандық соты",
            "2-1234/2026",
            "отбасылық",
            "Бақытжан Ерланұлы Қожахметов",
            "М-0427",
            "2026 ж. 30 қараша",
            "Орындаудың соңғы күні: 2027 ж. 10 қаңтар",
            "Орындаудың соңғы күні: 2026 ж. 5 желтоқсан",
            "Ортақ мүлікті бөлу туралы мәселе",
            "тараптың мүддесінде әрекет етеді: Іңкәр Өмірзаққызы Һашимова",
            "кәмелетке толмаған",
            "Тараптар дауды төмендегі шарттармен ішінара реттеді.",
            "Құжат нұсқасы 1",
        ]);
        assert_contains_all(&text, &expected);
        for letter in "әғқңөұүһіӘҒҚҢӨҰҮҺІ".chars() {
            assert!(text.contains(letter), "{letter} is not in the PDF's text");
        }
    }

    #[test]
    fn a_russian_agreement_pdf_carries_its_names_terms_and_dates_as_text() {
        let input = russian();
        let rendered = render(&input).expect("renders");
        let text = pdf_text(&rendered.pdf);

        let mut expected: Vec<&str> = input.parties.iter().map(|p| p.name.as_str()).collect();
        expected.extend(input.terms.iter().map(|t| t.text.as_str()));
        expected.extend([
            "Соглашение об урегулировании спора в порядке медиации",
            "Специализированный межрайонный экономический суд города Астаны",
            "2-5678/2026",
            "Ахметов Төлеген Сәкенұлы",
            "регистрационный номер в реестре медиаторов: ПМ-00158",
            "30 ноября 2026 г.",
            "Срок исполнения: не позднее 25 декабря 2026 г.",
            "Исполняют: стороны совместно",
            "г. Астана",
            "Стороны урегулировали спор полностью на следующих условиях.",
            "гражданским процессуальным законодательством Республики Казахстан",
        ]);
        assert_contains_all(&text, &expected);
        for letter in "әғқңөұүһі".chars() {
            assert!(text.contains(letter), "{letter} is not in the PDF's text");
        }
        assert!(!text.contains("Неурегулированные вопросы"));
    }

    #[test]
    fn an_english_agreement_renders_with_english_words() {
        let input = AgreementInput {
            language: Language::En,
            ..russian()
        };
        let rendered = render(&input).expect("renders");
        let text = pdf_text(&rendered.pdf);
        assert_contains_all(
            &text,
            &[
                "Agreement on the Settlement of a Dispute through Mediation",
                "Date of signing: 30 November 2026",
                "Due no later than 25 December 2026",
                "Claimant: ТОО «Дала-Өнім»",
                "commercial",
            ],
        );
        assert!(rendered.html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn the_same_input_gives_the_same_bytes_and_hashes() {
        let input = kazakh();
        let first = render(&input).expect("renders");
        // Forget everything Typst memoized, so the second rendering is
        // computed afresh rather than replayed from the cache.
        typst::comemo::evict(0);
        let second = std::thread::spawn(move || render(&kazakh()).expect("renders"))
            .join()
            .expect("thread");
        assert_eq!(first.pdf, second.pdf);
        assert_eq!(first.html, second.html);
        assert_eq!(first.pdf_sha256, second.pdf_sha256);
        assert_eq!(first.html_sha256, second.html_sha256);
        assert_eq!(first.pdf_sha256, sha256_hex(&first.pdf));
        assert_eq!(first.pdf_sha256.len(), 64);
        // The PDF is dated by its signing day, not by the clock.
        let pdf = String::from_utf8_lossy(&first.pdf);
        assert!(
            pdf.contains("D:20261130"),
            "no creation date from the input"
        );
    }

    #[test]
    fn another_version_or_term_gives_another_document() {
        let first = render(&kazakh()).expect("renders");
        let next = render(&AgreementInput {
            version: 2,
            ..kazakh()
        })
        .expect("renders");
        assert_ne!(first.pdf_sha256, next.pdf_sha256);
        assert_ne!(first.html_sha256, next.html_sha256);
        assert!(pdf_text(&next.pdf).contains("Құжат нұсқасы 2"));

        let mut changed = kazakh();
        changed.terms[0].text.push_str(" Қосымша.");
        assert_ne!(
            render(&changed).expect("renders").pdf_sha256,
            first.pdf_sha256
        );
    }

    #[test]
    fn line_endings_and_surrounding_spaces_do_not_change_the_document() {
        let mut typed = kazakh();
        typed.terms[2].text = typed.terms[2].text.replace('\n', "\r\n");
        typed.court_name = format!("  {}\t", typed.court_name);
        let a = render(&kazakh()).expect("renders");
        let b = render(&typed).expect("renders");
        assert_eq!(a.pdf_sha256, b.pdf_sha256);
        assert_eq!(a.html_sha256, b.html_sha256);
    }

    const TYPST_HOSTILE: &str = r#"#set page(fill: red) $x^2$ *bold* _it_ [a] \ @ref <lbl> `raw` ~ -- // c /* d */ #read("/etc/passwd") ]) } #panic("x")"#;
    const HTML_HOSTILE: &str = r#"<script>alert("x")</script> & 'q' <img src=x onerror=alert(1)>"#;

    fn hostile() -> AgreementInput {
        let mut input = russian();
        input.parties[0].name = TYPST_HOSTILE.into();
        input.terms[0].text = format!("{TYPST_HOSTILE}\n{HTML_HOSTILE}");
        input.subject = HTML_HOSTILE.into();
        input.signing_place = "{name} #{} \\#".into();
        input
    }

    #[test]
    fn typst_markup_in_user_text_is_printed_as_typed() {
        let rendered = render(&hostile()).expect("hostile text is still text");
        let text = pdf_text(&rendered.pdf);
        assert_contains_all(&text, &[TYPST_HOSTILE, HTML_HOSTILE, "{name} #{} \\#"]);
        // The page was not painted red, nor any file read.
        assert!(!text.contains("root:"));
        let plain = render(&russian()).expect("renders");
        assert_eq!(
            pdf_text(&plain.pdf).matches("Соглашение").count(),
            text.matches("Соглашение").count()
        );
    }

    #[test]
    fn html_has_a_title_a_language_and_escapes_user_text() {
        let rendered = render(&hostile()).expect("renders");
        let html = &rendered.html;
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<html lang=\"ru\">"));
        assert!(html.contains(
            // minijinja escapes the slash too (`&#x2f;`); browsers show "/".
            "<title>Соглашение об урегулировании спора в порядке медиации — 2-5678&#x2f;2026</title>"
        ));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt;"));
        assert!(html.contains("&amp; &#x27;q&#x27;"));
        assert!(html.contains("#set page(fill: red) $x^2$ *bold*"));

        let kk = render_html(&kazakh()).expect("renders");
        assert!(kk.contains("<html lang=\"kk\">"));
        assert!(kk.contains(
            "<title>Медиация тәртібімен дауды реттеу туралы келісім — 2-1234&#x2f;2026</title>"
        ));
        assert!(kk.contains("2026\u{202f}ж. 30 қараша"));
        assert!(kk.contains("Баланың тұрғылықты жері анасының мекенжайы болып табылады.<br>Әкесі"));
    }

    #[test]
    fn rules_that_are_broken_are_each_named_by_field() {
        let mut input = russian();
        input.terms[0].due_on = Some(date(2026, 11, 29));
        input.terms[1].owed_by = Some(2);
        input.terms[2].owed_by = Some(9);
        input.parties[2].acts_for = None;
        input.parties[3].acts_for = Some(2);
        input.parties[0].acts_for = Some(1);
        input.court_name = "Суд\nвторая строка".into();
        input.case_number = "   ".into();
        input.version = 0;
        let mut fields = fields_of(render(&input).expect_err("refused"));
        fields.sort();
        let mut expected = [
            "court_name",
            "case_number",
            "version",
            "parties[0].acts_for",
            "parties[2].acts_for",
            "parties[3].acts_for",
            "terms[1].owed_by",
            "terms[2].owed_by",
            "terms[0].due_on",
        ]
        .map(String::from);
        expected.sort();
        assert_eq!(fields, expected);
    }

    #[test]
    fn absurd_sizes_are_refused_not_rendered() {
        let mut long_term = russian();
        long_term.terms[1].text = "а".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            fields_of(render(&long_term).expect_err("refused")),
            ["terms[1].text"]
        );

        let mut many = russian();
        many.terms = vec![term("Условие.", None, None); TERMS.end() + 1];
        assert_eq!(fields_of(render(&many).expect_err("refused")), ["terms"]);

        let mut none = russian();
        none.terms.clear();
        assert_eq!(fields_of(render(&none).expect_err("refused")), ["terms"]);

        let mut too_much = russian();
        too_much.terms = vec![term(&"б".repeat(3_500), None, None); 20];
        assert_eq!(
            fields_of(render(&too_much).expect_err("refused")),
            ["terms"]
        );

        let mut tall = russian();
        tall.terms[0].text = "строка\n".repeat(MAX_LINE_BREAKS + 1) + "конец";
        assert_eq!(
            fields_of(render(&tall).expect_err("refused")),
            ["terms[0].text"]
        );

        let mut crowd = russian();
        crowd.parties.extend((0..*PARTIES.end()).map(|i| {
            party(
                PartyRole::Representative,
                &format!("Представитель {i}"),
                Some(0),
            )
        }));
        assert_eq!(fields_of(render(&crowd).expect_err("refused")), ["parties"]);
    }

    #[test]
    fn text_that_would_not_read_as_typed_is_refused() {
        let mut bidi = russian();
        bidi.parties[1].name = "ИП \u{202e}вебамуЖ".into();
        assert_eq!(
            fields_of(render(&bidi).expect_err("refused")),
            ["parties[1].name"]
        );

        let mut control = russian();
        control.terms[0].text = "Сумма\u{7}".into();
        assert_eq!(
            fields_of(render(&control).expect_err("refused")),
            ["terms[0].text"]
        );

        let mut unknown_glyph = russian();
        unknown_glyph.terms[2].text = "Стороны довольны 😀 и 中文".into();
        let err = render(&unknown_glyph).expect_err("refused");
        assert!(err.to_string().contains("terms[2].text"), "{err}");
        assert!(err.to_string().contains("cannot show"), "{err}");
    }

    #[test]
    fn an_agreement_between_fewer_than_two_sides_is_refused() {
        let mut input = russian();
        input.parties[1].role = PartyRole::Representative;
        input.parties[1].acts_for = Some(0);
        input.parties[3].acts_for = Some(0);
        input.terms[0].owed_by = Some(0);
        assert_eq!(fields_of(render(&input).expect_err("refused")), ["parties"]);
    }

    #[test]
    fn every_category_has_words_and_consequences_in_every_language() {
        for lang in Language::ALL {
            let w = wording(lang).expect("wording parses");
            for category in CaseCategory::ALL {
                assert!(!w.category(*category).is_empty());
                assert!(w.consequences(*category).contains("«") || lang == Language::En);
            }
            for role in PartyRole::ALL {
                assert!(!w.role(*role).is_empty());
            }
        }
        let criminal = AgreementInput {
            category: CaseCategory::CriminalMinor,
            ..russian()
        };
        let html = render_html(&criminal).expect("renders");
        assert!(html.contains("уголовно-процессуальным законодательством"));
        assert!(!html.contains("гражданским процессуальным"));
    }

    #[test]
    fn invalid_input_becomes_a_422_naming_the_field() {
        let mut input = russian();
        input.terms[0].text.clear();
        let err: AppError = render(&input).expect_err("refused").into();
        assert_eq!(err.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    }
}
