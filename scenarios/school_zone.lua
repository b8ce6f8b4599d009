-- A school zone in Jamsil at the morning peak: children and parents walk to
-- a school gate on the east side of street 426094557 (Songpa-gu), next to a
-- signalised crossing (the light of cluster_11177272206_..., SUMO's
-- actuated program from the OpenStreetMap signals) and a zebra 45 m north
-- (crossing :4636654767_c1, marked as a priority crossing here: OSM maps
-- it unmarked). Cars run both ways along the street. People and vehicles
-- meet at the crossings (sim/couple/couple_ped_road.c): drivers stop for
-- people on a crossing and, at the zebra, for people stepping onto it;
-- people cross on green and pick gaps where nobody gives way to them.
--
-- Variants (citylab run scenarios/school_zone.lua --param NAME=VALUE):
--   yield=false        drivers ignore people (to study violations)
--   red_walkers=0.1     one person in ten crosses on red when the gap allows
--   cars=400 walkers=300 until=1800
-- The checks hold for the default (yielding on, nobody crossing on red).
local S = {
  until_s = city.param("until", 1800),  -- 30 minutes of the peak (07:50-08:20)
  cars = city.param("cars", 300),       -- veh/h each way along the street
  walkers = city.param("walkers", 240), -- persons/h from each of the two origins
  yield = city.param("yield", true),
  red_walkers = city.param("red_walkers", 0),
}

city.config{ name = "school_zone", until_s = S.until_s }
city.road.load_sumo{ net = "jamsil/jamsil.net.xml" }
city.ped.config{ yield = S.yield, red_walkers = S.red_walkers }
local walk = city.ped.load_sumo{ net = "jamsil/jamsil.net.xml" }
city.log("ped", ("walkable space: %d areas, %d crossings declared"):format(walk.areas, walk.declared))

-- The school zone's unsignalised crossings are zebras (OSM maps them
-- unmarked): the one 45 m north and the one 13 m north of the light.
local SIGNAL = ":cluster_11177272206_2477228825_436859347_c0"
local ZEBRAS = { ":4636654767_c1", ":11177272203_c0" }
for _, id in ipairs(ZEBRAS) do
  city.ped.crossing{ id = id, priority = true }
end

-- Cars along the street, both ways through the signal and past the zebra.
city.road.flow{ id = "south", from = "426094557#0", to = "218899409#2", rate = S.cars, poisson = true,
                ["end"] = S.until_s, depart_lane = "best" }
city.road.flow{ id = "north", from = "-218899409#2", to = "-426094557#0", rate = S.cars, poisson = true,
                ["end"] = S.until_s, depart_lane = "best" }

-- Places on the walkable space (points checked against its areas).
city.ped.place{ name = "school_gate", x = 3279.5, y = 1552.0, radius = 1.5 }
city.ped.place{ name = "bus_stop", x = 3228.9, y = 1501.0, radius = 1.0 }        -- south-west, across the signal
city.ped.place{ name = "apartments", x = 3273.3, y = 1586.6, radius = 1.0 }      -- north-west, across the zebra
city.ped.flow{ from = "bus_stop", to = "school_gate", begin = 0, ["end"] = S.until_s - 300, rate = S.walkers,
               poisson = true }
city.ped.flow{ from = "apartments", to = "school_gate", begin = 0, ["end"] = S.until_s - 300, rate = S.walkers,
               poisson = true }

city.series("walking", function() return city.ped.stats().walking end, { every = 60, unit = "persons" })
city.series("conflicts", function() return city.ped.safety().conflicts end, { every = 60, unit = "count" })

city.check("children_arrive", function()
  -- departures stop 5 minutes before the end: everyone who left arrives
  local s = city.ped.stats()
  return s.arrived >= 0.95 * s.departed and s.arrived >= 100,
    ("%d of %d arrived"):format(s.arrived, s.departed)
end, { whole_run = true })
city.check("nobody_hit", function()
  local k = city.ped.safety()
  return k.collisions == 0, ("%d collisions"):format(k.collisions)
end)
city.check("few_close_calls", function()
  -- With drivers yielding, a vehicle-pedestrian time to collision under
  -- 1.5 s (the serious-conflict threshold of the Swedish Traffic Conflict
  -- Technique, Hyden 1987) stays rare: at most one per 500 crossings.
  local k, s = city.ped.safety(), city.ped.stats()
  return k.ped_conflicts_ttc <= math.max(1, s.arrived // 500),
    ("%d conflicts with TTC < 1.5 s for %d walkers"):format(k.ped_conflicts_ttc, s.arrived)
end)
city.check("cars_pass", function()
  local s = city.road.stats()
  return s.arrived >= 0.8 * s.inserted, ("%d of %d vehicles arrived"):format(s.arrived, s.inserted)
end, { whole_run = true })
