//! Login limits: counted before the password is checked, per account and
//! client network, per network and (looser) per account, shared through the
//! database by every instance, and never a 500.

use std::collections::BTreeMap;
use std::time::Duration;

use kelisim::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{PASSWORD, TestApp, spawn_app_with, wait_until};

const ADMIN: &str = "admin@kelisim.test";
const WRONG: &str = "not the password at all";

/// Settings of an instance behind a proxy on 127.0.0.1, so that tests can
/// name the client in `X-Forwarded-For`.
fn behind_proxy(s: &mut Settings) {
    s.trusted_proxies = vec!["127.0.0.1".into()];
}

/// One login attempt to `base` from `client` (none: the peer itself);
/// returns its status and `Retry-After`.
async fn attempt(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
    client: Option<&str>,
) -> (StatusCode, Option<u64>) {
    let mut req = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"email": email, "password": password}));
    if let Some(c) = client {
        req = req.header("x-forwarded-for", c);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").parse().expect("seconds"));
    if status.is_client_error() || status.is_server_error() {
        let ct = resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert_eq!(ct, "application/problem+json");
    }
    (status, retry_after)
}

/// `n` attempts at once, spread over `bases`; the count of each status.
async fn at_once(
    http: &reqwest::Client,
    bases: &[String],
    n: usize,
    email: &str,
    password: &str,
    client: &str,
) -> BTreeMap<u16, usize> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let http = http.clone();
        let base = bases[i % bases.len()].clone();
        let (email, password, client) = (email.to_owned(), password.to_owned(), client.to_owned());
        set.spawn(async move { attempt(&http, &base, &email, &password, Some(&client)).await });
    }
    let mut counts = BTreeMap::new();
    while let Some(done) = set.join_next().await {
        let (status, retry_after) = done.expect("joined");
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after.expect("a 429 has Retry-After");
            assert!((1..=300).contains(&wait), "Retry-After {wait}");
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(retry_after, Some(1), "a 503 has Retry-After");
        }
        *counts.entry(status.as_u16()).or_insert(0) += 1;
    }
    counts
}

fn counts(pairs: &[(u16, usize)]) -> BTreeMap<u16, usize> {
    pairs.iter().copied().collect()
}

#[tokio::test]
async fn parallel_wrong_guesses_stop_exactly_at_the_limit() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.login_max_failures = 5;
    })
    .await;
    let got = at_once(
        &app.client,
        std::slice::from_ref(&app.address),
        20,
        ADMIN,
        WRONG,
        "198.51.100.1",
    )
    .await;
    assert_eq!(got, counts(&[(401, 5), (429, 15)]));
    // The limit holds for the right password too, from that network...
    let (status, retry_after) = attempt(
        &app.client,
        &app.address,
        ADMIN,
        PASSWORD,
        Some("198.51.100.1"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some_and(|s| (1..=300).contains(&s)));
    // ...but not from another.
    let (status, _) = attempt(
        &app.client,
        &app.address,
        ADMIN,
        PASSWORD,
        Some("198.51.100.2"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn instances_on_one_database_share_the_counters() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.login_max_failures = 4;
    })
    .await;
    // A second instance on the same database.
    let mut settings = app.settings.clone();
    settings.bind.set_port(0);
    let second = kelisim::Application::build(settings)
        .await
        .expect("a second instance");
    let second_base = format!("http://127.0.0.1:{}", second.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let bases = [app.address.clone(), second_base];
    let got = at_once(&app.client, &bases, 12, ADMIN, WRONG, "198.51.100.3").await;
    assert_eq!(got, counts(&[(401, 4), (429, 8)]));
    let _ = stop.send(());
    server.await.expect("joined").expect("stopped");
}

#[tokio::test]
async fn one_network_guessing_at_many_accounts_is_stopped() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.login_max_failures_per_address = 6;
    })
    .await;
    for i in 0..6 {
        let (status, _) = attempt(
            &app.client,
            &app.address,
            &format!("someone-{i}@kelisim.test"),
            WRONG,
            Some("203.0.113.7"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    for (email, password) in [("someone-new@kelisim.test", WRONG), (ADMIN, PASSWORD)] {
        let (status, retry_after) = attempt(
            &app.client,
            &app.address,
            email,
            password,
            Some("203.0.113.7"),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(retry_after.is_some());
    }
    // An IPv6 neighbour in the same /64 is the same network.
    behind_proxy_v6_same_network(&app).await;
    // Another network is not affected.
    let (status, _) = attempt(
        &app.client,
        &app.address,
        ADMIN,
        PASSWORD,
        Some("203.0.113.8"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

async fn behind_proxy_v6_same_network(app: &TestApp) {
    for i in 0..6 {
        let (status, _) = attempt(
            &app.client,
            &app.address,
            &format!("v6-{i}@kelisim.test"),
            WRONG,
            Some(&format!("2001:db8:7:7::{:x}", i + 1)),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "v6 guess {i}");
    }
    let (status, _) = attempt(
        &app.client,
        &app.address,
        ADMIN,
        PASSWORD,
        Some("2001:db8:7:7:ffff::1"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_owner_logs_in_from_a_known_network_while_the_account_is_attacked() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.login_max_failures = 3;
        s.login_max_failures_per_account = 8;
    })
    .await;
    // The owner's office, known by an earlier login.
    let (status, _) = attempt(
        &app.client,
        &app.address,
        ADMIN,
        PASSWORD,
        Some("192.0.2.50"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Four networks guess, three times each: 8 are checked, 4 refused.
    let mut seen = BTreeMap::new();
    for n in 1..=4 {
        for _ in 0..3 {
            let (status, _) = attempt(
                &app.client,
                &app.address,
                ADMIN,
                WRONG,
                Some(&format!("198.18.0.{n}")),
            )
            .await;
            *seen.entry(status.as_u16()).or_insert(0) += 1;
        }
    }
    assert_eq!(seen, counts(&[(401, 8), (429, 4)]));
    // The right password from a network the account never used waits with
    // the attackers (the documented trade-off)...
    let (status, retry_after) = attempt(
        &app.client,
        &app.address,
        ADMIN,
        PASSWORD,
        Some("198.18.0.99"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some());
    // ...from the known office it works, and from the instance's own host
    // (where the test harness logged in first) too.
    for client in [Some("192.0.2.50"), None] {
        let (status, _) = attempt(&app.client, &app.address, ADMIN, PASSWORD, client).await;
        assert_eq!(status, StatusCode::OK, "{client:?}");
    }
}

#[tokio::test]
async fn forwarded_addresses_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(|s| s.login_max_failures = 3).await;
    for i in 0..3 {
        let (status, _) = attempt(
            &app.client,
            &app.address,
            ADMIN,
            WRONG,
            Some(&format!("198.51.100.{i}")),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = attempt(
        &app.client,
        &app.address,
        ADMIN,
        PASSWORD,
        Some("198.51.100.200"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_successful_login_clears_its_networks_counter() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.login_max_failures = 3;
    })
    .await;
    for round in 0..3 {
        for _ in 0..2 {
            let (status, _) =
                attempt(&app.client, &app.address, ADMIN, WRONG, Some("192.0.2.9")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "round {round}");
        }
        let (status, _) = attempt(
            &app.client,
            &app.address,
            ADMIN,
            PASSWORD,
            Some("192.0.2.9"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "round {round}");
    }
}

#[tokio::test]
async fn too_many_password_checks_at_once_are_503_with_retry_after_never_500() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.login_max_concurrent_checks = 1;
        s.login_max_waiting_checks = 0;
        s.login_max_failures = 1000;
        s.login_max_failures_per_address = 1000;
        s.login_max_failures_per_account = 1000;
    })
    .await;
    let got = at_once(
        &app.client,
        std::slice::from_ref(&app.address),
        16,
        ADMIN,
        WRONG,
        "192.0.2.77",
    )
    .await;
    let keys: Vec<u16> = got.keys().copied().collect();
    assert!(
        keys.iter().all(|s| *s == 401 || *s == 503),
        "only 401 and 503: {got:?}"
    );
    assert!(got.get(&401).is_some_and(|n| *n >= 1), "{got:?}");
    assert!(got.get(&503).is_some_and(|n| *n >= 1), "{got:?}");
}

#[tokio::test]
async fn counters_are_purged_when_their_window_is_over() {
    let app = spawn_app_with(|s| {
        behind_proxy(s);
        s.login_window_seconds = 1;
    })
    .await;
    for i in 0..5 {
        let (status, _) = attempt(
            &app.client,
            &app.address,
            &format!("x{i}@kelisim.test"),
            WRONG,
            Some(&format!("198.51.100.{i}")),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    use sea_orm::{EntityTrait, PaginatorTrait};
    let rows = entity::login_throttle::Entity::find()
        .count(&app.db)
        .await
        .expect("count");
    // Each attempt: account, network and pair; the admin's first login
    // left its known network.
    assert_eq!(rows, 5 * 3 + 1);
    let throttle = kelisim::services::auth::LoginGuard::from_settings(&app.settings).throttle;
    let db = &app.db;
    let throttle = &throttle;
    wait_until(
        "the counters to be purged",
        Duration::from_secs(10),
        || async move {
            throttle.purge(db).await.expect("purge");
            entity::login_throttle::Entity::find()
                .count(db)
                .await
                .expect("count")
                == 1
        },
    )
    .await;
    let left = entity::login_throttle::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    assert!(left[0].key.starts_with("known:"));
}
