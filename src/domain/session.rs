//! Sessions of a case: the reminders due before one.

use chrono::{DateTime, Duration, Utc};

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
