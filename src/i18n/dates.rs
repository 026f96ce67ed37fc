//! Dates and times in words, the way a person writes them in Kazakh, Russian
//! or English: «2026 ж. 30 қараша», «30 ноября 2026 г.», "30 November 2026".
//!
//! Every word and pattern comes from CLDR through ICU4X's compiled data
//! (`icu_datetime`): month names and their cases (Russian genitive in a date,
//! nominative in a month heading), word order, weekday names and the names of
//! places that stand for time zones. English is British English (`en-GB`):
//! day before month and a 24-hour clock, as elsewhere in the service.
//!
//! CLDR keeps «г.» and «ж.» on the line of their year with a narrow no-break
//! space (U+202F, «2026\u{202f}г.»); it is kept, so a font that shows these
//! strings needs that character or a renderer must map it to U+00A0.
//!
//! What is written here by hand is only what CLDR has no pattern for, each
//! pinned by a test:
//! - the comma between a long date and its time («30 ноября 2026 г., 10:00»):
//!   CLDR's long date-time pattern is the prose "at" form («… г. в 10:00»,
//!   offered as [`date_at_time`]); the comma is CLDR's medium and short glue
//!   in all three languages, which a test checks against ICU;
//! - the phrase that names the clock a time is read on («10:00 по времени
//!   Алматы»), built around ICU's name of the zone's city.
//!
//! Rule: a person never reads an ISO stamp or an enum value. Add a format
//! here (with a test pinning its exact words in every language) rather than
//! assembling date words anywhere else, and never write month or weekday
//! names by hand.
//!
//! The functions are pure. ICU formatters are built once per thread and
//! language and then reused, because building one costs far more than
//! formatting with it (a month calendar formats hundreds of times).

use std::cell::OnceCell;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Offset};
use chrono::{Timelike, Utc, Weekday};
use chrono_tz::Tz;
use icu_calendar::{Date, Gregorian};
use icu_datetime::fieldsets::{self, zone};
use icu_datetime::input::{DateTime as IcuDateTime, Time};
use icu_datetime::options::TimePrecision;
use icu_datetime::{FixedCalendarDateTimeFormatter, NoCalendarFormatter};
use icu_locale_core::{Locale, locale};
use icu_time::TimeZone as IcuZone;
use icu_time::zone::{TimeZoneInfo, UtcOffset, ZoneNameTimestamp, models::AtTime};

use crate::domain::primitives::Language;

/// How wide a weekday name is: "Mon" / «пн» / «дс», or "Monday" /
/// «понедельник» / «дүйсенбі».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeekdayWidth {
    Short,
    Long,
}

/// A long date: «2026 ж. 30 қараша», «30 ноября 2026 г.», "30 November 2026".
pub fn long_date(lang: Language, date: NaiveDate) -> String {
    with_formatters(lang, |f| {
        let d = icu_date(date)?;
        Some(f.long_date.format(&d).to_string())
    })
    .unwrap_or_else(|| fallback_date(date))
}

/// A time of day on a 24-hour clock: «10:00».
pub fn time(lang: Language, time: NaiveTime) -> String {
    with_formatters(lang, |f| {
        let t = icu_time(time)?;
        Some(f.time.format(&t).to_string())
    })
    .unwrap_or_else(|| time.format("%H:%M").to_string())
}

/// A long date and its time, for lists and headings:
/// «2026 ж. 30 қараша, 10:00», «30 ноября 2026 г., 10:00»,
/// "30 November 2026, 10:00".
pub fn date_time(lang: Language, at: NaiveDateTime) -> String {
    // CLDR's medium/short date-time glue is "{date}, {time}" in kk, ru and
    // en-GB (checked by `the_comma_between_date_and_time_is_cldrs_glue`);
    // ICU applies the prose "at" glue to long dates, hence the join here.
    format!("{}, {}", long_date(lang, at.date()), time(lang, at.time()))
}

/// A long date and its time as a sentence says it, with CLDR's long pattern:
/// «2026 ж. 30 қараша, 10:00», «30 ноября 2026 г. в 10:00»,
/// "30 November 2026 at 10:00".
pub fn date_at_time(lang: Language, at: NaiveDateTime) -> String {
    with_formatters(lang, |f| {
        let dt = IcuDateTime {
            date: icu_date(at.date())?,
            time: icu_time(at.time())?,
        };
        Some(f.long_date_time.format(&dt).to_string())
    })
    .unwrap_or_else(|| date_time(lang, at))
}

/// A month and its year, for chart axes and calendar headings, with the
/// month in the nominative: «2026 ж. қараша», «ноябрь 2026 г.»,
/// "November 2026". `month` outside 1..=12 is clamped into it.
pub fn month_year(lang: Language, year: i32, month: u32) -> String {
    let month = month.clamp(1, 12);
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
        return format!("{month:02}.{year}");
    };
    with_formatters(lang, |f| {
        let d = icu_date(first)?;
        Some(f.month_year.format(&d).to_string())
    })
    .unwrap_or_else(|| format!("{month:02}.{year}"))
}

/// A weekday's name on its own, for calendar column headings.
pub fn weekday(lang: Language, day: Weekday, width: WeekdayWidth) -> String {
    // ICU names the weekday of a date: take one of the right weekday.
    // 30 November 2026 is a Monday.
    let monday = NaiveDate::from_ymd_opt(2026, 11, 30);
    let date = monday
        .and_then(|m| m.checked_add_days(chrono::Days::new(u64::from(day.num_days_from_monday()))));
    date.and_then(|date| {
        with_formatters(lang, |f| {
            let d = icu_date(date)?;
            let fmt = match width {
                WeekdayWidth::Short => &f.weekday_short,
                WeekdayWidth::Long => &f.weekday_long,
            };
            Some(fmt.format(&d).to_string())
        })
    })
    .unwrap_or_else(|| format!("{day}"))
}

/// The name of the clock a zone keeps, in words: «Алматы» / «Алматы» /
/// "Almaty" (CLDR's city for the zone), or its offset from GMT («GMT+5»)
/// for a zone that stands for no place (`UTC`, `Etc/GMT-5`).
pub fn zone_place(lang: Language, zone: Tz, at: DateTime<Utc>) -> String {
    with_formatters(lang, |f| {
        zone_words(f, zone, at).map(|z| z.text().to_owned())
    })
    .unwrap_or_else(|| zone.name().to_owned())
}

/// An instant as a reader sees it: the date and time on the clock of `zone`
/// (where the session happens, say), and — when that clock shows another
/// time than the reader's own zone at that instant — the zone named in
/// words: «30 ноября 2026 г., 10:00 по времени г. Алматы»,
/// «Алматы уақыты бойынша 2026 ж. 30 қараша, 10:00»,
/// "30 November 2026, 10:00 Almaty time".
///
/// Zones are compared by their offset at that instant, not by name: a reader
/// in Aqtobe looking at a session in Almaty (both UTC+5 since March 2024)
/// reads the right time on their own clock, so nothing is added.
pub fn instant(lang: Language, at: DateTime<Utc>, zone: Tz, reader_zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    let text = date_time(lang, local.naive_local());
    let same_clock = local.offset().fix() == at.with_timezone(&reader_zone).offset().fix();
    if same_clock {
        return text;
    }
    in_zone_phrase(lang, zone, at, &text)
}

/// Only the time of an instant on the clock of `zone`, named as in
/// [`instant`] when the reader's clock differs: «10:00 по времени г. Алматы».
pub fn instant_time(lang: Language, at: DateTime<Utc>, zone: Tz, reader_zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    let text = time(lang, local.time());
    let same_clock = local.offset().fix() == at.with_timezone(&reader_zone).offset().fix();
    if same_clock {
        return text;
    }
    in_zone_phrase(lang, zone, at, &text)
}

/// The sentence that says on which clock a page's times are written:
/// «Уақыт Алматы уақыты бойынша көрсетілген.», «Время указано по часовому
/// поясу: Алматы.», "Times are shown on Almaty time."
pub fn clock_sentence(lang: Language, zone: Tz, at: DateTime<Utc>) -> String {
    let place = zone_place(lang, zone, at);
    match lang {
        Language::Kk => format!("Уақыт {place} уақыты бойынша көрсетілген."),
        Language::Ru => format!("Время указано по часовому поясу: {place}."),
        Language::En => format!("Times are shown on {place} time."),
    }
}

/// Wraps a date or time in the phrase that names the clock it is read on.
fn in_zone_phrase(lang: Language, zone: Tz, at: DateTime<Utc>, when: &str) -> String {
    let Some(words) = with_formatters(lang, |f| zone_words(f, zone, at)) else {
        return format!("{when} ({})", zone.name());
    };
    let mut out = String::with_capacity(when.len() + 40);
    // CLDR names the place or offset, not the phrase around it; these are
    // the ordinary ways to say "on that place's clock" in each language.
    let _ = match (lang, words) {
        (Language::Kk, ZoneWords::City(city)) => write!(out, "{city} уақыты бойынша {when}"),
        // «г.» keeps the city in the nominative, as official Russian does, so
        // that declinable names read right too («по времени г. Уральск»).
        (Language::Ru, ZoneWords::City(city)) => write!(out, "{when} по времени г. {city}"),
        (Language::En, ZoneWords::City(city)) => write!(out, "{when} {city} time"),
        (_, ZoneWords::Offset(offset)) => write!(out, "{when} ({offset})"),
    };
    out
}

enum ZoneWords {
    City(String),
    Offset(String),
}

impl ZoneWords {
    fn text(&self) -> &str {
        match self {
            ZoneWords::City(s) | ZoneWords::Offset(s) => s,
        }
    }
}

fn zone_words(f: &Formatters, zone: Tz, at: DateTime<Utc>) -> Option<ZoneWords> {
    let offset_seconds = at.with_timezone(&zone).offset().fix().local_minus_utc();
    let info = icu_zone(IcuZone::from_iana_id(zone.name()), offset_seconds, at)?;
    let city = f.city.format(&info).to_string();
    // ICU writes its "unknown city" words for a zone that is no place
    // (UTC, Etc/…); compare with them rather than guess which zones those are.
    let unknown = icu_zone(IcuZone::UNKNOWN, offset_seconds, at)?;
    if city != f.city.format(&unknown).to_string() {
        return Some(ZoneWords::City(city));
    }
    Some(ZoneWords::Offset(f.offset.format(&info).to_string()))
}

fn icu_zone(zone: IcuZone, offset_seconds: i32, at: DateTime<Utc>) -> Option<TimeZoneInfo<AtTime>> {
    let offset = UtcOffset::try_from_seconds(offset_seconds).ok()?;
    Some(
        zone.with_offset(Some(offset))
            .with_zone_name_timestamp(ZoneNameTimestamp::from_epoch_seconds(at.timestamp())),
    )
}

/// The ICU formatters of one language.
struct Formatters {
    long_date: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::YMD>,
    long_date_time: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::YMDT>,
    month_year: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::YM>,
    weekday_short: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::E>,
    weekday_long: FixedCalendarDateTimeFormatter<Gregorian, fieldsets::E>,
    time: NoCalendarFormatter<fieldsets::T>,
    city: NoCalendarFormatter<zone::ExemplarCity>,
    offset: NoCalendarFormatter<zone::LocalizedOffsetShort>,
}

impl Formatters {
    fn new(lang: Language) -> Option<Self> {
        let loc = icu_locale(lang);
        let prefs = || loc.clone().into();
        let built = (|| {
            Ok::<_, icu_datetime::DateTimeFormatterLoadError>(Self {
                long_date: FixedCalendarDateTimeFormatter::try_new(
                    prefs(),
                    fieldsets::YMD::long(),
                )?,
                long_date_time: FixedCalendarDateTimeFormatter::try_new(
                    prefs(),
                    fieldsets::YMDT::long().with_time_precision(TimePrecision::Minute),
                )?,
                month_year: FixedCalendarDateTimeFormatter::try_new(
                    prefs(),
                    fieldsets::YM::long(),
                )?,
                weekday_short: FixedCalendarDateTimeFormatter::try_new(
                    prefs(),
                    fieldsets::E::short(),
                )?,
                weekday_long: FixedCalendarDateTimeFormatter::try_new(
                    prefs(),
                    fieldsets::E::long(),
                )?,
                time: NoCalendarFormatter::try_new(prefs(), fieldsets::T::hm())?,
                city: NoCalendarFormatter::try_new(prefs(), zone::ExemplarCity)?,
                offset: NoCalendarFormatter::try_new(prefs(), zone::LocalizedOffsetShort)?,
            })
        })();
        match built {
            Ok(f) => Some(f),
            Err(e) => {
                // Unreachable with the compiled data the tests run against;
                // callers then get a plain numeric form rather than a failure.
                tracing::error!(language = %lang, error = %e, "loading ICU date formats");
                None
            }
        }
    }
}

fn icu_locale(lang: Language) -> Locale {
    match lang {
        Language::Kk => locale!("kk"),
        Language::Ru => locale!("ru"),
        Language::En => locale!("en-GB"),
    }
}

/// Runs `f` with this thread's formatters for `lang`, building them on first
/// use. ICU formatters are not `Sync`, so each thread keeps its own.
fn with_formatters<T>(lang: Language, f: impl FnOnce(&Formatters) -> Option<T>) -> Option<T> {
    thread_local! {
        static CACHE: [OnceCell<Option<Formatters>>; 3] = const { [OnceCell::new(), OnceCell::new(), OnceCell::new()] };
    }
    let index = match lang {
        Language::Kk => 0,
        Language::Ru => 1,
        Language::En => 2,
    };
    CACHE.with(|cache| {
        cache[index]
            .get_or_init(|| Formatters::new(lang))
            .as_ref()
            .and_then(f)
    })
}

fn icu_date(date: NaiveDate) -> Option<Date<Gregorian>> {
    let month = u8::try_from(date.month()).ok()?;
    let day = u8::try_from(date.day()).ok()?;
    Date::try_new_gregorian(date.year(), month, day).ok()
}

fn icu_time(time: NaiveTime) -> Option<Time> {
    let hour = u8::try_from(time.hour()).ok()?;
    let minute = u8::try_from(time.minute()).ok()?;
    Time::try_new(hour, minute, 0, 0).ok()
}

/// Numeric, never ISO: only for dates ICU refuses (years far outside any
/// real case).
fn fallback_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn dt(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).expect("valid time")
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .expect("valid instant")
    }

    const ALMATY: Tz = chrono_tz::Asia::Almaty;
    const AQTOBE: Tz = chrono_tz::Asia::Aqtobe;
    const MOSCOW: Tz = chrono_tz::Europe::Moscow;

    #[test]
    fn long_dates_read_as_each_language_writes_them() {
        assert_eq!(
            long_date(Language::Kk, d(2026, 11, 30)),
            "2026\u{202f}ж. 30 қараша"
        );
        assert_eq!(
            long_date(Language::Ru, d(2026, 11, 30)),
            "30 ноября 2026\u{202f}г."
        );
        assert_eq!(long_date(Language::En, d(2026, 11, 30)), "30 November 2026");
        assert_eq!(long_date(Language::En, d(2027, 1, 5)), "5 January 2027");
        assert_eq!(
            long_date(Language::Ru, d(2027, 1, 5)),
            "5 января 2027\u{202f}г."
        );
    }

    #[test]
    fn russian_months_are_genitive_in_a_date_and_nominative_in_a_heading() {
        let genitive = [
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ];
        let nominative = [
            "январь",
            "февраль",
            "март",
            "апрель",
            "май",
            "июнь",
            "июль",
            "август",
            "сентябрь",
            "октябрь",
            "ноябрь",
            "декабрь",
        ];
        for (i, (gen_, nom)) in genitive.iter().zip(nominative).enumerate() {
            let month = u32::try_from(i + 1).expect("small");
            assert_eq!(
                long_date(Language::Ru, d(2026, month, 15)),
                format!("15 {gen_} 2026\u{202f}г.")
            );
            assert_eq!(
                month_year(Language::Ru, 2026, month),
                format!("{nom} 2026\u{202f}г.")
            );
        }
    }

    #[test]
    fn kazakh_months_of_the_whole_year_with_the_year_first() {
        // Kazakh has no separate genitive month form: CLDR gives the same
        // word in a date and in a heading, and puts the year first, as
        // official Kazakh text does («2026 жылғы 30 қараша»).
        let months = [
            "қаңтар",
            "ақпан",
            "наурыз",
            "сәуір",
            "мамыр",
            "маусым",
            "шілде",
            "тамыз",
            "қыркүйек",
            "қазан",
            "қараша",
            "желтоқсан",
        ];
        for (i, name) in months.iter().enumerate() {
            let month = u32::try_from(i + 1).expect("small");
            assert_eq!(
                long_date(Language::Kk, d(2026, month, 15)),
                format!("2026\u{202f}ж. 15 {name}")
            );
            assert_eq!(
                month_year(Language::Kk, 2026, month),
                format!("2026\u{202f}ж. {name}")
            );
        }
    }

    #[test]
    fn english_months_of_the_whole_year() {
        let months = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        for (i, name) in months.iter().enumerate() {
            let month = u32::try_from(i + 1).expect("small");
            assert_eq!(
                long_date(Language::En, d(2026, month, 15)),
                format!("15 {name} 2026")
            );
            assert_eq!(
                month_year(Language::En, 2026, month),
                format!("{name} 2026")
            );
        }
    }

    #[test]
    fn times_are_on_a_24_hour_clock_in_every_language() {
        let t = NaiveTime::from_hms_opt(15, 5, 0).expect("valid");
        for lang in Language::ALL {
            assert_eq!(time(lang, t), "15:05", "{lang}");
        }
    }

    #[test]
    fn date_and_time_are_joined_by_a_comma() {
        let at = dt(2026, 11, 30, 10, 0);
        assert_eq!(
            date_time(Language::Kk, at),
            "2026\u{202f}ж. 30 қараша, 10:00"
        );
        assert_eq!(
            date_time(Language::Ru, at),
            "30 ноября 2026\u{202f}г., 10:00"
        );
        assert_eq!(date_time(Language::En, at), "30 November 2026, 10:00");
    }

    #[test]
    fn in_a_sentence_date_and_time_take_cldrs_long_pattern() {
        let at = dt(2026, 11, 30, 10, 0);
        assert_eq!(
            date_at_time(Language::Kk, at),
            "2026\u{202f}ж. 30 қараша, 10:00"
        );
        assert_eq!(
            date_at_time(Language::Ru, at),
            "30 ноября 2026\u{202f}г. в 10:00"
        );
        assert_eq!(date_at_time(Language::En, at), "30 November 2026 at 10:00");
    }

    #[test]
    fn the_comma_between_date_and_time_is_cldrs_glue() {
        // `date_time` joins with ", " by hand; this checks that the glue ICU
        // itself uses for medium date-times is exactly that, per language.
        let at = dt(2026, 11, 30, 10, 0);
        for lang in Language::ALL {
            let loc = icu_locale(lang);
            let both = FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(
                loc.clone().into(),
                fieldsets::YMDT::medium().with_time_precision(TimePrecision::Minute),
            )
            .expect("data");
            let date_only = FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(
                loc.into(),
                fieldsets::YMD::medium(),
            )
            .expect("data");
            let icu = IcuDateTime {
                date: icu_date(at.date()).expect("date"),
                time: icu_time(at.time()).expect("time"),
            };
            assert_eq!(
                both.format(&icu).to_string(),
                format!("{}, 10:00", date_only.format(&icu.date)),
                "{lang}"
            );
        }
    }

    #[test]
    fn weekday_names_short_and_long() {
        use Weekday::*;
        let days = [Mon, Tue, Wed, Thu, Fri, Sat, Sun];
        let expected = [
            (
                Language::Kk,
                ["дс", "сс", "ср", "бс", "жм", "сб", "жс"],
                [
                    "дүйсенбі",
                    "сейсенбі",
                    "сәрсенбі",
                    "бейсенбі",
                    "жұма",
                    "сенбі",
                    "жексенбі",
                ],
            ),
            (
                Language::Ru,
                ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
                [
                    "понедельник",
                    "вторник",
                    "среда",
                    "четверг",
                    "пятница",
                    "суббота",
                    "воскресенье",
                ],
            ),
            (
                Language::En,
                ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                [
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday",
                ],
            ),
        ];
        for (lang, short, long) in expected {
            for (i, day) in days.iter().enumerate() {
                assert_eq!(
                    weekday(lang, *day, WeekdayWidth::Short),
                    short[i],
                    "{lang} {day}"
                );
                assert_eq!(
                    weekday(lang, *day, WeekdayWidth::Long),
                    long[i],
                    "{lang} {day}"
                );
            }
        }
    }

    #[test]
    fn an_instant_in_another_clock_names_the_zone_in_words() {
        // 05:00 UTC is 10:00 in Almaty (UTC+5) and 08:00 in Moscow.
        let at = utc(2026, 11, 30, 5, 0);
        assert_eq!(
            instant(Language::Ru, at, ALMATY, MOSCOW),
            "30 ноября 2026\u{202f}г., 10:00 по времени г. Алматы"
        );
        assert_eq!(
            instant(Language::Kk, at, ALMATY, MOSCOW),
            "Алматы уақыты бойынша 2026\u{202f}ж. 30 қараша, 10:00"
        );
        assert_eq!(
            instant(Language::En, at, ALMATY, MOSCOW),
            "30 November 2026, 10:00 Almaty time"
        );
        assert_eq!(
            instant_time(Language::En, at, ALMATY, MOSCOW),
            "10:00 Almaty time"
        );
        assert_eq!(
            instant_time(Language::Ru, at, ALMATY, MOSCOW),
            "10:00 по времени г. Алматы"
        );
        assert_eq!(
            instant_time(Language::Kk, at, ALMATY, MOSCOW),
            "Алматы уақыты бойынша 10:00"
        );
        assert_eq!(
            instant(Language::Ru, at, MOSCOW, ALMATY),
            "30 ноября 2026\u{202f}г., 08:00 по времени г. Москва"
        );
    }

    #[test]
    fn aqtobe_and_almaty_share_a_clock_since_march_2024() {
        let now = utc(2026, 11, 30, 5, 0);
        assert_eq!(
            instant(Language::Ru, now, AQTOBE, ALMATY),
            "30 ноября 2026\u{202f}г., 10:00"
        );
        assert_eq!(
            instant(Language::En, now, ALMATY, ALMATY),
            "30 November 2026, 10:00"
        );
        // Before 1 March 2024 Almaty was UTC+6 and Aqtobe UTC+5.
        let before = utc(2024, 1, 15, 5, 0);
        assert_eq!(
            instant(Language::Ru, before, AQTOBE, ALMATY),
            "15 января 2024\u{202f}г., 10:00 по времени г. Актобе"
        );
        assert_eq!(
            instant(Language::Kk, before, AQTOBE, ALMATY),
            "Ақтөбе уақыты бойынша 2024\u{202f}ж. 15 қаңтар, 10:00"
        );
        assert_eq!(
            instant(Language::En, before, AQTOBE, ALMATY),
            "15 January 2024, 10:00 Aqtobe time"
        );
    }

    #[test]
    fn zones_are_named_by_their_city_or_else_by_offset() {
        let at = utc(2026, 11, 30, 5, 0);
        assert_eq!(zone_place(Language::Kk, ALMATY, at), "Алматы");
        assert_eq!(zone_place(Language::Ru, AQTOBE, at), "Актобе");
        assert_eq!(zone_place(Language::En, AQTOBE, at), "Aqtobe");
        assert_eq!(zone_place(Language::Ru, MOSCOW, at), "Москва");
        assert_eq!(zone_place(Language::En, chrono_tz::UTC, at), "GMT+0");
        assert_eq!(
            zone_place(Language::Ru, chrono_tz::Etc::GMTMinus5, at),
            "GMT+5"
        );
        assert_eq!(
            instant(Language::En, at, chrono_tz::UTC, ALMATY),
            "30 November 2026, 05:00 (GMT+0)"
        );
    }

    #[test]
    fn the_clock_of_a_page_is_named_in_a_sentence() {
        let at = utc(2026, 11, 30, 5, 0);
        assert_eq!(
            clock_sentence(Language::Kk, ALMATY, at),
            "Уақыт Алматы уақыты бойынша көрсетілген."
        );
        assert_eq!(
            clock_sentence(Language::Ru, ALMATY, at),
            "Время указано по часовому поясу: Алматы."
        );
        assert_eq!(
            clock_sentence(Language::En, ALMATY, at),
            "Times are shown on Almaty time."
        );
    }

    #[test]
    fn formatting_is_the_same_on_every_thread() {
        let here = long_date(Language::Kk, d(2026, 3, 8));
        let there = std::thread::spawn(|| long_date(Language::Kk, d(2026, 3, 8)))
            .join()
            .expect("thread");
        assert_eq!(here, there);
    }
}
