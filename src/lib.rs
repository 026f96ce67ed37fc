//! Kelisim: court-connected mediation scheduling.
//!
//! [`Application::build`] opens the database, applies migrations and binds the
//! listener; [`Application::run_until_stopped`] serves until a shutdown signal.
//! Data flows one way: `http → services → domain`, `services → entity`.

#[cfg(test)]
mod architecture;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod metrics;
#[cfg(test)]
mod proptests;
pub mod services;
pub mod state;
pub mod telemetry;

pub use state::AppState;

use std::future::{Future, IntoFuture};
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::Settings;

/// A built service, ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, migrates and binds `settings.bind` (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings).await?;
        migrate(&db).await?;
        if settings.smtp().is_none() {
            std::fs::create_dir_all(&settings.mail_spool_dir).with_context(|| {
                format!(
                    "creating the mail spool folder {}",
                    settings.mail_spool_dir.display()
                )
            })?;
        }
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("listening on {}", settings.bind))?;
        let state = AppState::new(db, settings)?;
        Ok(Self { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self
            .listener
            .local_addr()
            .context("reading the bound address")?;
        tracing::info!(%addr, "serving");
        let app = http::router(self.state.clone());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let transport = mail::transport::Transport::from_settings(&self.state.settings)?;
        let intake = jobs::mail_intake::spawn(self.state.clone(), stop_rx.clone());
        let delivery = tokio::spawn(services::delivery::run(
            self.state.db.clone(),
            self.state.settings.clone(),
            transport,
            stop_rx,
        ));
        let mut scheduler = jobs::start(self.state.clone()).await?;
        let grace = Duration::from_secs(self.state.settings.shutdown_grace_seconds);
        let (asked_tx, mut asked_rx) = tokio::sync::watch::channel(false);
        let serve = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = asked_tx.send(true);
        })
        .into_future();
        // From the moment shutdown is asked, requests in flight and the
        // delivery round in progress share one grace period.
        let deadline = async move {
            let _ = asked_rx.wait_for(|asked| *asked).await;
            tokio::time::Instant::now() + grace
        };
        tokio::pin!(serve, deadline);
        let (served, by) = tokio::select! {
            served = &mut serve => (served.context("serving HTTP"), None),
            by = &mut deadline => (Ok(()), Some(by)),
        };
        let by = match by {
            Some(by) => {
                // Asked to stop: let requests finish until the deadline.
                match tokio::time::timeout_at(by, &mut serve).await {
                    Ok(served) => served.context("serving HTTP")?,
                    Err(_) => tracing::warn!("grace period over; closing requests still open"),
                }
                by
            }
            None => tokio::time::Instant::now() + grace,
        };
        let _ = stop_tx.send(true);
        // An idle worker stops at once; it gets that moment even when the
        // requests used the whole grace period.
        let by = by.max(tokio::time::Instant::now() + Duration::from_millis(500));
        if tokio::time::timeout_at(by, delivery).await.is_err() {
            // Messages it had claimed go out again once their lease ends.
            tracing::warn!("grace period over; the delivery round in progress was left");
        }
        if let Some(intake) = intake
            && tokio::time::timeout_at(by, intake).await.is_err()
        {
            // A message it was handling is handled again by the next reader:
            // nothing was committed, or its claim is already there.
            tracing::warn!("grace period over; the reply mailbox round in progress was left");
        }
        if let Err(e) = scheduler.shutdown().await {
            tracing::warn!(error = %e, "stopping the scheduler");
        }
        served?;
        self.state.db.clone().close().await.ok();
        tracing::info!("stopped");
        Ok(())
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying database migrations")
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
