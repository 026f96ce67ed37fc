//! Reading a message that arrived in the reply mailbox: who sent it, its
//! Message-ID and subject, its calendar part (an iMIP answer) and its text.
//!
//! Rule: this reads, nothing more; what is done with the message is
//! `services::inbox`'s, and whether it is trusted `domain::imip`'s.

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// Largest message read; a larger one is kept aside unread.
pub const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;
/// Longest text kept of a message (forwarded or shown to an admin).
pub const MAX_TEXT_CHARS: usize = 20_000;

/// One message, as far as Kelisim needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inbound {
    pub message_id: Option<String>,
    /// The From address, lower case; `None` when it has none.
    pub from: Option<String>,
    pub subject: String,
    /// The iCalendar text of the first `text/calendar` (or `application/ics`)
    /// part; the part whose METHOD is REPLY or COUNTER when there are
    /// several.
    pub calendar: Option<String>,
    /// The first plain text body (or the HTML one with its tags removed),
    /// at most [`MAX_TEXT_CHARS`] characters.
    pub text: String,
}

/// Reads `raw`; `None` when it is not a message at all.
pub fn read(raw: &[u8]) -> Option<Inbound> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return None;
    }
    let message = MessageParser::default().parse(raw)?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty());
    let mut calendars: Vec<String> = Vec::new();
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let is_calendar = (ct.ctype().eq_ignore_ascii_case("text")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("calendar")))
            || (ct.ctype().eq_ignore_ascii_case("application")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("ics")));
        if !is_calendar {
            continue;
        }
        let text = match &part.body {
            PartType::Text(t) => t.to_string(),
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                String::from_utf8_lossy(b).into_owned()
            }
            _ => continue,
        };
        calendars.push(text);
    }
    let answers = |c: &&String| {
        let upper = c.to_uppercase();
        upper.contains("METHOD:REPLY") || upper.contains("METHOD:COUNTER")
    };
    let calendar = calendars
        .iter()
        .find(answers)
        .or(calendars.first())
        .cloned();
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    Some(Inbound {
        message_id: message
            .message_id()
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty()),
        from,
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        calendar,
        text: text.chars().take(MAX_TEXT_CHARS).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_with_a_calendar_part_and_an_attachment_is_read_once() {
        let raw = "From: Party One <Party@Example.kz>\r\nTo: replies@kelisim.test\r\n\
Subject: Accepted: Mediation session\r\nMessage-ID: <m1@example.kz>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
Party One has accepted.\r\n--b\r\nContent-Type: text/calendar; charset=UTF-8; method=REPLY\r\n\r\n\
BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n--b\r\n\
Content-Type: application/ics; name=invite.ics\r\nContent-Transfer-Encoding: base64\r\n\r\n\
QkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UkVRVUVTVA0KRU5EOlZDQUxFTkRBUg0K\r\n--b--\r\n";

        let m = read(raw.as_bytes()).expect("a message");

        assert_eq!(m.from.as_deref(), Some("party@example.kz"));
        assert_eq!(m.message_id.as_deref(), Some("m1@example.kz"));
        assert_eq!(m.subject, "Accepted: Mediation session");
        assert!(m.calendar.expect("a calendar").contains("METHOD:REPLY"));
        assert!(m.text.contains("has accepted"));
    }

    #[test]
    fn plain_text_has_no_calendar() {
        let raw = "From: a@b.kz\r\nSubject: late\r\n\r\nI will be 10 minutes late.\r\n";
        let m = read(raw.as_bytes()).expect("a message");
        assert_eq!(m.calendar, None);
        assert!(m.text.contains("10 minutes late"));
        assert_eq!(m.message_id, None);
    }
}
