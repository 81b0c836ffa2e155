//! Thin server functions for reviews: everyone signed in reads; responders
//! start and write them. Each change is one transaction with its audit
//! record. A published review is read-only.
use super::{Line, Review};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A hint as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownHint {
    pub phrase: String,
    pub advice: String,
}

/// A section as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionView {
    pub key: String,
    pub heading: String,
    pub prompt: String,
    pub text: String,
    /// The Markdown as safe HTML (the preview).
    pub html: String,
    /// The text with its hints marked, as safe HTML.
    pub marked: String,
    pub hints: Vec<ShownHint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub review: Review,
    pub incident: String,
    pub drill: bool,
    pub sections: Vec<SectionView>,
    pub lines: Vec<Line>,
    pub actions: Vec<crate::actions::Item>,
    /// Who can own an action item: (id, name).
    pub people: Vec<(i64, String)>,
    pub can_edit: bool,
    /// Names on the roster, for the hints as the author types.
    pub names: Vec<String>,
    /// The timeline as a picture (SVG), drawn on the server.
    pub picture: String,
    pub flow: FlowView,
}

/// Where the review stands on its way to publication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowView {
    pub reviewers: Vec<super::Reviewer>,
    pub comments: Vec<super::Comment>,
    /// Published versions, newest first.
    pub versions: Vec<super::Published>,
    /// Accounts that can be named reviewers: (id, name).
    pub accounts: Vec<(i64, String)>,
    /// Responders move the review and name reviewers.
    pub can_move: bool,
    pub can_comment: bool,
    /// The caller is a named reviewer, a person, and did not start it.
    pub can_publish: bool,
}

#[server(prefix = "/api", endpoint = "reviews/get")]
pub async fn get_review(id: i64) -> Result<ReviewView, AppError> {
    use crate::auth::Role;
    let (state, caller) = crate::auth::guard::require::<GetReview>().await?;
    let mut conn = state.db.read.acquire().await?;
    let review = super::db::get(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That review".into()))?;
    let incident = crate::incidents::db::get(&mut conn, review.incident_id)
        .await?
        .ok_or_else(|| AppError::internal("the review's incident is missing"))?;
    let drill = incident.drill_run.is_some();
    // Who can own an action item, and the names the hints look for.
    let people: Vec<(i64, String)> = crate::roster::db::people_names(&mut conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let names: Vec<String> = people.iter().map(|(_, n)| n.clone()).collect();
    let (entries, events) = super::db::citations(&mut conn, &review).await?;
    let names = &names;
    let sections = super::SECTIONS
        .iter()
        .zip(&review.sections)
        .map(|((key, heading, prompt), text)| {
            let found = super::hints::hints(text, names);
            SectionView {
                key: (*key).to_owned(),
                heading: (*heading).to_owned(),
                prompt: (*prompt).to_owned(),
                text: text.clone(),
                html: super::cite::render(text, review.incident_id, &entries, &events),
                marked: super::hints::marked_html(text, &found),
                hints: found
                    .into_iter()
                    .map(|h| ShownHint {
                        phrase: h.phrase,
                        advice: h.advice.to_owned(),
                    })
                    .collect(),
            }
        })
        .collect();
    let lines = super::db::lines(&mut conn, &review).await?;
    let actions =
        crate::actions::db::of_review(&mut conn, id, state.clock.now().date_naive()).await?;
    let shown: Vec<_> = lines
        .iter()
        .filter(|l| !l.hidden)
        .cloned()
        .map(super::doc::line)
        .collect();
    let picture = super::picture::svg(&shown);
    let responder = caller.role().is_some_and(|r| r >= Role::Responder);
    let open = review.state != super::State::Published;
    let reviewers = super::db::flow::reviewers(&mut conn, id).await?;
    let me = caller.user().map(|u| u.id);
    let named = reviewers.iter().any(|r| Some(r.user_id) == me);
    let author = super::db::flow::author_id(&mut conn, id).await?;
    let flow = FlowView {
        comments: super::db::flow::comments(&mut conn, id).await?,
        versions: super::db::flow::versions(&mut conn, id).await?,
        accounts: if responder && open {
            crate::auth::db::users::enabled_names(&mut *conn)
                .await?
                .into_iter()
                .map(|a| (a.id, a.display_name))
                .collect()
        } else {
            Vec::new()
        },
        can_move: responder,
        can_comment: open && (responder || named),
        can_publish: responder
            && named
            && review.state == super::State::InReview
            && crate::approval::may_approve(author, me),
        reviewers,
    };
    Ok(ReviewView {
        actions,
        people,
        can_edit: responder && open,
        names: names.clone(),
        picture,
        flow,
        review,
        incident: incident.title,
        drill,
        sections,
        lines,
    })
}

/// Starts the review of a resolved incident or an ended drill's incident
/// (or opens the one already started).
#[server(prefix = "/api", endpoint = "reviews/start")]
pub async fn start_review(incident: i64) -> Result<i64, AppError> {
    use crate::incidents::Status;
    let (state, caller) = crate::auth::guard::require::<StartReview>().await?;
    let now = state.clock.now();
    let mut tx = state.db.write.begin().await?;
    if let Some(id) = super::db::of_incident(&mut tx, incident).await? {
        leptos_axum::redirect(&format!("/reviews/{id}"));
        return Ok(id);
    }
    let view = crate::incidents::db::load(&mut tx, incident, now, None)
        .await?
        .ok_or_else(|| AppError::NotFound("That incident".into()))?;
    let ready = match view.incident.drill_run {
        Some(run) => super::db::drill_ended(&mut tx, run).await?,
        None => view.incident.status == Status::Resolved,
    };
    if !ready {
        return Err(AppError::invalid(
            "Incident",
            "a review starts once the incident is resolved (or the drill has ended)",
        ));
    }
    let author = caller.author();
    let id = super::db::start(&mut tx, &view, (&author, caller.person_id()), now).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "review.start",
        format!("review:{id}"),
        format!("incident #{incident}"),
        now,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}"));
    Ok(id)
}

/// Saves one section's Markdown. Hints are shown, never enforced.
#[server(prefix = "/api", endpoint = "reviews/section")]
pub async fn save_section(id: i64, section: String, text: String) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<SaveSection>().await?;
    let index = super::section_index(section.trim())?;
    let heading = super::SECTIONS[index].1;
    let text = crate::fields::text_field(heading, &text, false, super::MAX_SECTION)?;
    let mut tx = state.db.write.begin().await?;
    let review = super::db::writable(&mut tx, id).await?;
    super::db::save_section(
        &mut tx,
        review.id,
        index,
        &text,
        &caller.author(),
        state.clock.now(),
    )
    .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "review.section",
        format!("review:{id}"),
        heading,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/reviews/{id}#section-{}",
        super::SECTIONS[index].0
    ));
    Ok(())
}

/// A section's Markdown as the page would show it, citations and all,
/// before it is saved: the editor's preview.
#[server(prefix = "/api", endpoint = "reviews/preview")]
pub async fn preview_section(id: i64, text: String) -> Result<String, AppError> {
    let (state, _) = crate::auth::guard::require::<PreviewSection>().await?;
    let text = crate::fields::text_field("Text", &text, false, super::MAX_SECTION)?;
    let mut conn = state.db.read.acquire().await?;
    let review = super::db::get(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That review".into()))?;
    let texts = [text];
    let (entries, events) = super::db::citations_in(&mut conn, review.incident_id, &texts).await?;
    Ok(super::cite::render(
        &texts[0],
        review.incident_id,
        &entries,
        &events,
    ))
}

/// Hides, annotates or marks one timeline entry in the review.
#[server(prefix = "/api", endpoint = "reviews/entry")]
pub async fn mark_entry(
    id: i64,
    entry: i64,
    #[server(default)] hidden: String,
    #[server(default)] note: String,
    #[server(default)] moment: String,
) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<MarkEntry>().await?;
    let note = crate::fields::text_field("Note", &note, false, 500)?;
    let moment = super::Moment::parse("Key moment", moment.trim())?;
    let hidden = matches!(hidden.trim(), "on" | "true" | "1");
    let mut tx = state.db.write.begin().await?;
    let review = super::db::writable(&mut tx, id).await?;
    super::db::mark(&mut tx, &review, entry, hidden, &note, moment).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "review.entry",
        format!("review:{id}"),
        format!(
            "entry {entry}: {}{}",
            if hidden { "hidden" } else { "shown" },
            moment
                .map(|m| format!(", {}", m.as_str()))
                .unwrap_or_default()
        ),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}#entry-{entry}"));
    Ok(())
}

/// Adds an action item to a review (drafts and reviews in review only).
#[server(prefix = "/api", endpoint = "actions/review/add")]
pub async fn add_review_action(
    id: i64,
    title: String,
    owner: i64,
    due_on: String,
    #[server(default)] priority: String,
    #[server(default)] ticket_url: String,
) -> Result<i64, AppError> {
    let (state, caller) = crate::auth::guard::require::<AddReviewAction>().await?;
    let item = crate::actions::NewItem::checked(&title, owner, &due_on, &priority, &ticket_url)?;
    let mut tx = state.db.write.begin().await?;
    super::db::writable(&mut tx, id).await?;
    let action = crate::actions::db::add_recorded(
        &mut tx,
        &caller,
        crate::actions::db::Source::Review(id),
        &item,
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}#actions"));
    Ok(action)
}
