//! Import and export of runbooks and notice templates as one JSON file,
//! so teams can keep their plans in git. The format is documented in the
//! README ("Plans file"); export then import gives back the same plans.
mod api;
#[cfg(feature = "ssr")]
pub mod transfer;
mod view;

pub use api::ImportPlans;
pub use view::PlansPage;

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "muster-plans";
pub const FORMAT_VERSION: u32 = 1;
/// More problems than this are summed up, not listed.
pub const MAX_PROBLEMS: usize = 50;

/// The file as written and read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansFile {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub runbooks: Vec<RunbookFile>,
    #[serde(default)]
    pub templates: Vec<TemplateFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookFile {
    pub title: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub severity: String,
    #[serde(default)]
    pub summary: String,
    /// Titles of notice templates, in this file or already stored.
    #[serde(default)]
    pub templates: Vec<String>,
    #[serde(default)]
    pub steps: Vec<StepFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub phase: String,
    /// An incident role's name.
    pub role: String,
    #[serde(default)]
    pub target_minutes: Option<u32>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFile {
    pub title: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub stage: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
}

/// What an import did, plan by plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "{} created, {} updated (new version), {} unchanged",
            self.created.len(),
            self.updated.len(),
            self.unchanged.len()
        )
    }
}
