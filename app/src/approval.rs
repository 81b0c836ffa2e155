//! The one two-person rule, used wherever something needs a second pair
//! of eyes before it counts: notice templates, incident notices, and
//! post-incident reviews (a named reviewer publishes, not the author).
//! The approver must be a person signed in (never an API token) and not
//! the author. A token acts as the person who created it, so an
//! admin cannot mint a token, write with it and then approve as themselves.
//! Part of the spine: callers say who is asking in these plain terms.
use crate::error::AppError;

/// Who asks to approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approver {
    /// A person signed in, by account id.
    Person(i64),
    /// An API token (or anything that is not a person signed in).
    NotAPerson,
}

/// What is being approved, as the refusal names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approving {
    /// A version of a plan: "another editor" approves it.
    Version,
    /// A notice drafted in an incident: "someone else" approves it.
    Notice,
    /// A post-incident review: a named reviewer publishes it.
    Review,
}

/// The account id of the approver when the rule allows it. `author` is
/// the account that wrote the thing (for a token: the person who created
/// the token); `None` when no account wrote it (an import on the command
/// line without `--author`), which any other person may approve.
pub fn check(author: Option<i64>, approver: Approver, what: Approving) -> Result<i64, AppError> {
    let Approver::Person(id) = approver else {
        return Err(AppError::invalid(
            "Approval",
            "must be given by a person signed in, not an API token",
        ));
    };
    if author == Some(id) {
        return Err(AppError::invalid(
            "Approval",
            match what {
                Approving::Version => "you wrote this version; another editor must approve it",
                Approving::Notice => "you drafted this notice; someone else must approve it",
                Approving::Review => {
                    "you started this review; one of its reviewers must publish it"
                }
            },
        ));
    }
    Ok(id)
}

/// Whether the page should show `me` an approve button for something
/// `author` wrote (the server checks again).
pub fn may_approve(author: Option<i64>, me: Option<i64>) -> bool {
    me.is_some() && author != me
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_person_other_than_the_author_approves() {
        assert_eq!(
            check(Some(1), Approver::Person(2), Approving::Notice),
            Ok(2)
        );
        assert_eq!(check(None, Approver::Person(2), Approving::Version), Ok(2));
        let own = check(Some(2), Approver::Person(2), Approving::Version).unwrap_err();
        assert_eq!(
            own.to_string(),
            "Approval: you wrote this version; another editor must approve it"
        );
        let token = check(Some(1), Approver::NotAPerson, Approving::Notice).unwrap_err();
        assert!(token.to_string().contains("not an API token"), "{token}");
    }

    #[test]
    fn the_page_offers_approval_only_to_someone_else() {
        assert!(may_approve(Some(1), Some(2)));
        assert!(may_approve(None, Some(2)));
        assert!(!may_approve(Some(2), Some(2)));
        assert!(!may_approve(Some(1), None));
    }
}
