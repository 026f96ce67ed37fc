//! What an operator scrapes at `/metrics` (Prometheus text format): request
//! latency by route, scheduled job runs and failures, the outbox's depth by
//! status and the database pool's use.
//!
//! Rule: labels are route templates and fixed names, never a raw path or
//! anything a user typed (paths carry party tokens and feed secrets, and
//! free values would grow the series without bound). One registry per
//! application, held in `AppState`, so instances in one process (tests) do
//! not mix their figures.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Upper bounds of the latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The matched route template (`/p/{token}`), or `unmatched`.
    route: String,
    /// `2xx`, `4xx`, `5xx`…
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The application's metrics.
pub struct Metrics {
    registry: Registry,
    requests: HistogramFamily,
    job_runs: Family<JobLabels, Counter>,
    job_failures: Family<JobLabels, Counter>,
    outbox: Family<StatusLabels, Gauge>,
    pool_size: Gauge,
    pool_idle: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// What is read from the database when scraped.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Outbox messages by delivery status.
    pub outbox: Vec<(String, u64)>,
    /// Connections open in the pool, and of those idle.
    pub pool_size: u32,
    pub pool_idle: u32,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kelisim");
        let requests: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status class",
            requests.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_runs",
            "Scheduled job runs this instance did (it held the job's lease)",
            job_runs.clone(),
        );
        let job_failures = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_failures",
            "Scheduled job runs that ended in an error",
            job_failures.clone(),
        );
        let outbox = Family::<StatusLabels, Gauge>::default();
        registry.register(
            "outbox_messages",
            "Messages in the outbox, by delivery status",
            outbox.clone(),
        );
        let pool_size = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            pool_size.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Database connections open in the pool and idle",
            pool_idle.clone(),
        );
        Self {
            registry,
            requests,
            job_runs,
            job_failures,
            outbox,
            pool_size,
            pool_idle,
        }
    }

    /// One answered request. `route` is the matched template, if any.
    pub fn observe_request(&self, method: &str, route: Option<&str>, status: u16, took: Duration) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.unwrap_or("unmatched").to_owned(),
            status: format!("{}xx", status / 100),
        };
        self.requests
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// One run of a scheduled job by this instance.
    pub fn job_ran(&self, job: &str, failed: bool) {
        let labels = JobLabels {
            job: job.to_owned(),
        };
        self.job_runs.get_or_create(&labels).inc();
        if failed {
            self.job_failures.get_or_create(&labels).inc();
        }
    }

    /// The text a scrape answers, with the database figures of `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        self.outbox.clear();
        for (status, n) in &snapshot.outbox {
            self.outbox
                .get_or_create(&StatusLabels {
                    status: status.clone(),
                })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        self.pool_size.set(i64::from(snapshot.pool_size));
        self.pool_idle.set(i64::from(snapshot.pool_idle));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_has_each_family_with_its_labels_and_counts() {
        let m = Metrics::new();
        m.observe_request("GET", Some("/p/{token}"), 200, Duration::from_millis(3));
        m.observe_request("GET", None, 404, Duration::from_millis(1));
        m.job_ran("reminders", false);
        m.job_ran("reminders", true);
        let text = m.render(&Snapshot {
            outbox: vec![("pending".into(), 4), ("sent".into(), 9)],
            pool_size: 5,
            pool_idle: 3,
        });
        assert!(text.contains(
            "kelisim_http_request_duration_seconds_count{method=\"GET\",route=\"/p/{token}\",status=\"2xx\"} 1"
        ), "{text}");
        assert!(text.contains(
            "kelisim_http_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",route=\"/p/{token}\",status=\"2xx\"} 1"
        ), "{text}");
        assert!(text.contains(
            "kelisim_http_request_duration_seconds_bucket{le=\"0.0025\",method=\"GET\",route=\"/p/{token}\",status=\"2xx\"} 0"
        ), "{text}");
        assert!(
            text.contains("route=\"unmatched\",status=\"4xx\""),
            "{text}"
        );
        assert!(
            text.contains("kelisim_job_runs_total{job=\"reminders\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("kelisim_job_failures_total{job=\"reminders\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("kelisim_outbox_messages{status=\"pending\"} 4"),
            "{text}"
        );
        assert!(
            text.contains("kelisim_outbox_messages{status=\"sent\"} 9"),
            "{text}"
        );
        assert!(text.contains("kelisim_db_pool_connections 5"), "{text}");
        assert!(
            text.contains("kelisim_db_pool_idle_connections 3"),
            "{text}"
        );
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }
}
