//! `kelisim demo`: a small, realistic data set to try Kelisim with — two
//! courts, thirty mediators and twenty cases in every stage of their life
//! cycle — loaded through the service layer only, so that every rule holds
//! and every change has its audit row and its emails, exactly as if clerks,
//! mediators and parties had done it.
//!
//! Times are relative to now, in Asia/Almaty (UTC+5): sessions fall in the
//! coming week, deadlines a few weeks ahead. Every email address is on a
//! reserved domain (`.example`, RFC 2606), so nothing can reach a real person
//! even with an SMTP server configured. The same load on two fresh databases
//! gives the same counts.
//!
//! Rule: this module only calls `services`; it never
//! writes a table itself.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::config::Settings;
use crate::db::now;
use crate::domain::case::{CaseCategory, CaseNumber, LegalCapacity, PartyRole};
use crate::domain::iin::IinBin;
use crate::domain::mediator::{MediatorKind, MediatorStatus, Specialty, TimeOffSpan};
use crate::domain::outcome::{OutcomeInput, OutcomeResult, RegistrationDecision, TermInput};
use crate::domain::primitives::{FreeText, Phone, Reason};
use crate::domain::session::SessionFormat;
use crate::domain::slots::parse_weekly;
use crate::domain::{CourtCode, EmailAddress, Language, Role, TimeZoneName};
use crate::error::{AppError, AppResult};
use crate::services::assignments::{self, Answer};
use crate::services::attendance::{self, AttendanceInput};
use crate::services::audit::Actor;
use crate::services::auth::Caller;
use crate::services::availability::{self, cache, cache::CalendarCache};
use crate::services::cases::{self, CaseRecord, NewCase, NewParty};
use crate::services::courts::{self, Court, NewCourt, NewRoom};
use crate::services::mediators::{self, MediatorInput};
use crate::services::records::Party;
use crate::services::sessions::{self, Booking, Place, SessionRecord};
use crate::services::users::{self, NewUser, User};
use crate::services::{links, outbox, outcomes};

/// A new password for the demo accounts of one run: 96 random bits, so a
/// demo left reachable is not open to anyone who has read this source.
/// Printed once, when the demo is loaded.
pub fn new_password() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "demo-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Domain of the staff accounts and of the mediators' registry entries.
const STAFF_DOMAIN: &str = "kelisim.example";
/// Domain of the parties' addresses.
const PARTY_DOMAIN: &str = "mail.example";

/// The zone of both demo courts and of the times below.
const ALMATY: Tz = chrono_tz::Asia::Almaty;

/// An account of the demo and what it is for.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: Role,
    pub email: String,
    pub name: String,
    /// The court of a clerk, the registry number of a mediator.
    pub detail: String,
}

/// What [`load`] created.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub courts: Vec<String>,
    pub rooms: usize,
    pub mediators: usize,
    pub cases: usize,
    pub cases_by_status: BTreeMap<String, usize>,
    pub sessions: usize,
    /// Messages in the outbox (one per recipient of every email).
    pub emails: u64,
    pub logins: Vec<DemoLogin>,
    /// The password of every demo account of this run.
    pub password: String,
    /// A party's personal page, to see what a party sees.
    pub party_link: Option<String>,
    /// The page of a party whose agreement the court registered: it offers
    /// the agreement's PDF.
    pub agreement_link: Option<String>,
}

/// How many courts the database already holds; [`load`] runs only on none.
pub async fn existing_courts(db: &DatabaseConnection) -> anyhow::Result<u64> {
    courts::count(db)
        .await
        .doing(|| "counting the courts".into())
}

/// Loads the demo data set into an empty database (one with no court).
pub async fn load(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<DemoSummary> {
    let courts = existing_courts(db).await?;
    if courts > 0 {
        bail!(
            "the database already holds {courts} court(s), so the demo data was not loaded \
             (it goes into an empty database only, and nothing was changed). Use a fresh \
             database, e.g. KELISIM_DATABASE_URL=sqlite://./data/demo.db kelisim demo"
        );
    }
    let at = now();
    let mut demo = Demo {
        db,
        settings,
        cache: CalendarCache::default(),
        now: at,
        today: at.with_timezone(&ALMATY).date_naive(),
        courts: BTreeMap::new(),
        rooms: BTreeMap::new(),
        clerks: BTreeMap::new(),
        mediators: BTreeMap::new(),
        logins: Vec::new(),
        sessions: 0,
        party_link: None,
        agreement_link: None,
        password: new_password(),
    };
    let admin = demo.admin().await?;
    demo.courts(&admin).await?;
    demo.clerks(&admin).await?;
    demo.mediators(&admin).await?;
    demo.cases().await?;
    demo.outcomes().await?;
    demo.summary().await
}

/// A mediator of the demo: its id, and its login if it has one.
struct DemoMediator {
    id: Uuid,
    caller: Option<Caller>,
}

struct Demo<'a> {
    db: &'a DatabaseConnection,
    settings: &'a Settings,
    /// The password of every account of this run.
    password: String,
    cache: CalendarCache,
    now: DateTime<Utc>,
    /// Today in Almaty.
    today: NaiveDate,
    /// Court key ("ALM", "AST") → court.
    courts: BTreeMap<&'static str, Court>,
    /// Room name → room id.
    rooms: BTreeMap<&'static str, Uuid>,
    /// Court key → the clerk of that court.
    clerks: BTreeMap<&'static str, Caller>,
    /// Registry number → mediator.
    mediators: BTreeMap<&'static str, DemoMediator>,
    logins: Vec<DemoLogin>,
    sessions: usize,
    party_link: Option<String>,
    agreement_link: Option<String>,
}

/// How far a demo settlement goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutcomeStage {
    Recorded,
    Submitted,
    Registered,
    Returned,
}

/// A service error as one readable line, naming what was being done.
fn failed(what: &str, err: AppError) -> anyhow::Error {
    let p = err.to_problem();
    let fields: Vec<String> = p
        .errors
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    if fields.is_empty() {
        anyhow!("{what}: {}", p.detail)
    } else {
        anyhow!("{what}: {} ({})", p.detail, fields.join("; "))
    }
}

trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> anyhow::Result<T>;
}

impl<T> Doing<T> for AppResult<T> {
    fn doing(self, what: impl FnOnce() -> String) -> anyhow::Result<T> {
        self.map_err(|e| failed(&what(), e))
    }
}

/// A value of the demo's own, parsed as a person's input would be.
fn demo_text<T>(raw: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> anyhow::Result<T> {
    parse(raw).map_err(|e| anyhow!("demo value {raw:?}: {e}"))
}

fn email(local: &str, domain: &str) -> anyhow::Result<EmailAddress> {
    EmailAddress::parse(&format!("{local}@{domain}"))
        .map_err(|e| anyhow!("demo address {local}@{domain} {e}"))
}

/// A valid IIN/BIN starting with `prefix`, the serial counted up from
/// `serial` until the control digit works out.
fn id_number(prefix: &str, serial: u32) -> Option<IinBin> {
    let width = 11usize.checked_sub(prefix.len())?;
    (serial..serial + 50)
        .find_map(|s| (0..10).find_map(|d| IinBin::parse(&format!("{prefix}{s:0width$}{d}")).ok()))
}

/// A party with the usual defaults: an adult of full capacity, no phone,
/// no IIN, no special needs.
fn party(
    role: PartyRole,
    name: &str,
    mailbox: &str,
    language: Language,
) -> anyhow::Result<NewParty> {
    Ok(NewParty {
        role,
        name: name.to_owned(),
        email: email(mailbox, PARTY_DOMAIN)?,
        phone: None,
        iin_bin: None,
        language,
        is_minor: false,
        accessibility_needs: None,
        legal_capacity: LegalCapacity::Full,
    })
}

/// A staff account of the demo; [`Demo::user`] gives it the run's password.
fn staff(
    role: Role,
    mailbox: &str,
    name: &str,
    court_id: Option<Uuid>,
    language: Language,
) -> anyhow::Result<NewUser> {
    Ok(NewUser {
        email: email(mailbox, STAFF_DOMAIN)?,
        name: name.to_owned(),
        role,
        court_id,
        language,
        password: String::new(),
    })
}

/// Kazakhstan's public holidays (days off) that fall in the coming year.
fn holidays(today: NaiveDate) -> BTreeSet<NaiveDate> {
    static DAYS: [(u32, u32); 14] = [
        (1, 1),   // New Year
        (1, 2),   // New Year
        (1, 7),   // Orthodox Christmas
        (3, 8),   // International Women's Day
        (3, 21),  // Nauryz
        (3, 22),  // Nauryz
        (3, 23),  // Nauryz
        (5, 1),   // Unity Day of the People of Kazakhstan
        (5, 7),   // Defender of the Fatherland Day
        (5, 9),   // Victory Day
        (7, 6),   // Capital Day
        (8, 30),  // Constitution Day
        (10, 25), // Republic Day
        (12, 16), // Independence Day
    ];
    // A year, not 365 days: a leap year would lose the last holiday.
    let end = today
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(today + Duration::days(366));
    [today.year(), today.year() + 1]
        .into_iter()
        .flat_map(|y| {
            DAYS.iter()
                .filter_map(move |(m, d)| NaiveDate::from_ymd_opt(y, *m, *d))
        })
        .filter(|d| *d >= today && *d < end)
        .collect()
}

/// Weekly working hours of a mediator, in their own zone.
#[derive(Debug, Clone, Copy)]
enum Hours {
    /// Monday to Friday, 09:00–13:00 and 14:00–18:00.
    Full,
    /// Monday to Thursday, 09:00–13:00 and 14:00–18:00.
    FourDays,
    /// Monday to Friday, 09:00–13:00.
    Mornings,
    /// Tuesday and Thursday, 09:00–13:00 and 14:00–17:00.
    PartTime,
    /// Monday to Friday 15:00–19:00, Saturday 10:00–14:00.
    EveningsAndSaturday,
}

impl Hours {
    fn items(self) -> Vec<(i64, &'static str, &'static str)> {
        let day = |d: i64| [(d, "09:00", "13:00"), (d, "14:00", "18:00")];
        match self {
            Hours::Full => (1..=5).flat_map(day).collect(),
            Hours::FourDays => (1..=4).flat_map(day).collect(),
            Hours::Mornings => (1..=5).map(|d| (d, "09:00", "13:00")).collect(),
            Hours::PartTime => [2, 4]
                .into_iter()
                .flat_map(|d| [(d, "09:00", "13:00"), (d, "14:00", "17:00")])
                .collect(),
            Hours::EveningsAndSaturday => (1..=5)
                .map(|d| (d, "15:00", "19:00"))
                .chain([(6, "10:00", "14:00")])
                .collect(),
        }
    }
}

/// A room: name, capacity, step-free access.
type RoomSpec = (&'static str, i32, bool);
/// A court: key, code, name, default language, rooms.
type CourtSpec = (
    &'static str,
    &'static str,
    &'static str,
    Language,
    [RoomSpec; 3],
);

/// A registry entry of the demo.
struct MediatorSpec {
    number: &'static str,
    name: &'static str,
    /// Local part of the address; on [`STAFF_DOMAIN`].
    mailbox: &'static str,
    kind: MediatorKind,
    specialties: &'static [Specialty],
    languages: &'static [Language],
    /// Court keys.
    courts: &'static [&'static str],
    max_active_cases: i32,
    hours: Hours,
    status: MediatorStatus,
    /// Certified until this many days from today.
    certified_days: i64,
    /// A login, in this language.
    account: Option<Language>,
}

#[allow(clippy::too_many_arguments)]
const fn m(
    number: &'static str,
    name: &'static str,
    mailbox: &'static str,
    kind: MediatorKind,
    specialties: &'static [Specialty],
    languages: &'static [Language],
    courts: &'static [&'static str],
    max_active_cases: i32,
    hours: Hours,
) -> MediatorSpec {
    MediatorSpec {
        number,
        name,
        mailbox,
        kind,
        specialties,
        languages,
        courts,
        max_active_cases,
        hours,
        status: MediatorStatus::Active,
        certified_days: 730,
        account: None,
    }
}

#[rustfmt::skip]
fn registry() -> Vec<MediatorSpec> {
    use Hours::*;
    use Language::{En, Kk, Ru};
    use MediatorKind::{Professional as Pro, Public as Pub};
    use Specialty::*;
    vec![
        MediatorSpec {
            account: Some(Kk),
            certified_days: 900,
            ..m(
                "MED-ALM-001", "Айгерім Серікқызы Садықова", "a.sadykova", Pro,
                &[Civil, Family, Labour], &[Kk, Ru, En], &["ALM"], 10, Full,
            )
        },
        MediatorSpec {
            account: Some(Ru),
            certified_days: 610,
            ..m(
                "MED-ALM-002", "Дмитрий Александрович Ковалёв", "d.kovalev", Pro,
                &[Commercial, Civil, Labour], &[Ru, En], &["ALM"], 12, Full,
            )
        },
        MediatorSpec {
            account: Some(Kk),
            certified_days: 480,
            ..m(
                "MED-ALM-003", "Гүлнар Бекқызы Әбдірахманова", "g.abdirakhmanova", Pro,
                &[Family, Civil, Juvenile], &[Kk, Ru], &["ALM", "AST"], 8, FourDays,
            )
        },
        m(
            "MED-ALM-004", "Бауыржан Қанатұлы Омаров", "b.omarov", Pro,
            &[Civil, Commercial], &[Kk, Ru], &["ALM"], 10, Full,
        ),
        m(
            "MED-ALM-005", "Елена Викторовна Петренко", "e.petrenko", Pro,
            &[Labour, Civil, Administrative], &[Ru], &["ALM"], 15, Full,
        ),
        m(
            "MED-ALM-006", "Нұржан Ерланұлы Тоқтаров", "n.toktarov", Pub,
            &[Civil, Family], &[Kk], &["ALM"], 5, PartTime,
        ),
        m(
            "MED-ALM-007", "Мадина Рустемовна Исаева", "m.isayeva", Pro,
            &[Family, Juvenile, DomesticViolence], &[Kk, Ru], &["ALM", "AST"], 8, Full,
        ),
        m(
            "MED-ALM-008", "Сергей Владимирович Ли", "s.li", Pro,
            &[Commercial, Administrative], &[Ru, En], &["ALM"], 12, Mornings,
        ),
        m(
            "MED-ALM-009", "Жанар Асқарқызы Бекова", "zh.bekova", Pub,
            &[Labour, Civil], &[Kk, Ru], &["ALM"], 6, EveningsAndSaturday,
        ),
        m(
            "MED-ALM-010", "Арман Болатұлы Сейітов", "a.seitov", Pro,
            &[Civil, Commercial, Labour], &[Kk, Ru, En], &["ALM"], 14, Full,
        ),
        MediatorSpec {
            status: MediatorStatus::Suspended,
            ..m(
                "MED-ALM-011", "Ольга Николаевна Васильева", "o.vasilyeva", Pro,
                &[Family, Civil], &[Ru], &["ALM"], 10, Full,
            )
        },
        m(
            "MED-ALM-012", "Ерболат Маратұлы Құдайбергенов", "ye.kudaibergenov", Pub,
            &[Administrative, Civil], &[Kk, Ru], &["ALM"], 5, PartTime,
        ),
        m(
            "MED-ALM-013", "Лязат Жұмабайқызы Мұхамедиева", "l.mukhamediyeva", Pro,
            &[Family, Civil, Juvenile], &[Kk, Ru], &["ALM"], 9, FourDays,
        ),
        m(
            "MED-ALM-014", "Тимур Ғалымжанұлы Ахметов", "t.akhmetov", Pro,
            &[Commercial, Civil], &[Ru, Kk, En], &["ALM"], 15, Full,
        ),
        m(
            "MED-ALM-015", "Светлана Игоревна Ким", "s.kim", Pub,
            &[Labour, Family], &[Ru], &["ALM"], 5, EveningsAndSaturday,
        ),
        m(
            "MED-ALM-016", "Дәурен Серікұлы Жұмабаев", "d.zhumabayev", Pro,
            &[CriminalMinor, Juvenile, Civil], &[Kk, Ru], &["ALM", "AST"], 7, Full,
        ),
        MediatorSpec {
            account: Some(Kk),
            certified_days: 840,
            ..m(
                "MED-AST-001", "Ерлан Маратұлы Жақсыбеков", "ye.zhaksybekov", Pro,
                &[CriminalMinor, Juvenile, Family], &[Kk, Ru], &["AST"], 10, Full,
            )
        },
        MediatorSpec {
            account: Some(Ru),
            certified_days: 700,
            ..m(
                "MED-AST-002", "Наталья Сергеевна Пак", "n.pak", Pro,
                &[Family, Juvenile, DomesticViolence], &[Ru, Kk, En], &["AST"], 12, Full,
            )
        },
        MediatorSpec {
            account: Some(Kk),
            certified_days: 560,
            ..m(
                "MED-AST-003", "Әсел Нұрланқызы Нұрланова", "a.nurlanova", Pro,
                &[Family, Juvenile, DomesticViolence], &[Kk, Ru], &["AST"], 10, Full,
            )
        },
        m(
            "MED-AST-004", "Қайрат Ержанұлы Смағұлов", "k.smagulov", Pro,
            &[Family, CriminalMinor, Juvenile], &[Kk, Ru], &["AST"], 8, Full,
        ),
        m(
            "MED-AST-005", "Ирина Павловна Соколова", "i.sokolova", Pro,
            &[Family, Juvenile], &[Ru, En], &["AST"], 10, Mornings,
        ),
        m(
            "MED-AST-006", "Динара Әділқызы Сапарова", "d.saparova", Pub,
            &[Family, Juvenile], &[Kk, Ru], &["AST"], 5, PartTime,
        ),
        m(
            "MED-AST-007", "Марат Төлегенұлы Ибраев", "m.ibrayev", Pro,
            &[CriminalMinor, Juvenile], &[Kk, Ru], &["AST"], 8, FourDays,
        ),
        m(
            "MED-AST-008", "Алия Болатқызы Жүсіпова", "a.zhusipova", Pro,
            &[Family, DomesticViolence, Juvenile], &[Kk, Ru], &["AST", "ALM"], 9, Full,
        ),
        MediatorSpec {
            // Certification ends soon: the certification job warns them.
            certified_days: 21,
            ..m(
                "MED-AST-009", "Виктор Андреевич Шевченко", "v.shevchenko", Pro,
                &[Family, Civil], &[Ru], &["AST"], 6, Full,
            )
        },
        m(
            "MED-AST-010", "Гүлмира Сәкенқызы Оспанова", "g.ospanova", Pub,
            &[Family, Juvenile], &[Kk], &["AST"], 5, EveningsAndSaturday,
        ),
        m(
            "MED-AST-011", "Рүстем Қайратұлы Әбенов", "r.abenov", Pro,
            &[CriminalMinor, Juvenile, Family], &[Kk, Ru, En], &["AST"], 12, Full,
        ),
        m(
            "MED-AST-012", "Жанна Төлеуқызы Есенова", "zh.yesenova", Pub,
            &[Family, DomesticViolence], &[Kk, Ru], &["AST"], 6, PartTime,
        ),
        m(
            "MED-AST-013", "Андрей Михайлович Попов", "a.popov", Pro,
            &[Family, Juvenile], &[Ru], &["AST"], 10, Full,
        ),
        m(
            "MED-AST-014", "Ақмарал Серікқызы Нұрғалиева", "a.nurgaliyeva", Pro,
            &[Family, Juvenile, DomesticViolence], &[Kk, Ru, En], &["AST"], 11, Mornings,
        ),
    ]
}

/// A referral of the demo.
struct CaseSpec {
    court: &'static str,
    number: String,
    category: CaseCategory,
    summary: &'static str,
    language: Language,
    deadline_days: i64,
    minors_involved: bool,
    violence_reported: bool,
    interpreter_needed: bool,
    parties: Vec<NewParty>,
}

impl<'a> Demo<'a> {
    fn clerk(&self, court: &str) -> anyhow::Result<&Caller> {
        self.clerks
            .get(court)
            .ok_or_else(|| anyhow!("no demo clerk for {court}"))
    }

    fn mediator(&self, number: &str) -> anyhow::Result<&DemoMediator> {
        self.mediators
            .get(number)
            .ok_or_else(|| anyhow!("no demo mediator {number}"))
    }

    fn mediator_login(&self, number: &str) -> anyhow::Result<&Caller> {
        self.mediator(number)?
            .caller
            .as_ref()
            .ok_or_else(|| anyhow!("demo mediator {number} has no login"))
    }

    fn room(&self, name: &str) -> anyhow::Result<Uuid> {
        self.rooms
            .get(name)
            .copied()
            .ok_or_else(|| anyhow!("no demo room {name}"))
    }

    /// An instant in Almaty: `days` from today at `hh:mm`.
    fn local(&self, days: i64, hour: u32, minute: u32) -> anyhow::Result<DateTime<Utc>> {
        let day = self.today + Duration::days(days);
        let naive = day
            .and_hms_opt(hour, minute, 0)
            .ok_or_else(|| anyhow!("bad demo time {hour}:{minute}"))?;
        ALMATY
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| anyhow!("{naive} does not exist in Almaty"))
    }

    /// Creates a staff account with the run's password and lists its login.
    async fn user(&mut self, actor: Actor, new: NewUser, detail: String) -> anyhow::Result<User> {
        let new = NewUser {
            password: self.password.clone(),
            ..new
        };
        let address = new.email.clone();
        let role = new.role;
        let user = users::create(self.db, actor, new)
            .await
            .doing(|| format!("creating the account {}", address.as_str()))?;
        self.logins.push(DemoLogin {
            role,
            email: user.email.clone(),
            name: user.name.clone(),
            detail,
        });
        Ok(user)
    }

    async fn admin(&mut self) -> anyhow::Result<Caller> {
        let user = self
            .user(
                Actor::System,
                staff(
                    Role::Admin,
                    "admin",
                    "Администратор Kelisim",
                    None,
                    Language::Ru,
                )?,
                "all courts, the registry, delivery".into(),
            )
            .await?;
        Ok(user.caller())
    }

    async fn courts(&mut self, admin: &Caller) -> anyhow::Result<()> {
        let courts: [CourtSpec; 2] = [
            (
                "ALM",
                "ALM-ALMALY",
                "Алматы қаласы Алмалы аудандық соты",
                Language::Kk,
                [
                    ("Медиация бөлмесі 101 (1-қабат)", 6, true),
                    ("Медиация бөлмесі 204", 8, false),
                    ("Татуластыру залы 305", 12, false),
                ],
            ),
            (
                "AST",
                "AST-JUV",
                "Специализированный межрайонный суд по делам несовершеннолетних г. Астаны",
                Language::Ru,
                [
                    ("Комната примирения № 1 (1 этаж)", 6, true),
                    ("Комната примирения № 2", 6, false),
                    ("Детская комната (1 этаж)", 4, true),
                ],
            ),
        ];
        let timezone = TimeZoneName::parse("Asia/Almaty").map_err(|e| anyhow!(e))?;
        for (key, code, name, language, rooms) in courts {
            let court = courts::create(
                self.db,
                admin,
                NewCourt {
                    code: CourtCode::parse(code).map_err(|e| anyhow!("court code {code} {e}"))?,
                    name: name.to_owned(),
                    timezone,
                    default_language: language,
                },
            )
            .await
            .doing(|| format!("creating the court {code}"))?;
            for (room, capacity, step_free) in rooms {
                let created = courts::create_room(
                    self.db,
                    admin,
                    court.id,
                    NewRoom {
                        name: room.to_owned(),
                        capacity,
                        step_free,
                    },
                )
                .await
                .doing(|| format!("creating the room {room}"))?;
                self.rooms.insert(room, created.id);
            }
            courts::set_closed_days(self.db, admin, court.id, holidays(self.today))
                .await
                .doing(|| format!("setting the closed days of {code}"))?;
            self.courts.insert(key, court);
        }
        Ok(())
    }

    async fn clerks(&mut self, admin: &Caller) -> anyhow::Result<()> {
        let clerks = [
            (
                "ALM",
                "clerk.almaty",
                "Жанар Қайратқызы Мұқанова",
                Language::Kk,
            ),
            (
                "AST",
                "clerk.astana",
                "Ольга Викторовна Семенова",
                Language::Ru,
            ),
        ];
        for (key, mailbox, name, language) in clerks {
            let court = self
                .courts
                .get(key)
                .ok_or_else(|| anyhow!("no demo court {key}"))?;
            let (court_id, court_name) = (court.id, court.name.clone());
            let user = self
                .user(
                    Actor::User(admin.user_id),
                    staff(Role::Clerk, mailbox, name, Some(court_id), language)?,
                    court_name,
                )
                .await?;
            self.clerks.insert(key, user.caller());
        }
        Ok(())
    }

    async fn mediators(&mut self, admin: &Caller) -> anyhow::Result<()> {
        let timezone = TimeZoneName::parse("Asia/Almaty").map_err(|e| anyhow!(e))?;
        for spec in registry() {
            let address = email(spec.mailbox, STAFF_DOMAIN)?;
            let login = match spec.account {
                Some(language) => Some(
                    self.user(
                        Actor::User(admin.user_id),
                        staff(Role::Mediator, spec.mailbox, spec.name, None, language)?,
                        spec.number.to_owned(),
                    )
                    .await?,
                ),
                None => None,
            };
            let mut court_ids = BTreeSet::new();
            for key in spec.courts {
                let court = self
                    .courts
                    .get(key)
                    .ok_or_else(|| anyhow!("no demo court {key}"))?;
                court_ids.insert(court.id);
            }
            let record = mediators::create(
                self.db,
                admin,
                MediatorInput {
                    name: spec.name.to_owned(),
                    email: address,
                    user_id: login.as_ref().map(|u| u.id),
                    registry_number: spec.number.to_owned(),
                    kind: spec.kind,
                    certified_until: self.today + Duration::days(spec.certified_days),
                    specialties: spec.specialties.iter().copied().collect(),
                    languages: spec.languages.iter().copied().collect(),
                    court_ids,
                    max_active_cases: spec.max_active_cases,
                    timezone,
                    status: spec.status,
                },
            )
            .await
            .doing(|| format!("adding the mediator {}", spec.number))?
            .0;
            let id = record.mediator.id;
            let weekly = parse_weekly(&spec.hours.items())
                .map_err(|e| anyhow!("the hours of {}: {e:?}", spec.number))?;
            // A mediator keeps their own calendar when they have a login.
            let keeper = login.as_ref().map_or_else(|| admin.clone(), |u| u.caller());
            availability::hours::set_weekly(self.db, &keeper, id, weekly)
                .await
                .doing(|| format!("setting the hours of {}", spec.number))?;
            self.mediators.insert(
                spec.number,
                DemoMediator {
                    id,
                    caller: login.as_ref().map(|u| u.caller()),
                },
            );
        }
        self.time_off(admin).await?;
        // A declared conflict of interest: the mediator once advised this company,
        // so matching excludes them from case 2-1102.
        let kovalev = self.mediator_login("MED-ALM-002")?.clone();
        let kovalev_id = self.mediator("MED-ALM-002")?.id;
        availability::conflicts::add(
            self.db,
            &kovalev,
            kovalev_id,
            id_number("150440", 1207),
            Some("ТОО «Алатау Құрылыс Сервис»".into()),
            Some("Legal adviser of this company in 2023–2024".into()),
        )
        .await
        .doing(|| "declaring a conflict of interest".into())?;
        Ok(())
    }

    async fn time_off(&self, admin: &Caller) -> anyhow::Result<()> {
        // (registry number, from (day, hour), to (day, hour), note): days from
        // today in Almaty; entered by the mediator when they have a login.
        let plans = [
            ("MED-ALM-005", (10, 0), (24, 0), "Annual leave"),
            ("MED-ALM-003", (3, 0), (5, 0), "Family matters"),
            (
                "MED-AST-006",
                (1, 9),
                (1, 18),
                "Training seminar on child-friendly justice",
            ),
            ("MED-AST-001", (2, 9), (2, 13), "Hearing in another court"),
        ];
        for (number, (from_day, from_hour), (to_day, to_hour), note) in plans {
            let mediator = self.mediator(number)?;
            let id = mediator.id;
            let keeper = mediator.caller.clone().unwrap_or_else(|| admin.clone());
            let starts_at = self.local(from_day, from_hour, 0)?;
            let ends_at = self.local(to_day, to_hour, 0)?;
            let span = TimeOffSpan::new(starts_at, ends_at)
                .map_err(|e| anyhow!("time off of {number}: {e}"))?;
            availability::time_off::add(self.db, &keeper, id, span, Some(note.into()))
                .await
                .doing(|| format!("adding time off for {number}"))?;
        }
        Ok(())
    }

    fn number(&self, court: &str, kind: u32, n: u32) -> String {
        let code = if court == "ALM" { "7511" } else { "7110" };
        format!("{code}-{:02}-00-{kind}/{n}", self.today.year() % 100)
    }

    async fn refer(&self, spec: CaseSpec) -> anyhow::Result<CaseRecord> {
        let court = self
            .courts
            .get(spec.court)
            .ok_or_else(|| anyhow!("no demo court {}", spec.court))?;
        let clerk = self.clerk(spec.court)?;
        let number = spec.number.clone();
        cases::refer(
            self.db,
            self.settings,
            clerk,
            NewCase {
                court_id: court.id,
                court_case_number: demo_text(&spec.number, CaseNumber::parse)?,
                category: spec.category,
                summary: demo_text(spec.summary, |t| FreeText::parse(t, 5000))?,
                language: spec.language,
                mediation_deadline: self.today + Duration::days(spec.deadline_days),
                minors_involved: spec.minors_involved,
                violence_reported: spec.violence_reported,
                interpreter_needed: spec.interpreter_needed,
                corruption_or_public_service: false,
                parties: spec.parties,
            },
        )
        .await
        .doing(|| format!("referring case {number}"))
    }

    async fn propose(&self, court: &str, case: &CaseRecord, number: &str) -> anyhow::Result<()> {
        let mediator = self.mediator(number)?.id;
        assignments::propose(
            self.db,
            &self.cache,
            self.settings,
            self.clerk(court)?,
            case.case.id,
            mediator,
            false,
        )
        .await
        .doing(|| {
            format!(
                "proposing {number} for case {}",
                case.case.court_case_number
            )
        })?;
        Ok(())
    }

    async fn answer(&self, case: &CaseRecord, number: &str, answer: Answer) -> anyhow::Result<()> {
        assignments::answer(
            self.db,
            self.settings,
            self.mediator_login(number)?,
            case.case.id,
            answer,
        )
        .await
        .doing(|| format!("answering for case {}", case.case.court_case_number))?;
        Ok(())
    }

    /// Proposes `number` and has them accept.
    async fn assign(&self, court: &str, case: &CaseRecord, number: &str) -> anyhow::Result<()> {
        self.propose(court, case, number).await?;
        self.answer(case, number, Answer::Accept).await
    }

    async fn withdraw(&self, court: &str, case: &CaseRecord, reason: &str) -> anyhow::Result<()> {
        let reason = demo_text(reason, Reason::parse)?;
        cases::withdraw(self.db, self.clerk(court)?, case.case.id, reason)
            .await
            .doing(|| format!("withdrawing case {}", case.case.court_case_number))?;
        Ok(())
    }

    /// The party confirms voluntary participation through their personal
    /// link (the one in their emails).
    async fn confirm(&self, party: &Party) -> anyhow::Result<()> {
        let token = links::party_token(self.db, party.id)
            .await
            .doing(|| "reading a party's link".into())?;
        cases::confirm_voluntary(self.db, self.settings, &token)
            .await
            .doing(|| "confirming voluntary participation".into())?;
        Ok(())
    }

    /// Books a session of `minutes` with `caller`: on the `day`-th day (from
    /// `after`) on which the mediator has free time, at their `nth` free
    /// half-hour slot of that day, in the first of `places` that is free
    /// then; when taken, the next slot.
    #[allow(clippy::too_many_arguments)]
    async fn book(
        &mut self,
        caller: &Caller,
        case: &CaseRecord,
        number: &str,
        minutes: i64,
        places: &[Place],
        format: Option<SessionFormat>,
        party_ids: Option<Vec<Uuid>>,
        after: DateTime<Utc>,
        (day, nth): (usize, usize),
    ) -> anyhow::Result<SessionRecord> {
        let mediator = self.mediator(number)?.id;
        let calendar = cache::calendar(self.db, &self.cache, mediator)
            .await
            .doing(|| format!("reading the calendar of {number}"))?
            .ok_or_else(|| anyhow!("no mediator {number}"))?;
        // The coming week, with an hour to spare.
        let until = self.now + Duration::days(7) - Duration::hours(1);
        let rules = assignments::rules(self.settings, minutes);
        let slots: Vec<DateTime<Utc>> = calendar
            .free_slots(after, until, &rules, Some(case.case.court_id), None)
            .into_iter()
            .map(|s| s.start)
            .filter(|s| s.with_timezone(&ALMATY).minute() % 30 == 0)
            .collect();
        let local_day = |t: &DateTime<Utc>| t.with_timezone(&ALMATY).date_naive();
        let days: BTreeSet<NaiveDate> = slots.iter().map(local_day).collect();
        let Some(target) = days.iter().nth(day % days.len().max(1)).copied() else {
            bail!("{number} has no free time in the coming week");
        };
        let first_of_day = slots
            .iter()
            .position(|s| local_day(s) == target)
            .unwrap_or_default();
        let of_day = slots.iter().filter(|s| local_day(s) == target).count();
        let first = first_of_day + nth.min(of_day.saturating_sub(1));
        for starts_at in slots[first..].iter().chain(&slots[..first]).take(40) {
            for place in places {
                let booked = sessions::book(
                    self.db,
                    self.settings,
                    caller,
                    case.case.id,
                    Booking {
                        starts_at: *starts_at,
                        minutes,
                        place: place.clone(),
                        format,
                        party_ids: party_ids.clone(),
                    },
                )
                .await;
                match booked {
                    Ok(session) => {
                        self.sessions += 1;
                        return Ok(session);
                    }
                    // Taken meanwhile (a room, a party): try the next.
                    Err(AppError::Conflict { .. }) => continue,
                    Err(e) => {
                        return Err(failed(
                            &format!("booking a session of case {}", case.case.court_case_number),
                            e,
                        ));
                    }
                }
            }
        }
        bail!(
            "no free slot and place for a session of case {}",
            case.case.court_case_number
        )
    }

    fn party_of(case: &CaseRecord, role: PartyRole) -> anyhow::Result<&Party> {
        case.parties
            .iter()
            .find(|p| p.role == role)
            .ok_or_else(|| anyhow!("case {} has no {role}", case.case.court_case_number))
    }

    fn online(&self, case: &CaseRecord) -> Place {
        let slug: String = case
            .case
            .court_case_number
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        Place::Online(format!("https://video.{STAFF_DOMAIN}/mediation/{slug}"))
    }

    async fn cases(&mut self) -> anyhow::Result<()> {
        use CaseCategory::*;
        use Language::{En, Kk, Ru};
        use PartyRole::*;
        let start = self.now + Duration::hours(2);

        // ---- Алмалы аудандық соты (Almaty) ----------------------------------

        // 1. Referred: waiting for the clerk to pick a mediator.
        self.refer(CaseSpec {
            court: "ALM",
            number: self.number("ALM", 2, 1101),
            category: Civil,
            summary: "Взыскание задолженности по договору займа (1 800 000 тенге) и процентов за \
                      пользование чужими деньгами",
            language: Ru,
            deadline_days: 45,
            minors_involved: false,
            violence_reported: false,
            interpreter_needed: false,
            parties: vec![
                NewParty {
                    iin_bin: id_number("8503123", 412),
                    phone: Some(demo_text("+7 701 555 0101", Phone::parse)?),
                    ..party(Claimant, "Ахметжанов Руслан Серікұлы", "r.akhmetzhanov", Ru)?
                },
                party(Respondent, "Ермекова Дана Маратқызы", "d.yermekova", Kk)?,
            ],
        })
        .await?;

        // 2. Referred; MED-ALM-002 declared a conflict with the respondent.
        self.refer(CaseSpec {
            court: "ALM",
            number: self.number("ALM", 2, 1102),
            category: Commercial,
            summary: "Недопоставка строительных материалов по договору поставки № 17/2025, \
                      взыскание неустойки",
            language: Ru,
            deadline_days: 40,
            minors_involved: false,
            violence_reported: false,
            interpreter_needed: false,
            parties: vec![
                NewParty {
                    iin_bin: id_number("120340", 3318),
                    ..party(Claimant, "ТОО «Жетісу Бетон»", "office.zhetisu-beton", Ru)?
                },
                party(
                    Representative,
                    "Әлиев Нұрлан Бақытұлы, адвокат",
                    "n.aliyev.advokat",
                    Kk,
                )?,
                NewParty {
                    iin_bin: id_number("150440", 1207),
                    ..party(
                        Respondent,
                        "ТОО «Алатау Құрылыс Сервис»",
                        "info.alatau-qurylys",
                        Ru,
                    )?
                },
            ],
        })
        .await?;

        // 3. Mediator proposed (a mediator without a login: they answer by email).
        let case = self
            .refer(CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1103),
                category: Labour,
                summary: "Восстановление на работе и оплата времени вынужденного прогула",
                language: Ru,
                deadline_days: 30,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Гаврилова Марина Олеговна", "m.gavrilova", Ru)?,
                    party(Respondent, "ТОО «Медеу Логистик»", "hr.medeu-logistic", Ru)?,
                ],
            })
            .await?;
        self.propose("ALM", &case, "MED-ALM-010").await?;

        // 4. Mediator proposed to MED-ALM-001, who can log in and answer.
        let case = self
            .refer(CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1104),
                category: Civil,
                summary: "Пәтерді су басудан келтірілген залалды өтеу (жоғарғы қабаттағы көрші)",
                language: Kk,
                deadline_days: 35,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Серікбаева Әйгүл Жанатқызы", "a.serikbayeva", Kk)?,
                    party(Respondent, "Мельников Павел Андреевич", "p.melnikov", Ru)?,
                ],
            })
            .await?;
        self.propose("ALM", &case, "MED-ALM-001").await?;

        // 5. Mediator accepted, no session yet.
        let case = self
            .refer(CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1105),
                category: Family,
                summary: "Ерлі-зайыптылардың ортақ мүлкін (пәтер және автокөлік) бөлу",
                language: Kk,
                deadline_days: 50,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(
                        Claimant,
                        "Төлегенова Салтанат Асқарқызы",
                        "s.tolegenova",
                        Kk,
                    )?,
                    party(Respondent, "Төлегенов Асқар Бауыржанұлы", "a.tolegenov", Kk)?,
                ],
            })
            .await?;
        self.assign("ALM", &case, "MED-ALM-003").await?;

        // 6. Scheduled by the clerk: a joint session in a room.
        let case = self
            .refer(CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1106),
                category: Labour,
                summary: "Взыскание невыплаченной заработной платы и компенсации за \
                          неиспользованный отпуск",
                language: Ru,
                deadline_days: 30,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Ким Виталий Эдуардович", "v.kim", Ru)?,
                    party(
                        Respondent,
                        "ТОО «Алматы Сауда Орталығы»",
                        "hr.almaty-sauda",
                        Ru,
                    )?,
                    party(
                        Representative,
                        "Жуков Максим Игоревич, юрист",
                        "m.zhukov.lawyer",
                        Ru,
                    )?,
                ],
            })
            .await?;
        self.assign("ALM", &case, "MED-ALM-002").await?;
        let clerk = self.clerk("ALM")?.clone();
        let rooms = [
            Place::Room(self.room("Медиация бөлмесі 204")?),
            Place::Room(self.room("Татуластыру залы 305")?),
        ];
        self.book(
            &clerk,
            &case,
            "MED-ALM-002",
            90,
            &rooms,
            None,
            None,
            start,
            (0, 2),
        )
        .await?;

        // 7. Scheduled by the mediator: online.
        let case = self
            .refer(CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1107),
                category: Commercial,
                summary: "Задолженность по арендной плате за нежилое помещение в ТРЦ",
                language: Ru,
                deadline_days: 28,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "ТОО «Достық Плаза»", "legal.dostyk-plaza", Ru)?,
                    party(
                        Respondent,
                        "ИП Сулейменова Жанна Кайратовна",
                        "zh.suleimenova",
                        Ru,
                    )?,
                ],
            })
            .await?;
        self.assign("ALM", &case, "MED-ALM-002").await?;
        let mediator = self.mediator_login("MED-ALM-002")?.clone();
        let online = [self.online(&case)];
        self.book(
            &mediator,
            &case,
            "MED-ALM-002",
            60,
            &online,
            None,
            None,
            start,
            (2, 6),
        )
        .await?;

        // 8. Scheduled: an English-speaking wheelchair user with an interpreter,
        //    in the step-free room.
        let case = self
            .refer(CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1108),
                category: Civil,
                summary: "Возмещение вреда, причинённого в дорожно-транспортном происшествии \
                          на пр. Абая",
                language: Ru,
                deadline_days: 40,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: true,
                parties: vec![
                    NewParty {
                        accessibility_needs: Some(demo_text(
                            "Wheelchair user: needs step-free access",
                            |t| FreeText::parse(t, 1000),
                        )?),
                        phone: Some(demo_text("+7 777 555 0108", Phone::parse)?),
                        ..party(Claimant, "John Miller", "john.miller", En)?
                    },
                    NewParty {
                        iin_bin: id_number("9011203", 1740),
                        ..party(Respondent, "Қасымов Ержан Талғатұлы", "ye.kasymov", Kk)?
                    },
                    party(
                        Interpreter,
                        "Иванова Анна Сергеевна (English–Russian)",
                        "a.ivanova.translate",
                        Ru,
                    )?,
                ],
            })
            .await?;
        self.assign("ALM", &case, "MED-ALM-001").await?;
        let mediator = self.mediator_login("MED-ALM-001")?.clone();
        let step_free = [Place::Room(self.room("Медиация бөлмесі 101 (1-қабат)")?)];
        self.book(
            &mediator,
            &case,
            "MED-ALM-001",
            90,
            &step_free,
            None,
            None,
            start,
            (1, 4),
        )
        .await?;

        // 9. Withdrawn: the parties settled before mediation began.
        let case = self
            .refer(CaseSpec {
                court: "ALM",
                number: self.number("ALM", 4, 1109),
                category: Administrative,
                summary: "Оспаривание постановления о штрафе за размещение наружной рекламы",
                language: Ru,
                deadline_days: 30,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(
                        Claimant,
                        "ИП Бекмұханов Дәулет Ерланұлы",
                        "d.bekmukhanov",
                        Kk,
                    )?,
                    party(
                        Respondent,
                        "ГУ «Управление предпринимательства и индустриально-инновационного \
                         развития г. Алматы»",
                        "kense.upiir",
                        Ru,
                    )?,
                ],
            })
            .await?;
        self.withdraw(
            "ALM",
            &case,
            "The parties settled before mediation began; the claim was withdrawn",
        )
        .await?;

        // 10. Expires: its deadline is tomorrow (see the end of this function).
        self.refer(CaseSpec {
            court: "ALM",
            number: self.number("ALM", 2, 1110),
            category: Civil,
            summary: "Мұрагерлер арасында жер учаскесін бөлу",
            language: Kk,
            deadline_days: 1,
            minors_involved: false,
            violence_reported: false,
            interpreter_needed: false,
            parties: vec![
                party(Claimant, "Омарова Гүлжан Сейітқызы", "g.omarova", Kk)?,
                party(Respondent, "Омаров Данияр Сейітұлы", "d.omarov", Kk)?,
            ],
        })
        .await?;

        // ---- Суд по делам несовершеннолетних (Astana) ------------------------

        // 11. Referred again: the proposed mediator declined.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 205),
                category: Family,
                summary: "Определение места жительства ребёнка (7 лет) и порядка общения с отцом",
                language: Ru,
                deadline_days: 45,
                minors_involved: true,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Абдуллаева Камила Рашидовна", "k.abdullayeva", Ru)?,
                    party(Respondent, "Абдуллаев Тимур Фаридович", "t.abdullayev", Ru)?,
                ],
            })
            .await?;
        self.propose("AST", &case, "MED-AST-002").await?;
        self.answer(
            &case,
            "MED-AST-002",
            Answer::Decline {
                reason: demo_text(
                    "I advised the respondent's family in an earlier dispute",
                    Reason::parse,
                )?,
            },
        )
        .await?;

        // 12. Mediator proposed to MED-AST-003, who can log in and answer.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 206),
                category: Family,
                summary: "Кәмелетке толмаған баланы асырауға алимент өндіру",
                language: Kk,
                deadline_days: 40,
                minors_involved: true,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Жақыпова Айнұр Серікқызы", "a.zhakypova", Kk)?,
                    party(Respondent, "Жақыпов Бекзат Нұрланұлы", "b.zhakypov", Kk)?,
                ],
            })
            .await?;
        self.propose("AST", &case, "MED-AST-003").await?;

        // 13. Accepted: a minor accused, with his lawyer.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 1, 318),
                category: CriminalMinor,
                summary: "Примирение с потерпевшим по делу о краже мобильного телефона \
                          несовершеннолетним (ч. 1 ст. 188 УК РК)",
                language: Ru,
                deadline_days: 30,
                minors_involved: true,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Ли Андрей Викторович", "a.li", Ru)?,
                    NewParty {
                        is_minor: true,
                        ..party(Respondent, "Серіков Нұрсұлтан Асқарұлы", "n.serikov", Kk)?
                    },
                    party(
                        Representative,
                        "Сейтқалиева Роза Маратовна, адвокат",
                        "r.seitkaliyeva.advokat",
                        Ru,
                    )?,
                ],
            })
            .await?;
        self.assign("AST", &case, "MED-AST-001").await?;

        // 14. Accepted; violence reported: one party has confirmed voluntary
        //     participation, the other not yet, so nothing can be booked.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 209),
                category: Family,
                summary: "Порядок общения с детьми после расторжения брака",
                language: Ru,
                deadline_days: 45,
                minors_involved: true,
                violence_reported: true,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Бондаренко Ольга Петровна", "o.bondarenko", Ru)?,
                    party(
                        Respondent,
                        "Бондаренко Игорь Васильевич",
                        "i.bondarenko",
                        Ru,
                    )?,
                ],
            })
            .await?;
        self.assign("AST", &case, "MED-AST-002").await?;
        self.confirm(Self::party_of(&case, Claimant)?).await?;

        // 15. Scheduled; violence reported: both confirmed, and the mediator
        //     meets each party separately, at staggered times.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 210),
                category: Family,
                summary: "Ажырасу кезінде ерлі-зайыптылардың ортақ мүлкін бөлу",
                language: Kk,
                deadline_days: 40,
                minors_involved: false,
                violence_reported: true,
                interpreter_needed: false,
                parties: vec![
                    NewParty {
                        phone: Some(demo_text("+7 705 555 0210", Phone::parse)?),
                        ..party(Claimant, "Мұратова Жансая Ерікқызы", "zh.muratova", Kk)?
                    },
                    party(Respondent, "Мұратов Ерік Болатұлы", "ye.muratov", Kk)?,
                ],
            })
            .await?;
        self.assign("AST", &case, "MED-AST-003").await?;
        let (claimant, respondent) = (
            Self::party_of(&case, Claimant)?.clone(),
            Self::party_of(&case, Respondent)?.clone(),
        );
        self.confirm(&claimant).await?;
        self.confirm(&respondent).await?;
        let mediator = self.mediator_login("MED-AST-003")?.clone();
        let rooms = [
            Place::Room(self.room("Комната примирения № 1 (1 этаж)")?),
            Place::Room(self.room("Комната примирения № 2")?),
        ];
        let first = self
            .book(
                &mediator,
                &case,
                "MED-AST-003",
                60,
                &rooms,
                Some(SessionFormat::Separate),
                Some(vec![claimant.id]),
                start,
                (1, 0),
            )
            .await?;
        // The other party an hour after the first leaves: they never meet.
        let later = first.session.ends_at + Duration::hours(1);
        self.book(
            &mediator,
            &case,
            "MED-AST-003",
            60,
            &rooms,
            Some(SessionFormat::Separate),
            Some(vec![respondent.id]),
            later,
            (0, 0),
        )
        .await?;
        self.party_link = Some(cases::party_link(
            self.settings,
            &links::party_token(self.db, claimant.id)
                .await
                .doing(|| "reading a party's link".into())?,
        ));

        // 16. Scheduled by the clerk: a minor with his mother as guardian, a
        //     joint session in the step-free children's room.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 1, 321),
                category: CriminalMinor,
                summary: "Примирение сторон по делу о причинении лёгкого вреда здоровью в \
                          школьной драке",
                language: Kk,
                deadline_days: 30,
                minors_involved: true,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(
                        Claimant,
                        "Тұрсынов Ержан Қайратұлы (потерпевшего әкесі)",
                        "ye.tursynov",
                        Kk,
                    )?,
                    NewParty {
                        is_minor: true,
                        ..party(Respondent, "Әлібеков Арсен Даниярұлы", "arsen.alibekov", Kk)?
                    },
                    NewParty {
                        iin_bin: id_number("8807154", 2290),
                        ..party(Guardian, "Әлібекова Мадина Серікқызы", "m.alibekova", Kk)?
                    },
                ],
            })
            .await?;
        self.assign("AST", &case, "MED-AST-001").await?;
        let clerk = self.clerk("AST")?.clone();
        let children = [Place::Room(self.room("Детская комната (1 этаж)")?)];
        self.book(
            &clerk,
            &case,
            "MED-AST-001",
            60,
            &children,
            None,
            None,
            start,
            (3, 1),
        )
        .await?;

        // 17. Scheduled by the mediator: online.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 212),
                category: Family,
                summary: "Определение порядка общения бабушки и дедушки с внуком",
                language: Ru,
                deadline_days: 35,
                minors_involved: true,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Волкова Людмила Ивановна", "l.volkova", Ru)?,
                    party(Respondent, "Волкова Евгения Андреевна", "ye.volkova", Ru)?,
                ],
            })
            .await?;
        self.assign("AST", &case, "MED-AST-002").await?;
        let mediator = self.mediator_login("MED-AST-002")?.clone();
        let online = [self.online(&case)];
        self.book(
            &mediator,
            &case,
            "MED-AST-002",
            60,
            &online,
            None,
            None,
            start,
            (2, 8),
        )
        .await?;

        // 18. Withdrawn after a mediator had been proposed.
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 214),
                category: Family,
                summary: "Алимент мөлшерін азайту",
                language: Kk,
                deadline_days: 30,
                minors_involved: true,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Сағынтаев Мейрам Қуанышұлы", "m.sagyntayev", Kk)?,
                    party(
                        Respondent,
                        "Сағынтаева Гүлназ Ерболқызы",
                        "g.sagyntayeva",
                        Kk,
                    )?,
                ],
            })
            .await?;
        self.propose("AST", &case, "MED-AST-004").await?;
        self.withdraw("AST", &case, "The claimant withdrew the claim")
            .await?;

        // 19. Mediator proposed (no login).
        let case = self
            .refer(CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 215),
                category: Family,
                summary: "Определение порядка участия отца в воспитании детей",
                language: Ru,
                deadline_days: 40,
                minors_involved: true,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(
                        Claimant,
                        "Кузнецова Анастасия Романовна",
                        "a.kuznetsova",
                        Ru,
                    )?,
                    party(Respondent, "Нұрпейісов Айдос Ғаниұлы", "a.nurpeisov", Kk)?,
                ],
            })
            .await?;
        self.propose("AST", &case, "MED-AST-011").await?;

        // 20. Referred.
        self.refer(CaseSpec {
            court: "AST",
            number: self.number("AST", 2, 216),
            category: Family,
            summary: "Взыскание алиментов на содержание нетрудоспособного супруга",
            language: Ru,
            deadline_days: 50,
            minors_involved: false,
            violence_reported: false,
            interpreter_needed: false,
            parties: vec![
                party(
                    Claimant,
                    "Горбунова Валентина Степановна",
                    "v.gorbunova",
                    Ru,
                )?,
                party(Respondent, "Горбунов Николай Петрович", "n.gorbunov", Ru)?,
            ],
        })
        .await?;

        // The deadline watch as it will run the day after tomorrow: case 10
        // (deadline tomorrow) expires, and its clerk is told. Every other
        // deadline is weeks away, so nothing else is touched.
        crate::services::deadlines::watch(self.db, self.settings, self.now + Duration::days(2))
            .await
            .doing(|| "running the deadline watch".into())?;
        Ok(())
    }

    /// A case that ran its course up to `stage`: referred, accepted by
    /// `number`, a session booked in the coming days and held (played at its
    /// end, as the deadline watch is played ahead), a settlement signed that
    /// day, then submitted, registered or returned.
    async fn settled(
        &mut self,
        spec: CaseSpec,
        number: &str,
        terms: &[(&str, Option<i64>, Option<PartyRole>)],
        stage: OutcomeStage,
    ) -> anyhow::Result<CaseRecord> {
        let court = spec.court;
        let case = self.refer(spec).await?;
        self.assign(court, &case, number).await?;
        let mediator = self.mediator_login(number)?.clone();
        let place = [self.online(&case)];
        let start = self.now + Duration::hours(2);
        let session = self
            .book(
                &mediator,
                &case,
                number,
                60,
                &place,
                None,
                None,
                start,
                (0, 0),
            )
            .await?;
        let held_at = session.session.ends_at;
        let principals: Vec<Uuid> = case
            .parties
            .iter()
            .filter(|p| p.role.is_principal())
            .map(|p| p.id)
            .collect();
        attendance::record(
            self.db,
            &mediator,
            session.session.id,
            AttendanceInput {
                held: true,
                present_party_ids: principals,
            },
            held_at,
        )
        .await
        .doing(|| {
            format!(
                "recording attendance in case {}",
                case.case.court_case_number
            )
        })?;
        let signed_on = held_at.with_timezone(&ALMATY).date_naive();
        let owner = |role: PartyRole| case.parties.iter().find(|p| p.role == role).map(|p| p.id);
        let owner = &owner;
        let input = OutcomeInput {
            result: OutcomeResult::Settled,
            terms: terms
                .iter()
                .map(|(text, days, role)| TermInput {
                    text: (*text).to_owned(),
                    due_date: days.map(|d| signed_on + Duration::days(d)),
                    owed_by_party_id: role.and_then(owner),
                })
                .collect(),
            signed_on,
            signed_at_place: if court == "ALM" {
                "Алматы қаласы".into()
            } else {
                "Астана қаласы".into()
            },
            unresolved: None,
        };
        let number_text = case.case.court_case_number.clone();
        outcomes::record(self.db, &mediator, case.case.id, input, held_at)
            .await
            .doing(|| format!("recording the outcome of case {number_text}"))?;
        if stage == OutcomeStage::Recorded {
            return Ok(case);
        }
        outcomes::submit(self.db, self.settings, &mediator, case.case.id)
            .await
            .doing(|| format!("submitting the outcome of case {number_text}"))?;
        let clerk = self.clerk(court)?.clone();
        let decision = match stage {
            OutcomeStage::Registered => Some((
                RegistrationDecision::Registered,
                Some(format!("МК-{}/{}", self.today.year(), 100 + self.sessions)),
                None,
            )),
            OutcomeStage::Returned => Some((
                RegistrationDecision::Returned,
                None,
                Some("Для второго условия не указан срок исполнения; уточните его.".to_owned()),
            )),
            _ => None,
        };
        if let Some((decision, reg, reason)) = decision {
            outcomes::decide(
                self.db,
                self.settings,
                &clerk,
                case.case.id,
                decision,
                reg.as_deref(),
                reason.as_deref(),
            )
            .await
            .doing(|| format!("deciding on the agreement of case {number_text}"))?;
        }
        Ok(case)
    }

    /// Cases with outcomes at every stage, so that an agreement PDF can be
    /// opened at once.
    async fn outcomes(&mut self) -> anyhow::Result<()> {
        use CaseCategory::*;
        use Language::{Kk, Ru};
        use PartyRole::*;

        // 21. Settled, recorded: the mediator may still correct it.
        self.settled(
            CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1121),
                category: Civil,
                summary: "Көлік жол-көлік оқиғасында зақымданғаны үшін залалды өтеу",
                language: Kk,
                deadline_days: 40,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "Жұмабаев Ерлан Қайратұлы", "e.zhumabayev", Kk)?,
                    party(Respondent, "Смирнова Ольга Викторовна", "o.smirnova", Ru)?,
                ],
            },
            "MED-ALM-001",
            &[
                (
                    "Жауапкер талапкерге көліктің жөндеу құны ретінде 650 000 (алты жүз елу мың) теңге төлейді.",
                    Some(30),
                    Some(Respondent),
                ),
                ("Талапкер моральдық зиянды өндіру туралы талабынан бас тартады.", None, Some(Claimant)),
            ],
            OutcomeStage::Recorded,
        )
        .await?;

        // 22. Settled and submitted: waiting for the court.
        self.settled(
            CaseSpec {
                court: "ALM",
                number: self.number("ALM", 2, 1122),
                category: Commercial,
                summary: "Взыскание задолженности по договору оказания услуг № 44/2025",
                language: Ru,
                deadline_days: 45,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(Claimant, "ТОО «Көктем Сервис»", "office.koktem-service", Ru)?,
                    party(Respondent, "ИП Сәрсенбаев Нұржан Әлібекұлы", "n.sarsenbayev", Ru)?,
                ],
            },
            "MED-ALM-002",
            &[
                (
                    "Ответчик уплачивает истцу 1 200 000 (один миллион двести тысяч) тенге двумя равными платежами.",
                    Some(60),
                    Some(Respondent),
                ),
                ("Истец отказывается от взыскания неустойки.", None, Some(Claimant)),
                ("Судебные расходы стороны несут самостоятельно.", None, None),
            ],
            OutcomeStage::Submitted,
        )
        .await?;

        // 23. Settled and registered by the court: the parties can download it.
        let registered = self
            .settled(
                CaseSpec {
                    court: "AST",
                    number: self.number("AST", 2, 221),
                    category: Family,
                    summary: "Взыскание алиментов на содержание несовершеннолетнего ребёнка",
                    language: Ru,
                    deadline_days: 45,
                    minors_involved: false,
                    violence_reported: false,
                    interpreter_needed: false,
                    parties: vec![
                        party(Claimant, "Оспанова Айым Берікқызы", "a.ospanova", Kk)?,
                        party(Respondent, "Оспанов Данияр Маратұлы", "d.ospanov", Ru)?,
                    ],
                },
                "MED-AST-001",
                &[
                    (
                        "Ответчик ежемесячно до 10 числа перечисляет 80 000 (восемьдесят тысяч) тенге на счёт истца.",
                        Some(40),
                        Some(Respondent),
                    ),
                    (
                        "Әкесі баламен әр демалыс күні кездесуге құқылы; анасы бұған кедергі келтірмейді.",
                        None,
                        Some(Claimant),
                    ),
                ],
                OutcomeStage::Registered,
            )
            .await?;
        if let Some(p) = registered.parties.first() {
            let token = links::party_token(self.db, p.id)
                .await
                .doing(|| "reading a party's link".into())?;
            self.agreement_link = Some(cases::party_link(self.settings, &token));
        }

        // 24. Settled, returned by the court for correction.
        self.settled(
            CaseSpec {
                court: "AST",
                number: self.number("AST", 2, 222),
                category: Family,
                summary: "Ажырасқаннан кейін баланың әкесімен кездесу тәртібін анықтау",
                language: Kk,
                deadline_days: 40,
                minors_involved: false,
                violence_reported: false,
                interpreter_needed: false,
                parties: vec![
                    party(
                        Claimant,
                        "Нұрмағамбетова Гүлжан Серікқызы",
                        "g.nurmagambetova",
                        Kk,
                    )?,
                    party(
                        Respondent,
                        "Нұрмағамбетов Асқар Төлеуұлы",
                        "a.nurmagambetov",
                        Kk,
                    )?,
                ],
            },
            "MED-AST-002",
            &[
                (
                    "Әкесі баламен әр сенбі сайын сағат 10:00-ден 18:00-ге дейін кездеседі.",
                    Some(7),
                    Some(Respondent),
                ),
                (
                    "Анасы кездесулерге кедергі келтірмейді.",
                    None,
                    Some(Claimant),
                ),
            ],
            OutcomeStage::Returned,
        )
        .await?;
        Ok(())
    }

    async fn summary(self) -> anyhow::Result<DemoSummary> {
        let cases_by_status = cases::count_by_status(self.db)
            .await
            .doing(|| "counting the cases".into())?;
        let emails = outbox::count(self.db)
            .await
            .doing(|| "counting the outbox".into())?;
        Ok(DemoSummary {
            courts: self.courts.values().map(|c| c.name.clone()).collect(),
            rooms: self.rooms.len(),
            mediators: self.mediators.len(),
            cases: cases_by_status.values().sum(),
            cases_by_status,
            sessions: self.sessions,
            emails,
            logins: self.logins,
            password: self.password,
            party_link: self.party_link,
            agreement_link: self.agreement_link,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_of_the_demo_has_a_password_of_its_own() {
        let a = new_password();
        assert_ne!(a, new_password());
        assert!(a.starts_with("demo-") && a.len() == "demo-".len() + 16);
        assert!(crate::domain::password::check_strength(&a).is_ok());
    }

    #[test]
    fn demo_identification_numbers_are_valid() {
        for (prefix, serial) in [
            ("8503123", 412),
            ("120340", 3318),
            ("150440", 1207),
            ("9011203", 1740),
            ("8807154", 2290),
        ] {
            assert!(id_number(prefix, serial).is_some(), "{prefix}");
        }
    }

    #[test]
    fn the_coming_year_has_each_holiday_once() {
        for today in ["2026-11-28", "2027-01-01", "2027-12-17", "2028-02-29"] {
            let today: NaiveDate = today.parse().expect("date");
            assert_eq!(holidays(today).len(), 14, "{today}");
        }
    }

    #[test]
    fn the_registry_has_thirty_distinct_mediators_and_every_hours_pattern_parses() {
        let r = registry();
        assert_eq!(r.len(), 30);
        let numbers: BTreeSet<_> = r.iter().map(|m| m.number).collect();
        assert_eq!(numbers.len(), 30);
        let mailboxes: BTreeSet<_> = r.iter().map(|m| m.mailbox).collect();
        assert_eq!(mailboxes.len(), 30);
        for m in &r {
            assert!(parse_weekly(&m.hours.items()).is_ok(), "{}", m.number);
            assert!((5..=15).contains(&m.max_active_cases), "{}", m.number);
        }
    }
}
