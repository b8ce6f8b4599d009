-- The default scenario: what `citylab` runs with no arguments.
-- The Jamsil living-lab day: 24 hours of the district with every subsystem
-- (scenarios/jamsil_day.lua). The hour of car traffic it replaced is
-- scenarios/jamsil.lua.
require("jamsil_day")
