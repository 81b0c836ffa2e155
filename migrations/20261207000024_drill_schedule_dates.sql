-- A schedule's dates, worked out from its rule once when it is saved (a
-- JSON list of UTC times, ten years at most), so pages read them instead
-- of expanding the rule on every request. NULL for schedules saved before
-- this column: Muster works them out at start.
ALTER TABLE drill_schedules ADD COLUMN dates TEXT;
