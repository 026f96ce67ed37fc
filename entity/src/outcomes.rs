//! `outcomes` table: mediation outcomes (agreement documents), versioned per case.
//!
//! Mirrors the schema created by the `migration` crate; keep the two in step.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "outcomes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique_key = "case_id_version")]
    pub case_id: Uuid,
    #[sea_orm(unique_key = "case_id_version")]
    pub version: i32,
    pub result: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub terms: Json,
    pub signed_on: Date,
    pub signed_at_place: String,
    #[sea_orm(column_type = "Text")]
    pub document_html: Option<String>,
    /// SHA-256 of `document_html`.
    pub document_sha256: Option<String>,
    /// `draft` | `submitted` | `registered` | `returned`.
    pub status: String,
    pub submitted_at: Option<DateTimeUtc>,
    pub court_registration_number: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub return_reason: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// The agreement as PDF (settlements only).
    #[sea_orm(column_type = "Blob")]
    pub document_pdf: Option<Vec<u8>>,
    pub document_pdf_sha256: Option<String>,
    /// A partial settlement: what stays with the court.
    #[sea_orm(column_type = "Text")]
    pub unresolved: Option<String>,
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
        belongs_to = "super::users::Entity",
        from = "Column::DecidedBy",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    DecidedBy,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::CreatedBy",
        to = "super::users::Column::Id",
        on_delete = "Restrict"
    )]
    CreatedBy,
}

impl Related<super::cases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
