//! Typesetting a document to PDF in process with the Typst compiler, from a
//! template in `templates/documents/` and its data as JSON.
//!
//! The compiler sees a closed world: the template as `/main.typ`, the data
//! as `/data.json`, the fonts shipped in `templates/documents/fonts/` (PT
//! Serif, which covers Kazakh and Russian Cyrillic) and nothing else — no
//! files, no packages, no system fonts, no clock. So the same template and
//! data always give the same bytes, wherever it runs.
//!
//! Rule: data reaches a template only through `/data.json`, never pasted into
//! Typst source; that is what keeps user text from being read as markup.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

/// The fonts every document may use, compiled into the binary.
const FONT_FILES: [&[u8]; 3] = [
    include_bytes!("../../templates/documents/fonts/PTSerif-Regular.ttf"),
    include_bytes!("../../templates/documents/fonts/PTSerif-Bold.ttf"),
    include_bytes!("../../templates/documents/fonts/PTSerif-Italic.ttf"),
];

/// What every compilation shares: the standard library and the fonts.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: FileId,
    data: FileId,
}

static SHARED: LazyLock<Result<Shared, String>> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|bytes| Font::iter(Bytes::new(*bytes)))
        .collect();
    if fonts.len() != FONT_FILES.len() {
        return Err(format!(
            "read {} of {} fonts",
            fonts.len(),
            FONT_FILES.len()
        ));
    }
    Ok(Shared {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
        main: file_id("/main.typ")?,
        data: file_id("/data.json")?,
    })
});

fn file_id(path: &str) -> Result<FileId, String> {
    // File ids are interned for the life of the process, so only these two
    // fixed paths are ever created, however many documents are rendered.
    let vpath = VirtualPath::new(path).map_err(|e| format!("{path}: {e:?}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// Whether every shipped font (regular, bold, italic) has a glyph for `c`,
/// so that text with it comes out as that letter, not as a box or nothing.
/// U+202F counts as covered: [`pdf`] callers map it to U+00A0.
pub fn font_covers(c: char) -> bool {
    if c == '\u{202f}' {
        return true;
    }
    match SHARED.as_ref() {
        Ok(shared) => shared
            .fonts
            .iter()
            .all(|font| font.info().coverage.contains(u32::from(c))),
        Err(_) => false,
    }
}

/// A template with its data, as the compiler sees them.
struct DocumentWorld {
    shared: &'static Shared,
    source: Source,
    data: Bytes,
}

impl World for DocumentWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.shared.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.shared.main {
            Ok(self.source.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.data {
            Ok(self.data.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // No clock: a document's date is in its data.
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_with_slash().into())
}

/// Why a document could not be typeset. Always a fault of the template or
/// the service, never of the data (which is validated before).
#[derive(Debug, thiserror::Error)]
#[error("typesetting {what}: {message}")]
pub struct TypesetError {
    what: &'static str,
    message: String,
}

/// How the PDF identifies itself: a stable identifier (the same for every
/// rendering of the same data) and the creation date written in its
/// metadata.
pub struct PdfIdentity<'a> {
    pub ident: &'a str,
    pub created_on: NaiveDate,
}

/// Compiles `template` with `data` (JSON) into PDF bytes.
pub fn pdf(
    what: &'static str,
    template: &str,
    data: Vec<u8>,
    identity: &PdfIdentity<'_>,
) -> Result<Vec<u8>, TypesetError> {
    let fail = |message: String| TypesetError { what, message };
    let shared = SHARED.as_ref().map_err(|e| fail(e.clone()))?;
    let world = DocumentWorld {
        shared,
        source: Source::new(shared.main, template.to_owned()),
        data: Bytes::new(data),
    };
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| fail(describe(&errors)))?;
    let timestamp = typst_date(identity.created_on).map(Timestamp::new_utc);
    let options = PdfOptions {
        ident: Smart::Custom(identity.ident.to_owned()),
        creator: Smart::Custom(Some("Kelisim".into())),
        timestamp,
        ..PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| fail(describe(&errors)))?;
    // Typst memoizes across compilations; forget what the last few did not
    // use, so a long-running server does not keep every document it made.
    typst::comemo::evict(10);
    Ok(bytes)
}

fn typst_date(date: NaiveDate) -> Option<Datetime> {
    let month = u8::try_from(date.month()).ok()?;
    let day = u8::try_from(date.day()).ok()?;
    Datetime::from_ymd_hms(date.year(), month, day, 0, 0, 0)
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_fonts_cover_kazakh_and_russian_letters() {
        let letters = "әғқңөұүһіӘҒҚҢӨҰҮҺІабвгдеёжзийклмнопрстуфхцчшщъыьэюяЁЖЩЪЭЮЯ№«»—\u{a0}";
        let shared = SHARED.as_ref().expect("fonts load");
        assert_eq!(shared.fonts.len(), 3);
        for font in &shared.fonts {
            for c in letters.chars() {
                assert!(
                    font.info().coverage.contains(u32::from(c)),
                    "{} has no glyph for {c:?}",
                    font.info().family
                );
            }
        }
    }

    #[test]
    fn a_template_cannot_read_files_outside_its_world() {
        let template = r#"#read("/etc/passwd")"#;
        let identity = PdfIdentity {
            ident: "test",
            created_on: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        };
        let err = pdf("a test", template, b"{}".to_vec(), &identity).expect_err("refused");
        assert!(err.to_string().contains("not found"), "{err}");
    }
}
