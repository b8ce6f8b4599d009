-- Jamsil on foot: the district's car traffic (scenarios/jamsil.lua, fewer
-- pairs) and people walking on its sidewalks, crossings and walking areas
-- (SUMO's pedestrian network of the same file) between four corners of the
-- largest connected piece of that network (OpenStreetMap maps few
-- sidewalks in Seoul: the file's 1759 pedestrian lanes form 107 pieces).
-- People and vehicles meet at the crossings (sim/couple/couple_ped_road.c):
-- people wait for gaps where they have no priority, and drivers stop
-- before a crossing someone is on.
JAMSIL = { pairs_n = 20, rate = 30, until_s = 3600 }
require("jamsil")
city.config{ name = "jamsil_walk" }

local walk = city.ped.load_sumo{ net = "jamsil/jamsil.net.xml" }
city.log("ped", string.format("walkable space: %d areas, %d doors, %d walls from %d sidewalks, %d crossings, %d walking areas",
  walk.areas, walk.doors, walk.walls, walk.sidewalks, walk.crossings, walk.walkingareas))

-- Corners of the largest piece (centroids of its areas nearest to the corners
-- of its bounding box).
local places = {
  { name = "southwest", x = 2431.19, y = 148.68 },
  { name = "northeast", x = 3308.36, y = 1066.17 },
  { name = "northwest", x = 2664.87, y = 1049.79 },
  { name = "southeast", x = 2959.42, y = 255.27 },
}
for _, p in ipairs(places) do
  city.ped.place{ name = p.name, x = p.x, y = p.y, radius = 1 }
end

-- The morning's first 20 minutes: 300 persons/h each way between opposite corners.
local expected, n = 0, 0
for _, od in ipairs{ { "southwest", "northeast" }, { "northeast", "southwest" },
                     { "northwest", "southeast" }, { "southeast", "northwest" } } do
  city.ped.flow{ from = od[1], to = od[2], begin = 0, ["end"] = 1200, rate = 300, poisson = true }
  local len = assert(city.ped.route_length(od[1], od[2]))
  expected, n = expected + len / 1.34, n + 1
end
expected = expected / n

city.series("walking", function() return city.ped.stats().walking end, { every = 60, unit = "persons" })
city.check("walkers_arrive", function()
  -- All but 1%: a sidewalk's side wall that cuts through a neighbouring
  -- walking area can still hold a walker (a known limit of the import).
  local s = city.ped.stats()
  return s.arrived > 300 and s.walking + s.waiting <= 0.01 * s.departed,
    string.format("%d arrived, %d walking, %d waiting", s.arrived, s.walking, s.waiting)
end, { whole_run = true })
city.check("nobody_hit", function()
  local k = city.ped.safety()
  return k.collisions == 0, ("%d collisions, %d conflicts with TTC < 1.5 s"):format(k.collisions, k.ped_conflicts_ttc)
end)
city.check("walk_times_follow_routes", function()
  -- A walk takes its route's length at Weidmann's 1.34 m/s, give or take
  -- the spread of free speeds (sd 0.26) and the shortcuts walkers take
  -- inside walking areas.
  local t = city.ped.stats().mean_walk_time
  return t > 0.8 * expected and t < 1.3 * expected,
    string.format("mean walk %.0f s for routes of %.0f s at 1.34 m/s", t, expected)
end, { whole_run = true })
