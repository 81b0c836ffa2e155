//! Drill schedules on a real SQLite file, with a clock the test moves: an
//! editor schedules a scenario quarterly; once its date passes by a day
//! with no run, it is overdue, and a run clears it. Each person's calendar
//! feed parses with a calendar library other than the one that wrote it;
//! a replaced key, a disabled account or a guessed key gets nothing.
mod support;

use chrono::Duration;
use support::{form, manual_clock, spawn_app, TestApp};

async fn demo() -> (TestApp, std::sync::Arc<app::clock::ManualTime>) {
    let clock = manual_clock();
    let app = spawn_app(app::environment::Environment::Sandbox)
        .await
        .on_clock(clock.clone())
        .with_demo()
        .await;
    (app, clock)
}

async fn scenario(app: &TestApp) -> i64 {
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM plans WHERE kind = 'scenario' AND title LIKE 'Checkout down%'",
    )
    .fetch_one(&app.state.db.read)
    .await
    .expect("scenario");
    id
}

fn schedule(scenario: i64, every: &str, rule: &str, starts: &str) -> String {
    form(&[
        ("scenario", &scenario.to_string()),
        ("every", every),
        ("recurrence", rule),
        ("starts", starts),
        ("minutes", ""),
    ])
}

#[tokio::test]
async fn a_quarterly_drill_comes_up_falls_overdue_and_a_run_keeps_it() {
    let (app, clock) = demo().await;
    let editor = app.session_of("editor@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let checkout = scenario(&app).await;

    let quarterly = schedule(checkout, "quarterly", "", "2026-12-03 14:00");
    let refused = app
        .post_as(&viewer, "/api/drills/schedules/add", &quarterly)
        .await;
    assert_eq!(refused.status, 403, "a viewer schedules nothing");
    for (every, rule, starts, says) in [
        ("custom", "FREQ=HOURLY", "2026-12-03 14:00", "daily at most"),
        (
            "custom",
            "FREQ=WEEKLY\nDTSTART:20200101T000000Z",
            "2026-12-03 14:00",
            "not allowed",
        ),
        ("custom", "", "2026-12-03 14:00", "Repeats"),
        (
            "custom",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "2026-12-03 14:00",
            "gives no drill in the next 5 years",
        ),
        (
            "custom",
            "FREQ=DAILY;BYHOUR=0,12;BYMINUTE=0,30",
            "2026-12-03 14:00",
            "BYHOUR is not allowed",
        ),
        (
            "custom",
            "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,2,3",
            "2026-12-03 14:00",
            "BYSETPOS is not allowed",
        ),
        ("quarterly", "", "2026-11-01 14:00", "First drill"),
    ] {
        let answer = app
            .post_as(
                &editor,
                "/api/drills/schedules/add",
                &schedule(checkout, every, rule, starts),
            )
            .await;
        assert_eq!(answer.status, 422, "{rule}: {}", answer.body);
        assert!(answer.body.contains(says), "{rule}: {}", answer.body);
    }
    app.post_as(&editor, "/api/drills/schedules/add", &quarterly)
        .await
        .ok();

    let page = app.get_as(&viewer, "/drills").await.ok().body;
    let upcoming = page.split("id=\"upcoming\"").nth(1).expect("upcoming list");
    assert!(
        upcoming.starts_with(" class=\"drill-dates\"") && upcoming.contains("2026-12-03 14:00 UTC"),
        "{upcoming}"
    );
    assert!(page.contains("Nothing overdue."));
    assert!(page.contains("quarterly"));

    // A day and more past the date, with no run: overdue, and the next
    // occurrence is three months on.
    clock.advance(Duration::days(7));
    // A week on, both sign in again.
    let editor = app.session_of("editor@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let page = app.get_as(&viewer, "/drills").await.ok().body;
    let overdue = page.split("id=\"overdue\"").nth(1).expect("overdue list");
    assert!(
        overdue.contains("2026-12-03 14:00 UTC") && overdue.contains("Checkout down"),
        "{overdue}"
    );
    assert!(page.contains("2027-03-03 14:00 UTC"), "the next one");

    // A drill of the scenario, late, keeps the occurrence.
    let plan = form(&[
        ("scenario", &checkout.to_string()),
        ("scheduled_for", ""),
        ("start", "1x"),
    ]);
    app.post_as(&editor, "/api/drills/plan", &plan).await.ok();
    let page = app.get_as(&viewer, "/drills").await.ok().body;
    assert!(page.contains("Nothing overdue."), "kept by the run");

    // Past the limit on schedules, the next is refused and nothing is lost.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 99) \
         INSERT INTO drill_schedules (scenario_id, rule, starts_at, duration_minutes, created_by, created_at) \
         SELECT ?, 'FREQ=YEARLY', '2027-01-01T10:00:00Z', 45, 'test', '2026-11-28T03:00:00Z' FROM n",
    )
    .bind(checkout)
    .execute(&app.state.db.write)
    .await
    .expect("fill");
    let later = schedule(checkout, "yearly", "", "2027-01-04 10:00");
    let refused = app
        .post_as(&editor, "/api/drills/schedules/add", &later)
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("at most 100"), "{}", refused.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM drill_schedules").await, 100);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'drill.schedule.add'")
            .await,
        1
    );

    // Schedules stored before their dates were (one that never occurs
    // among them) get their dates once, at start; pages only read them.
    sqlx::query("UPDATE drill_schedules SET rule = 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' WHERE dates IS NULL AND id % 2 = 0")
        .execute(&app.state.db.write)
        .await
        .expect("legacy");
    let filled = app::drills::schedule_api::server::fill_dates(
        &app.state.db.write,
        app::clock::TimeSource::now(&*clock),
    )
    .await
    .expect("filled");
    assert_eq!(filled, 99);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM drill_schedules WHERE dates IS NULL")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM drill_schedules WHERE dates = '[]'")
            .await,
        50,
        "a rule that never occurs has no dates"
    );
    let page = app.get_as(&viewer, "/drills").await.ok().body;
    assert!(
        page.contains("2027-01-01 10:00 UTC"),
        "a filled yearly schedule's next date"
    );
}

/// Each VEVENT of an iCalendar document, as (name, value) pairs, read by
/// the `ical` crate.
fn events(text: &str) -> Vec<Vec<(String, String)>> {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser.next().expect("one calendar").expect("parses");
    assert!(parser.next().is_none(), "only one calendar");
    calendar
        .events
        .into_iter()
        .map(|e| {
            e.properties
                .into_iter()
                .map(|p| (p.name, p.value.unwrap_or_default()))
                .collect()
        })
        .collect()
}

fn value<'a>(event: &'a [(String, String)], name: &str) -> &'a str {
    event
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// "Make my calendar address", pressed again and again as a person would
/// (a plain form, then the page it leads to): every press shows its new
/// address once, that address works, and the one before stops.
#[tokio::test]
async fn every_press_of_make_my_calendar_address_shows_a_working_address() {
    let (app, _clock) = demo().await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let mut before: Option<String> = None;
    for press in 0..30 {
        let sent = app
            .post_plain_form_as(
                &viewer,
                "/api/drills/calendar/key",
                "",
                &format!("{}/drills", support::ORIGIN),
            )
            .await;
        assert!(
            sent.status.is_redirection(),
            "press {press}: {}",
            sent.status
        );
        let page = app.get_as(&viewer, "/drills").await.ok().body;
        let shown = page
            .split("id=\"calendar-address\"")
            .nth(1)
            .and_then(|rest| rest.split_once("?key="))
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("press {press}: no address shown"));
        let key: String = shown
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let key = key.as_str();
        let feed = app.get(&format!("/drills/calendar.ics?key={key}")).await;
        assert_eq!(feed.status, 200, "press {press}: the shown address works");
        if let Some(old) = &before {
            let gone = app.get(&format!("/drills/calendar.ics?key={old}")).await;
            assert_eq!(gone.status, 404, "press {press}: the one before stopped");
        }
        let again = app.get_as(&viewer, "/drills").await.ok().body;
        assert!(!again.contains("id=\"calendar-address\""), "shown once");
        before = Some(key.to_owned());
    }
}

#[tokio::test]
async fn each_person_subscribes_with_a_secret_address_that_a_calendar_reads() {
    let (app, _clock) = demo().await;
    let editor = app.session_of("editor@demo.muster").await;
    let viewer = app.session_of("viewer@demo.muster").await;
    let checkout = scenario(&app).await;
    app.post_as(
        &editor,
        "/api/drills/schedules/add",
        &schedule(
            checkout,
            "custom",
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TH",
            "2026-12-03 14:00",
        ),
    )
    .await
    .ok();
    let plan = form(&[
        ("scenario", &checkout.to_string()),
        ("scheduled_for", "2026-12-10 09:30"),
        ("start", ""),
    ]);
    app.post_as(&editor, "/api/drills/plan", &plan).await.ok();

    let made = app
        .post_as(&viewer, "/api/drills/calendar/key", "")
        .await
        .ok();
    let address: String = serde_json::from_str(&made.body).expect("the address");
    let (_, key) = address.split_once("?key=").expect("a key");
    let path = format!("/drills/calendar.ics?key={key}");
    let feed = app.get(&path).await.ok();
    assert!(feed.headers["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/calendar"));
    assert!(feed.body.contains("\r\n"), "lines end in CRLF");
    let events = events(&feed.body);
    assert_eq!(events.len(), 2, "{}", feed.body);
    let scheduled = events
        .iter()
        .find(|e| !value(e, "RRULE").is_empty())
        .expect("the schedule");
    assert_eq!(
        value(scheduled, "RRULE"),
        "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TH"
    );
    assert_eq!(value(scheduled, "DTSTART"), "20261203T140000Z");
    assert_eq!(
        value(scheduled, "DTEND"),
        "20261203T144500Z",
        "the scenario's 45 minutes"
    );
    assert!(value(scheduled, "SUMMARY").starts_with("Drill: Checkout down"));
    assert!(value(scheduled, "UID").starts_with("drill-schedule-"));
    let planned = events
        .iter()
        .find(|e| value(e, "RRULE").is_empty())
        .expect("the planned run");
    assert_eq!(value(planned, "DTSTART"), "20261210T093000Z");
    assert!(value(planned, "URL").contains("/drills/runs/"));

    // Guessed, missing, replaced, disabled: nothing, and no hint which.
    for wrong in ["/drills/calendar.ics", "/drills/calendar.ics?key=guess"] {
        assert_eq!(app.get(wrong).await.status, 404);
    }
    let again = app
        .post_as(&viewer, "/api/drills/calendar/key", "")
        .await
        .ok();
    let newer: String = serde_json::from_str(&again.body).expect("the address");
    assert_ne!(newer, address);
    assert_eq!(app.get(&path).await.status, 404, "the old address stops");
    let (_, new_key) = newer.split_once("?key=").expect("a key");
    let new_path = format!("/drills/calendar.ics?key={new_key}");
    assert_eq!(app.get(&new_path).await.status, 200);
    app.behind_the_back(
        "UPDATE users SET disabled_at = '2026-11-28T03:00:00Z' WHERE email = 'viewer@demo.muster'",
    )
    .await;
    assert_eq!(
        app.get(&new_path).await.status,
        404,
        "a disabled account's feed stops"
    );
    let (stored,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM calendar_feeds WHERE instr(CAST(key_hash AS TEXT), ?) > 0",
    )
    .bind(new_key)
    .fetch_one(&app.state.db.read)
    .await
    .expect("count");
    assert_eq!(stored, 0, "only the key's hash is stored");
}
