//! Reading the mediator registry from CSV, the way registries are kept in
//! practice: one row per mediator, lists separated by `;`, courts by code.
//!
//! Columns (header row required, any order, names case-insensitive):
//! `registry_number, name, email, kind, certified_until, specialties,
//! languages, court_codes, max_active_cases, timezone, status` (status may be
//! left out: active).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use super::mediator::{
    MediatorKind, MediatorStatus, Specialty, parse_max_active_cases, parse_registry_number,
};
use super::primitives::parse_name;
use super::{CourtCode, EmailAddress, Language, TimeZoneName};

pub const REQUIRED_COLUMNS: [&str; 10] = [
    "registry_number",
    "name",
    "email",
    "kind",
    "certified_until",
    "specialties",
    "languages",
    "court_codes",
    "max_active_cases",
    "timezone",
];

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    pub line: u64,
    pub registry_number: String,
    pub name: String,
    pub email: EmailAddress,
    pub kind: MediatorKind,
    pub certified_until: NaiveDate,
    pub specialties: BTreeSet<Specialty>,
    pub languages: BTreeSet<Language>,
    pub court_codes: BTreeSet<String>,
    pub max_active_cases: i32,
    pub timezone: TimeZoneName,
    pub status: MediatorStatus,
}

/// Why one row (or the file) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file, 1 being the header.
    pub line: u64,
    pub column: String,
    pub message: String,
}

fn list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parses the whole file. Returns the valid rows and the errors of the bad
/// ones; a file-level problem (no header, missing column) is one error at
/// line 1 and no rows.
pub fn parse(text: &str) -> (Vec<RegistryRow>, Vec<RowError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let file_error = |column: &str, message: String| {
        (
            Vec::new(),
            vec![RowError {
                line: 1,
                column: column.to_owned(),
                message,
            }],
        )
    };
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => return file_error("header", format!("the header row cannot be read: {e}")),
    };
    let index: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return file_error("header", format!("missing columns: {}", missing.join(", ")));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    column: "row".into(),
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |c: &str| index.get(c).and_then(|i| record.get(*i)).unwrap_or("");
        let mut row_errors = Vec::new();
        let mut check = |column: &str, r: Result<(), String>| {
            if let Err(message) = r {
                row_errors.push(RowError {
                    line,
                    column: column.to_owned(),
                    message,
                });
            }
        };
        macro_rules! field {
            ($col:literal, $expr:expr) => {{
                match $expr {
                    Ok(v) => Some(v),
                    Err(m) => {
                        check($col, Err(m));
                        None
                    }
                }
            }};
        }
        let registry_number = field!(
            "registry_number",
            parse_registry_number(get("registry_number"))
        );
        let name = field!("name", parse_name(get("name"), 200));
        let email = field!("email", EmailAddress::parse(get("email")));
        let kind = field!("kind", get("kind").parse::<MediatorKind>());
        let certified_until = field!(
            "certified_until",
            NaiveDate::parse_from_str(get("certified_until"), "%Y-%m-%d")
                .map_err(|_| "must be a date YYYY-MM-DD".to_owned())
        );
        let specialties: Result<BTreeSet<Specialty>, String> =
            list(get("specialties")).map(str::parse).collect();
        let specialties = field!("specialties", specialties);
        let languages: Result<BTreeSet<Language>, String> =
            list(get("languages")).map(str::parse).collect();
        let languages = field!(
            "languages",
            languages.and_then(|l| if l.is_empty() {
                Err("must name at least one language".into())
            } else {
                Ok(l)
            })
        );
        let court_codes: Result<BTreeSet<String>, String> = list(get("court_codes"))
            .map(|c| CourtCode::parse(c).map(|c| c.as_str().to_owned()))
            .collect();
        let court_codes = field!("court_codes", court_codes);
        let max_active_cases = field!(
            "max_active_cases",
            get("max_active_cases")
                .parse::<i32>()
                .map_err(|_| "must be a whole number".to_owned())
                .and_then(parse_max_active_cases)
        );
        let timezone = field!("timezone", TimeZoneName::parse(get("timezone")));
        let status_raw = get("status");
        let status = field!(
            "status",
            if status_raw.is_empty() {
                Ok(MediatorStatus::Active)
            } else {
                status_raw.parse::<MediatorStatus>()
            }
        );
        if let Some(number) = &registry_number
            && let Some(first) = seen.insert(number.clone(), line)
        {
            check(
                "registry_number",
                Err(format!("{number} is also on line {first}")),
            );
        }
        if !row_errors.is_empty() {
            errors.extend(row_errors);
            continue;
        }
        if let (Some(registry_number), Some(name), Some(email), Some(kind), Some(certified_until)) =
            (registry_number, name, email, kind, certified_until)
            && let (Some(specialties), Some(languages), Some(court_codes), Some(max_active_cases)) =
                (specialties, languages, court_codes, max_active_cases)
            && let (Some(timezone), Some(status)) = (timezone, status)
        {
            rows.push(RegistryRow {
                line,
                registry_number,
                name,
                email,
                kind,
                certified_until,
                specialties,
                languages,
                court_codes,
                max_active_cases,
                timezone,
                status,
            });
        }
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "registry_number,name,email,kind,certified_until,specialties,languages,court_codes,max_active_cases,timezone,status\n";

    #[test]
    fn good_rows_are_read_with_their_lists() {
        let text = format!(
            "{HEADER}KZ-1,Dana Serik,dana@m.kz,professional,2030-01-31,civil;family,kk;ru,alm-1|ast-2,10,Asia/Almaty,\n"
        );
        let (rows, errors) = parse(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        assert_eq!(
            rows[0].court_codes.iter().cloned().collect::<Vec<_>>(),
            ["ALM-1", "AST-2"]
        );
        assert_eq!(rows[0].status, MediatorStatus::Active);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_column() {
        let text = format!(
            "{HEADER}KZ-1,Dana,dana@m.kz,professional,2030-01-31,civil,kk,ALM-1,10,Asia/Almaty,active\n\
             KZ-2,Erlan,not-an-email,professional,2030-01-31,civil,kk,ALM-1,10,Asia/Almaty,active\n\
             KZ-3,Aru,aru@m.kz,amateur,31.01.2030,plumbing,de,ALM-1,0,Mars/Base,active\n\
             KZ-1,Dup,dup@m.kz,public,2030-01-31,civil,kk,ALM-1,10,Asia/Almaty,active\n"
        );
        let (rows, errors) = parse(&text);
        assert_eq!(rows.len(), 1);
        let got: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "email"),
                (4, "kind"),
                (4, "certified_until"),
                (4, "specialties"),
                (4, "languages"),
                (4, "max_active_cases"),
                (4, "timezone"),
                (5, "registry_number"),
            ]
        );
    }

    #[test]
    fn a_missing_column_is_a_file_error() {
        let (rows, errors) = parse("registry_number,name\nKZ-1,Dana\n");
        assert!(rows.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(errors[0].message.contains("email"));
    }
}
