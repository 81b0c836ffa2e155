//! Every review in one list, newest change first: where each stands, its
//! incident (or drill), and how many of its action items are still open.
use super::State;
use crate::{
    error::AppError,
    ui::{when, DataTable, ErrorNotice},
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// How many reviews the list shows.
#[cfg(feature = "ssr")]
const LISTED: i64 = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub id: i64,
    pub title: String,
    pub state: State,
    pub version: i64,
    pub incident_id: i64,
    pub incident: String,
    pub drill: bool,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub open_actions: i64,
}

#[server(prefix = "/api", endpoint = "reviews/list")]
pub async fn list_reviews() -> Result<Vec<Row>, AppError> {
    let (state, _) = crate::auth::guard::require::<ListReviews>().await?;
    let mut conn = state.db.read.acquire().await?;
    type Raw = (
        i64,
        String,
        String,
        i64,
        i64,
        String,
        bool,
        chrono::DateTime<chrono::Utc>,
        i64,
    );
    let rows: Vec<Raw> = sqlx::query_as(
        "SELECT r.id, r.title, r.state, r.version, r.incident_id, i.title, i.drill_run_id IS NOT NULL, r.updated_at, \
         (SELECT COUNT(*) FROM action_items a WHERE a.review_id = r.id AND a.status IN ('open', 'in_progress')) \
         FROM reviews r JOIN incidents i ON i.id = r.incident_id ORDER BY r.updated_at DESC, r.id DESC LIMIT ?",
    )
    .bind(LISTED)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Row {
                id: r.0,
                title: r.1,
                state: State::parse("State", &r.2)?,
                version: r.3,
                incident_id: r.4,
                incident: r.5,
                drill: r.6,
                updated_at: r.7,
                open_actions: r.8,
            })
        })
        .collect()
}

#[component]
pub fn ReviewsPage() -> impl IntoView {
    view! {
        <Title text="Reviews"/>
        <h1>"Reviews"</h1>
        <p class="lede">"Blameless reviews of incidents and drills. Start one from a resolved incident or an ended drill's report."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list_reviews().await {
                    Ok(rows) if rows.is_empty() => view! { <p class="empty" id="reviews">"No reviews yet."</p> }.into_any(),
                    Ok(rows) => view! {
                        <DataTable id="reviews" headers=&["Review", "State", "Incident", "Last change", "Open action items"]>
                            {rows.into_iter().map(|r| view! {
                                <tr>
                                    <td><a href=format!("/reviews/{}", r.id)>{r.title}</a></td>
                                    <td><span class=format!("review-state {}", r.state.as_str())>{format!("{}, version {}", r.state.title(), r.version)}</span></td>
                                    <td>
                                        <a href=format!("/incidents/{}", r.incident_id)>{r.incident}</a>
                                        {r.drill.then_some(" (drill)")}
                                    </td>
                                    <td>{when(r.updated_at)}</td>
                                    <td data-open=r.open_actions>{r.open_actions}</td>
                                </tr>
                            }).collect_view()}
                        </DataTable>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
