//! Thin server functions for a review's workflow. Responders name the
//! reviewers and move the review; a named reviewer (even a viewer)
//! comments on each part; publishing follows the one approval rule: a
//! named reviewer who is a person signed in, and not who started it.
//! Every change is one transaction with its audit record.
use crate::error::AppError;
use leptos::prelude::*;

/// Names a reviewer (by account) on a review not yet published.
#[server(prefix = "/api", endpoint = "reviews/reviewer/add")]
pub async fn add_reviewer(id: i64, user: i64) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<AddReviewer>().await?;
    let mut tx = state.db.write.begin().await?;
    super::db::writable(&mut tx, id).await?;
    let name = super::db::flow::add_reviewer(&mut tx, id, user).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "review.reviewer",
        format!("review:{id}"),
        format!("named {name} (account {user})"),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}#workflow"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/reviewer/remove")]
pub async fn remove_reviewer(id: i64, user: i64) -> Result<(), AppError> {
    let (state, caller) = crate::auth::guard::require::<RemoveReviewer>().await?;
    let mut tx = state.db.write.begin().await?;
    super::db::writable(&mut tx, id).await?;
    super::db::flow::remove_reviewer(&mut tx, id, user).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "review.reviewer",
        format!("review:{id}"),
        format!("removed account {user}"),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}#workflow"));
    Ok(())
}

/// A comment on one part of a review (a section, `timeline` or
/// `actions`), by a named reviewer or any responder.
#[server(prefix = "/api", endpoint = "reviews/comment")]
pub async fn comment_review(id: i64, part: String, text: String) -> Result<(), AppError> {
    use crate::auth::Role;
    let (state, caller) = crate::auth::guard::require::<CommentReview>().await?;
    let part = part.trim();
    if !super::comment_parts().any(|(k, _)| k == part) {
        return Err(AppError::invalid(
            "Part",
            format!("'{}' is not a part of a review", crate::fields::shown(part)),
        ));
    }
    let text = crate::fields::text_field("Comment", &text, true, super::flow::MAX_COMMENT)?;
    let mut tx = state.db.write.begin().await?;
    super::db::writable(&mut tx, id).await?;
    let me = caller.person_id();
    let named = super::db::flow::reviewers(&mut tx, id)
        .await?
        .iter()
        .any(|r| Some(r.user_id) == me);
    if !named && caller.role().is_none_or(|r| r < Role::Responder) {
        return Err(AppError::Forbidden);
    }
    let author = caller.author();
    super::db::flow::add_comment(&mut tx, id, part, &text, (&author, me), state.clock.now())
        .await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "review.comment",
        format!("review:{id}"),
        format!("on {part}"),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}#comments-{part}"));
    Ok(())
}

/// Moves a review: `in_review` (asks its reviewers), `draft` (back to
/// writing, or reopened as the next version), `published` (approved by a
/// named reviewer; the document is kept as published).
#[server(prefix = "/api", endpoint = "reviews/state")]
pub async fn move_review(id: i64, to: String) -> Result<(), AppError> {
    use super::State;
    let (state, caller) = crate::auth::guard::require::<MoveReview>().await?;
    let to = State::parse("State", to.trim())?;
    let now = state.clock.now();
    let by = caller.author();
    let mut tx = state.db.write.begin().await?;
    let review = super::db::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That review".into()))?;
    super::flow::check_move(review.state, to)?;
    let reviewers = super::db::flow::reviewers(&mut tx, id).await?;
    match to {
        State::InReview if reviewers.is_empty() => {
            return Err(AppError::invalid(
                "Reviewers",
                "name at least one reviewer before asking for review",
            ));
        }
        State::Published => {
            let author = super::db::flow::author_id(&mut tx, id).await?;
            let me = crate::approval::check(
                author,
                caller.approver(),
                crate::approval::Approving::Review,
            )?;
            if !reviewers.iter().any(|r| r.user_id == me) {
                return Err(AppError::invalid(
                    "Approval",
                    "only a reviewer named on this review publishes it",
                ));
            }
            let doc =
                super::doc::build(&mut tx, &review, now.date_naive(), Some((&by, now))).await?;
            let json = serde_json::to_string(&doc).map_err(AppError::internal)?;
            super::db::flow::keep_version(&mut tx, id, review.version, &json, &by, now).await?;
        }
        _ => {}
    }
    super::db::flow::set_state(&mut tx, id, to, &by, now).await?;
    crate::audit::record_change(
        &mut tx,
        &caller,
        "review.state",
        format!("review:{id}"),
        format!(
            "{} to {} (version {})",
            review.state.title(),
            to.title(),
            review.version + i64::from(review.state == State::Published)
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/reviews/{id}"));
    Ok(())
}
