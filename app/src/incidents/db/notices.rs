//! An incident's customer notices: drafted from an approved template,
//! approved by another person, published once.
use super::record;
use crate::incidents::EntryKind;
use crate::timeline::{Data, NewEntry};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

const NOTICE_SELECT: &str = "SELECT n.id, p.title AS template, n.stage, n.channel, n.subject, n.body, n.drafted_by, \
     n.drafted_by_id, n.drafted_at, n.next_update_at, n.approved_by, n.approved_at, n.published_by, n.published_at \
     FROM incident_notices n JOIN plans p ON p.id = n.template_id WHERE n.incident_id = ?";

pub async fn notices(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Vec<crate::incidents::IncidentNotice>, sqlx::Error> {
    sqlx::query_as(&format!("{NOTICE_SELECT} ORDER BY n.id"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
}

/// One notice of the incident as it now is.
pub async fn notice(
    conn: &mut SqliteConnection,
    id: i64,
    notice: i64,
) -> Result<Option<crate::incidents::IncidentNotice>, sqlx::Error> {
    sqlx::query_as(&format!("{NOTICE_SELECT} AND n.id = ?"))
        .bind(id)
        .bind(notice)
        .fetch_optional(&mut *conn)
        .await
}

/// Approved templates, in stage order: what an incident may draft from.
pub async fn usable_templates(
    conn: &mut SqliteConnection,
) -> Result<Vec<crate::incidents::UsableTemplate>, sqlx::Error> {
    use crate::notices::Stage;
    let rows = crate::plans::db::approved_templates(&mut *conn).await?;
    let mut out: Vec<crate::incidents::UsableTemplate> = rows
        .into_iter()
        .filter_map(|t| {
            Stage::parse("stage", &t.stage)
                .ok()
                .map(|s| (t.id, t.title, s))
        })
        .collect();
    out.sort_by_key(|(_, title, stage)| (*stage, title.clone()));
    Ok(out)
}

/// A drafted notice, rendered from the approved template version.
pub struct Draft<'a> {
    pub template_id: i64,
    pub template_version: i64,
    pub template: &'a crate::notices::NoticeTemplate,
    pub subject: &'a str,
    pub body: &'a str,
    pub next_update_at: Option<DateTime<Utc>>,
    pub author: &'a str,
    pub author_id: Option<i64>,
}

pub async fn draft_notice(
    conn: &mut SqliteConnection,
    id: i64,
    d: &Draft<'_>,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let notice: i64 = sqlx::query_scalar(
        "INSERT INTO incident_notices (incident_id, template_id, template_version, stage, channel, subject, body, \
         drafted_by, drafted_by_id, drafted_at, next_update_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(id)
    .bind(d.template_id)
    .bind(d.template_version)
    .bind(d.template.stage.as_str())
    .bind(d.template.channel.as_str())
    .bind(d.subject)
    .bind(d.body)
    .bind(d.author)
    .bind(d.author_id)
    .bind(at)
    .bind(d.next_update_at)
    .fetch_one(&mut *conn)
    .await?;
    let text = format!(
        "{} ({}): {}",
        d.template.title,
        d.template.channel.title(),
        d.subject
    );
    record(
        conn,
        id,
        NewEntry::new(EntryKind::NoticeDrafted, text, d.author, at),
    )
    .await?;
    Ok(notice)
}

/// Approves a drafted notice; false when it is not a draft of this incident.
pub async fn approve_notice(
    conn: &mut SqliteConnection,
    id: i64,
    notice: i64,
    author: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE incident_notices SET approved_by = ?, approved_at = ? WHERE id = ? AND incident_id = ? AND approved_at IS NULL",
    )
    .bind(author)
    .bind(at)
    .bind(notice)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done > 0 {
        let text = format!("Notice {notice} approved");
        record(
            conn,
            id,
            NewEntry::new(EntryKind::NoticeApproved, text, author, at),
        )
        .await?;
    }
    Ok(done > 0)
}

/// What publishing a notice reads back: what the timeline entry says and
/// the update it promises.
#[derive(sqlx::FromRow)]
struct Published {
    channel: String,
    subject: String,
    body: String,
    next_update_at: Option<DateTime<Utc>>,
    stage: String,
}

/// Records an approved notice as published (channel, time, text) and the
/// update it promises; false when it is not approved or already published.
pub async fn publish_notice(
    conn: &mut SqliteConnection,
    id: i64,
    notice: i64,
    author: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let row: Option<Published> = sqlx::query_as(
        "UPDATE incident_notices SET published_by = ?, published_at = ? \
         WHERE id = ? AND incident_id = ? AND approved_at IS NOT NULL AND published_at IS NULL \
         RETURNING channel, subject, body, next_update_at, stage",
    )
    .bind(author)
    .bind(at)
    .bind(notice)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(Published {
        channel,
        subject,
        body,
        next_update_at: next_update,
        stage,
    }) = row
    else {
        return Ok(false);
    };
    let channel = crate::notices::Channel::parse("channel", &channel)
        .map_or(channel.clone(), |c| c.title().to_owned());
    // A drill's notice is published inside Muster only: nothing is sent.
    let drill: bool =
        sqlx::query_scalar("SELECT drill_run_id IS NOT NULL FROM incidents WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let channel = if drill {
        format!("DRILL, not sent: {channel}")
    } else {
        channel
    };
    let text = format!("Published ({channel}): {subject}\n\n{body}");
    let entry = NewEntry::new(EntryKind::NoticePublished, text, author, at)
        .with_data(Data::Notice { notice, stage });
    record(conn, id, entry).await?;
    // The latest published notice says when the next update is due (or
    // that none is promised).
    sqlx::query("UPDATE incidents SET next_update_at = ? WHERE id = ?")
        .bind(next_update)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// A notice drafted by someone other than `viewer` and waiting for a
/// second person, on an open incident that is not a drill.
#[derive(sqlx::FromRow)]
pub struct Awaiting {
    pub incident_id: i64,
    pub incident: String,
    pub stage: String,
    pub drafted_by: String,
}

/// Notices `viewer` (a person, if any) may approve, oldest draft first:
/// the approval rule is that whoever drafted a notice cannot approve it.
pub async fn awaiting_approval(
    conn: &mut SqliteConnection,
    viewer: Option<i64>,
    limit: i64,
) -> Result<Vec<Awaiting>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id AS incident_id, i.title AS incident, n.stage, n.drafted_by \
         FROM incident_notices n JOIN incidents i ON i.id = n.incident_id \
         WHERE n.approved_at IS NULL AND n.published_at IS NULL AND i.status != 'resolved' \
         AND i.drill_run_id IS NULL AND (n.drafted_by_id IS NULL OR n.drafted_by_id != ?) \
         ORDER BY n.drafted_at LIMIT ?",
    )
    .bind(viewer.unwrap_or(-1))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}
