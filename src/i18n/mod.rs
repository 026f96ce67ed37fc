//! What a person reads, in their language (Kazakh, Russian, English).
//!
//! Rule: pages, emails and documents take their date and time words from
//! here, never from `Display` of a chrono type or an ISO stamp.

pub mod dates;
pub mod fields;
pub mod outcomes;
pub mod reasons;
pub mod words;
