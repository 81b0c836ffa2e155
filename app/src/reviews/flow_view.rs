//! The review's way to publication on its page: where it stands, who
//! reviews it, the moves the caller may make, the exports, the published
//! versions; and under each part, its comments with a form to add one.
use super::{
    api::FlowView, AddReviewer, Comment, CommentReview, MoveReview, RemoveReviewer, State,
};
use crate::ui::when;
use leptos::prelude::*;

/// The actions the workflow's forms post to.
#[derive(Clone, Copy)]
pub struct FlowActions {
    pub add: ServerAction<AddReviewer>,
    pub remove: ServerAction<RemoveReviewer>,
    pub comment: ServerAction<CommentReview>,
    pub moves: ServerAction<MoveReview>,
}

impl FlowActions {
    pub fn new() -> Self {
        Self {
            add: ServerAction::new(),
            remove: ServerAction::new(),
            comment: ServerAction::new(),
            moves: ServerAction::new(),
        }
    }
}

fn move_button(
    action: ServerAction<MoveReview>,
    id: i64,
    to: State,
    label: String,
    class: &'static str,
) -> impl IntoView {
    view! {
        <ActionForm action=action attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="to" value=to.as_str()/>
            <button type="submit" class=class>{label}</button>
        </ActionForm>
    }
}

pub fn panel(id: i64, state: State, version: i64, f: FlowView, a: FlowActions) -> impl IntoView {
    let open = state != State::Published;
    let moves = f.can_move.then(|| {
        let m = a.moves;
        match state {
            State::Draft => move_button(m, id, State::InReview, "Ask for review".into(), "").into_any(),
            State::InReview => view! {
                {f.can_publish.then(|| move_button(m, id, State::Published, "Approve and publish".into(), "primary"))}
                {move_button(m, id, State::Draft, "Back to draft".into(), "secondary")}
            }
            .into_any(),
            State::Published => {
                move_button(m, id, State::Draft, format!("Reopen as version {}", version + 1), "secondary").into_any()
            }
        }
    });
    let waiting = (state == State::InReview && !f.can_publish).then(|| {
        view! { <p class="hint">"A named reviewer who did not start this review approves and publishes it."</p> }
    });
    view! {
        <section class="workflow no-print" id="workflow" aria-labelledby="h-workflow">
            <h2 id="h-workflow">"Review workflow"</h2>
            <ol class="steps">
                {[State::Draft, State::InReview, State::Published].into_iter().map(|s| view! {
                    <li class:current=s == state>{s.title()}</li>
                }).collect_view()}
            </ol>
            <p id="reviewers">
                "Reviewers: "
                {if f.reviewers.is_empty() { "none named yet".to_owned() } else { f.reviewers.iter().map(|r| r.name.clone()).collect::<Vec<_>>().join(", ") }}
            </p>
            {(f.can_move && open).then(|| view! {
                <div class="reviewer-forms">
                    <ActionForm action=a.add attr:class="inline" attr:id="add-reviewer">
                        <input type="hidden" name="id" value=id/>
                        <select name="user" aria-label="Reviewer">
                            {f.accounts.into_iter().map(|(u, name)| view! { <option value=u>{name}</option> }).collect_view()}
                        </select>
                        <button type="submit" class="small">"Name as reviewer"</button>
                    </ActionForm>
                    {f.reviewers.into_iter().map(|r| view! {
                        <ActionForm action=a.remove attr:class="inline">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="user" value=r.user_id/>
                            <button type="submit" class="small secondary">{format!("Remove {}", r.name)}</button>
                        </ActionForm>
                    }).collect_view()}
                </div>
            })}
            {waiting}
            <div class="moves">{moves}</div>
            <p class="exports">
                "Export: "
                <a href=format!("/reviews/{id}/review.md") download="">"Markdown"</a>" · "
                <a href=format!("/reviews/{id}/review.json") download="">"JSON"</a>" · "
                <a href=format!("/reviews/{id}/print") target="_blank">"Printable page"</a>
            </p>
            {(!f.versions.is_empty()).then(|| view! {
                <ul class="versions">
                    {f.versions.into_iter().map(|p| view! {
                        <li>
                            {format!("Version {}, published {} by {}: ", p.version, when(p.published_at), p.published_by)}
                            <a href=format!("/reviews/{id}/print?version={}", p.version)>"read"</a>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

/// The comments on one part, and (for whoever may comment) a form.
pub fn comments(
    id: i64,
    part: &'static str,
    all: &[Comment],
    can_comment: bool,
    action: ServerAction<CommentReview>,
) -> impl IntoView {
    let mine: Vec<Comment> = all.iter().filter(|c| c.part == part).cloned().collect();
    (!mine.is_empty() || can_comment).then(|| {
        view! {
            <div class="comments" id=format!("comments-{part}")>
                {mine.into_iter().map(|c| view! {
                    <blockquote class="comment">
                        <p>{c.text}</p>
                        <footer>{format!("{}, {}", c.author, when(c.at))}</footer>
                    </blockquote>
                }).collect_view()}
                {can_comment.then(|| view! {
                    <details class="no-print">
                        <summary>"Comment"</summary>
                        <ActionForm action=action attr:class="stack">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="part" value=part/>
                            <textarea name="text" rows="3" maxlength="2000" required aria-label="Comment"></textarea>
                            <div><button type="submit" class="small">"Add the comment"</button></div>
                        </ActionForm>
                    </details>
                })}
            </div>
        }
    })
}
