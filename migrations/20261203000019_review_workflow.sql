-- Who started a review, by account: the one approval rule keeps them
-- from publishing it themselves (a token counts as the person who made
-- it). Reviews started before this column have no author account, and
-- any named reviewer may publish them.
ALTER TABLE reviews ADD COLUMN created_by_id INTEGER REFERENCES users (id);

-- A reviewer's comment is on one part of the review (a section, the
-- timeline or the action items).
CREATE INDEX review_reviewers_by_user ON review_reviewers (user_id);
