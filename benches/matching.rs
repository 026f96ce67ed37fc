//! How fast matching ranks a national registry for one case.
//!
//! A clerk waits for this list while referring a case, so ranking 10,000
//! mediators with their calendars must stay well under 20 ms. The registry is
//! generated deterministically (a small LCG, no `rand`) so runs compare: about
//! 85% of the mediators pass the cheap rules and need a slot search, each
//! works weekdays in Almaty with ~50 booked sessions and ~20 busy blocks over
//! the next 60 days, and the deadline is 60 days ahead. Run with
//! `cargo bench --bench matching` (add `-- --quick` for a short run).

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use kelisim::domain::Language;
use kelisim::domain::iin::IinBin;
use kelisim::domain::matching::*;
use kelisim::domain::mediator::{MediatorStatus, Specialty};
use kelisim::domain::slots::*;
use uuid::Uuid;

const MEDIATORS: usize = 10_000;
const COURTS: u128 = 40;

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // The high bits of an LCG are the random-looking ones.
        ((self.0 >> 33) % n) as i64
    }

    /// True with a probability of `percent` / 100.
    fn percent(&mut self, percent: i64) -> bool {
        self.below(100) < percent
    }
}

fn court(n: u128) -> Uuid {
    Uuid::from_u128(0xC0_0000 + n)
}

fn iin(raw: &str) -> IinBin {
    IinBin::parse(raw).expect("a valid IIN")
}

struct Fixture {
    case: CaseFacts,
    mediators: Vec<MediatorFacts>,
    request: MatchRequest,
}

fn fixture() -> Fixture {
    // Monday 2 March 2026, 05:00 in Almaty.
    let now = DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z")
        .expect("a valid instant")
        .with_timezone(&Utc);
    let case = CaseFacts {
        court_id: court(7),
        category: Specialty::Family,
        minors_involved: false,
        violence_reported: false,
        interpreter_needed: false,
        mediation_deadline: (now + Duration::days(60)).date_naive(),
        court_tz: chrono_tz::Asia::Almaty,
        parties: vec![
            PartyFacts {
                name: "Айгерім Серікқызы".into(),
                iin_bin: Some(iin("900101300126")),
                language: Language::Kk,
                email: "aigerim@example.kz".into(),
            },
            PartyFacts {
                name: "Бауыржан Маратұлы".into(),
                iin_bin: Some(iin("850712400320")),
                language: Language::Ru,
                email: "baur@example.kz".into(),
            },
        ],
    };

    let mut hours = Vec::new();
    for weekday in 1..=5 {
        hours.push((weekday, "09:00", "13:00"));
        hours.push((weekday, "14:00", "18:00"));
    }
    let weekly = parse_weekly(&hours).expect("the benchmark's weekly hours are valid");

    // "kelisim" in ASCII: any fixed seed would do.
    let mut rng = Lcg(0x006b_656c_6973_696d);
    let mediators = (0..MEDIATORS)
        .map(|i| {
            // Sessions in working hours (Almaty is UTC+5: 09:00–18:00 is
            // 04:00Z–13:00Z), an hour long, on the quarter hour.
            let sessions: Vec<Interval> = (0..45 + rng.below(11))
                .map(|_| {
                    let start = now
                        + Duration::days(rng.below(60))
                        + Duration::hours(4)
                        + Duration::minutes(15 * rng.below(32));
                    Interval::new(start, start + Duration::minutes(60))
                })
                .collect();
            // Busy blocks from an external calendar: any time, 15 min to 4 h.
            let busy_blocks: Vec<Interval> = (0..15 + rng.below(11))
                .map(|_| {
                    let start = now + Duration::minutes(15 * rng.below(60 * 24 * 4));
                    Interval::new(start, start + Duration::minutes(15 * (1 + rng.below(16))))
                })
                .collect();
            // A few are away for the whole period: they pass every cheap rule
            // and cost a full 60-day search.
            let time_off = if rng.percent(1) {
                vec![Interval::new(now, now + Duration::days(61))]
            } else {
                vec![]
            };

            // The 15% who fail a cheap rule, spread over the rules.
            let failing = rng.below(100);
            let mut specialties = vec![Specialty::Civil, Specialty::Family];
            let mut languages = vec![Language::Kk, Language::Ru];
            let mut court_ids = vec![court(rng.below(COURTS as u64) as u128), court(7)];
            let mut conflicts = vec![Conflict::Name(format!("Организация {}", rng.below(1000)))];
            let (mut max_active_cases, active_cases) = (20, rng.below(15) as i32);
            match failing {
                0..=2 => specialties = vec![Specialty::Labour, Specialty::Commercial],
                3..=4 => languages = vec![Language::Ru],
                5..=6 => court_ids = vec![court(8 + rng.below(30) as u128)],
                7 => conflicts.push(Conflict::IinBin(iin("850712400320"))),
                8..=9 => max_active_cases = active_cases,
                _ => {}
            }
            let status = match failing {
                10..=12 => MediatorStatus::Suspended,
                _ => MediatorStatus::Active,
            };
            let certified_until = match failing {
                13..=14 => now.date_naive() + Duration::days(30),
                _ => now.date_naive() + Duration::days(365 + rng.below(700)),
            };

            MediatorFacts {
                id: Uuid::from_u128(0x4d_0000_0000 + i as u128),
                name: format!("Медиатор {i}"),
                email: format!("mediator{i}@mediators.kz"),
                registry_number: format!("KZ-{:05}", rng.below(100_000)),
                status,
                certified_until,
                specialties,
                languages,
                court_ids,
                max_active_cases,
                active_cases,
                assignments_last_90_days: rng.below(40) as i32,
                conflicts,
                calendar: MediatorCalendar {
                    tz: chrono_tz::Asia::Almaty,
                    weekly: weekly.clone(),
                    busy: Busy::new(time_off, sessions, busy_blocks),
                    closed_days: vec![
                        chrono::NaiveDate::from_ymd_opt(2026, 3, 8).expect("a valid date"),
                        chrono::NaiveDate::from_ymd_opt(2026, 3, 23).expect("a valid date"),
                    ],
                },
            }
        })
        .collect();

    Fixture {
        case,
        mediators,
        request: MatchRequest {
            now,
            rules: SlotRules {
                duration: Duration::minutes(60),
                grid_minutes: 15,
                buffer: Duration::minutes(15),
            },
        },
    }
}

fn bench_matching(c: &mut Criterion) {
    let f = fixture();
    let result = rank(&f.case, &f.mediators, &f.request);
    let searched = f
        .mediators
        .iter()
        .filter(|m| {
            check(&f.case, m, &f.request)
                .err()
                .is_none_or(|reasons| reasons == [Exclusion::NoAvailability])
        })
        .count();
    eprintln!(
        "{} mediators: {} passed the cheap rules, {} candidates, {} excluded",
        f.mediators.len(),
        searched,
        result.candidates.len(),
        result.excluded.len()
    );

    c.bench_function("rank_10000_mediators_60_days", |b| {
        b.iter(|| {
            rank(
                black_box(&f.case),
                black_box(&f.mediators),
                black_box(&f.request),
            )
        })
    });
}

criterion_group!(benches, bench_matching);
criterion_main!(benches);
