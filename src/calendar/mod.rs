//! iCalendar in and out: the mediator's subscribable feed ([`feed`]), busy
//! times imported from the mediator's own calendar ([`import`], fetched by
//! [`fetch`] only from where [`destination`] allows), the
//! invitation each recipient of a session gets by email ([`itip`]), the
//! answers that come back from mail clients ([`reply`]), and the
//! text cleaning every outgoing iCalendar object needs ([`text`]).
//!
//! Everything here but [`fetch`] is pure: no I/O, no clock (callers pass
//! "now"), no database. Rule a newcomer must not break: user-supplied text reaches the
//! `icalendar` builders only through [`text::param_value`] (parameter values
//! such as `CN=`) or [`text::text_value`] (TEXT values), because the crate
//! writes CR, LF and `"` in parameters raw and a line break injects a
//! property.

pub mod destination;
pub mod feed;
pub mod fetch;
pub mod import;
pub mod itip;
pub mod reply;
pub mod text;
