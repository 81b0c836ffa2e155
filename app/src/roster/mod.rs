//! The roster: incident roles and their duties, the people who can hold
//! them, and who is primary and backup for each role ahead of time.
mod api;
#[cfg(feature = "ssr")]
pub mod db;
mod view;

pub use api::{ChangeHolders, ListRoster, SavePerson, SaveRole};
pub use view::{RolesPage, RosterPage};

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRole {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Markdown.
    pub duties: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub team: String,
    pub email: String,
    pub phone: String,
    pub chat: String,
    /// The Muster account this person signs in with, if any.
    pub account: Option<String>,
}

/// One role with its people in order: the primary first, then backups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleCover {
    pub role: IncidentRole,
    /// (rank, person id); rank 0 is the primary.
    pub holders: Vec<(i64, i64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub roles: Vec<RoleCover>,
    pub people: Vec<Person>,
}

/// What the roster page warns about at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gaps {
    pub without_primary: Vec<String>,
    pub without_backup: Vec<String>,
    /// People named for more than one role, with the roles.
    pub stretched: Vec<(String, Vec<String>)>,
}

impl Roster {
    pub fn person(&self, id: i64) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    pub fn gaps(&self) -> Gaps {
        let mut gaps = Gaps::default();
        let mut held: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for cover in &self.roles {
            if !cover.holders.iter().any(|(rank, _)| *rank == 0) {
                gaps.without_primary.push(cover.role.name.clone());
            }
            if !cover.holders.iter().any(|(rank, _)| *rank > 0) {
                gaps.without_backup.push(cover.role.name.clone());
            }
            for (_, person_id) in &cover.holders {
                if let Some(person) = self.person(*person_id) {
                    held.entry(person.name.clone())
                        .or_default()
                        .push(cover.role.name.clone());
                }
            }
        }
        gaps.stretched = held
            .into_iter()
            .filter(|(_, roles)| roles.len() > 1)
            .collect();
        gaps
    }
}

/// A change to who holds a role. The holders are an ordered list: the
/// first is the primary, the rest are backups in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    MakePrimary,
    AddBackup,
    Remove,
    Up,
    Down,
}

impl Change {
    pub fn parse(s: &str) -> Result<Self, AppError> {
        Ok(match s {
            "primary" => Self::MakePrimary,
            "backup" => Self::AddBackup,
            "remove" => Self::Remove,
            "up" => Self::Up,
            "down" => Self::Down,
            other => {
                return Err(AppError::invalid(
                    "Change",
                    format!("'{other}' is not one of primary, backup, remove, up, down"),
                ))
            }
        })
    }
}

/// The holders after a change: pure, so the ordering rules are tested alone.
pub fn reorder(current: &[i64], person: i64, change: Change) -> Vec<i64> {
    let mut order: Vec<i64> = current.iter().copied().filter(|p| *p != person).collect();
    let at = current.iter().position(|p| *p == person);
    match (change, at) {
        (Change::MakePrimary, _) => order.insert(0, person),
        (Change::AddBackup, Some(_))
        | (Change::Remove, _)
        | (Change::Up, None)
        | (Change::Down, None) => {
            if change == Change::AddBackup {
                return current.to_vec();
            }
        }
        (Change::AddBackup, None) => order.push(person),
        (Change::Up, Some(i)) => order.insert(i.saturating_sub(1), person),
        (Change::Down, Some(i)) => order.insert((i + 1).min(order.len()), person),
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: i64, name: &str) -> IncidentRole {
        IncidentRole {
            id,
            name: name.into(),
            description: String::new(),
            duties: String::new(),
        }
    }

    fn person(id: i64, name: &str) -> Person {
        Person {
            id,
            name: name.into(),
            team: String::new(),
            email: String::new(),
            phone: String::new(),
            chat: String::new(),
            account: None,
        }
    }

    #[test]
    fn the_roster_shows_roles_without_primary_or_backup_and_people_with_several_roles() {
        let roster = Roster {
            roles: vec![
                RoleCover {
                    role: role(1, "Incident Commander"),
                    holders: vec![(0, 1), (1, 2)],
                },
                RoleCover {
                    role: role(2, "Scribe"),
                    holders: vec![(0, 1)],
                },
                RoleCover {
                    role: role(3, "Security Lead"),
                    holders: vec![(1, 3)],
                },
            ],
            people: vec![person(1, "Priya"), person(2, "Sam"), person(3, "Lee")],
        };
        let gaps = roster.gaps();
        assert_eq!(gaps.without_primary, ["Security Lead"]);
        assert_eq!(gaps.without_backup, ["Scribe"]);
        assert_eq!(
            gaps.stretched,
            [(
                "Priya".to_owned(),
                vec!["Incident Commander".to_owned(), "Scribe".to_owned()]
            )]
        );
    }

    #[test]
    fn holders_reorder_as_a_person_expects() {
        let now = [10, 20, 30];
        assert_eq!(reorder(&now, 30, Change::MakePrimary), [30, 10, 20]);
        assert_eq!(reorder(&now, 40, Change::MakePrimary), [40, 10, 20, 30]);
        assert_eq!(reorder(&now, 40, Change::AddBackup), [10, 20, 30, 40]);
        assert_eq!(
            reorder(&now, 20, Change::AddBackup),
            [10, 20, 30],
            "already there: unchanged"
        );
        assert_eq!(reorder(&now, 20, Change::Remove), [10, 30]);
        assert_eq!(reorder(&now, 20, Change::Up), [20, 10, 30]);
        assert_eq!(reorder(&now, 10, Change::Up), [10, 20, 30]);
        assert_eq!(reorder(&now, 20, Change::Down), [10, 30, 20]);
        assert_eq!(reorder(&now, 30, Change::Down), [10, 20, 30]);
        assert_eq!(reorder(&now, 99, Change::Remove), [10, 20, 30]);
        assert!(Change::parse("sideways").is_err());
    }
}
