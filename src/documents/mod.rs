//! Documents Kelisim produces for courts and parties, rendered in process as
//! HTML and PDF from templates in `templates/documents/`.
//!
//! Rule: a document is a pure function of its input — no clock, no
//! randomness, no files read at run time — because its SHA-256 is stored
//! with a frozen version and must be reproducible.

pub mod agreement;
pub mod typeset;
