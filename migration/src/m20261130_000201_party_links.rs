//! Parties' personal links as random tokens, and raw emails kept for a
//! limited time.
//!
//! - `party_links`: one row per link minted for a party, holding only the
//!   token's SHA-256, the party's link version it was minted under, and when
//!   it was revoked. A party may hold several live links (one per email);
//!   replacing a party's link raises `parties.link_version`, which kills
//!   every link of an older version at once.
//! - The links that were derived from the installation key are carried over
//!   as version 0 (their hashes were already stored), so emails already sent
//!   keep working; the key itself is deleted, so no further link can be
//!   derived from it. The link row of a carried-over token takes the party's
//!   id as its own id, which keeps the copy one portable statement.
//! - `cases.closed_at`: when the case reached a final status; links expire a
//!   set time after it. Cases already closed take their last update.
//! - `outbox_messages.raw_sha256` / `raw_purged_at`: the hash of a sent
//!   message, kept when its body is dropped after the retention period.

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
                    .table(PartyLinks::Table)
                    .col(pk_uuid(PartyLinks::Id))
                    .col(uuid(PartyLinks::PartyId))
                    .col(string(PartyLinks::TokenHash))
                    .col(integer(PartyLinks::Version))
                    .col(timestamp_with_time_zone(PartyLinks::CreatedAt))
                    .col(timestamp_with_time_zone_null(PartyLinks::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_party_links_party_id")
                            .from(PartyLinks::Table, PartyLinks::PartyId)
                            .to(Parties::Table, Parties::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_party_links_token_hash")
                    .table(PartyLinks::Table)
                    .col(PartyLinks::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_party_links_party_id")
                    .table(PartyLinks::Table)
                    .col(PartyLinks::PartyId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Parties::Table)
                    .add_column(integer(Parties::LinkVersion).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO party_links (id, party_id, token_hash, version, created_at) \
             SELECT id, id, access_token_hash, 0, created_at FROM parties \
             WHERE access_token_hash IS NOT NULL",
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_parties_access_token_hash")
                    .table(Parties::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Parties::Table)
                    .drop_column(Parties::AccessTokenHash)
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("DELETE FROM service_secrets WHERE name = 'party_link_key'")
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(timestamp_with_time_zone_null(Cases::ClosedAt))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE cases SET closed_at = updated_at \
             WHERE status IN ('registered', 'withdrawn', 'expired')",
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMessages::Table)
                    .add_column(string_null(OutboxMessages::RawSha256))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMessages::Table)
                    .add_column(timestamp_with_time_zone_null(OutboxMessages::RawPurgedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                OutboxMessages::Table.into_iden(),
                OutboxMessages::RawPurgedAt.into_iden(),
            ),
            (
                OutboxMessages::Table.into_iden(),
                OutboxMessages::RawSha256.into_iden(),
            ),
            (Cases::Table.into_iden(), Cases::ClosedAt.into_iden()),
            (Parties::Table.into_iden(), Parties::LinkVersion.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Parties::Table)
                    .add_column(string_null(Parties::AccessTokenHash))
                    .to_owned(),
            )
            .await?;
        // One link per party goes back (the oldest live one); the others
        // were minted after the key and have no place in the old schema.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE parties SET access_token_hash = (SELECT l.token_hash FROM party_links l \
                 WHERE l.party_id = parties.id AND l.revoked_at IS NULL \
                 ORDER BY l.created_at, l.id LIMIT 1)",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_parties_access_token_hash")
                    .table(Parties::Table)
                    .col(Parties::AccessTokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PartyLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PartyLinks {
    Table,
    Id,
    PartyId,
    TokenHash,
    Version,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Parties {
    Table,
    Id,
    AccessTokenHash,
    LinkVersion,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    ClosedAt,
}

#[derive(DeriveIden)]
enum OutboxMessages {
    Table,
    RawSha256,
    RawPurgedAt,
}
