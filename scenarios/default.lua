-- The default scenario: what `citylab` runs with no arguments.
-- The Jamsil district of Seoul with an hour of car traffic (scenarios/jamsil.lua).
require("jamsil")
