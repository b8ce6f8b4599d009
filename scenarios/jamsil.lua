-- Jamsil, Songpa-gu, Seoul: the real street network (OpenStreetMap, built
-- by SUMO's netconvert with its guessed signals) under an hour of random
-- car traffic between its arterial roads.
--
-- Demand: `pairs_n` origin-destination pairs drawn at random (from the
-- run's seed) among the arterial edges (2+ lanes, 100+ m) that are
-- connected, each a Poisson flow of `rate` veh/h for the first 50 minutes.
-- Parameters can be changed by a scenario that sets the global JAMSIL
-- before requiring this one (name = names the run):
--   JAMSIL = { pairs_n = 400, rate = 120 }
--   require("jamsil")
-- (checks = false leaves out the two flow checks, for demand meant to
-- overload the network.)
local P = JAMSIL or {}
local M = {
  pairs_n = P.pairs_n or 50,     -- OD pairs
  rate = P.rate or 30,           -- veh/h per pair
  until_s = P.until_s or 3600,
}

city.config{ name = P.name or "jamsil", until_s = M.until_s }
city.road.load_sumo{ net = "jamsil/jamsil.net.xml" }
city.map.load_polygons{ poly = "jamsil/jamsil.poly.xml", net = "jamsil/jamsil.net.xml", types = "building" }

local arterials = {}
for _, e in ipairs(city.road.edges()) do
  if e.passenger and e.lanes >= 2 and e.length >= 100 then
    arterials[#arterials + 1] = e.id
  end
end

local made, tries = 0, 0
while made < M.pairs_n and tries < 20 * M.pairs_n do
  tries = tries + 1
  local from = arterials[math.random(#arterials)]
  local to = arterials[math.random(#arterials)]
  if from ~= to and city.road.path(from, to) then
    made = made + 1
    city.road.flow{ id = "od" .. made, from = from, to = to, rate = M.rate, poisson = true,
                    ["end"] = M.until_s - 600, depart_lane = "best" }
  end
end
city.log("demand", ("%d OD pairs among %d arterial edges, %d veh/h each"):format(made, #arterials, M.rate))

city.series("vehicles", function() return city.road.stats().running end, { every = 60, unit = "count" })
city.series("mean_speed", function() return city.road.stats().mean_speed end, { every = 60, unit = "mps" })

if P.checks ~= false then
  city.check("demand_served", function()
    local s = city.road.stats()
    return s.arrived >= 0.9 * s.inserted, ("%d of %d vehicles arrived"):format(s.arrived, s.inserted)
  end, { whole_run = true }) -- the last 10 minutes drain the network: a shorter run is not scored
  -- Standing over 5 minutes is logged as a gridlock warning. The joined
  -- junctions of the OSM network (lanes of 0.2 m between signal heads) still
  -- starve a few queues now and then; more than 1 % of the vehicles is a failure.
  city.check("gridlock_rare", function()
    local s = city.road.stats()
    return s.gridlock_warnings <= 0.01 * s.inserted,
           ("%d of %d vehicles stood over 5 minutes"):format(s.gridlock_warnings, s.inserted)
  end)
end

return M
