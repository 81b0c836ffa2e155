//! A review's way to publication: how many reviewers and comments it
//! holds, and which moves between draft, in review and published it
//! allows. What is stored is in [`super::db::flow`].
use super::State;
use crate::error::AppError;

/// How many reviewers one review may name.
pub const MAX_REVIEWERS: i64 = 10;
/// How many comments one review may hold.
pub const MAX_COMMENTS: i64 = 500;
/// The most one comment may say.
pub const MAX_COMMENT: usize = 2_000;

/// Whether a review may move from `from` to `to`: a draft goes to review,
/// a review goes back to its draft or is published, and a published
/// review is reopened as a draft of its next version.
pub fn check_move(from: State, to: State) -> Result<(), AppError> {
    use State::*;
    match (from, to) {
        (Draft, InReview) | (InReview, Draft) | (InReview, Published) | (Published, Draft) => {
            Ok(())
        }
        (Draft, Published) => Err(AppError::invalid(
            "State",
            "a draft is reviewed before it is published: ask for review first",
        )),
        (a, b) if a == b => Err(AppError::Conflict(format!(
            "This review is already {}.",
            a.title().to_lowercase()
        ))),
        (Published, InReview) => Err(AppError::invalid(
            "State",
            "a published review is reopened as a draft first",
        )),
        _ => Err(AppError::internal("a review move left out of check_move")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_is_reviewed_before_it_is_published_and_reopened_as_a_draft() {
        use State::*;
        for (from, to) in [
            (Draft, InReview),
            (InReview, Draft),
            (InReview, Published),
            (Published, Draft),
        ] {
            assert!(check_move(from, to).is_ok(), "{from:?} to {to:?}");
        }
        let skipped = check_move(Draft, Published).unwrap_err().to_string();
        assert!(skipped.contains("ask for review first"), "{skipped}");
        let again = check_move(Published, Published).unwrap_err();
        assert_eq!(again.http_status(), 409);
        assert!(check_move(Published, InReview).is_err());
    }
}
