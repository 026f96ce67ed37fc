//! Email: rendering from typed templates ([`templates`]), the MIME message
//! ([`compose`]), and where it is sent ([`transport`]). No database here:
//! `services::emails` writes each email to the outbox, and
//! `services::delivery` sends it.
//!
//! Rule: an email is never sent from a request or a job directly. It is
//! rendered and written to `outbox_messages` in the same transaction as the
//! change that caused it, and the delivery worker sends it afterwards, so a
//! crash can neither lose it nor send it for a change that was rolled back.
//!
//! An invitation email (iMIP, RFC 6047) carries a [`CalendarPart`]; the
//! message is then `multipart/mixed` [ `multipart/alternative` [ text,
//! HTML, `text/calendar; method=<METHOD>; charset=UTF-8` ], `invite.ics` ].

pub mod inbound;
pub mod templates;
pub mod transport;

use templates::Template;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use uuid::Uuid;

use crate::calendar::itip::{self, Invitation, Method};
use crate::config::Settings;
use crate::domain::{EmailAddress, Language};
use crate::error::{AppError, AppResult};

/// One email: to whom, in which language, and its template's context.
pub struct Email<'a, T: Template> {
    pub to: &'a EmailAddress,
    pub to_name: &'a str,
    pub language: Language,
    pub context: T,
    /// The invitation this email carries, if it is one.
    pub calendar: Option<CalendarPart>,
}

/// An email rendered and formatted, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The template it was made from.
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    /// The whole message, as handed to SMTP.
    pub raw: String,
    pub message_id: String,
}

/// Renders `email` and builds its message, whose id is `id`.
pub fn compose<T: Template>(
    settings: &Settings,
    email: &Email<'_, T>,
    id: Uuid,
) -> AppResult<Composed> {
    let rendered = templates::render(email.language, &email.context)?;
    let (message, message_id) = build_message(
        settings,
        email.to,
        email.to_name,
        email.calendar.as_ref(),
        &rendered,
        id,
    )?;
    let raw = String::from_utf8(message.formatted())
        .map_err(|e| AppError::internal("formatting an email", e))?;
    Ok(Composed {
        kind: T::NAME,
        recipient: email.to.as_str().to_owned(),
        subject: rendered.subject,
        raw,
        message_id,
    })
}

/// The iCalendar object of an invitation email.
///
/// `method` must be the `METHOD` inside `ics` (it becomes the MIME
/// `method=` parameter); [`CalendarPart::new`] keeps the two together, and
/// [`compose`] refuses a part where they differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarPart {
    pub method: Method,
    /// What [`itip::build`] returned.
    pub ics: String,
}

impl CalendarPart {
    /// Builds the iCalendar object of `invitation` with its method.
    pub fn new(invitation: &Invitation<'_>) -> Self {
        Self {
            method: invitation.method,
            ics: itip::build(invitation),
        }
    }
}

/// Content type of the calendar part inside `multipart/alternative`, the
/// one clients act on.
fn calendar_content_type(method: Method) -> String {
    format!("text/calendar; method={}; charset=UTF-8", method.as_str())
}

/// Content type of the `invite.ics` attachment. `application/ics` rather
/// than a second `text/calendar; method=…`, as Google Calendar does: a
/// client that acts on every `text/calendar` part with a method would
/// otherwise see the invitation twice, while `application/ics` is only
/// offered as a file to open or import.
pub const ATTACHMENT_CONTENT_TYPE: &str = "application/ics; name=\"invite.ics\"";

/// File name of the attached copy of the invitation.
pub const ATTACHMENT_NAME: &str = "invite.ics";

/// Builds the message [`compose`] returns, with no I/O: From from settings,
/// To with the cleaned display name, the Message-ID `<id@from-domain>`
/// (returned too), and the MIME tree described in the module docs.
fn build_message(
    settings: &Settings,
    to: &EmailAddress,
    to_name: &str,
    calendar: Option<&CalendarPart>,
    rendered: &templates::Rendered,
    id: Uuid,
) -> AppResult<(Message, String)> {
    let from: Mailbox = settings
        .mail_from
        .parse()
        .map_err(|e| AppError::internal("reading mail_from", anyhow::anyhow!("{e}")))?;
    let to = Mailbox::new(
        Some(crate::calendar::text::param_value(to_name)),
        to.as_str().parse().map_err(|e| {
            AppError::internal("reading a recipient address", anyhow::anyhow!("{e}"))
        })?,
    );
    let domain = from.email.domain().to_owned();
    let message_id = format!("<{id}@{domain}>");
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id.clone()));
    // Where a reply mailbox is read, a plain "Reply" goes there too, so a
    // party's "I will be late" reaches the mediator (services::inbox).
    if let Some(reply) = settings.reply_address() {
        let reply_to: Mailbox = reply
            .parse()
            .map_err(|e| AppError::internal("reading reply_address", anyhow::anyhow!("{e}")))?;
        builder = builder.reply_to(reply_to);
    }
    let message = match calendar {
        None => builder.multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        )),
        Some(calendar) => {
            builder.multipart(invitation_body(&rendered.text, &rendered.html, calendar)?)
        }
    }
    .map_err(|e| AppError::internal("building an email", e))?;
    Ok((message, message_id))
}

/// `multipart/mixed` [ `multipart/alternative` [ text, HTML, calendar ],
/// `invite.ics` ]. The calendar goes last in the alternative, as clients
/// show the last part they understand and calendar-aware ones act on it.
fn invitation_body(text: &str, html: &str, calendar: &CalendarPart) -> AppResult<MultiPart> {
    let method = calendar.method.as_str();
    // Clients act on the MIME method=, so it must not contradict the
    // METHOD inside (RFC 6047 2.4).
    if !calendar.ics.contains(&format!("\r\nMETHOD:{method}\r\n")) {
        return Err(AppError::internal(
            "building an invitation email",
            anyhow::anyhow!("the calendar part's METHOD is not {method}"),
        ));
    }
    let content_type = |raw: &str| {
        ContentType::parse(raw).map_err(|e| AppError::internal("building an invitation email", e))
    };
    Ok(MultiPart::mixed()
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text.to_owned()))
                .singlepart(SinglePart::html(html.to_owned()))
                .singlepart(
                    SinglePart::builder()
                        .header(content_type(&calendar_content_type(calendar.method))?)
                        .body(calendar.ics.clone()),
                ),
        )
        .singlepart(
            Attachment::new(ATTACHMENT_NAME.into())
                .body(calendar.ics.clone(), content_type(ATTACHMENT_CONTENT_TYPE)?),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use mail_parser::{MessageParser, MessagePart, MimeHeaders};

    fn settings() -> Settings {
        Settings {
            mail_from: "Kelisim <no-reply@kelisim.example.kz>".into(),
            ..Settings::default()
        }
    }

    fn rendered() -> templates::Rendered {
        templates::Rendered {
            subject: "Приглашение на медиацию".into(),
            text: "Здравствуйте! Сессия 7 декабря.\n".into(),
            html: "<p>Здравствуйте! Сессия 7 декабря.</p>\n".into(),
        }
    }

    fn invitation(method: Method) -> Invitation<'static> {
        let at = |d, h| {
            chrono::Utc
                .with_ymd_and_hms(2026, 12, d, h, 0, 0)
                .single()
                .expect("valid test time")
        };
        Invitation {
            uid: "session-1-party-1@kelisim",
            sequence: 2,
            method,
            starts_at: at(7, 5),
            ends_at: at(7, 6),
            dtstamp: at(1, 9),
            summary: "Медиативная сессия, дело 2-1234/2026",
            location: Some("Алматы, зал №4"),
            url: Some("https://kelisim.example.kz/p/abc"),
            organizer_email: "no-reply@kelisim.example.kz",
            organizer_name: "Айгерім Сейітова",
            attendee_email: "party@example.kz",
            attendee_name: "Нурлан Абенов",
            partstat: crate::domain::session::PartStat::NeedsAction,
        }
    }

    fn raw_message(to_name: &str, calendar: Option<CalendarPart>) -> Vec<u8> {
        let to = EmailAddress::parse("party@example.kz").expect("valid address");
        let id = Uuid::nil();
        let (message, message_id) = build_message(
            &settings(),
            &to,
            to_name,
            calendar.as_ref(),
            &rendered(),
            id,
        )
        .expect("message builds");
        assert_eq!(message_id, format!("<{id}@kelisim.example.kz>"));
        message.formatted()
    }

    fn mime_type(part: &MessagePart<'_>) -> String {
        let ct = part.content_type().expect("part has a Content-Type");
        format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase()
    }

    fn children<'m>(
        message: &'m mail_parser::Message<'m>,
        part: &MessagePart<'_>,
    ) -> Vec<&'m MessagePart<'m>> {
        part.sub_parts()
            .expect("a multipart")
            .iter()
            .map(|&id| &message.parts[id as usize])
            .collect()
    }

    #[test]
    fn an_invitation_is_mixed_with_text_html_and_calendar_last_plus_an_invite_ics_attachment() {
        for method in [Method::Request, Method::Cancel] {
            let calendar = CalendarPart::new(&invitation(method));
            let ics = itip::build(&invitation(method));
            assert_eq!(calendar.ics, ics);
            assert_eq!(calendar.method, method);

            let raw = raw_message("Нурлан Абенов", Some(calendar));

            let message = MessageParser::default()
                .parse(&raw)
                .expect("mail-parser reads the message");
            let root = message.root_part();
            assert_eq!(mime_type(root), "multipart/mixed");
            let top = children(&message, root);
            assert_eq!(top.len(), 2);

            assert_eq!(mime_type(top[0]), "multipart/alternative");
            let alternative = children(&message, top[0]);
            let types: Vec<String> = alternative.iter().map(|p| mime_type(p)).collect();
            assert_eq!(types, ["text/plain", "text/html", "text/calendar"]);
            assert_eq!(
                alternative[0].text_contents(),
                Some("Здравствуйте! Сессия 7 декабря.\r\n")
            );
            let calendar_part = alternative[2];
            let ct = calendar_part.content_type().expect("Content-Type");
            assert_eq!(ct.attribute("method"), Some(method.as_str()));
            assert!(
                ct.attribute("charset")
                    .is_some_and(|c| c.eq_ignore_ascii_case("utf-8")),
                "{ct:?}"
            );
            assert!(calendar_part.content_disposition().is_none());
            assert_eq!(calendar_part.text_contents(), Some(ics.as_str()));
            assert!(ics.contains(&format!("\r\nMETHOD:{}\r\n", method.as_str())));

            let attachment = top[1];
            assert_eq!(mime_type(attachment), "application/ics");
            assert!(
                attachment
                    .content_disposition()
                    .is_some_and(|d| d.is_attachment()),
                "attached, not inline"
            );
            assert_eq!(attachment.attachment_name(), Some("invite.ics"));
            assert_eq!(attachment.contents(), ics.as_bytes());
            // mail-parser lists the calendar part among its `attachments`
            // too (it is neither the text nor the HTML body), so count
            // Content-Disposition: attachment instead.
            let attached = message
                .parts
                .iter()
                .filter(|p| p.content_disposition().is_some_and(|d| d.is_attachment()))
                .count();
            assert_eq!(attached, 1);
            assert_eq!(
                message.message_id(),
                Some(format!("{}@kelisim.example.kz", Uuid::nil()).as_str())
            );
        }
    }

    #[test]
    fn an_email_without_a_calendar_part_stays_text_and_html_alternatives() {
        let raw = raw_message("Нурлан Абенов", None);

        let message = MessageParser::default()
            .parse(&raw)
            .expect("mail-parser reads the message");
        let root = message.root_part();
        assert_eq!(mime_type(root), "multipart/alternative");
        let types: Vec<String> = children(&message, root)
            .iter()
            .map(|p| mime_type(p))
            .collect();
        assert_eq!(types, ["text/plain", "text/html"]);
        assert!(message.attachments.is_empty());
    }

    #[test]
    fn a_recipient_name_with_line_breaks_cannot_add_a_header() {
        let hostile = "Nurlan\r\nBcc: evil@evil.kz\r\nX-Evil: 1\nSubject: phish";
        let calendar = CalendarPart::new(&invitation(Method::Request));

        let raw = raw_message(hostile, Some(calendar));

        let message = MessageParser::default()
            .parse(&raw)
            .expect("mail-parser reads the message");
        let mut names: Vec<String> = message
            .headers()
            .iter()
            .map(|h| h.name().to_ascii_lowercase())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "content-type",
                "date",
                "from",
                "message-id",
                "mime-version",
                "subject",
                "to"
            ],
            "{}",
            String::from_utf8_lossy(&raw)
        );
        assert!(message.bcc().is_none());
        let to = message.to().and_then(|a| a.as_list()).expect("one To list");
        assert_eq!(to.len(), 1);
        assert_eq!(to[0].address(), Some("party@example.kz"));
        assert_eq!(
            to[0].name(),
            Some(crate::calendar::text::param_value(hostile).as_str())
        );
        assert_eq!(message.subject(), Some("Приглашение на медиацию"));
    }

    #[test]
    fn a_calendar_part_whose_method_contradicts_its_ics_is_refused() {
        let to = EmailAddress::parse("party@example.kz").expect("valid address");
        let calendar = CalendarPart {
            method: Method::Request,
            ics: itip::build(&invitation(Method::Cancel)),
        };

        assert!(
            build_message(
                &settings(),
                &to,
                "Нурлан",
                Some(&calendar),
                &rendered(),
                Uuid::nil()
            )
            .is_err()
        );
    }
}
