//! Initial Kelisim schema: creates every table, primary key, foreign key,
//! unique constraint and index described in the schema spec.
//!
//! The statements use only the portable sea-query builder API so the very same
//! migration runs on SQLite and PostgreSQL:
//! * foreign keys are declared inside `CREATE TABLE` (SQLite cannot add them
//!   with `ALTER TABLE`);
//! * unique constraints and secondary indexes are separate, named
//!   `CREATE [UNIQUE] INDEX` statements, so a later migration can drop them by
//!   name on both backends.
//!
//! Naming: `fk_<table>_<column>`, `uq_<table>_<columns>`, `idx_<table>_<columns>`,
//! `pk_<table>` (composite keys), `ck_<table>_<what>`.
//!
//! This migration has landed: it is never edited. Schema changes go into a new
//! migration file.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // ---------------------------------------------------------------- courts
        manager
            .create_table(
                Table::create()
                    .table(Courts::Table)
                    .col(pk_uuid(Courts::Id))
                    .col(string(Courts::Code))
                    .col(string(Courts::Name))
                    .col(string(Courts::Timezone))
                    .col(string(Courts::DefaultLanguage))
                    .col(timestamp_with_time_zone(Courts::CreatedAt))
                    .col(timestamp_with_time_zone(Courts::UpdatedAt))
                    .take(),
            )
            .await?;
        unique(manager, "uq_courts_code", Courts::Table, [Courts::Code]).await?;

        // ----------------------------------------------------- court_closed_days
        manager
            .create_table(
                Table::create()
                    .table(CourtClosedDays::Table)
                    .col(uuid(CourtClosedDays::CourtId))
                    .col(date(CourtClosedDays::Day))
                    .col(string_null(CourtClosedDays::Note))
                    .primary_key(
                        Index::create()
                            .name("pk_court_closed_days")
                            .col(CourtClosedDays::CourtId)
                            .col(CourtClosedDays::Day),
                    )
                    .foreign_key(&mut fk(
                        "fk_court_closed_days_court_id",
                        (CourtClosedDays::Table, CourtClosedDays::CourtId),
                        (Courts::Table, Courts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        // ----------------------------------------------------------------- rooms
        manager
            .create_table(
                Table::create()
                    .table(Rooms::Table)
                    .col(pk_uuid(Rooms::Id))
                    .col(uuid(Rooms::CourtId))
                    .col(string(Rooms::Name))
                    .col(integer(Rooms::Capacity))
                    .col(boolean(Rooms::StepFree))
                    .col(timestamp_with_time_zone(Rooms::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_rooms_court_id",
                        (Rooms::Table, Rooms::CourtId),
                        (Courts::Table, Courts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_rooms_court_id_name",
            Rooms::Table,
            [Rooms::CourtId, Rooms::Name],
        )
        .await?;

        // ----------------------------------------------------------------- users
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string(Users::Email))
                    .col(string(Users::Name))
                    .col(string(Users::Role))
                    .col(uuid_null(Users::CourtId))
                    .col(string(Users::Language))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::Active).default(true))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_users_court_id",
                        (Users::Table, Users::CourtId),
                        (Courts::Table, Courts::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        unique(manager, "uq_users_email", Users::Table, [Users::Email]).await?;
        index(
            manager,
            "idx_users_court_id",
            Users::Table,
            [Users::CourtId],
        )
        .await?;

        // ------------------------------------------------------------ api_tokens
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(pk_uuid(ApiTokens::Id))
                    .col(uuid(ApiTokens::UserId))
                    .col(string(ApiTokens::TokenHash))
                    .col(string(ApiTokens::Kind))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .foreign_key(&mut fk(
                        "fk_api_tokens_user_id",
                        (ApiTokens::Table, ApiTokens::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_api_tokens_token_hash",
            ApiTokens::Table,
            [ApiTokens::TokenHash],
        )
        .await?;
        index(
            manager,
            "idx_api_tokens_user_id",
            ApiTokens::Table,
            [ApiTokens::UserId],
        )
        .await?;

        // ------------------------------------------------------------- mediators
        manager
            .create_table(
                Table::create()
                    .table(Mediators::Table)
                    .col(pk_uuid(Mediators::Id))
                    .col(uuid_null(Mediators::UserId))
                    .col(string(Mediators::Name))
                    .col(string(Mediators::Email))
                    .col(string(Mediators::RegistryNumber))
                    .col(string(Mediators::Kind))
                    .col(date(Mediators::CertifiedUntil))
                    .col(integer(Mediators::MaxActiveCases))
                    .col(string(Mediators::Timezone))
                    .col(string(Mediators::Status))
                    .col(string(Mediators::FeedSecret))
                    .col(string_null(Mediators::ExternalCalendarUrl))
                    .col(string_null(Mediators::ExternalCalendarError))
                    .col(timestamp_with_time_zone_null(
                        Mediators::ExternalCalendarFetchedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        Mediators::CertificationWarnedAt,
                    ))
                    .col(timestamp_with_time_zone(Mediators::CreatedAt))
                    .col(timestamp_with_time_zone(Mediators::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_mediators_user_id",
                        (Mediators::Table, Mediators::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_mediators_user_id",
            Mediators::Table,
            [Mediators::UserId],
        )
        .await?;
        unique(
            manager,
            "uq_mediators_registry_number",
            Mediators::Table,
            [Mediators::RegistryNumber],
        )
        .await?;
        unique(
            manager,
            "uq_mediators_feed_secret",
            Mediators::Table,
            [Mediators::FeedSecret],
        )
        .await?;
        index(
            manager,
            "idx_mediators_status",
            Mediators::Table,
            [Mediators::Status],
        )
        .await?;

        // -------------------------------------------------- mediator_specialties
        manager
            .create_table(
                Table::create()
                    .table(MediatorSpecialties::Table)
                    .col(uuid(MediatorSpecialties::MediatorId))
                    .col(string(MediatorSpecialties::Specialty))
                    .primary_key(
                        Index::create()
                            .name("pk_mediator_specialties")
                            .col(MediatorSpecialties::MediatorId)
                            .col(MediatorSpecialties::Specialty),
                    )
                    .foreign_key(&mut fk(
                        "fk_mediator_specialties_mediator_id",
                        (MediatorSpecialties::Table, MediatorSpecialties::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        // ---------------------------------------------------- mediator_languages
        manager
            .create_table(
                Table::create()
                    .table(MediatorLanguages::Table)
                    .col(uuid(MediatorLanguages::MediatorId))
                    .col(string(MediatorLanguages::Language))
                    .primary_key(
                        Index::create()
                            .name("pk_mediator_languages")
                            .col(MediatorLanguages::MediatorId)
                            .col(MediatorLanguages::Language),
                    )
                    .foreign_key(&mut fk(
                        "fk_mediator_languages_mediator_id",
                        (MediatorLanguages::Table, MediatorLanguages::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        // ------------------------------------------------------- mediator_courts
        manager
            .create_table(
                Table::create()
                    .table(MediatorCourts::Table)
                    .col(uuid(MediatorCourts::MediatorId))
                    .col(uuid(MediatorCourts::CourtId))
                    .primary_key(
                        Index::create()
                            .name("pk_mediator_courts")
                            .col(MediatorCourts::MediatorId)
                            .col(MediatorCourts::CourtId),
                    )
                    .foreign_key(&mut fk(
                        "fk_mediator_courts_mediator_id",
                        (MediatorCourts::Table, MediatorCourts::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_mediator_courts_court_id",
                        (MediatorCourts::Table, MediatorCourts::CourtId),
                        (Courts::Table, Courts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_mediator_courts_court_id",
            MediatorCourts::Table,
            [MediatorCourts::CourtId],
        )
        .await?;

        // ------------------------------------------------ availability_intervals
        manager
            .create_table(
                Table::create()
                    .table(AvailabilityIntervals::Table)
                    .col(pk_uuid(AvailabilityIntervals::Id))
                    .col(uuid(AvailabilityIntervals::MediatorId))
                    .col(small_integer(AvailabilityIntervals::Weekday))
                    .col(integer(AvailabilityIntervals::StartMinute))
                    .col(integer(AvailabilityIntervals::EndMinute))
                    .foreign_key(&mut fk(
                        "fk_availability_intervals_mediator_id",
                        (
                            AvailabilityIntervals::Table,
                            AvailabilityIntervals::MediatorId,
                        ),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_availability_intervals_mediator_id",
            AvailabilityIntervals::Table,
            [AvailabilityIntervals::MediatorId],
        )
        .await?;

        // -------------------------------------------------------------- time_off
        manager
            .create_table(
                Table::create()
                    .table(TimeOff::Table)
                    .col(pk_uuid(TimeOff::Id))
                    .col(uuid(TimeOff::MediatorId))
                    .col(timestamp_with_time_zone(TimeOff::StartsAt))
                    .col(timestamp_with_time_zone(TimeOff::EndsAt))
                    .col(string_null(TimeOff::Note))
                    .col(timestamp_with_time_zone(TimeOff::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_time_off_mediator_id",
                        (TimeOff::Table, TimeOff::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_time_off_mediator_id_starts_at",
            TimeOff::Table,
            [TimeOff::MediatorId, TimeOff::StartsAt],
        )
        .await?;

        // ------------------------------------------------------------- conflicts
        manager
            .create_table(
                Table::create()
                    .table(Conflicts::Table)
                    .col(pk_uuid(Conflicts::Id))
                    .col(uuid(Conflicts::MediatorId))
                    .col(string_null(Conflicts::PartyIinBin))
                    .col(string_null(Conflicts::PartyName))
                    .col(string_null(Conflicts::Note))
                    .col(timestamp_with_time_zone(Conflicts::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_conflicts_mediator_id",
                        (Conflicts::Table, Conflicts::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_conflicts_mediator_id",
            Conflicts::Table,
            [Conflicts::MediatorId],
        )
        .await?;
        index(
            manager,
            "idx_conflicts_party_iin_bin",
            Conflicts::Table,
            [Conflicts::PartyIinBin],
        )
        .await?;

        // ----------------------------------------------------------- busy_blocks
        manager
            .create_table(
                Table::create()
                    .table(BusyBlocks::Table)
                    .col(pk_uuid(BusyBlocks::Id))
                    .col(uuid(BusyBlocks::MediatorId))
                    .col(timestamp_with_time_zone(BusyBlocks::StartsAt))
                    .col(timestamp_with_time_zone(BusyBlocks::EndsAt))
                    .col(string(BusyBlocks::Source))
                    .col(string_null(BusyBlocks::Summary))
                    .col(timestamp_with_time_zone(BusyBlocks::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_busy_blocks_mediator_id",
                        (BusyBlocks::Table, BusyBlocks::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_busy_blocks_mediator_id_starts_at",
            BusyBlocks::Table,
            [BusyBlocks::MediatorId, BusyBlocks::StartsAt],
        )
        .await?;

        // ----------------------------------------------------------------- cases
        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(pk_uuid(Cases::Id))
                    .col(uuid(Cases::CourtId))
                    .col(string(Cases::CourtCaseNumber))
                    .col(string(Cases::Category))
                    .col(text(Cases::Summary))
                    .col(string(Cases::Language))
                    .col(date(Cases::MediationDeadline))
                    .col(boolean(Cases::MinorsInvolved))
                    .col(boolean(Cases::ViolenceReported))
                    .col(boolean(Cases::InterpreterNeeded))
                    .col(boolean(Cases::JointSessionOverride).default(false))
                    .col(string(Cases::Status))
                    .col(uuid(Cases::ReferredBy))
                    .col(timestamp_with_time_zone_null(Cases::DeadlineWarnedAt))
                    .col(timestamp_with_time_zone(Cases::CreatedAt))
                    .col(timestamp_with_time_zone(Cases::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_cases_court_id",
                        (Cases::Table, Cases::CourtId),
                        (Courts::Table, Courts::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_cases_referred_by",
                        (Cases::Table, Cases::ReferredBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_cases_court_id_court_case_number",
            Cases::Table,
            [Cases::CourtId, Cases::CourtCaseNumber],
        )
        .await?;
        index(
            manager,
            "idx_cases_court_id_status",
            Cases::Table,
            [Cases::CourtId, Cases::Status],
        )
        .await?;
        index(
            manager,
            "idx_cases_status_mediation_deadline",
            Cases::Table,
            [Cases::Status, Cases::MediationDeadline],
        )
        .await?;

        // --------------------------------------------------------------- parties
        manager
            .create_table(
                Table::create()
                    .table(Parties::Table)
                    .col(pk_uuid(Parties::Id))
                    .col(uuid(Parties::CaseId))
                    .col(string(Parties::Role))
                    .col(string(Parties::Name))
                    .col(string(Parties::Email))
                    .col(string_null(Parties::Phone))
                    .col(string_null(Parties::IinBin))
                    .col(string(Parties::Language))
                    .col(boolean(Parties::IsMinor))
                    .col(text_null(Parties::AccessibilityNeeds))
                    .col(string(Parties::LegalCapacity).default("full"))
                    .col(uuid_null(Parties::RepresentsPartyId))
                    .col(timestamp_with_time_zone_null(Parties::VoluntaryConfirmedAt))
                    .col(string_null(Parties::AccessTokenHash))
                    .col(timestamp_with_time_zone(Parties::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_parties_case_id",
                        (Parties::Table, Parties::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    // NO ACTION rather than RESTRICT: both refuse to delete a party
                    // that is still represented, but NO ACTION checks at the end of
                    // the statement, so the cascaded delete of a whole case (which
                    // removes representative and represented party together) works
                    // on SQLite, where RESTRICT fires row by row.
                    .foreign_key(&mut fk(
                        "fk_parties_represents_party_id",
                        (Parties::Table, Parties::RepresentsPartyId),
                        (Parties::Table, Parties::Id),
                        ForeignKeyAction::NoAction,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_parties_access_token_hash",
            Parties::Table,
            [Parties::AccessTokenHash],
        )
        .await?;
        index(
            manager,
            "idx_parties_case_id",
            Parties::Table,
            [Parties::CaseId],
        )
        .await?;
        index(
            manager,
            "idx_parties_iin_bin",
            Parties::Table,
            [Parties::IinBin],
        )
        .await?;

        // ----------------------------------------------------------- assignments
        manager
            .create_table(
                Table::create()
                    .table(Assignments::Table)
                    .col(pk_uuid(Assignments::Id))
                    .col(uuid(Assignments::CaseId))
                    .col(uuid(Assignments::MediatorId))
                    .col(string(Assignments::Status))
                    .col(boolean(Assignments::ChosenByParties))
                    .col(uuid(Assignments::ProposedBy))
                    .col(timestamp_with_time_zone(Assignments::ProposedAt))
                    .col(timestamp_with_time_zone_null(Assignments::AnsweredAt))
                    .col(text_null(Assignments::DeclineReason))
                    .foreign_key(&mut fk(
                        "fk_assignments_case_id",
                        (Assignments::Table, Assignments::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_assignments_mediator_id",
                        (Assignments::Table, Assignments::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_assignments_proposed_by",
                        (Assignments::Table, Assignments::ProposedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_assignments_case_id",
            Assignments::Table,
            [Assignments::CaseId],
        )
        .await?;
        index(
            manager,
            "idx_assignments_mediator_id_status",
            Assignments::Table,
            [Assignments::MediatorId, Assignments::Status],
        )
        .await?;
        index(
            manager,
            "idx_assignments_mediator_id_proposed_at",
            Assignments::Table,
            [Assignments::MediatorId, Assignments::ProposedAt],
        )
        .await?;

        // -------------------------------------------------------------- sessions
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::CaseId))
                    .col(uuid(Sessions::MediatorId))
                    .col(timestamp_with_time_zone(Sessions::StartsAt))
                    .col(timestamp_with_time_zone(Sessions::EndsAt))
                    .col(string(Sessions::Timezone))
                    .col(uuid_null(Sessions::RoomId))
                    .col(string_null(Sessions::OnlineUrl))
                    .col(string(Sessions::Format))
                    .col(string(Sessions::Status))
                    .col(integer(Sessions::Sequence).default(0))
                    .col(text_null(Sessions::CancelReason))
                    .col(uuid_null(Sessions::CreatedBy))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::UpdatedAt))
                    // A session takes place in a room, online, or both.
                    .check(Check::named(
                        "ck_sessions_room_or_online",
                        Expr::col(Sessions::RoomId)
                            .is_not_null()
                            .or(Expr::col(Sessions::OnlineUrl).is_not_null()),
                    ))
                    .foreign_key(&mut fk(
                        "fk_sessions_case_id",
                        (Sessions::Table, Sessions::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sessions_mediator_id",
                        (Sessions::Table, Sessions::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sessions_room_id",
                        (Sessions::Table, Sessions::RoomId),
                        (Rooms::Table, Rooms::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_sessions_created_by",
                        (Sessions::Table, Sessions::CreatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_sessions_mediator_id_starts_at",
            Sessions::Table,
            [Sessions::MediatorId, Sessions::StartsAt],
        )
        .await?;
        index(
            manager,
            "idx_sessions_room_id_starts_at",
            Sessions::Table,
            [Sessions::RoomId, Sessions::StartsAt],
        )
        .await?;
        index(
            manager,
            "idx_sessions_case_id",
            Sessions::Table,
            [Sessions::CaseId],
        )
        .await?;
        index(
            manager,
            "idx_sessions_status_starts_at",
            Sessions::Table,
            [Sessions::Status, Sessions::StartsAt],
        )
        .await?;

        // ------------------------------------------------------- session_parties
        manager
            .create_table(
                Table::create()
                    .table(SessionParties::Table)
                    .col(uuid(SessionParties::SessionId))
                    .col(uuid(SessionParties::PartyId))
                    .primary_key(
                        Index::create()
                            .name("pk_session_parties")
                            .col(SessionParties::SessionId)
                            .col(SessionParties::PartyId),
                    )
                    .foreign_key(&mut fk(
                        "fk_session_parties_session_id",
                        (SessionParties::Table, SessionParties::SessionId),
                        (Sessions::Table, Sessions::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_session_parties_party_id",
                        (SessionParties::Table, SessionParties::PartyId),
                        (Parties::Table, Parties::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_session_parties_party_id",
            SessionParties::Table,
            [SessionParties::PartyId],
        )
        .await?;

        // ----------------------------------------------------------- invitations
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(pk_uuid(Invitations::Id))
                    .col(uuid(Invitations::SessionId))
                    .col(uuid_null(Invitations::PartyId))
                    .col(uuid_null(Invitations::MediatorId))
                    .col(string(Invitations::Email))
                    .col(string(Invitations::Uid))
                    .col(integer(Invitations::Sequence))
                    .col(string(Invitations::Partstat).default("NEEDS-ACTION"))
                    .col(text_null(Invitations::ResponseNote))
                    .col(timestamp_with_time_zone_null(Invitations::RespondedAt))
                    .col(timestamp_with_time_zone_null(Invitations::LastSentAt))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_invitations_session_id",
                        (Invitations::Table, Invitations::SessionId),
                        (Sessions::Table, Sessions::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_invitations_party_id",
                        (Invitations::Table, Invitations::PartyId),
                        (Parties::Table, Parties::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_invitations_mediator_id",
                        (Invitations::Table, Invitations::MediatorId),
                        (Mediators::Table, Mediators::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_invitations_uid",
            Invitations::Table,
            [Invitations::Uid],
        )
        .await?;
        index(
            manager,
            "idx_invitations_session_id",
            Invitations::Table,
            [Invitations::SessionId],
        )
        .await?;

        // -------------------------------------------------------- reminders_sent
        manager
            .create_table(
                Table::create()
                    .table(RemindersSent::Table)
                    .col(pk_uuid(RemindersSent::Id))
                    .col(uuid(RemindersSent::InvitationId))
                    .col(string(RemindersSent::Kind))
                    .col(timestamp_with_time_zone(RemindersSent::SessionStartsAt))
                    .col(timestamp_with_time_zone(RemindersSent::SentAt))
                    .foreign_key(&mut fk(
                        "fk_reminders_sent_invitation_id",
                        (RemindersSent::Table, RemindersSent::InvitationId),
                        (Invitations::Table, Invitations::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_reminders_sent_invitation_id_kind_session_starts_at",
            RemindersSent::Table,
            [
                RemindersSent::InvitationId,
                RemindersSent::Kind,
                RemindersSent::SessionStartsAt,
            ],
        )
        .await?;

        // -------------------------------------------------------------- outcomes
        manager
            .create_table(
                Table::create()
                    .table(Outcomes::Table)
                    .col(pk_uuid(Outcomes::Id))
                    .col(uuid(Outcomes::CaseId))
                    .col(integer(Outcomes::Version))
                    .col(string(Outcomes::Result))
                    .col(json_binary(Outcomes::Terms))
                    .col(date(Outcomes::SignedOn))
                    .col(string(Outcomes::SignedAtPlace))
                    .col(text_null(Outcomes::DocumentHtml))
                    .col(string_null(Outcomes::DocumentSha256))
                    .col(string(Outcomes::Status))
                    .col(timestamp_with_time_zone_null(Outcomes::SubmittedAt))
                    .col(string_null(Outcomes::CourtRegistrationNumber))
                    .col(text_null(Outcomes::ReturnReason))
                    .col(timestamp_with_time_zone_null(Outcomes::DecidedAt))
                    .col(uuid_null(Outcomes::DecidedBy))
                    .col(uuid_null(Outcomes::CreatedBy))
                    .col(timestamp_with_time_zone(Outcomes::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_outcomes_case_id",
                        (Outcomes::Table, Outcomes::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outcomes_decided_by",
                        (Outcomes::Table, Outcomes::DecidedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outcomes_created_by",
                        (Outcomes::Table, Outcomes::CreatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        unique(
            manager,
            "uq_outcomes_case_id_version",
            Outcomes::Table,
            [Outcomes::CaseId, Outcomes::Version],
        )
        .await?;

        // ------------------------------------------------------- outbox_messages
        manager
            .create_table(
                Table::create()
                    .table(OutboxMessages::Table)
                    .col(pk_uuid(OutboxMessages::Id))
                    .col(string(OutboxMessages::Kind))
                    .col(string(OutboxMessages::Recipient))
                    .col(string(OutboxMessages::Subject))
                    .col(text(OutboxMessages::RawMessage))
                    .col(uuid_null(OutboxMessages::CaseId))
                    .col(uuid_null(OutboxMessages::SessionId))
                    .col(string(OutboxMessages::Status))
                    .col(integer(OutboxMessages::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutboxMessages::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(OutboxMessages::LeaseUntil))
                    .col(text_null(OutboxMessages::LastError))
                    .col(string(OutboxMessages::MessageId))
                    .col(timestamp_with_time_zone(OutboxMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxMessages::SentAt))
                    .foreign_key(&mut fk(
                        "fk_outbox_messages_case_id",
                        (OutboxMessages::Table, OutboxMessages::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_outbox_messages_session_id",
                        (OutboxMessages::Table, OutboxMessages::SessionId),
                        (Sessions::Table, Sessions::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_outbox_messages_status_next_attempt_at",
            OutboxMessages::Table,
            [OutboxMessages::Status, OutboxMessages::NextAttemptAt],
        )
        .await?;

        // ------------------------------------------------------------- audit_log
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_uuid(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(uuid_null(AuditLog::ActorUserId))
                    .col(string(AuditLog::ActorKind))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::EntityType))
                    .col(uuid_null(AuditLog::EntityId))
                    .col(uuid_null(AuditLog::CaseId))
                    .col(uuid_null(AuditLog::CourtId))
                    .col(string_null(AuditLog::FromState))
                    .col(string_null(AuditLog::ToState))
                    .col(json_binary_null(AuditLog::Details))
                    .foreign_key(&mut fk(
                        "fk_audit_log_actor_user_id",
                        (AuditLog::Table, AuditLog::ActorUserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_audit_log_case_id",
                        (AuditLog::Table, AuditLog::CaseId),
                        (Cases::Table, Cases::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_audit_log_court_id",
                        (AuditLog::Table, AuditLog::CourtId),
                        (Courts::Table, Courts::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_audit_log_case_id_at",
            AuditLog::Table,
            [AuditLog::CaseId, AuditLog::At],
        )
        .await?;
        index(
            manager,
            "idx_audit_log_entity_type_entity_id",
            AuditLog::Table,
            [AuditLog::EntityType, AuditLog::EntityId],
        )
        .await?;
        index(manager, "idx_audit_log_at", AuditLog::Table, [AuditLog::At]).await?;

        // ------------------------------------------------------ idempotency_keys
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::UserId))
                    .col(string(IdempotencyKeys::Key))
                    .col(string(IdempotencyKeys::Method))
                    .col(string(IdempotencyKeys::Path))
                    .col(string(IdempotencyKeys::RequestHash))
                    .col(integer(IdempotencyKeys::ResponseStatus))
                    .col(json_binary(IdempotencyKeys::ResponseHeaders))
                    .col(blob(IdempotencyKeys::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_idempotency_keys")
                            .col(IdempotencyKeys::UserId)
                            .col(IdempotencyKeys::Key),
                    )
                    .foreign_key(&mut fk(
                        "fk_idempotency_keys_user_id",
                        (IdempotencyKeys::Table, IdempotencyKeys::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        // ------------------------------------------------------------- job_locks
        manager
            .create_table(
                Table::create()
                    .table(JobLocks::Table)
                    .col(string(JobLocks::Name).primary_key())
                    .col(timestamp_with_time_zone(JobLocks::LockedUntil))
                    .col(string(JobLocks::LockedBy))
                    .col(timestamp_with_time_zone_null(JobLocks::LastRunAt))
                    .take(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Reverse creation order, so no table is dropped while another table
        // still references it. Indexes and foreign keys go with their tables.
        let tables: [DynIden; 25] = [
            JobLocks::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            AuditLog::Table.into_iden(),
            OutboxMessages::Table.into_iden(),
            Outcomes::Table.into_iden(),
            RemindersSent::Table.into_iden(),
            Invitations::Table.into_iden(),
            SessionParties::Table.into_iden(),
            Sessions::Table.into_iden(),
            Assignments::Table.into_iden(),
            Parties::Table.into_iden(),
            Cases::Table.into_iden(),
            BusyBlocks::Table.into_iden(),
            Conflicts::Table.into_iden(),
            TimeOff::Table.into_iden(),
            AvailabilityIntervals::Table.into_iden(),
            MediatorCourts::Table.into_iden(),
            MediatorLanguages::Table.into_iden(),
            MediatorSpecialties::Table.into_iden(),
            Mediators::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Users::Table.into_iden(),
            Rooms::Table.into_iden(),
            CourtClosedDays::Table.into_iden(),
            Courts::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

/// A named foreign key from `from.0(from.1)` to `to.0(to.1)`.
fn fk<FT, FC, TT, TC>(
    name: &str,
    from: (FT, FC),
    to: (TT, TC),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    FT: IntoTableRef,
    FC: IdenList,
    TT: IntoTableRef,
    TC: IdenList,
{
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

/// `CREATE INDEX <name> ON <table> (<cols>)`.
async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr>
where
    T: IntoTableRef,
    C: IntoIndexColumn,
{
    manager
        .create_index(index_stmt(name, table, cols).take())
        .await
}

/// `CREATE UNIQUE INDEX <name> ON <table> (<cols>)`: the unique constraint.
async fn unique<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr>
where
    T: IntoTableRef,
    C: IntoIndexColumn,
{
    manager
        .create_index(index_stmt(name, table, cols).unique().take())
        .await
}

fn index_stmt<T, C>(name: &str, table: T, cols: impl IntoIterator<Item = C>) -> IndexCreateStatement
where
    T: IntoTableRef,
    C: IntoIndexColumn,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    stmt
}

#[derive(DeriveIden)]
enum Courts {
    Table,
    Id,
    Code,
    Name,
    Timezone,
    DefaultLanguage,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourtClosedDays {
    Table,
    CourtId,
    Day,
    Note,
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Id,
    CourtId,
    Name,
    Capacity,
    StepFree,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    CourtId,
    Language,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Kind,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Mediators {
    Table,
    Id,
    UserId,
    Name,
    Email,
    RegistryNumber,
    Kind,
    CertifiedUntil,
    MaxActiveCases,
    Timezone,
    Status,
    FeedSecret,
    ExternalCalendarUrl,
    ExternalCalendarError,
    ExternalCalendarFetchedAt,
    CertificationWarnedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MediatorSpecialties {
    Table,
    MediatorId,
    Specialty,
}

#[derive(DeriveIden)]
enum MediatorLanguages {
    Table,
    MediatorId,
    Language,
}

#[derive(DeriveIden)]
enum MediatorCourts {
    Table,
    MediatorId,
    CourtId,
}

#[derive(DeriveIden)]
enum AvailabilityIntervals {
    Table,
    Id,
    MediatorId,
    Weekday,
    StartMinute,
    EndMinute,
}

#[derive(DeriveIden)]
enum TimeOff {
    Table,
    Id,
    MediatorId,
    StartsAt,
    EndsAt,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Conflicts {
    Table,
    Id,
    MediatorId,
    PartyIinBin,
    PartyName,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BusyBlocks {
    Table,
    Id,
    MediatorId,
    StartsAt,
    EndsAt,
    Source,
    Summary,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    CourtId,
    CourtCaseNumber,
    Category,
    Summary,
    Language,
    MediationDeadline,
    MinorsInvolved,
    ViolenceReported,
    InterpreterNeeded,
    JointSessionOverride,
    Status,
    ReferredBy,
    DeadlineWarnedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Parties {
    Table,
    Id,
    CaseId,
    Role,
    Name,
    Email,
    Phone,
    IinBin,
    Language,
    IsMinor,
    AccessibilityNeeds,
    LegalCapacity,
    RepresentsPartyId,
    VoluntaryConfirmedAt,
    AccessTokenHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Assignments {
    Table,
    Id,
    CaseId,
    MediatorId,
    Status,
    ChosenByParties,
    ProposedBy,
    ProposedAt,
    AnsweredAt,
    DeclineReason,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    CaseId,
    MediatorId,
    StartsAt,
    EndsAt,
    Timezone,
    RoomId,
    OnlineUrl,
    Format,
    Status,
    Sequence,
    CancelReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SessionParties {
    Table,
    SessionId,
    PartyId,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    SessionId,
    PartyId,
    MediatorId,
    Email,
    Uid,
    Sequence,
    Partstat,
    ResponseNote,
    RespondedAt,
    LastSentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RemindersSent {
    Table,
    Id,
    InvitationId,
    Kind,
    SessionStartsAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Outcomes {
    Table,
    Id,
    CaseId,
    Version,
    Result,
    Terms,
    SignedOn,
    SignedAtPlace,
    DocumentHtml,
    DocumentSha256,
    Status,
    SubmittedAt,
    CourtRegistrationNumber,
    ReturnReason,
    DecidedAt,
    DecidedBy,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutboxMessages {
    Table,
    Id,
    Kind,
    Recipient,
    Subject,
    RawMessage,
    CaseId,
    SessionId,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    MessageId,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    ActorKind,
    Action,
    EntityType,
    EntityId,
    CaseId,
    CourtId,
    FromState,
    ToState,
    Details,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    Method,
    Path,
    RequestHash,
    ResponseStatus,
    ResponseHeaders,
    ResponseBody,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JobLocks {
    Table,
    Name,
    LockedUntil,
    LockedBy,
    LastRunAt,
}
