//! How fast the settlement agreement renders to PDF.
//!
//! Target: a median under 50 ms for an agreement with 10 terms. Each
//! iteration renders a *different* agreement (the terms and names carry the
//! iteration's number), as a server does: Typst memoizes layout across
//! compilations, and the same input twice would mostly replay its cache.
//! "the same agreement again" is measured too, to show that difference.
//! Run with `cargo bench --bench agreement` (add `-- --quick` for a short
//! run).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use kelisim::documents::agreement::{
    AgreementInput, AgreementMediator, AgreementParty, AgreementResult, AgreementTerm, render_pdf,
};
use kelisim::domain::Language;
use kelisim::domain::case::{CaseCategory, PartyRole};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// A Russian commercial agreement with 10 terms, four parties and the
/// Kazakh letters of real names; `n` makes every call a different document.
fn agreement(n: u64) -> AgreementInput {
    let party = |role, name: String, acts_for| AgreementParty {
        role,
        name,
        minor: false,
        acts_for,
    };
    let terms = (0..10u32)
        .map(|i| AgreementTerm {
            text: format!(
                "Ответчик перечисляет истцу {} 000 тенге в счёт погашения задолженности по \
                 договору поставки № {n}-{i} на банковский счёт, указанный истцом в письме от \
                 3 марта 2026 года; платёж считается совершённым в день его зачисления.",
                150 + i * 25
            ),
            due_on: Some(date(2026, 12, 1 + i)),
            owed_by: Some(if i % 3 == 0 { 0 } else { 1 }),
        })
        .collect();
    AgreementInput {
        language: Language::Ru,
        version: 1,
        court_name: "Специализированный межрайонный экономический суд города Астаны".into(),
        case_number: format!("2-{n}/2026"),
        category: CaseCategory::Commercial,
        subject: "Взыскание задолженности по договорам поставки".into(),
        parties: vec![
            party(PartyRole::Claimant, format!("ТОО «Дала-Өнім {n}»"), None),
            party(
                PartyRole::Respondent,
                "ИП Құрманғалиев Өмірбек Әділұлы".into(),
                None,
            ),
            party(
                PartyRole::Representative,
                "Иванова Мария Петровна".into(),
                Some(0),
            ),
            party(
                PartyRole::Representative,
                "Шаһизада Іңкәрқызы Жүсіпова".into(),
                Some(1),
            ),
        ],
        mediator: AgreementMediator {
            name: "Ахметов Төлеген Сәкенұлы".into(),
            registry_number: "ПМ-00158".into(),
        },
        result: AgreementResult::Settled,
        terms,
        signed_on: date(2026, 11, 30),
        signing_place: "г. Астана".into(),
    }
}

fn bench(c: &mut Criterion) {
    // Fonts, the Typst library and the ICU data load on first use.
    render_pdf(&agreement(0)).expect("renders");

    let mut n = 1u64;
    c.bench_function("agreement PDF, 10 terms, a new agreement each time", |b| {
        b.iter_batched(
            || {
                n += 1;
                agreement(n)
            },
            |input| black_box(render_pdf(&input).expect("renders")),
            criterion::BatchSize::SmallInput,
        )
    });

    let same = agreement(1);
    c.bench_function("agreement PDF, 10 terms, the same agreement again", |b| {
        b.iter(|| black_box(render_pdf(&same).expect("renders")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
