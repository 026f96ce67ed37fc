//! How fast the free-slot engine answers on a busy mediator's calendar.
//!
//! Matching asks for the earliest slot of every eligible mediator, and the
//! free-slots endpoint lists 60 days, so both must stay far below a
//! millisecond. The data is deterministic (a small LCG, no `rand`) so runs
//! compare. Run with `cargo bench --bench slots` (add `-- --quick` for a
//! short run); record figures in `bench/README.md`.

use std::hint::black_box;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kelisim::domain::slots::*;

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
}

struct Fixture {
    tz: chrono_tz::Tz,
    weekly: Vec<WeeklyInterval>,
    time_off: Vec<Interval>,
    sessions: Vec<Interval>,
    busy_blocks: Vec<Interval>,
    busy: Busy,
    closed: Vec<NaiveDate>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rules: SlotRules,
}

fn fixture() -> Fixture {
    let mut hours = Vec::new();
    for weekday in 1..=5 {
        hours.push((weekday, "09:00", "13:00"));
        hours.push((weekday, "14:00", "18:00"));
    }
    let weekly = parse_weekly(&hours).expect("the benchmark's weekly hours are valid");

    // 60 days from Monday 2 March 2026, inside a year of busy data that
    // starts 150 days earlier.
    let from = DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z")
        .expect("a valid instant")
        .with_timezone(&Utc);
    let to = from + Duration::days(60);
    let year_start = from - Duration::days(150);

    // "kelisim" in ASCII: any fixed seed would do.
    let mut rng = Lcg(0x006b_656c_6973_696d);
    // Sessions in working hours (Almaty is UTC+5: 09:00–18:00 is
    // 04:00Z–13:00Z), an hour long, on the quarter hour.
    let sessions: Vec<Interval> = (0..1_000)
        .map(|_| {
            let start = year_start
                + Duration::days(rng.below(365))
                + Duration::hours(4)
                + Duration::minutes(15 * rng.below(32));
            Interval::new(start, start + Duration::minutes(60))
        })
        .collect();
    // Busy blocks from an external calendar: any time of day, 15 min to 4 h.
    let busy_blocks: Vec<Interval> = (0..500)
        .map(|_| {
            let start = year_start + Duration::minutes(15 * rng.below(365 * 24 * 4));
            Interval::new(start, start + Duration::minutes(15 * (1 + rng.below(16))))
        })
        .collect();
    let time_off = vec![Interval::new(
        from + Duration::days(20),
        from + Duration::days(27),
    )];
    let closed = vec![
        NaiveDate::from_ymd_opt(2026, 3, 8).expect("a valid date"),
        NaiveDate::from_ymd_opt(2026, 3, 23).expect("a valid date"),
        NaiveDate::from_ymd_opt(2026, 3, 24).expect("a valid date"),
    ];
    let busy = Busy::new(time_off.clone(), sessions.clone(), busy_blocks.clone());
    Fixture {
        tz: chrono_tz::Asia::Almaty,
        weekly,
        time_off,
        sessions,
        busy_blocks,
        busy,
        closed,
        from,
        to,
        rules: SlotRules {
            duration: Duration::minutes(60),
            grid_minutes: 15,
            buffer: Duration::minutes(15),
        },
    }
}

fn bench_slots(c: &mut Criterion) {
    let f = fixture();

    c.bench_function("free_slots_60_days_1000_sessions_500_busy", |b| {
        b.iter(|| {
            free_slots(
                black_box(f.tz),
                black_box(&f.weekly),
                black_box(&f.busy),
                black_box(&f.closed),
                black_box(f.from),
                black_box(f.to),
                black_box(&f.rules),
                None,
            )
        })
    });

    c.bench_function("earliest_slot_60_days_1000_sessions_500_busy", |b| {
        b.iter(|| {
            earliest_slot(
                black_box(f.tz),
                black_box(&f.weekly),
                black_box(&f.busy),
                black_box(&f.closed),
                black_box(f.from),
                black_box(f.to),
                black_box(&f.rules),
            )
        })
    });

    // Building the timeline is paid once per mediator per request; measured
    // apart so the query figures above are not mistaken for the whole cost.
    c.bench_function("busy_new_1000_sessions_500_busy", |b| {
        b.iter_batched(
            || {
                (
                    f.time_off.clone(),
                    f.sessions.clone(),
                    f.busy_blocks.clone(),
                )
            },
            |(time_off, sessions, busy_blocks)| Busy::new(time_off, sessions, busy_blocks),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench_slots);
criterion_main!(benches);
