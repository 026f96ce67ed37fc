//! The command line: `kelisim serve | migrate | user add`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::config::Settings;
use crate::http::users::{CreateUser, parse_new_user};
use crate::services::audit::Actor;
use crate::{Application, db, migrate, services, shutdown_signal, telemetry};

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
        Command::Migrate => {
            let conn = db::connect(&settings).await?;
            migrate(&conn).await?;
            println!("migrations applied");
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
            let new = parse_new_user(CreateUser {
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
