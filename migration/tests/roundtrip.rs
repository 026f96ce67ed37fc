//! Migration round trip: `up`, `down`, `up` again on a fresh SQLite file and
//! on a freshly created PostgreSQL database that is dropped afterwards (an
//! ignored test, run with `KELISIM_TEST_POSTGRES_URL` set, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`, and `-- --include-ignored`).
//!
//! After each `up` one row is written to every table through the `entity`
//! crate and read back, which checks that entity column names and types match
//! what the migration created. A few constraints (unique, check, foreign keys,
//! ON DELETE actions, column defaults) are exercised as well.

use std::fmt::Debug;

use chrono::{DateTime, NaiveDate, Utc};
use entity::*;
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm_migration::sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait,
    ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

const TABLES: [&str; 29] = [
    "courts",
    "court_closed_days",
    "rooms",
    "users",
    "api_tokens",
    "mediators",
    "mediator_specialties",
    "mediator_languages",
    "mediator_courts",
    "availability_intervals",
    "time_off",
    "conflicts",
    "busy_blocks",
    "cases",
    "parties",
    "assignments",
    "sessions",
    "session_parties",
    "invitations",
    "reminders_sent",
    "outcomes",
    "outbox_messages",
    "audit_log",
    "idempotency_keys",
    "job_locks",
    "service_secrets",
    "party_links",
    "case_facts",
    "report_zone_offsets",
];

#[tokio::test]
async fn sqlite_up_down_up() -> Result<(), DbErr> {
    let path = std::env::temp_dir().join(format!("kelisim-migration-{}.db", Uuid::new_v4()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(url.as_str()).await?;
    let result = roundtrip(&db).await;
    db.close().await?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    result
}

/// Listed as ignored by a plain `cargo test`; run on PostgreSQL with
/// `-- --include-ignored`. Without the URL it fails rather than passing
/// without having checked anything.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with KELISIM_TEST_POSTGRES_URL set and -- --include-ignored"]
async fn postgresql_only_up_down_up() -> Result<(), DbErr> {
    let admin_url = std::env::var("KELISIM_TEST_POSTGRES_URL").unwrap_or_default();
    assert!(
        !admin_url.is_empty(),
        "this test needs PostgreSQL: run it with \
         KELISIM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres"
    );
    let admin = Database::connect(admin_url.as_str()).await?;
    let name = format!("kelisim_migration_{}", Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;

    let result = async {
        let db = Database::connect(with_database(&admin_url, &name).as_str()).await?;
        let result = roundtrip(&db).await;
        db.close().await?;
        result
    }
    .await;

    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin.close().await?;
    result
}

/// `url` with its database name (the path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

async fn roundtrip(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    assert_tables(db, true).await?;
    assert!(Migrator::get_pending_migrations(db).await?.is_empty());
    exercise(db).await?;

    Migrator::down(db, None).await?;
    assert_tables(db, false).await?;
    assert!(Migrator::get_applied_migrations(db).await?.is_empty());

    Migrator::up(db, None).await?;
    assert_tables(db, true).await?;
    exercise(db).await?;
    Ok(())
}

async fn assert_tables(db: &DatabaseConnection, present: bool) -> Result<(), DbErr> {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert_eq!(
            manager.has_table(table).await?,
            present,
            "table {table} present should be {present}"
        );
    }
    Ok(())
}

/// Inserts `model` through its entity and checks it reads back unchanged.
async fn check_row<A>(
    db: &DatabaseConnection,
    model: <A::Entity as EntityTrait>::Model,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + Clone + PartialEq + Debug,
{
    A::Entity::insert(model.clone().into_active_model())
        .exec_without_returning(db)
        .await?;
    let rows = A::Entity::find().all(db).await?;
    assert!(
        rows.contains(&model),
        "row did not read back unchanged:\n{model:?}\nin\n{rows:?}"
    );
    Ok(())
}

fn at(secs: i64) -> DateTime<Utc> {
    // Microsecond precision: what PostgreSQL keeps.
    DateTime::from_timestamp(1_795_000_000 + secs, 123_456_000).expect("valid timestamp")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

async fn exercise(db: &DatabaseConnection) -> Result<(), DbErr> {
    let court = courts::Model {
        id: Uuid::new_v4(),
        code: "ALM-SMAS".into(),
        name: "Specialised Inter-District Court of Almaty".into(),
        timezone: "Asia/Almaty".into(),
        default_language: "kk".into(),
        created_at: at(0),
        updated_at: at(1),
    };
    check_row::<courts::ActiveModel>(db, court.clone()).await?;

    // UNIQUE (code).
    let mut duplicate = court.clone();
    duplicate.id = Uuid::new_v4();
    assert!(
        courts::Entity::insert(duplicate.into_active_model())
            .exec_without_returning(db)
            .await
            .is_err(),
        "duplicate court code must be rejected"
    );

    check_row::<court_closed_days::ActiveModel>(
        db,
        court_closed_days::Model {
            court_id: court.id,
            day: day(2026, 12, 16),
            note: Some("Independence Day".into()),
        },
    )
    .await?;

    let room = rooms::Model {
        id: Uuid::new_v4(),
        court_id: court.id,
        name: "Mediation room 1".into(),
        capacity: 8,
        step_free: true,
        created_at: at(2),
    };
    check_row::<rooms::ActiveModel>(db, room.clone()).await?;

    // Foreign keys are enforced (also on SQLite).
    let mut orphan = room.clone();
    orphan.id = Uuid::new_v4();
    orphan.court_id = Uuid::new_v4();
    orphan.name = "Orphan".into();
    assert!(
        rooms::Entity::insert(orphan.into_active_model())
            .exec_without_returning(db)
            .await
            .is_err(),
        "room for a missing court must be rejected"
    );

    let clerk = users::Model {
        id: Uuid::new_v4(),
        email: "clerk@court.example".into(),
        name: "Clerk".into(),
        role: "clerk".into(),
        court_id: Some(court.id),
        language: "ru".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        active: true,
        created_at: at(3),
        updated_at: at(4),
    };
    check_row::<users::ActiveModel>(db, clerk.clone()).await?;

    // `active` defaults to true when not given.
    let mediator_user_id = Uuid::new_v4();
    users::ActiveModel {
        id: Set(mediator_user_id),
        email: Set("mediator@mediators.example".into()),
        name: Set("Mediator".into()),
        role: Set("mediator".into()),
        court_id: Set(None),
        language: Set("kk".into()),
        password_hash: Set("x".into()),
        active: NotSet,
        created_at: Set(at(5)),
        updated_at: Set(at(5)),
    }
    .insert(db)
    .await?;
    let mediator_user = users::Entity::find_by_id(mediator_user_id)
        .one(db)
        .await?
        .expect("mediator user exists");
    assert!(mediator_user.active, "users.active must default to true");

    check_row::<api_tokens::ActiveModel>(
        db,
        api_tokens::Model {
            id: Uuid::new_v4(),
            user_id: clerk.id,
            token_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            kind: "api".into(),
            created_at: at(6),
            expires_at: at(86_400),
            revoked_at: None,
            last_used_at: Some(at(7)),
        },
    )
    .await?;

    let mediator = mediators::Model {
        id: Uuid::new_v4(),
        user_id: Some(mediator_user.id),
        name: "Aigerim Mediator".into(),
        email: "mediator@mediators.example".into(),
        registry_number: "KZ-MED-0001".into(),
        kind: "professional".into(),
        certified_until: day(2027, 6, 30),
        max_active_cases: 10,
        timezone: "Asia/Almaty".into(),
        status: "active".into(),
        feed_secret_hash: Uuid::new_v4().simple().to_string(),
        external_calendar_url: Some("https://calendar.example/feed.ics".into()),
        external_calendar_error: None,
        external_calendar_fetched_at: Some(at(8)),
        certification_warned_at: None,
        calendar_version: 0,
        created_at: at(9),
        updated_at: at(10),
    };
    check_row::<mediators::ActiveModel>(db, mediator.clone()).await?;
    check_row::<mediator_specialties::ActiveModel>(
        db,
        mediator_specialties::Model {
            mediator_id: mediator.id,
            specialty: "family".into(),
        },
    )
    .await?;
    check_row::<mediator_languages::ActiveModel>(
        db,
        mediator_languages::Model {
            mediator_id: mediator.id,
            language: "kk".into(),
        },
    )
    .await?;
    check_row::<mediator_courts::ActiveModel>(
        db,
        mediator_courts::Model {
            mediator_id: mediator.id,
            court_id: court.id,
        },
    )
    .await?;
    check_row::<availability_intervals::ActiveModel>(
        db,
        availability_intervals::Model {
            id: Uuid::new_v4(),
            mediator_id: mediator.id,
            weekday: 7,
            start_minute: 9 * 60,
            end_minute: 18 * 60,
        },
    )
    .await?;
    check_row::<time_off::ActiveModel>(
        db,
        time_off::Model {
            id: Uuid::new_v4(),
            mediator_id: mediator.id,
            starts_at: at(100),
            ends_at: at(200),
            note: Some("Vacation".into()),
            created_at: at(11),
        },
    )
    .await?;
    check_row::<conflicts::ActiveModel>(
        db,
        conflicts::Model {
            id: Uuid::new_v4(),
            mediator_id: mediator.id,
            party_iin_bin: Some("900101300123".into()),
            party_name: None,
            note: Some("Former client".into()),
            created_at: at(12),
        },
    )
    .await?;
    check_row::<busy_blocks::ActiveModel>(
        db,
        busy_blocks::Model {
            id: Uuid::new_v4(),
            mediator_id: mediator.id,
            starts_at: at(300),
            ends_at: at(400),
            source: "url".into(),
            summary: None,
            created_at: at(13),
        },
    )
    .await?;

    let case = cases::Model {
        id: Uuid::new_v4(),
        court_id: court.id,
        court_case_number: "7599-26-00-2/1234".into(),
        category: "family".into(),
        summary: "Dispute about the children's place of residence.".into(),
        language: "ru".into(),
        mediation_deadline: day(2027, 1, 15),
        minors_involved: true,
        violence_reported: false,
        interpreter_needed: false,
        joint_session_override: false,
        status: "referred".into(),
        referred_by: clerk.id,
        deadline_warned_at: None,
        created_at: at(14),
        updated_at: at(15),
        closed_at: None,
    };
    check_row::<cases::ActiveModel>(db, case.clone()).await?;

    let claimant = parties::Model {
        id: Uuid::new_v4(),
        case_id: case.id,
        role: "claimant".into(),
        name: "Claimant".into(),
        email: "claimant@example.com".into(),
        phone: Some("+77010000000".into()),
        iin_bin: Some("900101300123".into()),
        language: "ru".into(),
        is_minor: false,
        accessibility_needs: Some("Step-free access".into()),
        legal_capacity: "full".into(),
        represents_party_id: None,
        voluntary_confirmed_at: Some(at(16)),
        link_version: 2,
        created_at: at(17),
    };
    check_row::<parties::ActiveModel>(db, claimant.clone()).await?;
    check_row::<party_links::ActiveModel>(
        db,
        party_links::Model {
            id: Uuid::new_v4(),
            party_id: claimant.id,
            token_hash: Uuid::new_v4().simple().to_string(),
            version: 2,
            created_at: at(17),
            revoked_at: Some(at(18)),
        },
    )
    .await?;

    // `legal_capacity` defaults to 'full' when not given.
    let representative_id = Uuid::new_v4();
    parties::ActiveModel {
        id: Set(representative_id),
        case_id: Set(case.id),
        role: Set("representative".into()),
        name: Set("Lawyer".into()),
        email: Set("lawyer@example.com".into()),
        phone: Set(None),
        iin_bin: Set(None),
        language: Set("ru".into()),
        is_minor: Set(false),
        accessibility_needs: Set(None),
        legal_capacity: NotSet,
        represents_party_id: Set(Some(claimant.id)),
        voluntary_confirmed_at: Set(None),
        link_version: NotSet,
        created_at: Set(at(18)),
    }
    .insert(db)
    .await?;
    let representative = parties::Entity::find_by_id(representative_id)
        .one(db)
        .await?
        .expect("representative exists");
    assert_eq!(representative.legal_capacity, "full");
    // `link_version` defaults to 0.
    assert_eq!(representative.link_version, 0);

    check_row::<assignments::ActiveModel>(
        db,
        assignments::Model {
            id: Uuid::new_v4(),
            case_id: case.id,
            mediator_id: mediator.id,
            status: "accepted".into(),
            chosen_by_parties: true,
            proposed_by: clerk.id,
            proposed_at: at(19),
            answered_at: Some(at(20)),
            decline_reason: None,
        },
    )
    .await?;

    let session = sessions::Model {
        id: Uuid::new_v4(),
        case_id: case.id,
        mediator_id: mediator.id,
        starts_at: at(1_000),
        ends_at: at(4_600),
        timezone: "Asia/Almaty".into(),
        room_id: Some(room.id),
        online_url: None,
        format: "joint".into(),
        status: "scheduled".into(),
        sequence: 0,
        cancel_reason: None,
        created_by: Some(clerk.id),
        created_at: at(21),
        updated_at: at(22),
        attendance_recorded_at: Some(at(5_000)),
        attendance_recorded_by: Some(clerk.id),
    };
    check_row::<sessions::ActiveModel>(db, session.clone()).await?;

    // CHECK: a session needs a room or an online URL.
    let mut nowhere = session.clone();
    nowhere.id = Uuid::new_v4();
    nowhere.room_id = None;
    nowhere.online_url = None;
    assert!(
        sessions::Entity::insert(nowhere.into_active_model())
            .exec_without_returning(db)
            .await
            .is_err(),
        "session with neither room nor online URL must be rejected"
    );

    check_row::<session_parties::ActiveModel>(
        db,
        session_parties::Model {
            session_id: session.id,
            party_id: claimant.id,
            attended: Some(true),
        },
    )
    .await?;

    let invitation = invitations::Model {
        id: Uuid::new_v4(),
        session_id: session.id,
        party_id: Some(claimant.id),
        mediator_id: None,
        email: claimant.email.clone(),
        uid: format!("{}@kelisim.example", Uuid::new_v4()),
        sequence: 0,
        partstat: "NEEDS-ACTION".into(),
        response_note: None,
        responded_at: None,
        last_sent_at: Some(at(23)),
        created_at: at(24),
    };
    check_row::<invitations::ActiveModel>(db, invitation.clone()).await?;
    check_row::<reminders_sent::ActiveModel>(
        db,
        reminders_sent::Model {
            id: Uuid::new_v4(),
            invitation_id: invitation.id,
            kind: "24h".into(),
            session_starts_at: session.starts_at,
            sent_at: at(25),
        },
    )
    .await?;

    check_row::<outcomes::ActiveModel>(
        db,
        outcomes::Model {
            id: Uuid::new_v4(),
            case_id: case.id,
            version: 1,
            result: "agreement".into(),
            terms: serde_json::json!({"items": [{"text": "Alimony 50 000 KZT", "n": 1}]}),
            signed_on: day(2026, 12, 20),
            signed_at_place: "Almaty".into(),
            document_html: Some("<p>Agreement</p>".into()),
            document_sha256: Some("ab".repeat(32)),
            status: "draft".into(),
            submitted_at: None,
            court_registration_number: None,
            return_reason: None,
            decided_at: None,
            decided_by: None,
            created_by: Some(clerk.id),
            created_at: at(26),
            document_pdf: Some(b"%PDF-1.7\n\x00\xff binary".to_vec()),
            document_pdf_sha256: Some("cd".repeat(32)),
            unresolved: Some("Division of property".into()),
        },
    )
    .await?;

    // The report's facts of the case, kept by the triggers: the accepted
    // mediator, the latest result, days in Almaty, recorded attendance.
    let facts = |days: i32, status: &str| case_facts::Model {
        case_id: case.id,
        court_id: court.id,
        category: "family".into(),
        status: status.into(),
        referred_at: case.created_at,
        mediator_id: Some(mediator.id),
        result: Some("agreement".into()),
        days_to_outcome: Some(days),
        invited_parties: 1,
        absent_parties: 0,
    };
    let stored = || async {
        case_facts::Entity::find_by_id(case.id)
            .one(db)
            .await
            .map(|f| f.expect("the case's facts"))
    };
    assert_eq!(stored().await?, facts(0, "referred"));
    // 16:06 in Almaty on the day of referral; eight hours later it is the
    // next day there.
    outcomes::Entity::update_many()
        .col_expr(
            outcomes::Column::CreatedAt,
            sea_orm_migration::prelude::Expr::value(at(14) + chrono::Duration::hours(8)),
        )
        .filter(outcomes::Column::CaseId.eq(case.id))
        .exec(db)
        .await?;
    cases::Entity::update_many()
        .col_expr(
            cases::Column::Status,
            sea_orm_migration::prelude::Expr::value("mediator_accepted"),
        )
        .filter(cases::Column::Id.eq(case.id))
        .exec(db)
        .await?;
    assert_eq!(stored().await?, facts(1, "mediator_accepted"));

    let outbox = outbox_messages::Model {
        id: Uuid::new_v4(),
        kind: "invitation".into(),
        recipient: claimant.email.clone(),
        subject: "Mediation session".into(),
        raw_message: "Subject: Mediation session\r\n\r\nBody\r\n".into(),
        case_id: Some(case.id),
        session_id: Some(session.id),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: at(27),
        lease_until: None,
        last_error: None,
        message_id: format!("<{}@kelisim.example>", Uuid::new_v4()),
        created_at: at(27),
        sent_at: None,
        raw_sha256: Some("ab".repeat(32)),
        raw_purged_at: None,
    };
    check_row::<outbox_messages::ActiveModel>(db, outbox.clone()).await?;

    let audit = audit_log::Model {
        id: Uuid::new_v4(),
        at: at(28),
        actor_user_id: Some(clerk.id),
        actor_kind: "user".into(),
        action: "case.referred".into(),
        entity_type: "case".into(),
        entity_id: Some(case.id),
        case_id: Some(case.id),
        court_id: Some(court.id),
        from_state: None,
        to_state: Some("referred".into()),
        details: Some(serde_json::json!({"note": "ok"})),
    };
    check_row::<audit_log::ActiveModel>(db, audit.clone()).await?;

    check_row::<idempotency_keys::ActiveModel>(
        db,
        idempotency_keys::Model {
            user_id: clerk.id,
            key: "3f1c7a2e-key".into(),
            method: "POST".into(),
            path: "/api/v1/cases".into(),
            request_hash: "cd".repeat(32),
            response_status: 201,
            response_headers: serde_json::json!([["content-type", "application/json"]]),
            response_body: vec![0, 159, 146, 150, b'{', b'}'],
            created_at: at(29),
        },
    )
    .await?;

    check_row::<job_locks::ActiveModel>(
        db,
        job_locks::Model {
            name: "outbox".into(),
            locked_until: at(30),
            locked_by: "host-1:1234".into(),
            last_run_at: None,
        },
    )
    .await?;

    // RESTRICT: a mediator with sessions / assignments cannot be deleted.
    assert!(
        mediators::Entity::delete_by_id(mediator.id)
            .exec(db)
            .await
            .is_err(),
        "mediator with sessions must not be deletable"
    );
    // NO ACTION: a represented party cannot be deleted on its own.
    assert!(
        parties::Entity::delete_by_id(claimant.id)
            .exec(db)
            .await
            .is_err(),
        "party with a representative must not be deletable"
    );

    // SET NULL: deleting the mediator's login keeps the mediator.
    users::Entity::delete_by_id(mediator_user.id)
        .exec(db)
        .await?;
    let mediator_now = mediators::Entity::find_by_id(mediator.id)
        .one(db)
        .await?
        .expect("mediator survives");
    assert_eq!(mediator_now.user_id, None);

    // CASCADE / SET NULL: deleting the case removes what belongs to it
    // (including representative and represented party together) and
    // detaches the outbox message and audit entry.
    cases::Entity::delete_by_id(case.id).exec(db).await?;
    assert!(
        parties::Entity::find()
            .filter(parties::Column::CaseId.eq(case.id))
            .all(db)
            .await?
            .is_empty()
    );
    assert!(party_links::Entity::find().all(db).await?.is_empty());
    assert!(
        sessions::Entity::find_by_id(session.id)
            .one(db)
            .await?
            .is_none()
    );
    assert!(
        invitations::Entity::find_by_id(invitation.id)
            .one(db)
            .await?
            .is_none()
    );
    assert!(reminders_sent::Entity::find().all(db).await?.is_empty());
    assert!(session_parties::Entity::find().all(db).await?.is_empty());
    assert!(assignments::Entity::find().all(db).await?.is_empty());
    assert!(outcomes::Entity::find().all(db).await?.is_empty());
    assert!(case_facts::Entity::find().all(db).await?.is_empty());
    let outbox_now = outbox_messages::Entity::find_by_id(outbox.id)
        .one(db)
        .await?
        .expect("outbox message survives");
    assert_eq!((outbox_now.case_id, outbox_now.session_id), (None, None));
    let audit_now = audit_log::Entity::find_by_id(audit.id)
        .one(db)
        .await?
        .expect("audit entry survives");
    assert_eq!(audit_now.case_id, None);
    assert_eq!(audit_now.court_id, Some(court.id));

    // With no sessions left the mediator can go, taking its details along.
    mediators::Entity::delete_by_id(mediator.id)
        .exec(db)
        .await?;
    assert!(mediator_courts::Entity::find().all(db).await?.is_empty());
    assert!(
        availability_intervals::Entity::find()
            .all(db)
            .await?
            .is_empty()
    );

    Ok(())
}

/// The migrations to random party links and hashed feed secrets keep what
/// was already sent working: a party link's stored hash becomes a link of
/// version 0, a feed secret becomes its SHA-256, the old link key is gone,
/// and a closed case gets its closing time.
#[tokio::test]
async fn links_and_feed_secrets_already_sent_keep_working_after_the_migrations() -> Result<(), DbErr>
{
    use sea_orm_migration::prelude::{Alias, Query};
    let path = std::env::temp_dir().join(format!("kelisim-carry-{}.db", Uuid::new_v4()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(url.as_str()).await?;
    // Every migration before the party links one.
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name().starts_with("m20261130_000201"))
        .expect("the party links migration");
    Migrator::up(&db, Some(u32::try_from(before).expect("a count"))).await?;

    let court = Uuid::new_v4();
    let clerk = Uuid::new_v4();
    let case = Uuid::new_v4();
    let party = Uuid::new_v4();
    courts::Entity::insert(
        courts::Model {
            id: court,
            code: "C-1".into(),
            name: "Court".into(),
            timezone: "Asia/Almaty".into(),
            default_language: "kk".into(),
            created_at: at(0),
            updated_at: at(0),
        }
        .into_active_model(),
    )
    .exec_without_returning(&db)
    .await?;
    users::ActiveModel {
        id: Set(clerk),
        email: Set("clerk@court.kz".into()),
        name: Set("Clerk".into()),
        role: Set("clerk".into()),
        court_id: Set(Some(court)),
        language: Set("ru".into()),
        password_hash: Set("x".into()),
        active: Set(true),
        created_at: Set(at(0)),
        updated_at: Set(at(0)),
    }
    .insert(&db)
    .await?;
    cases::ActiveModel {
        id: Set(case),
        court_id: Set(court),
        court_case_number: Set("2-1/2026".into()),
        category: Set("family".into()),
        summary: Set("Property".into()),
        language: Set("ru".into()),
        mediation_deadline: Set(day(2027, 1, 1)),
        minors_involved: Set(false),
        violence_reported: Set(false),
        interpreter_needed: Set(false),
        joint_session_override: Set(false),
        status: Set("withdrawn".into()),
        referred_by: Set(clerk),
        deadline_warned_at: Set(None),
        created_at: Set(at(0)),
        updated_at: Set(at(50)),
        closed_at: NotSet,
    }
    .insert(&db)
    .await?;
    let manager = SchemaManager::new(&db);
    manager
        .exec_stmt(
            Query::insert()
                .into_table(Alias::new("parties"))
                .columns(
                    [
                        "id",
                        "case_id",
                        "role",
                        "name",
                        "email",
                        "language",
                        "is_minor",
                        "access_token_hash",
                        "created_at",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    party.into(),
                    case.into(),
                    "claimant".into(),
                    "Party".into(),
                    "party@example.kz".into(),
                    "ru".into(),
                    false.into(),
                    "legacy-link-hash".into(),
                    at(1).into(),
                ])
                .to_owned(),
        )
        .await?;
    manager
        .exec_stmt(
            Query::insert()
                .into_table(Alias::new("mediators"))
                .columns(
                    [
                        "id",
                        "name",
                        "email",
                        "registry_number",
                        "kind",
                        "certified_until",
                        "max_active_cases",
                        "timezone",
                        "status",
                        "feed_secret",
                        "created_at",
                        "updated_at",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    Uuid::new_v4().into(),
                    "Mediator".into(),
                    "m@example.kz".into(),
                    "R-1".into(),
                    "professional".into(),
                    day(2030, 1, 1).into(),
                    5.into(),
                    "Asia/Almaty".into(),
                    "active".into(),
                    "the-old-feed-secret".into(),
                    at(0).into(),
                    at(0).into(),
                ])
                .to_owned(),
        )
        .await?;
    db.execute_unprepared(
        "INSERT INTO service_secrets (name, value, created_at) \
         VALUES ('party_link_key', 'a-key', '2026-01-01T00:00:00Z')",
    )
    .await?;

    Migrator::up(&db, None).await?;

    let links = party_links::Entity::find().all(&db).await?;
    assert_eq!(links.len(), 1);
    assert_eq!(
        (
            links[0].party_id,
            links[0].token_hash.as_str(),
            links[0].version
        ),
        (party, "legacy-link-hash", 0)
    );
    assert_eq!(links[0].revoked_at, None);
    let migrated = parties::Entity::find_by_id(party)
        .one(&db)
        .await?
        .expect("the party");
    assert_eq!(migrated.link_version, 0);
    assert!(service_secrets::Entity::find().all(&db).await?.is_empty());
    let closed = cases::Entity::find_by_id(case)
        .one(&db)
        .await?
        .expect("the case");
    assert_eq!(closed.closed_at, Some(at(50)));
    let mediator = mediators::Entity::find().one(&db).await?.expect("mediator");
    assert_eq!(
        mediator.feed_secret_hash,
        // SHA-256 of "the-old-feed-secret".
        sha256_hex("the-old-feed-secret")
    );

    db.close().await?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    Ok(())
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The report facts migration back-fills the cases already there from their
/// own rows: the accepted mediator, the latest version's result, days from
/// referral to the first version counted in Almaty (23:30 on 31 January to
/// 00:30 on 2 February is two days), and the recorded attendance.
#[tokio::test]
async fn report_facts_are_back_filled_for_the_cases_already_there() -> Result<(), DbErr> {
    let path = std::env::temp_dir().join(format!("kelisim-facts-{}.db", Uuid::new_v4()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(url.as_str()).await?;
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name().starts_with("m20261201_000100"))
        .expect("the report facts migration");
    Migrator::up(&db, Some(u32::try_from(before).expect("a count"))).await?;

    let instant = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .expect("an instant")
            .with_timezone(&Utc)
    };
    let (court, clerk, mediator, case) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    courts::Model {
        id: court,
        code: "F-1".into(),
        name: "Court".into(),
        timezone: "Asia/Almaty".into(),
        default_language: "kk".into(),
        created_at: at(0),
        updated_at: at(0),
    }
    .into_active_model()
    .insert(&db)
    .await?;
    users::Model {
        id: clerk,
        email: "clerk@court.kz".into(),
        name: "Clerk".into(),
        role: "clerk".into(),
        court_id: Some(court),
        language: "ru".into(),
        password_hash: "x".into(),
        active: true,
        created_at: at(0),
        updated_at: at(0),
    }
    .into_active_model()
    .insert(&db)
    .await?;
    mediators::Model {
        id: mediator,
        user_id: None,
        name: "Mediator".into(),
        email: "m@example.kz".into(),
        registry_number: "R-1".into(),
        kind: "professional".into(),
        certified_until: day(2030, 1, 1),
        max_active_cases: 5,
        timezone: "Asia/Almaty".into(),
        status: "active".into(),
        feed_secret_hash: "feed".into(),
        external_calendar_url: None,
        external_calendar_error: None,
        external_calendar_fetched_at: None,
        certification_warned_at: None,
        calendar_version: 0,
        created_at: at(0),
        updated_at: at(0),
    }
    .into_active_model()
    .insert(&db)
    .await?;
    let referred = instant("2026-01-31T18:30:00Z");
    cases::Model {
        id: case,
        court_id: court,
        court_case_number: "2-1/2026".into(),
        category: "civil".into(),
        summary: "Debt".into(),
        language: "ru".into(),
        mediation_deadline: day(2026, 6, 1),
        minors_involved: false,
        violence_reported: false,
        interpreter_needed: false,
        joint_session_override: false,
        status: "outcome_recorded".into(),
        referred_by: clerk,
        deadline_warned_at: None,
        created_at: referred,
        updated_at: referred,
        closed_at: None,
    }
    .into_active_model()
    .insert(&db)
    .await?;
    let mut parties = Vec::new();
    for role in ["claimant", "respondent"] {
        let party = parties::Model {
            id: Uuid::new_v4(),
            case_id: case,
            role: role.into(),
            name: role.into(),
            email: format!("{role}@example.kz"),
            phone: None,
            iin_bin: None,
            language: "ru".into(),
            is_minor: false,
            accessibility_needs: None,
            legal_capacity: "full".into(),
            represents_party_id: None,
            voluntary_confirmed_at: None,
            link_version: 0,
            created_at: referred,
        };
        party.clone().into_active_model().insert(&db).await?;
        parties.push(party.id);
    }
    assignments::Model {
        id: Uuid::new_v4(),
        case_id: case,
        mediator_id: mediator,
        status: "accepted".into(),
        chosen_by_parties: false,
        proposed_by: clerk,
        proposed_at: referred,
        answered_at: Some(referred),
        decline_reason: None,
    }
    .into_active_model()
    .insert(&db)
    .await?;
    for (version, result, created) in [
        (1, "not_settled", "2026-02-01T19:30:00Z"),
        (2, "settled", "2026-02-10T05:00:00Z"),
    ] {
        outcomes::ActiveModel {
            id: Set(Uuid::new_v4()),
            case_id: Set(case),
            version: Set(version),
            result: Set(result.into()),
            terms: Set(serde_json::json!([])),
            signed_on: Set(day(2026, 2, 1)),
            signed_at_place: Set("Almaty".into()),
            document_html: Set(None),
            document_sha256: Set(None),
            status: Set("draft".into()),
            submitted_at: Set(None),
            court_registration_number: Set(None),
            return_reason: Set(None),
            decided_at: Set(None),
            decided_by: Set(None),
            created_by: Set(None),
            created_at: Set(instant(created)),
            document_pdf: Set(None),
            document_pdf_sha256: Set(None),
            unresolved: Set(None),
        }
        .insert(&db)
        .await?;
    }
    let session = Uuid::new_v4();
    sessions::Model {
        id: session,
        case_id: case,
        mediator_id: mediator,
        starts_at: instant("2026-02-01T05:00:00Z"),
        ends_at: instant("2026-02-01T06:00:00Z"),
        timezone: "Asia/Almaty".into(),
        room_id: None,
        online_url: Some("https://video.example.kz/r".into()),
        format: "joint".into(),
        status: "held".into(),
        sequence: 0,
        cancel_reason: None,
        created_by: None,
        created_at: referred,
        updated_at: referred,
        attendance_recorded_at: Some(instant("2026-02-01T06:00:00Z")),
        attendance_recorded_by: None,
    }
    .into_active_model()
    .insert(&db)
    .await?;
    for (party, attended) in parties.iter().zip([true, false]) {
        session_parties::Model {
            session_id: session,
            party_id: *party,
            attended: Some(attended),
        }
        .into_active_model()
        .insert(&db)
        .await?;
    }

    Migrator::up(&db, None).await?;

    let facts = case_facts::Entity::find_by_id(case)
        .one(&db)
        .await?
        .expect("the case's facts");
    assert_eq!(
        facts,
        case_facts::Model {
            case_id: case,
            court_id: court,
            category: "civil".into(),
            status: "outcome_recorded".into(),
            referred_at: referred,
            mediator_id: Some(mediator),
            result: Some("settled".into()),
            days_to_outcome: Some(2),
            invited_parties: 2,
            absent_parties: 1,
        }
    );
    let offsets = report_zone_offsets::Entity::find().all(&db).await?;
    assert!(
        offsets.iter().any(|o| o.offset_seconds == 5 * 3600
            && o.starts_at == instant("2024-02-29T18:00:00Z").timestamp()),
        "Almaty moved to UTC+5 on 1 March 2024: {offsets:?}"
    );

    db.close().await?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    Ok(())
}
