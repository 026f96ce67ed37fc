//! End-to-end tests of the web pages in headless Chromium, driven through
//! WebDriver (Debian's `chromium` and `chromium-driver`) against the real
//! application on loopback, with its real SMTP server.
//!
//! Every page the story visits is checked with axe-core (no serious or
//! critical violation), for a title and a `main` landmark, and for its
//! size (under 150 KB); a PNG of each is saved in
//! `target/browser-artifacts/`.
//!
//! A separate, named command, because it needs system packages:
//!
//! ```sh
//! KELISIM_AXE_JS=target/axe/node_modules/axe-core/axe.min.js \
//!   cargo test --test browser -- --ignored --test-threads=1
//! ```
//!
//! The tests are `#[ignore]`d so that `cargo test` needs only the Rust
//! toolchain; run as above, they FAIL (never skip) when Chromium,
//! ChromeDriver or axe-core is missing. `.ci/run` installs all three.

#[path = "../common/mod.rs"]
mod common;
mod webdriver;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{Duration as Span, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use common::smtp::SmtpServer;
use common::{PASSWORD, TestApp, id, spawn_app_with, wait_until};
use kelisim::domain::Role;
use webdriver::{Driver, Prerequisites};

const IIN_A: &str = "900101300126";
const IIN_B: &str = "850712400320";
const CLAIMANT_EMAIL: &str = "aigerim@example.kz";
const RESPONDENT_EMAIL: &str = "serik@example.kz";
/// No page may be heavier than this (HTML as transferred, uncompressed).
const MAX_PAGE_BYTES: u64 = 150 * 1024;

/// `target/browser-artifacts/`, beside the test binary's target folder.
fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/browser-… → target/
    let target = exe
        .ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("the artifacts folder");
    dir
}

/// One browser at a time: on two cores, several would starve each other
/// (the suite's PostgreSQL run does not pass `--test-threads=1`).
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The browser, the application, and what every page is checked for.
struct Story {
    _turn: tokio::sync::MutexGuard<'static, ()>,
    driver: Driver,
    app: TestApp,
    smtp: SmtpServer,
    axe_js: String,
    artifacts: PathBuf,
    prefix: &'static str,
    pages: usize,
    /// Every failed page check, named; asserted empty at the end so that
    /// every page still gets its screenshot.
    problems: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Story {
    async fn begin(prefix: &'static str) -> Self {
        let pre = Prerequisites::find();
        let turn = TURN.lock().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let smtp = SmtpServer::start(&dir.path().join("smtp"));
        let url = smtp.url();
        let app = spawn_app_with(|s| s.smtp_url = Some(url)).await;
        let driver = Driver::start(&pre).await;
        Self {
            _turn: turn,
            driver,
            app,
            smtp,
            axe_js: pre.axe_js,
            artifacts: artifacts_dir(),
            prefix,
            pages: 0,
            problems: Vec::new(),
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.address)
    }

    async fn open(&mut self, path: &str, name: &str) {
        self.driver.goto(&self.url(path)).await;
        self.driver
            .wait_for_url(path, |u| u.contains(path.split('?').next().unwrap_or(path)))
            .await;
        self.check(name).await;
    }

    /// Checks the current page and saves its picture as `name`.
    async fn check(&mut self, name: &str) {
        self.pages += 1;
        let file = format!("{}-{:02}-{name}.png", self.prefix, self.pages);
        self.driver.screenshot(&self.artifacts.join(&file)).await;
        let facts = self
            .driver
            .run(
                "return {title: document.title, main: document.querySelectorAll('main').length, \
                 bytes: new TextEncoder().encode(document.documentElement.outerHTML).length, \
                 lang: document.documentElement.lang, \
                 overflow: document.documentElement.scrollWidth > window.innerWidth + 1, \
                 width: window.innerWidth}",
                vec![],
            )
            .await;
        if facts["title"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .is_empty()
        {
            self.problems.push(format!("{name}: the page has no title"));
        }
        if facts["main"] != 1 {
            self.problems
                .push(format!("{name}: the page has not exactly one <main>"));
        }
        if facts["lang"].as_str().unwrap_or_default().is_empty() {
            self.problems.push(format!("{name}: <html> has no lang"));
        }
        if facts["bytes"].as_u64().unwrap_or(u64::MAX) > MAX_PAGE_BYTES {
            self.problems
                .push(format!("{name}: the page weighs {} bytes", facts["bytes"]));
        }
        if facts["overflow"] == true {
            self.problems.push(format!(
                "{name}: wider than the window ({} px): it scrolls sideways",
                facts["width"]
            ));
        }
        let violations = self.axe().await;
        for v in violations {
            self.problems.push(format!("{name}: axe {v}"));
        }
    }

    /// axe-core's serious and critical violations on the current page.
    async fn axe(&self) -> Vec<String> {
        // Injected through WebDriver, so the page's script policy (scripts
        // of this origin only) does not apply to it.
        let present = self
            .driver
            .run("return typeof window.axe === 'object'", vec![])
            .await;
        if present != true {
            self.driver
                .run(&format!("{}\n;return true;", self.axe_js), vec![])
                .await;
        }
        let result = self
            .driver
            .run_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']})\
                   .then(r => done(r.violations\
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')\
                     .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' — ' +\
                          v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))\
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await;
        result
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Clicks `css` and waits for the new page the form leads to (a new
    /// document, even where the URL is the same).
    async fn submit(&mut self, css: &str, name: &str, to: impl Fn(&str) -> bool) -> String {
        self.submit_with(css, None, name, to).await
    }

    /// Types `text` into the field at `css` and presses Enter there, as a
    /// person finishing a form does; then waits for the next page.
    async fn type_and_enter(
        &mut self,
        css: &str,
        text: &str,
        name: &str,
        to: impl Fn(&str) -> bool,
    ) -> String {
        self.submit_with(css, Some(text), name, to).await
    }

    async fn submit_with(
        &mut self,
        css: &str,
        enter_after: Option<&str>,
        name: &str,
        to: impl Fn(&str) -> bool,
    ) -> String {
        let e = self.driver.find(css).await;
        self.driver
            .run("window.__kelisimOldPage = true; return true;", vec![])
            .await;
        match enter_after {
            // U+E007 is the Enter key in WebDriver.
            Some(text) => self.driver.type_into(&e, &format!("{text}\u{E007}")).await,
            None => self.driver.click(&e).await,
        }
        let started = std::time::Instant::now();
        let url = loop {
            let url = self.driver.url().await;
            let fresh = self
                .driver
                .try_run("return document.readyState === 'complete' && !window.__kelisimOldPage")
                .await;
            if fresh.is_some_and(|f| f == true) && to(&url) {
                break url;
            }
            assert!(
                started.elapsed() < webdriver::PATIENCE,
                "waited for {name}; the browser is at {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        self.check(name).await;
        url
    }

    async fn fill(&self, css: &str, text: &str) {
        let e = self.driver.find(css).await;
        self.driver.type_into(&e, text).await;
    }

    /// Sets the value of an input or a select directly (date inputs read
    /// typed keys in the browser's locale; a select is set whichever way
    /// the page draws it).
    async fn set_value(&self, css: &str, value: &str) {
        self.driver.find(css).await;
        self.driver
            .run(
                "document.querySelector(arguments[0]).value = arguments[1]; return true;",
                vec![json!(css), json!(value)],
            )
            .await;
    }

    async fn select(&self, css: &str, value: &str) {
        let option = self
            .driver
            .find(&format!("{css} option[value=\"{value}\"]"))
            .await;
        self.driver.click(&option).await;
    }

    async fn text_of(&self, css: &str) -> String {
        let e = self.driver.find(css).await;
        self.driver.text(&e).await
    }

    async fn page_text(&self) -> String {
        self.driver
            .run("return document.body.innerText", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn log_in(&mut self, email: &str, who: &str) {
        self.open("/login", &format!("{who}-login")).await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.submit(
            "main form button[type=submit]",
            &format!("{who}-home"),
            |u| u.ends_with("/home"),
        )
        .await;
    }

    async fn log_out(&mut self) {
        let e = self.driver.find("form[action='/logout'] button").await;
        self.driver.click(&e).await;
        self.driver
            .wait_for_url("the login page", |u| u.ends_with("/login"))
            .await;
    }

    /// The personal link a party was sent, read from the first message to
    /// them that the SMTP server received.
    async fn link_from_email(&self, email: &str) -> String {
        let mut link = String::new();
        let smtp = &self.smtp;
        wait_until(
            &format!("an email with a link to {email}"),
            Duration::from_secs(30),
            || {
                let found = smtp.messages().into_iter().find_map(|raw| {
                    let message = mail_parser::MessageParser::default().parse(&raw)?;
                    let to_them = message
                        .to()
                        .and_then(|to| to.first())
                        .and_then(|a| a.address())
                        .is_some_and(|a| a == email);
                    let text = message.body_text(0)?.into_owned();
                    let at = text.find("/p/").filter(|_| to_them)?;
                    let token: String = text[at + 3..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                        .collect();
                    Some(format!("/p/{token}"))
                });
                if let Some(l) = found {
                    link = l;
                }
                let done = !link.is_empty();
                async move { done }
            },
        )
        .await;
        link
    }

    fn finish(self) -> (Driver, Vec<String>) {
        (self.driver, self.problems)
    }
}

/// The court, its room, the mediator (with weekly hours) and the clerk.
struct Cast {
    court: Uuid,
    mediator: Uuid,
    clerk_email: String,
    clerk_token: String,
    mediator_email: String,
}

async fn cast(app: &TestApp) -> Cast {
    let court = app.create_court("BRW").await;
    let room = app
        .post(
            &format!("/api/v1/courts/{court}/rooms"),
            Some(&app.admin_token),
            json!({"name": "Room 3", "capacity": 6, "step_free": true}),
        )
        .await;
    assert_eq!(room.status(), StatusCode::CREATED, "a room");
    let mediator_email = "mediator@mediators.kz".to_owned();
    let (mediator, token) = app
        .mediator_with_login(
            &mediator_email,
            json!({
                "name": "Dana Mediator", "email": "dana@mediators.kz",
                "registry_number": "KZ-BRW-1", "kind": "professional",
                "certified_until": "2030-12-31",
                "specialties": ["civil", "family"], "languages": ["kk", "ru", "en"],
                "court_ids": [court], "max_active_cases": 10, "timezone": "Asia/Almaty"
            }),
        )
        .await;
    // Every day, so that a free slot exists whatever day the test runs.
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let resp = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/mediators/{mediator}/availability"),
            Some(&token),
            Some(json!({ "weekly": weekly })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "weekly hours");
    let clerk_email = "clerk@court.test".to_owned();
    app.create_user_directly(Role::Clerk, &clerk_email, Some(court))
        .await;
    let clerk_token = app.login(&clerk_email, PASSWORD).await;
    Cast {
        court,
        mediator,
        clerk_email,
        clerk_token,
        mediator_email,
    }
}

fn deadline() -> String {
    (Utc::now() + Span::days(40)).date_naive().to_string()
}

/// The clerk's part through the JSON API: refers the case and proposes
/// the mediator. Returns the case id.
async fn clerk_refers_through_the_api(app: &TestApp, cast: &Cast) -> Uuid {
    let resp = app
        .post(
            "/api/v1/cases",
            Some(&cast.clerk_token),
            json!({
                "court_id": cast.court, "court_case_number": "2-777/2026",
                "category": "family", "summary": "Division of property after divorce",
                "language": "ru", "mediation_deadline": deadline(),
                "parties": [
                    {"role": "claimant", "name": "Айгерим Сапарова", "email": CLAIMANT_EMAIL, "iin_bin": IIN_A, "language": "ru"},
                    {"role": "respondent", "name": "Serik Nurlanov", "email": RESPONDENT_EMAIL, "iin_bin": IIN_B, "language": "en"}
                ]
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "the referral");
    let case = id(&resp.json::<Value>().await.expect("json"));
    let resp = app
        .post(
            &format!("/api/v1/cases/{case}/assignment"),
            Some(&cast.clerk_token),
            json!({ "mediator_id": cast.mediator }),
        )
        .await;
    assert!(
        resp.status().is_success(),
        "the proposal: {}",
        resp.status()
    );
    case
}

/// The clerk's part in the browser, on the clerk's pages: the referral
/// form, the matches and the proposal. Returns the case id.
async fn clerk_refers_in_the_browser(story: &mut Story, cast: &Cast) -> Uuid {
    story.log_in(&cast.clerk_email, "clerk").await;
    story.open("/cases/new", "clerk-referral-form").await;
    story
        .fill("#referral [name=court_case_number]", "2-778/2026")
        .await;
    story
        .select("#referral select[name=category]", "family")
        .await;
    story
        .fill(
            "#referral [name=summary]",
            "Division of property after divorce",
        )
        .await;
    story.set_value("#referral [name=language]", "ru").await;
    story
        .set_value("#referral [name=mediation_deadline]", &deadline())
        .await;
    for (i, (role, name, email, iin, lang)) in [
        ("claimant", "Айгерим Сапарова", CLAIMANT_EMAIL, IIN_A, "ru"),
        (
            "respondent",
            "Serik Nurlanov",
            RESPONDENT_EMAIL,
            IIN_B,
            "en",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        story
            .set_value(&format!("#referral [name=party{i}_role]"), role)
            .await;
        story
            .fill(&format!("#referral [name=party{i}_name]"), name)
            .await;
        story
            .fill(&format!("#referral [name=party{i}_email]"), email)
            .await;
        story
            .fill(&format!("#referral [name=party{i}_iin_bin]"), iin)
            .await;
        story
            .set_value(&format!("#referral [name=party{i}_language]"), lang)
            .await;
    }
    let url = story
        .submit("#refer", "clerk-case", |u| {
            u.contains("/cases/") && !u.ends_with("/new")
        })
        .await;
    let case: Uuid = url
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a case page after the referral: {url}"));
    story
        .submit("#matches-link", "clerk-matches", |u| {
            u.ends_with("/matches")
        })
        .await;
    story
        .submit("form.propose button", "clerk-proposed", |u| {
            u.contains(&case.to_string())
        })
        .await;
    story.log_out().await;
    case
}

/// The mediator's and the party's part, in the browser, up to the
/// submitted settlement. Returns the session id.
async fn mediator_and_party(story: &mut Story, cast: &Cast, case: Uuid) -> Uuid {
    // The mediator accepts the referral and books a free slot.
    story.log_in(&cast.mediator_email, "mediator").await;
    let accept = format!("form.accept[action='/cases/{case}/assignment/accept'] button");
    story
        .submit(&accept, "mediator-book", |u| u.ends_with("/book"))
        .await;
    // The week calendar draws the free times; the mediator picks the
    // first drawn (the week of tomorrow has a whole free day ahead) and
    // books it from the booking page it leads to.
    let tomorrow = (Utc::now() + Span::days(1)).date_naive();
    story
        .open(
            &format!("/calendar?view=week&date={tomorrow}"),
            "mediator-week-free",
        )
        .await;
    story
        .submit("a.free", "mediator-book-picked", |u| {
            u.contains("/book?") && u.contains("starts_at=")
        })
        .await;
    let url = story
        .submit("#picked-slot button", "mediator-session", |u| {
            u.contains("/sessions/")
        })
        .await;
    let session: Uuid = url
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a session page after booking: {url}"));
    let answers = story.text_of("table").await;
    assert!(
        answers.contains("no answer yet"),
        "each recipient's answer in words: {answers}"
    );
    // The calendars show it; the hours page takes time off.
    let day = story
        .driver
        .run("return new Date().toISOString().slice(0, 10)", vec![])
        .await;
    let day = day.as_str().unwrap_or_default().to_owned();
    story
        .open(&format!("/calendar?view=week&date={day}"), "mediator-week")
        .await;
    story
        .open(
            &format!("/calendar?view=month&date={day}"),
            "mediator-month",
        )
        .await;
    story.open("/availability", "mediator-availability").await;
    let soon = Utc::now() + Span::days(60);
    story
        .set_value("#starts_at", &format!("{}T09:00", soon.date_naive()))
        .await;
    story
        .set_value("#ends_at", &format!("{}T18:00", soon.date_naive()))
        .await;
    story.fill("#note", "Conference").await;
    story
        .submit("#time-off button", "mediator-time-off-added", |u| {
            u.ends_with("/availability")
        })
        .await;
    assert!(story.page_text().await.contains("Conference"));
    // From here on the mediator reads Kazakh (remembered in the account).
    story.select("#language-choice", "kk").await;
    story
        .submit("form[action='/language'] button", "mediator-kazakh", |u| {
            u.ends_with("/availability")
        })
        .await;
    story
        .open(
            &format!("/calendar?view=week&date={day}"),
            "mediator-week-kk",
        )
        .await;
    let text = story.page_text().await;
    assert!(
        text.contains("Уақыт Алматы уақыты бойынша көрсетілген."),
        "the week in Kazakh: {text}"
    );
    story.log_out().await;

    // The party opens the link from their email, on a phone, and accepts.
    let link = story.link_from_email(RESPONDENT_EMAIL).await;
    story.driver.set_window(360, 780).await;
    story.open(&link, "party-invited").await;
    let before = story.text_of(".answer").await;
    story
        .submit("form.rsvp button[value=accepted]", "party-accepted", |u| {
            u.ends_with(&link)
        })
        .await;
    let after = story.text_of(".answer").await;
    assert_ne!(before, after, "the answer shown changed");
    assert_eq!(after, "will attend", "the answer in words");
    let ics = story
        .driver
        .attr(&story.driver.find("a.ics").await, "href")
        .await;
    let resp = story
        .app
        .client
        .get(story.url(&ics))
        .send()
        .await
        .expect("the .ics");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.expect("text").contains("BEGIN:VCALENDAR"));
    story.driver.set_window(1280, 900).await;

    // Time passes: the session is over.
    let start = Utc::now() - Span::hours(2);
    entity::sessions::Entity::update_many()
        .col_expr(entity::sessions::Column::StartsAt, Expr::value(start))
        .col_expr(
            entity::sessions::Column::EndsAt,
            Expr::value(start + Span::hours(1)),
        )
        .filter(entity::sessions::Column::Id.eq(session))
        .exec(&story.app.db)
        .await
        .expect("the session moved into the past");

    // The mediator records attendance and the settlement, and submits it.
    story.log_in(&cast.mediator_email, "mediator-again").await;
    story
        .open(&format!("/sessions/{session}"), "mediator-after-session")
        .await;
    story
        .submit("#save-attendance", "mediator-attendance", |u| {
            u.ends_with(&format!("/sessions/{session}"))
        })
        .await;
    assert!(story.find_exists("#attendance-recorded").await);
    story
        .open(&format!("/cases/{case}/outcome"), "mediator-outcome-form")
        .await;
    story.select("#result", "settled").await;
    story
        .fill(
            "#term0_text",
            "The respondent pays the claimant 500 000 tenge.",
        )
        .await;
    let due = (Utc::now() + Span::days(30)).date_naive().to_string();
    story.set_value("#term0_due_date", &due).await;
    let respondent = story
        .driver
        .run(
            "return document.querySelector('#term0_party option:nth-child(3)').value",
            vec![],
        )
        .await;
    story
        .select("#term0_party", respondent.as_str().unwrap_or_default())
        .await;
    story
        .submit("#add-term", "mediator-outcome-two-terms", |u| {
            u.ends_with("/outcome")
        })
        .await;
    story
        .fill("#term1_text", "The parties withdraw their claims.")
        .await;
    // Enter in the last field saves the outcome (the form's main action),
    // not "add a term".
    story
        .type_and_enter(
            "#signed_at_place",
            "Almaty",
            "mediator-outcome-recorded",
            |u| u.ends_with("/outcome"),
        )
        .await;
    assert!(
        story.find_exists("#submit-outcome").await,
        "the outcome was recorded: {}",
        story.page_text().await
    );
    story
        .submit(
            "#submit-outcome button",
            "mediator-outcome-submitted",
            |u| u.ends_with("/outcome"),
        )
        .await;
    assert!(!story.find_exists("#submit-outcome").await);
    story.log_out().await;
    session
}

impl Story {
    async fn find_exists(&self, css: &str) -> bool {
        !self.driver.find_all(css).await.is_empty()
    }
}

/// The party downloads the registered agreement from their page.
async fn party_downloads_the_agreement(story: &mut Story) {
    let link = story.link_from_email(RESPONDENT_EMAIL).await;
    story.driver.set_window(360, 780).await;
    story.open(&link, "party-agreement").await;
    let href = story
        .driver
        .attr(&story.driver.find("a#document").await, "href")
        .await;
    let resp = story
        .app
        .client
        .get(story.url(&href))
        .send()
        .await
        .expect("the PDF");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().contains_key("x-content-sha256"));
    let bytes = resp.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    story.driver.set_window(1280, 900).await;
}

async fn end(story: Story) {
    let (driver, problems) = story.finish();
    driver.quit().await;
    assert!(
        problems.is_empty(),
        "page checks failed:\n  {}",
        problems.join("\n  ")
    );
}

/// The whole story in the browser: the clerk refers a case and proposes a
/// matched mediator on the clerk's pages; the mediator accepts and books;
/// the party answers from the emailed link; the mediator records
/// attendance and a settlement and submits it; the clerk registers it; the
/// party downloads the agreement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, ChromeDriver and axe-core: cargo test --test browser -- --ignored"]
async fn the_whole_story_in_the_browser() {
    let mut story = Story::begin("story").await;
    let cast = cast(&story.app).await;
    let case = clerk_refers_in_the_browser(&mut story, &cast).await;
    mediator_and_party(&mut story, &cast, case).await;
    story.log_in(&cast.clerk_email, "clerk-again").await;
    story
        .open(&format!("/cases/{case}"), "clerk-submitted")
        .await;
    story
        .fill(
            "#register input[name=court_registration_number]",
            "R-2026/15",
        )
        .await;
    story
        .submit("#register button", "clerk-registered", |u| {
            u.contains(&case.to_string())
        })
        .await;
    story.log_out().await;
    party_downloads_the_agreement(&mut story).await;
    end(story).await;
}

/// The same story with the clerk's steps through the JSON API (referral,
/// proposal, registration) and everything else in the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, ChromeDriver and axe-core: cargo test --test browser -- --ignored"]
async fn the_mediator_and_the_party_in_the_browser_with_the_clerk_on_the_api() {
    let mut story = Story::begin("api-clerk").await;
    let cast = cast(&story.app).await;
    let case = clerk_refers_through_the_api(&story.app, &cast).await;
    mediator_and_party(&mut story, &cast, case).await;
    let resp = story
        .app
        .post(
            &format!("/api/v1/cases/{case}/outcome/registration"),
            Some(&cast.clerk_token),
            json!({"decision": "registered", "court_registration_number": "R-2026/16"}),
        )
        .await;
    assert!(
        resp.status().is_success(),
        "registration: {}",
        resp.status()
    );
    party_downloads_the_agreement(&mut story).await;
    end(story).await;
}

/// The pages work with the keyboard alone: Tab reaches the skip link
/// first, and the focused element is drawn with a visible outline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, ChromeDriver and axe-core: cargo test --test browser -- --ignored"]
async fn the_keyboard_reaches_the_skip_link_and_focus_is_visible() {
    let mut story = Story::begin("keyboard").await;
    story.open("/login", "login").await;
    story.press("\u{E004}").await;
    let focused = story
        .driver
        .run(
            "const e = document.activeElement; const s = getComputedStyle(e);\
             return {cls: e.className, outline: s.outlineStyle, width: s.outlineWidth}",
            vec![],
        )
        .await;
    assert_eq!(focused["cls"], "skip", "Tab lands on the skip link first");
    assert_ne!(focused["outline"], "none", "focus is visible: {focused}");
    story.check("login-focused").await;
    // The check does catch a violation: an image with no text alternative.
    story
        .driver
        .run(
            "const i = document.createElement('img'); i.src = 'data:,';\
             document.querySelector('main').appendChild(i); return true;",
            vec![],
        )
        .await;
    let found = story.axe().await;
    assert!(
        found.iter().any(|v| v.contains("image-alt")),
        "axe reports the image: {found:?}"
    );
    end(story).await;
}

impl Story {
    async fn press(&self, keys: &str) {
        self.driver.press(keys).await;
    }
}
