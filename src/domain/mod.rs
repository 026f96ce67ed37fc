//! Types and rules with no I/O.
//!
//! Rule: a value that reached this module is already valid (parse, don't
//! validate). Nothing here touches HTTP, the database or the clock of the system.

pub mod case;
pub mod email;
pub mod iin;
pub mod imip;
pub mod matching;
pub mod mediator;
pub mod network;
pub mod outbox;
pub mod outcome;
pub mod password;
pub mod primitives;
pub mod registry_csv;
pub mod reports;
pub mod session;
pub mod slots;

pub use email::EmailAddress;
pub use primitives::{CourtCode, Language, Role, TimeZoneName};
