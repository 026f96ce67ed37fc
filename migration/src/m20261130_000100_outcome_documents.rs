//! The agreement document of an outcome version as PDF beside its HTML, and
//! what a partial settlement leaves unresolved.
//!
//! `outcomes.document_html` / `document_sha256` (the HTML and its SHA-256)
//! exist since the first migration; this adds `document_pdf` (the PDF bytes),
//! `document_pdf_sha256` and `unresolved`. SQLite adds one column per
//! statement, so each column is its own ALTER.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(Outcomes::DocumentPdf)
                .blob()
                .null()
                .to_owned(),
            ColumnDef::new(Outcomes::DocumentPdfSha256)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Outcomes::Unresolved)
                .text()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outcomes::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Outcomes::Unresolved,
            Outcomes::DocumentPdfSha256,
            Outcomes::DocumentPdf,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outcomes::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Outcomes {
    Table,
    DocumentPdf,
    DocumentPdfSha256,
    Unresolved,
}
