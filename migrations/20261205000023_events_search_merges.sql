-- The search index merges its segments less eagerly while events are
-- stored: 16 segments of a level before they are merged (was 8), and a
-- forced merge only at 32 (SQLite's default is 16). An import merges
-- what is left once it is done (`tidy_search_index`), into one segment
-- when it brought a quarter or more of the events, so searches after it
-- are as fast as before; a large import is about a tenth faster.
INSERT INTO events_search (events_search, rank) VALUES ('automerge', 16);
INSERT INTO events_search (events_search, rank) VALUES ('crisismerge', 32);
