//! The reply mailbox: every message read from it, and the time changes
//! parties proposed from their mail client.
//!
//! - `inbox_messages`: one row per message, written in the same transaction
//!   as what the message caused (an answer recorded, a notice to the
//!   mediator). `message_key` (the Message-ID, or the IMAP UID when a
//!   message has none) is unique: an instance claims a message by inserting
//!   its row, so of two instances reading one mailbox only one applies it.
//!   Messages that were not applied stay here with their reason (`status`
//!   `set_aside`, `stale`) for an admin, with their text.
//! - `counter_proposals`: a party's proposal of another time (iTIP
//!   COUNTER), and the one-click decision of the mediator: only the
//!   SHA-256 of the link's token is stored; the link works once and until
//!   `expires_at`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InboxMessages::Table)
                    .col(pk_uuid(InboxMessages::Id))
                    .col(string_len(InboxMessages::MessageKey, 400))
                    .col(string_len_null(InboxMessages::FromAddress, 320))
                    .col(text(InboxMessages::Subject))
                    .col(string_len(InboxMessages::Kind, 20))
                    .col(string_len(InboxMessages::Status, 20))
                    .col(string_len_null(InboxMessages::Reason, 40))
                    .col(uuid_null(InboxMessages::InvitationId))
                    .col(uuid_null(InboxMessages::SessionId))
                    .col(uuid_null(InboxMessages::CaseId))
                    .col(text(InboxMessages::Body))
                    .col(timestamp_with_time_zone(InboxMessages::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_inbox_messages_message_key")
                    .table(InboxMessages::Table)
                    .col(InboxMessages::MessageKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_messages_status")
                    .table(InboxMessages::Table)
                    .col(InboxMessages::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CounterProposals::Table)
                    .col(pk_uuid(CounterProposals::Id))
                    .col(uuid(CounterProposals::InvitationId))
                    .col(uuid(CounterProposals::SessionId))
                    .col(integer(CounterProposals::Sequence))
                    .col(timestamp_with_time_zone(CounterProposals::StartsAt))
                    .col(timestamp_with_time_zone(CounterProposals::EndsAt))
                    .col(string_len(CounterProposals::TokenHash, 64))
                    .col(timestamp_with_time_zone(CounterProposals::ExpiresAt))
                    .col(string_len_null(CounterProposals::Decision, 20))
                    .col(timestamp_with_time_zone_null(CounterProposals::DecidedAt))
                    .col(timestamp_with_time_zone(CounterProposals::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_counter_proposals_invitation_id")
                            .from(CounterProposals::Table, CounterProposals::InvitationId)
                            .to(Invitations::Table, Invitations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_counter_proposals_token_hash")
                    .table(CounterProposals::Table)
                    .col(CounterProposals::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CounterProposals::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InboxMessages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum InboxMessages {
    Table,
    Id,
    MessageKey,
    FromAddress,
    Subject,
    Kind,
    Status,
    Reason,
    InvitationId,
    SessionId,
    CaseId,
    Body,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum CounterProposals {
    Table,
    Id,
    InvitationId,
    SessionId,
    Sequence,
    StartsAt,
    EndsAt,
    TokenHash,
    ExpiresAt,
    Decision,
    DecidedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
}
