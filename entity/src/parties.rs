//! `parties` table: participants of a case.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "parties")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// `claimant` | `respondent` | `representative` | `guardian` | `interpreter`.
    pub role: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub iin_bin: Option<String>,
    pub language: String,
    pub is_minor: bool,
    #[sea_orm(column_type = "Text")]
    pub accessibility_needs: Option<String>,
    /// Defaults to `full` in the database.
    pub legal_capacity: String,
    /// The party this one represents (representative / guardian / interpreter).
    pub represents_party_id: Option<Uuid>,
    pub voluntary_confirmed_at: Option<DateTimeUtc>,
    /// Version of the party's links: links minted under an older one are
    /// dead. Defaults to 0 in the database.
    pub link_version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cases::Entity",
        from = "Column::CaseId",
        to = "super::cases::Column::Id",
        on_delete = "Cascade"
    )]
    Case,
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::RepresentsPartyId",
        to = "Column::Id",
        on_delete = "NoAction"
    )]
    RepresentsParty,
    #[sea_orm(has_many = "super::session_parties::Entity")]
    SessionParties,
    #[sea_orm(has_many = "super::invitations::Entity")]
    Invitations,
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::session_parties::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionParties.def()
    }
}

impl Related<super::invitations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invitations.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_parties::Relation::Session.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_parties::Relation::Party.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
