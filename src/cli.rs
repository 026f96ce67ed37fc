//! The command line: `kelisim serve | migrate | user add | mediators import | demo`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::config::Settings;
use crate::mail::transport::Transport;
use crate::services::audit::Actor;
use crate::services::users::{NewUser, NewUserInput};
use crate::{Application, db, demo, migrate, services, shutdown_signal, telemetry};

/// Kelisim: courts refer disputes to mediation; Kelisim matches mediators,
/// schedules sessions, sends calendar invitations and records outcomes.
///
/// Settings come from defaults, then ./kelisim.toml (or --config), then
/// KELISIM_* environment variables, e.g. KELISIM_DATABASE_URL, KELISIM_BIND,
/// KELISIM_SMTP_URL, KELISIM_LOG.
#[derive(Debug, Parser)]
#[command(name = "kelisim", version)]
pub struct Cli {
    /// Configuration file (default: ./kelisim.toml if it exists).
    #[arg(long, global = true, env = "KELISIM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve the API, the web UI and the
    /// scheduled jobs until Ctrl-C or SIGTERM (requests in flight finish first).
    /// With nothing configured: http://127.0.0.1:8080, SQLite at
    /// ./data/kelisim.db, emails as .eml files in ./data/mail/.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The mediator registry.
    Mediators {
        #[command(subcommand)]
        command: MediatorsCommand,
    },
    /// Load a small, realistic demo data set into an empty database — two
    /// courts, 30 mediators, 20 cases in every stage, sessions in the coming
    /// week — and print how to log in. Every demo account has one random
    /// password made for this run and printed once; every address is on a
    /// reserved domain. Refuses to touch a database that already holds a
    /// court.
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum MediatorsCommand {
    /// Import the registry from a CSV file with a header row:
    /// registry_number, name, email, kind, certified_until, specialties,
    /// languages, court_codes, max_active_cases, timezone[, status].
    /// Lists are separated by ';', courts are given by code. Every bad row is
    /// reported with its line; nothing is imported when a row is bad unless
    /// --skip-bad-rows is given. The registry number is the key, so importing
    /// the same file again changes nothing.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Import the good rows and report the bad ones.
        #[arg(long)]
        skip_bad_rows: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user account. The password is read from standard input, so it
    /// never appears in the shell history or the process list:
    ///   echo 'a long password' | kelisim user add --role admin --email a@court.kz --name 'A. Admin' --password-stdin
    Add {
        /// admin, clerk or mediator.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        /// Full name as shown to others.
        #[arg(long)]
        name: String,
        /// The court of a clerk (required for clerks).
        #[arg(long, value_name = "UUID")]
        court_id: Option<Uuid>,
        /// Language of the user's emails and pages: kk, ru or en.
        #[arg(long, default_value = "ru")]
        language: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Runs the command line; errors are printed with their causes.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(&settings.log, &settings.log_format);
    match cli.command {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Demo => {
            let conn = db::connect(&settings).await?;
            migrate(&conn).await?;
            // Checked before anything else, so a refusal changes nothing.
            let courts = demo::existing_courts(&conn).await?;
            if courts > 0 {
                anyhow::bail!(
                    "this database already holds {courts} court(s); `kelisim demo` loads its data \
                     into an empty database only, and loaded nothing. Point it at a fresh one, \
                     e.g. KELISIM_DATABASE_URL=sqlite://./data/demo.db kelisim demo"
                );
            }
            eprintln!("loading the demo data…");
            let summary = demo::load(&conn, &settings).await?;
            // Written into the spool folder now, so that the emails of the
            // demo can be read before the service first runs.
            let spooled = if settings.smtp().is_none() {
                std::fs::create_dir_all(&settings.mail_spool_dir).with_context(|| {
                    format!(
                        "creating the mail spool folder {}",
                        settings.mail_spool_dir.display()
                    )
                })?;
                let transport = Transport::from_settings(&settings)?;
                Some(services::delivery::drain(&conn, &settings, &transport).await?)
            } else {
                None
            };
            print_demo(&settings, &summary, spooled);
            Ok(())
        }
        Command::Migrate => {
            let conn = db::connect(&settings).await?;
            migrate(&conn).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Mediators {
            command:
                MediatorsCommand::Import {
                    file,
                    skip_bad_rows,
                },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let conn = db::connect(&settings).await?;
            migrate(&conn).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} mediators")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress_bar = bar.clone();
            let report = services::registry_import::import(
                &conn,
                Actor::System,
                &text,
                skip_bad_rows,
                &move |done, total| {
                    progress_bar.set_length(total);
                    progress_bar.set_position(done);
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!(describe(&e)))?;
            bar.finish_and_clear();
            for e in &report.errors {
                eprintln!("line {}: {}: {}", e.line, e.column, e.message);
            }
            if !report.applied {
                anyhow::bail!(
                    "{} bad row(s); nothing was imported (use --skip-bad-rows to import the others)",
                    report.errors.len()
                );
            }
            println!(
                "created {}, updated {}, unchanged {}, skipped {}",
                report.created, report.updated, report.unchanged, report.skipped
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    role,
                    email,
                    name,
                    court_id,
                    language,
                    password_stdin: _,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.lines().next().unwrap_or_default().to_owned();
            let new = NewUser::parse(NewUserInput {
                email,
                name,
                role,
                court_id,
                language,
                password,
            })
            .map_err(|e| anyhow::anyhow!(describe(&e)))?;
            let conn = db::connect(&settings).await?;
            migrate(&conn).await?;
            let user = services::users::create(&conn, Actor::System, new)
                .await
                .map_err(|e| anyhow::anyhow!(describe(&e)))?;
            println!("created {} {} ({})", user.role, user.id, user.email);
            Ok(())
        }
    }
}

fn print_demo(settings: &Settings, s: &demo::DemoSummary, spooled: Option<usize>) {
    let base = settings.public_base();
    let statuses: Vec<String> = s
        .cases_by_status
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    println!("Demo data loaded:");
    println!("  {} courts: {}", s.courts.len(), s.courts.join("; "));
    println!(
        "  {} rooms, {} mediators, {} cases ({}), {} sessions in the coming week, {} emails",
        s.rooms,
        s.mediators,
        s.cases,
        statuses.join(", "),
        s.sessions,
        s.emails
    );
    println!();
    println!(
        "Start the service with `kelisim serve`; it answers at {base} (API: {base}/api/docs)."
    );
    println!("Every demo account has the password: {}", s.password);
    println!();
    for login in &s.logins {
        println!(
            "  {:<9} {:<34} {} — {}",
            login.role.as_str(),
            login.email,
            login.name,
            login.detail
        );
    }
    let clerk = s
        .logins
        .iter()
        .find(|l| l.role == crate::domain::Role::Clerk)
        .map_or("clerk@example", |l| l.email.as_str());
    println!();
    println!("Get a token, then list the clerk's cases:");
    println!(
        "  curl -s {base}/api/v1/auth/token -H 'content-type: application/json' \\\n      \
         -d '{{\"email\":\"{clerk}\",\"password\":\"{}\"}}'",
        s.password
    );
    println!("  curl -s {base}/api/v1/cases -H \"authorization: Bearer $TOKEN\"");
    if let Some(link) = &s.party_link {
        println!();
        println!("A party's own page (parties have no account; the link is in their emails):");
        println!("  {link}");
    }
    if let Some(link) = &s.agreement_link {
        println!();
        println!(
            "A party whose settlement agreement the court registered (download the PDF there):"
        );
        println!("  {link}");
        println!("  {link}/document.pdf");
    }
    println!();
    match spooled {
        Some(n) => println!(
            "Emails: {n} messages (one per recipient, invitations with calendar parts) are in \
             the spool folder {} as .eml files.",
            settings.mail_spool_dir.display()
        ),
        None => println!(
            "Emails: {} messages wait in the outbox; `kelisim serve` sends them over SMTP \
             (every address is on a reserved .example domain).",
            s.emails
        ),
    }
}

/// A problem as one line for the terminal.
fn describe(err: &crate::error::AppError) -> String {
    let p = err.to_problem();
    if p.errors.is_empty() {
        p.detail
    } else {
        p.errors
            .iter()
            .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
