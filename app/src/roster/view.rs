//! The roster page (who covers each role, and the gaps) and the roles page
//! (the catalogue and its duties). Plain forms: they work without JavaScript.
use super::{api::list_roster, ChangeHolders, Person, RoleCover, Roster, SavePerson, SaveRole};
use crate::{
    auth::{caller_may, Role},
    ui::{returned_error, DataTable, ErrorNotice, Markdown},
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Loads the roster and renders it with `body`.
fn with_roster(body: fn(Roster, bool) -> AnyView) -> impl IntoView {
    let editor = caller_may(Role::Editor);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list_roster().await {
                    Ok(roster) => body(roster, editor),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn RosterPage() -> impl IntoView {
    let errors = (
        returned_error(ServerAction::<ChangeHolders>::new()),
        returned_error(ServerAction::<SavePerson>::new()),
    );
    view! {
        <Title text="Roster"/>
        <h1>"Roster"</h1>
        <p class="lede">"Who takes each incident role, in order: the primary first, then the backups."</p>
        {errors}
        {with_roster(|roster, editor| view! { <RosterBody roster editor/> }.into_any())}
    }
}

#[component]
fn RosterBody(roster: Roster, editor: bool) -> impl IntoView {
    let gaps = roster.gaps();
    let clear = gaps.without_primary.is_empty()
        && gaps.without_backup.is_empty()
        && gaps.stretched.is_empty();
    let people = roster.people.clone();
    view! {
        <section class="gaps" aria-label="Gaps in the roster" id="gaps">
            {clear.then(|| view! { <p class="ok">"Every role has a primary and a backup, and nobody holds two roles."</p> })}
            {(!gaps.without_primary.is_empty()).then(|| view! { <p class="warn">{format!("No primary: {}", gaps.without_primary.join(", "))}</p> })}
            {(!gaps.without_backup.is_empty()).then(|| view! { <p class="warn">{format!("No backup: {}", gaps.without_backup.join(", "))}</p> })}
            {gaps.stretched.into_iter().map(|(name, roles)| view! {
                <p class="warn">{format!("{name} holds several roles: {}", roles.join(", "))}</p>
            }).collect_view()}
        </section>
        <div class="cards roster">
            {roster.roles.iter().cloned().map(|cover| view! { <RoleCard cover roster=roster.clone() editor/> }).collect_view()}
        </div>
        <h2>"People"</h2>
        <PeopleTable people=people.clone() editor/>
        {editor.then(|| view! { <PersonForm person=None/> })}
    }
}

#[component]
fn RoleCard(cover: RoleCover, roster: Roster, editor: bool) -> impl IntoView {
    let change = ServerAction::<ChangeHolders>::new();
    let role_id = cover.role.id;
    let holders = cover
        .holders
        .iter()
        .filter_map(|(rank, id)| roster.person(*id).map(|p| (*rank, p.clone())))
        .collect::<Vec<_>>();
    let button = move |person: i64, what: &'static str, label: &'static str| {
        view! {
            <ActionForm action=change attr:class="inline">
                <input type="hidden" name="role_id" value=role_id/>
                <input type="hidden" name="person_id" value=person/>
                <input type="hidden" name="change" value=what/>
                <button type="submit" class="small">{label}</button>
            </ActionForm>
        }
    };
    let select_id = format!("add-{role_id}");
    let key = cover.role.name.clone();
    view! {
        <article class="card" data-role=key>
            <h2>{cover.role.name.clone()}</h2>
            <p>{cover.role.description.clone()}</p>
            <ol class="holders">
                {holders.into_iter().map(|(rank, p)| view! {
                    <li>
                        <strong>{if rank == 0 { "Primary: " } else { "Backup: " }}</strong>
                        {p.name.clone()}
                        {(!p.team.is_empty()).then(|| format!(" ({})", p.team))}
                        {editor.then(|| view! {
                            <span class="holder-actions">
                                {(rank > 0).then(|| button(p.id, "primary", "Make primary"))}
                                {(rank > 1).then(|| button(p.id, "up", "Up"))}
                                {button(p.id, "down", "Down")}
                                {button(p.id, "remove", "Remove")}
                            </span>
                        })}
                    </li>
                }).collect_view()}
            </ol>
            {editor.then(|| view! {
                <ActionForm action=change attr:class="inline-form add-holder">
                    <input type="hidden" name="role_id" value=role_id/>
                    <label for=select_id.clone()>"Person"</label>
                    <select id=select_id name="person_id">
                        {roster.people.iter().map(|p| view! { <option value=p.id>{p.name.clone()}</option> }).collect_view()}
                    </select>
                    <button type="submit" name="change" value="primary">"Make primary"</button>
                    <button type="submit" name="change" value="backup">"Add as backup"</button>
                </ActionForm>
            })}
        </article>
    }
}

#[component]
fn PeopleTable(people: Vec<Person>, editor: bool) -> impl IntoView {
    view! {
        <DataTable id="people" headers=&["Name", "Team", "Email", "Phone", "Chat", "Account"]>
            {people.into_iter().map(|p| {
                let edit = editor.then(|| view! {
                    <details><summary>"Edit"</summary><PersonForm person=Some(p.clone())/></details>
                });
                view! {
                    <tr data-person=p.name.clone()>
                        <td>{p.name.clone()} {edit}</td>
                        <td>{p.team}</td>
                        <td>{p.email}</td>
                        <td>{p.phone}</td>
                        <td>{p.chat}</td>
                        <td>{p.account.unwrap_or_default()}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}

#[component]
fn PersonForm(person: Option<Person>) -> impl IntoView {
    let save = ServerAction::<SavePerson>::new();
    let key = person
        .as_ref()
        .map_or("new".to_owned(), |p| p.id.to_string());
    let p = person.clone();
    let value = move |f: fn(&Person) -> String| p.as_ref().map(f).unwrap_or_default();
    let field = move |name: &'static str, label: &'static str, current: String| {
        let id = format!("person-{key}-{name}");
        view! {
            <label for=id.clone()>{label}</label>
            <input id=id name=name value=current/>
        }
    };
    let form_id = person.as_ref().map_or("add-person-form".to_owned(), |p| {
        format!("person-form-{}", p.id)
    });
    let person_id = person
        .as_ref()
        .map(|p| p.id.to_string())
        .unwrap_or_default();
    let is_new = person.is_none();
    view! {
        {is_new.then(|| view! { <h3>"Add a person"</h3> })}
        <ActionForm action=save attr:class="stack narrow person-form" attr:id=form_id>
            <input type="hidden" name="person_id" value=person_id/>
            {field("name", "Name", value(|p| p.name.clone()))}
            {field("team", "Team", value(|p| p.team.clone()))}
            {field("email", "Email", value(|p| p.email.clone()))}
            {field("phone", "Phone", value(|p| p.phone.clone()))}
            {field("chat", "Chat handle", value(|p| p.chat.clone()))}
            {field("account", "Muster account (email, optional)", value(|p| p.account.clone().unwrap_or_default()))}
            <div><button type="submit">{if is_new { "Add person" } else { "Save" }}</button></div>
        </ActionForm>
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let error = returned_error(ServerAction::<SaveRole>::new());
    view! {
        <Title text="Incident roles"/>
        <h1>"Incident roles"</h1>
        <p class="lede">"What each role is for and what its holder does."</p>
        {error}
        {with_roster(|roster, editor| view! {
            {roster.roles.into_iter().map(|cover| {
                let role = cover.role;
                let (name, description, duties) = (role.name.clone(), role.description.clone(), role.duties.clone());
                let key = name.clone();
                view! {
                    <article class="card role" data-role=key>
                        <h2>{name}</h2>
                        <p>{description}</p>
                        <div class="duties"><Markdown text=duties/></div>
                        {editor.then(|| view! { <details><summary>"Edit"</summary><RoleForm role=Some(role)/></details> })}
                    </article>
                }
            }).collect_view()}
            {editor.then(|| view! { <h2>"Add a role"</h2><RoleForm role=None/> })}
        }.into_any())}
    }
}

#[component]
fn RoleForm(role: Option<super::IncidentRole>) -> impl IntoView {
    let save = ServerAction::<SaveRole>::new();
    let key = role.as_ref().map_or("new".to_owned(), |r| r.id.to_string());
    let (name, description, duties) = role
        .as_ref()
        .map(|r| (r.name.clone(), r.description.clone(), r.duties.clone()))
        .unwrap_or_default();
    view! {
        <ActionForm action=save attr:class="stack narrow role-form">
            <input type="hidden" name="role_id" value=role.as_ref().map(|r| r.id.to_string()).unwrap_or_default()/>
            <label for=format!("role-{key}-name")>"Name"</label>
            <input id=format!("role-{key}-name") name="name" value=name required/>
            <label for=format!("role-{key}-description")>"Short description"</label>
            <input id=format!("role-{key}-description") name="description" value=description/>
            <label for=format!("role-{key}-duties")>"Duties (Markdown)"</label>
            <textarea id=format!("role-{key}-duties") name="duties" rows="5">{duties}</textarea>
            <div><button type="submit">{if role.is_some() { "Save role" } else { "Add role" }}</button></div>
        </ActionForm>
    }
}
