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
    super::db::list(&mut conn, LISTED)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Row {
                id: r.id,
                title: r.title,
                state: State::parse("State", &r.state)?,
                version: r.version,
                incident_id: r.incident_id,
                incident: r.incident,
                drill: r.drill,
                updated_at: r.updated_at,
                open_actions: r.open_actions,
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
