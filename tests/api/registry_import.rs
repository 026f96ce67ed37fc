//! Importing the mediator registry from CSV, over HTTP and from the CLI.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{TestApp, error_fields, problem, spawn_app};

pub(crate) const HEADER: &str = "registry_number,name,email,kind,certified_until,specialties,languages,court_codes,max_active_cases,timezone,status\n";

pub(crate) fn good_file() -> String {
    format!(
        "{HEADER}KZ-A1,Dana Serikova,dana@m.kz,professional,2030-01-31,civil;family,kk;ru,IMP-1,10,Asia/Almaty,active\n\
         KZ-A2,Erlan Ospanov,erlan@m.kz,public,2029-06-30,labour,ru,IMP-1,5,Asia/Almaty,\n\
         KZ-A3,Aruzhan Bek,aru@m.kz,professional,2031-03-01,juvenile;family,kk;en,IMP-1,8,Asia/Aqtobe,active\n"
    )
}

async fn import(app: &TestApp, text: &str, skip: bool) -> reqwest::Response {
    app.client
        .post(format!(
            "{}/api/v1/admin/mediators/import?skip_bad_rows={skip}",
            app.address
        ))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(text.to_owned())
        .send()
        .await
        .expect("sent")
}

async fn mediator_count(app: &TestApp) -> usize {
    let list: Value = app
        .get("/api/v1/mediators?limit=200", Some(&app.admin_token))
        .await
        .json()
        .await
        .expect("json");
    list["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    app.create_court("IMP-1").await;
    let first: Value = import(&app, &good_file(), false)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (first["created"].as_u64(), first["unchanged"].as_u64()),
        (Some(3), Some(0))
    );
    let second: Value = import(&app, &good_file(), false)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            second["created"].as_u64(),
            second["updated"].as_u64(),
            second["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(mediator_count(&app).await, 3);
    // A changed row updates that mediator only.
    let changed = good_file().replace(
        "KZ-A2,Erlan Ospanov,erlan@m.kz,public,2029-06-30",
        "KZ-A2,Erlan Ospanov,erlan@m.kz,public,2032-06-30",
    );
    let third: Value = import(&app, &changed, false)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (third["updated"].as_u64(), third["unchanged"].as_u64()),
        (Some(1), Some(2))
    );
}

#[tokio::test]
async fn a_bad_row_stops_the_whole_import_and_is_named_by_line() {
    let app = spawn_app().await;
    app.create_court("IMP-1").await;
    let bad = format!(
        "{}KZ-A4,Bad Email,nope,professional,2030-01-31,civil,kk,IMP-1,10,Asia/Almaty,active\n\
         KZ-A5,Unknown Court,u@m.kz,professional,2030-01-31,civil,kk,NOPE-9,10,Asia/Almaty,active\n",
        good_file()
    );
    let p = problem(
        import(&app, &bad, false).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["line 5: email", "line 6: court_codes"]);
    assert_eq!(mediator_count(&app).await, 0, "nothing imported");

    let resp = import(&app, &bad, true).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let report: Value = resp.json().await.expect("json");
    assert_eq!(
        (report["created"].as_u64(), report["skipped"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(2));
    assert_eq!(mediator_count(&app).await, 3);
}

#[tokio::test]
async fn a_file_without_the_needed_columns_is_refused() {
    let app = spawn_app().await;
    let p = problem(
        import(&app, "registry_number,name\nKZ-1,Dana\n", true).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["line 1: header"]);
}

#[tokio::test]
async fn the_cli_imports_a_registry_file_and_reports_bad_rows() {
    let app = spawn_app().await;
    app.create_court("IMP-1").await;
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("registry.csv");
    std::fs::write(&good, good_file()).expect("write");
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{HEADER}KZ-B1,X,x@m.kz,professional,2030-01-31,civil,xx,IMP-1,10,Asia/Almaty,\n"),
    )
    .expect("write");
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kelisim"))
            .args(["mediators", "import"])
            .arg(file)
            .env("KELISIM_DATABASE_URL", &app.database.url)
            .env("KELISIM_LOG", "warn")
            .current_dir(dir.path())
            .output()
            .expect("ran")
    };
    let out = run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created 3"));
    let out = run(&bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: languages"), "{err}");
    assert_eq!(mediator_count(&app).await, 3);
}
