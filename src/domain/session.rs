//! Sessions of a case: their vocabulary (status, format, each recipient's
//! answer) and the reminders due before one.
//!
//! Rule: these values are stored and shown as the strings given here; code
//! compares the enums, never the strings.

use chrono::{DateTime, Duration, Utc};

use super::mediator::string_enum;

string_enum!(
    /// Where a session stands.
    SessionStatus, "session status" {
        Scheduled => "scheduled",
        Cancelled => "cancelled",
        Held => "held",
        NotHeld => "not_held",
    }
);

string_enum!(
    /// Whether the parties meet together or each meets the mediator alone.
    SessionFormat, "session format" {
        Joint => "joint",
        Separate => "separate",
    }
);

string_enum!(
    /// A recipient's answer to an invitation, as iCalendar's PARTSTAT says it.
    PartStat, "participation status" {
        NeedsAction => "NEEDS-ACTION",
        Accepted => "ACCEPTED",
        Declined => "DECLINED",
        Tentative => "TENTATIVE",
    }
);

string_enum!(
    /// What a party answers on their page.
    RsvpAnswer, "response" {
        Accepted => "accepted",
        Declined => "declined",
        Tentative => "tentative",
    }
);

impl RsvpAnswer {
    /// The answer as an invitation records it.
    pub fn partstat(self) -> PartStat {
        match self {
            RsvpAnswer::Accepted => PartStat::Accepted,
            RsvpAnswer::Declined => PartStat::Declined,
            RsvpAnswer::Tentative => PartStat::Tentative,
        }
    }
}

/// The reminder kind due for a session starting at `starts_at`, seen at
/// `at`: the smallest number of hours (of `hours`) that reaches the start.
/// Only the nearest kind is sent: a session booked an hour ahead gets the
/// 2-hour reminder, not a late 48-hour one.
pub fn due_reminder(hours: &[u32], starts_at: DateTime<Utc>, at: DateTime<Utc>) -> Option<u32> {
    if starts_at <= at {
        return None;
    }
    hours
        .iter()
        .copied()
        .filter(|h| starts_at <= at + Duration::hours(i64::from(*h)))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::hours(1000 + h)
    }

    #[test]
    fn answers_become_their_partstat_and_values_round_trip() {
        assert_eq!(RsvpAnswer::Accepted.partstat(), PartStat::Accepted);
        assert_eq!(RsvpAnswer::Declined.partstat(), PartStat::Declined);
        assert_eq!(RsvpAnswer::Tentative.partstat(), PartStat::Tentative);
        for p in PartStat::ALL {
            assert_eq!(p.as_str().parse::<PartStat>(), Ok(*p));
        }
        assert_eq!("not_held".parse(), Ok(SessionStatus::NotHeld));
        assert!("maybe".parse::<RsvpAnswer>().is_err());
    }

    #[test]
    fn the_nearest_reminder_is_due() {
        let hours = [48, 2];
        let at = t(0);
        assert_eq!(due_reminder(&hours, t(72), at), None);
        assert_eq!(due_reminder(&hours, t(48), at), Some(48));
        assert_eq!(due_reminder(&hours, t(30), at), Some(48));
        assert_eq!(due_reminder(&hours, t(2), at), Some(2));
        assert_eq!(due_reminder(&hours, t(1), at), Some(2));
        assert_eq!(due_reminder(&hours, t(0), at), None, "started");
        assert_eq!(due_reminder(&[], t(1), at), None);
    }
}
