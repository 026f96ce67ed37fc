//! Outbox messages: where the delivery of each stands.

use super::mediator::string_enum;

string_enum!(
    /// Where a message's delivery stands: `pending` until claimed,
    /// `sending` while an instance holds its lease, then `sent`, or
    /// `failed` once retries are spent (an admin may retry it).
    DeliveryStatus, "delivery status" {
        Pending => "pending",
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
    }
);
