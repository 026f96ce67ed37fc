//! Answers that come back by email (iMIP, RFC 6047): which ones Kelisim
//! trusts, which it records as stale, and which it keeps aside for an admin.
//!
//! Rules a newcomer must not break:
//! - An answer changes an invitation only when its UID is one Kelisim
//!   issued, its ATTENDEE is that invitation's recipient, and the message's
//!   From is that same address. Anything else is kept aside with its reason,
//!   never dropped without a trace.
//! - An answer to an older SEQUENCE than the session's current one (the
//!   session was moved or cancelled since) is recorded as stale and changes
//!   nothing: the party answered a time that no longer holds.
//! - Free text is forwarded only to the mediator of a case the sender is a
//!   party of; a case number in the subject only chooses among those cases.

use chrono::{DateTime, Utc};

use super::mediator::string_enum;
use super::session::PartStat;

string_enum!(
    /// What became of a message read from the reply mailbox.
    InboxStatus, "inbox status" {
        Applied => "applied",
        Stale => "stale",
        Countered => "countered",
        Forwarded => "forwarded",
        SetAside => "set_aside",
    }
);

string_enum!(
    /// Why a message was kept aside for an admin: `unreadable` (neither a
    /// calendar answer nor text that could be read), `unsupported_method`
    /// (a METHOD other than REPLY or COUNTER), `unknown_uid` (not a UID
    /// Kelisim issued), `attendee_mismatch` (the ATTENDEE is not the
    /// invitation's recipient), `sender_mismatch` (nor is the From),
    /// `not_a_party` (the mediator's own invitation), `unsupported_answer`
    /// (a PARTSTAT other than accepted, declined or tentative),
    /// `no_proposed_time` (a COUNTER without a readable time),
    /// `unmatched_sender` (free text from an address that is no party of an
    /// open case, or of several with no case number in the subject to
    /// choose), `no_mediator` (free text about a case with no mediator yet).
    SetAsideReason, "reason" {
        Unreadable => "unreadable",
        UnsupportedMethod => "unsupported_method",
        UnknownUid => "unknown_uid",
        AttendeeMismatch => "attendee_mismatch",
        SenderMismatch => "sender_mismatch",
        NotAParty => "not_a_party",
        UnsupportedAnswer => "unsupported_answer",
        NoProposedTime => "no_proposed_time",
        UnmatchedSender => "unmatched_sender",
        NoMediator => "no_mediator",
    }
);

/// The iTIP method of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerMethod {
    Reply,
    Counter,
    /// Anything else (`REQUEST`, `REFRESH`, …), by name.
    Other,
}

/// A calendar answer as read from a message's `text/calendar` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarAnswer {
    pub method: AnswerMethod,
    pub uid: String,
    /// The ATTENDEE's address, without `mailto:`, lower case.
    pub attendee: String,
    /// PARTSTAT as written (upper case), if any.
    pub partstat: Option<String>,
    /// SEQUENCE, 0 when absent (RFC 5545 3.8.7.4).
    pub sequence: i32,
    /// A COUNTER's proposed start and end.
    pub proposed: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// COMMENT, if the client sent one.
    pub comment: Option<String>,
}

/// What Kelisim knows of the invitation an answer names by UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The recipient's address, lower case.
    pub recipient: String,
    /// Whether the recipient is a party (not the mediator).
    pub party: bool,
    /// The session's SEQUENCE now.
    pub current_sequence: i32,
    /// Whether the session is still scheduled (not cancelled, not held).
    pub scheduled: bool,
}

/// What to do with a calendar answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Record this answer, as on the party page.
    Answer(PartStat),
    /// The party proposes another time: ask the mediator.
    Counter {
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    /// An answer to a version of the session that no longer holds.
    Stale,
    SetAside(SetAsideReason),
}

/// An address as compared: without `mailto:` and angle brackets, trimmed,
/// lower case.
pub fn plain_address(raw: &str) -> String {
    let raw = raw.trim();
    let raw = raw
        .get(..7)
        .filter(|head| head.eq_ignore_ascii_case("mailto:"))
        .map_or(raw, |_| &raw[7..]);
    raw.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase()
}

/// Judges a calendar answer sent from `from` (the message's From address)
/// about the invitation `issued` (`None`: its UID is not Kelisim's).
pub fn judge(answer: &CalendarAnswer, from: Option<&str>, issued: Option<&Issued>) -> Verdict {
    use SetAsideReason as R;
    if answer.method == AnswerMethod::Other {
        return Verdict::SetAside(R::UnsupportedMethod);
    }
    let Some(issued) = issued else {
        return Verdict::SetAside(R::UnknownUid);
    };
    if plain_address(&answer.attendee) != issued.recipient {
        return Verdict::SetAside(R::AttendeeMismatch);
    }
    if from.map(plain_address).as_deref() != Some(issued.recipient.as_str()) {
        return Verdict::SetAside(R::SenderMismatch);
    }
    if !issued.party {
        return Verdict::SetAside(R::NotAParty);
    }
    if !issued.scheduled || answer.sequence < issued.current_sequence {
        return Verdict::Stale;
    }
    match answer.method {
        AnswerMethod::Counter => match answer.proposed {
            Some((starts_at, ends_at)) if ends_at > starts_at => {
                Verdict::Counter { starts_at, ends_at }
            }
            _ => Verdict::SetAside(R::NoProposedTime),
        },
        _ => match answer.partstat.as_deref().map(str::trim) {
            Some(p) if p.eq_ignore_ascii_case("ACCEPTED") => Verdict::Answer(PartStat::Accepted),
            Some(p) if p.eq_ignore_ascii_case("DECLINED") => Verdict::Answer(PartStat::Declined),
            Some(p) if p.eq_ignore_ascii_case("TENTATIVE") => Verdict::Answer(PartStat::Tentative),
            _ => Verdict::SetAside(R::UnsupportedAnswer),
        },
    }
}

/// An open case a sender of free text may be writing about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCase<T> {
    pub key: T,
    pub court_case_number: String,
    /// Addresses of the case's parties, lower case.
    pub party_addresses: Vec<String>,
}

/// The case free text from `from` is about: the one open case the sender
/// is a party of, or, when they are a party of several, the one whose
/// number the subject names. `None` when no single case is found.
pub fn case_of_free_text<'c, T>(
    from: &str,
    subject: &str,
    open: &'c [OpenCase<T>],
) -> Option<&'c OpenCase<T>> {
    let from = plain_address(from);
    let theirs: Vec<&OpenCase<T>> = open
        .iter()
        .filter(|c| c.party_addresses.contains(&from))
        .collect();
    match theirs.as_slice() {
        [] => None,
        [one] => Some(*one),
        several => {
            let named: Vec<&&OpenCase<T>> = several
                .iter()
                .filter(|c| names_case(subject, &c.court_case_number))
                .collect();
            match named.as_slice() {
                [one] => Some(**one),
                _ => None,
            }
        }
    }
}

/// Whether `subject` names `number` as a whole word (so `2-12/2026` does
/// not match inside `2-123/2026`).
fn names_case(subject: &str, number: &str) -> bool {
    if number.is_empty() {
        return false;
    }
    let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || "-/.".contains(c)));
    subject.match_indices(number).any(|(at, _)| {
        boundary(subject[..at].chars().next_back())
            && boundary(subject[at + number.len()..].chars().next())
    })
}

/// The reply mailbox, as `imap_url` names it.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxUrl {
    /// `imaps`: TLS from the first byte; `imap`: plain (a server on this
    /// machine, or tests).
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// The folder to read, `INBOX` by default.
    pub mailbox: String,
}

impl std::fmt::Debug for MailboxUrl {
    // Never the password, nor the user name in full.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxUrl")
            .field("tls", &self.tls)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("mailbox", &self.mailbox)
            .finish_non_exhaustive()
    }
}

impl MailboxUrl {
    /// Reads `imaps://user:pass@host:993/INBOX` (user and password
    /// percent-encoded). The message never repeats the URL: it holds a
    /// password.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim()).map_err(|_| "is not a valid URL".to_owned())?;
        let tls = match url.scheme() {
            "imaps" => true,
            "imap" => false,
            _ => return Err("must start with imaps:// or imap://".into()),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| "has a user or password that is not UTF-8".to_owned())
        };
        let user = decode(url.username())?;
        if user.is_empty() {
            return Err("names no user (imaps://user:password@host)".into());
        }
        let password = decode(url.password().unwrap_or_default())?;
        let path = decode(url.path().trim_start_matches('/'))?;
        let mailbox = if path.is_empty() {
            "INBOX".to_owned()
        } else {
            path
        };
        if mailbox
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            return Err("names a folder with characters IMAP cannot take".into());
        }
        Ok(Self {
            tls,
            port: url.port().unwrap_or(if tls { 993 } else { 143 }),
            host,
            user,
            password,
            mailbox,
        })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 8, h, 0, 0)
            .single()
            .expect("a time")
    }

    fn reply(partstat: &str) -> CalendarAnswer {
        CalendarAnswer {
            method: AnswerMethod::Reply,
            uid: "s-p@kelisim".into(),
            attendee: "mailto:Party@Example.kz".into(),
            partstat: Some(partstat.into()),
            sequence: 1,
            proposed: None,
            comment: None,
        }
    }

    fn issued() -> Issued {
        Issued {
            recipient: "party@example.kz".into(),
            party: true,
            current_sequence: 1,
            scheduled: true,
        }
    }

    const FROM: Option<&str> = Some("party@example.kz");

    #[test]
    fn an_accept_decline_or_tentative_from_the_recipient_is_recorded() {
        for (written, partstat) in [
            ("ACCEPTED", PartStat::Accepted),
            ("declined", PartStat::Declined),
            ("TENTATIVE", PartStat::Tentative),
        ] {
            assert_eq!(
                judge(&reply(written), FROM, Some(&issued())),
                Verdict::Answer(partstat)
            );
        }
    }

    #[test]
    fn an_answer_to_a_newer_sequence_than_known_is_still_the_recipients_answer() {
        let answer = CalendarAnswer {
            sequence: 5,
            ..reply("ACCEPTED")
        };
        assert_eq!(
            judge(&answer, FROM, Some(&issued())),
            Verdict::Answer(PartStat::Accepted)
        );
    }

    #[test]
    fn an_unknown_uid_is_kept_aside() {
        assert_eq!(
            judge(&reply("ACCEPTED"), FROM, None),
            Verdict::SetAside(SetAsideReason::UnknownUid)
        );
    }

    #[test]
    fn a_spoofed_from_or_another_attendee_is_kept_aside() {
        assert_eq!(
            judge(&reply("ACCEPTED"), Some("mallory@evil.kz"), Some(&issued())),
            Verdict::SetAside(SetAsideReason::SenderMismatch)
        );
        assert_eq!(
            judge(&reply("ACCEPTED"), None, Some(&issued())),
            Verdict::SetAside(SetAsideReason::SenderMismatch)
        );
        let other = CalendarAnswer {
            attendee: "mailto:someone@example.kz".into(),
            ..reply("ACCEPTED")
        };
        assert_eq!(
            judge(&other, FROM, Some(&issued())),
            Verdict::SetAside(SetAsideReason::AttendeeMismatch)
        );
    }

    #[test]
    fn an_answer_to_an_older_sequence_or_a_cancelled_session_is_stale() {
        let old = CalendarAnswer {
            sequence: 0,
            ..reply("ACCEPTED")
        };
        assert_eq!(judge(&old, FROM, Some(&issued())), Verdict::Stale);
        let cancelled = Issued {
            scheduled: false,
            current_sequence: 2,
            ..issued()
        };
        assert_eq!(
            judge(&reply("ACCEPTED"), FROM, Some(&cancelled)),
            Verdict::Stale
        );
    }

    #[test]
    fn the_mediators_own_invitation_and_odd_answers_are_kept_aside() {
        let mediator = Issued {
            party: false,
            ..issued()
        };
        assert_eq!(
            judge(&reply("ACCEPTED"), FROM, Some(&mediator)),
            Verdict::SetAside(SetAsideReason::NotAParty)
        );
        for odd in ["NEEDS-ACTION", "DELEGATED", ""] {
            assert_eq!(
                judge(&reply(odd), FROM, Some(&issued())),
                Verdict::SetAside(SetAsideReason::UnsupportedAnswer),
                "{odd}"
            );
        }
        let refresh = CalendarAnswer {
            method: AnswerMethod::Other,
            ..reply("ACCEPTED")
        };
        assert_eq!(
            judge(&refresh, FROM, Some(&issued())),
            Verdict::SetAside(SetAsideReason::UnsupportedMethod)
        );
    }

    #[test]
    fn a_counter_carries_its_proposed_time_or_is_kept_aside() {
        let counter = CalendarAnswer {
            method: AnswerMethod::Counter,
            proposed: Some((at(9), at(10))),
            ..reply("TENTATIVE")
        };
        assert_eq!(
            judge(&counter, FROM, Some(&issued())),
            Verdict::Counter {
                starts_at: at(9),
                ends_at: at(10)
            }
        );
        for proposed in [None, Some((at(10), at(9)))] {
            let bad = CalendarAnswer {
                proposed,
                ..counter.clone()
            };
            assert_eq!(
                judge(&bad, FROM, Some(&issued())),
                Verdict::SetAside(SetAsideReason::NoProposedTime)
            );
        }
    }

    #[test]
    fn addresses_compare_without_mailto_brackets_or_case() {
        assert_eq!(plain_address(" MAILTO:<A@B.kz> "), "a@b.kz");
        assert_eq!(plain_address("a@b.kz"), "a@b.kz");
    }

    fn case(key: u8, number: &str, parties: &[&str]) -> OpenCase<u8> {
        OpenCase {
            key,
            court_case_number: number.into(),
            party_addresses: parties.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn free_text_goes_to_the_one_open_case_of_its_sender() {
        let open = [
            case(1, "2-12/2026", &["a@x.kz", "b@x.kz"]),
            case(2, "2-123/2026", &["a@x.kz"]),
            case(3, "2-99/2026", &["c@x.kz"]),
        ];
        let key =
            |from: &str, subject: &str| case_of_free_text(from, subject, &open).map(|c| c.key);
        assert_eq!(key("B@x.kz", "I will be late"), Some(1));
        assert_eq!(
            key("a@x.kz", "I will be late"),
            None,
            "two cases, no number"
        );
        assert_eq!(key("a@x.kz", "Re: case 2-123/2026"), Some(2));
        assert_eq!(key("a@x.kz", "Re: case 2-12/2026"), Some(1));
        assert_eq!(
            key("stranger@x.kz", "case 2-99/2026"),
            None,
            "a case number alone does not make a stranger a party"
        );
    }

    #[test]
    fn a_mailbox_url_is_read_with_defaults_and_never_shows_its_password() {
        let url = MailboxUrl::parse("imaps://replies%40court.kz:p%40ss@mail.court.kz/Replies")
            .expect("valid");
        assert_eq!(
            (url.tls, url.host.as_str(), url.port),
            (true, "mail.court.kz", 993)
        );
        assert_eq!(
            (
                url.user.as_str(),
                url.password.as_str(),
                url.mailbox.as_str()
            ),
            ("replies@court.kz", "p@ss", "Replies")
        );
        assert!(!format!("{url:?}").contains("p@ss"));
        let plain = MailboxUrl::parse("imap://u:p@127.0.0.1:1143").expect("valid");
        assert_eq!(
            (plain.tls, plain.port, plain.mailbox.as_str()),
            (false, 1143, "INBOX")
        );
        for bad in [
            "https://u:p@h/",
            "imap://h/",
            "not a url",
            "imap://u:p@h/a\"b",
        ] {
            let err = MailboxUrl::parse(bad).expect_err(bad);
            assert!(!err.contains(":p@"), "{err}");
        }
    }
}
