//! SeaORM entities for the Kelisim database, one module per table.
//!
//! The schema itself is owned by the `migration` crate; these entities mirror
//! it and contain no logic. Enum-like columns are plain strings validated in
//! the application.

pub mod api_tokens;
pub mod assignments;
pub mod audit_log;
pub mod availability_intervals;
pub mod busy_blocks;
pub mod case_facts;
pub mod cases;
pub mod conflicts;
pub mod counter_proposals;
pub mod court_closed_days;
pub mod courts;
pub mod idempotency_keys;
pub mod inbox_messages;
pub mod invitations;
pub mod job_locks;
pub mod login_throttle;
pub mod mediator_caseloads;
pub mod mediator_courts;
pub mod mediator_languages;
pub mod mediator_specialties;
pub mod mediators;
pub mod outbox_messages;
pub mod outcomes;
pub mod parties;
pub mod party_links;
pub mod registry_version;
pub mod reminders_sent;
pub mod report_zone_offsets;
pub mod rooms;
pub mod service_secrets;
pub mod session_parties;
pub mod sessions;
pub mod time_off;
pub mod users;

/// The entities under short names, e.g. `prelude::Courts`.
pub mod prelude {
    pub use crate::api_tokens::Entity as ApiTokens;
    pub use crate::assignments::Entity as Assignments;
    pub use crate::audit_log::Entity as AuditLog;
    pub use crate::availability_intervals::Entity as AvailabilityIntervals;
    pub use crate::busy_blocks::Entity as BusyBlocks;
    pub use crate::case_facts::Entity as CaseFacts;
    pub use crate::cases::Entity as Cases;
    pub use crate::conflicts::Entity as Conflicts;
    pub use crate::counter_proposals::Entity as CounterProposals;
    pub use crate::court_closed_days::Entity as CourtClosedDays;
    pub use crate::courts::Entity as Courts;
    pub use crate::idempotency_keys::Entity as IdempotencyKeys;
    pub use crate::inbox_messages::Entity as InboxMessages;
    pub use crate::invitations::Entity as Invitations;
    pub use crate::job_locks::Entity as JobLocks;
    pub use crate::login_throttle::Entity as LoginThrottle;
    pub use crate::mediator_caseloads::Entity as MediatorCaseloads;
    pub use crate::mediator_courts::Entity as MediatorCourts;
    pub use crate::mediator_languages::Entity as MediatorLanguages;
    pub use crate::mediator_specialties::Entity as MediatorSpecialties;
    pub use crate::mediators::Entity as Mediators;
    pub use crate::outbox_messages::Entity as OutboxMessages;
    pub use crate::outcomes::Entity as Outcomes;
    pub use crate::parties::Entity as Parties;
    pub use crate::party_links::Entity as PartyLinks;
    pub use crate::registry_version::Entity as RegistryVersion;
    pub use crate::reminders_sent::Entity as RemindersSent;
    pub use crate::report_zone_offsets::Entity as ReportZoneOffsets;
    pub use crate::rooms::Entity as Rooms;
    pub use crate::session_parties::Entity as SessionParties;
    pub use crate::sessions::Entity as Sessions;
    pub use crate::time_off::Entity as TimeOff;
    pub use crate::users::Entity as Users;
}
