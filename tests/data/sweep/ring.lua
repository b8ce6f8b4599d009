-- A small grid for the sweep tests: demand and speed limit are parameters.
local rate = city.param("rate", 600) -- vehicles per hour
local speed = city.param("speed", 13.9) -- m/s on every edge
if city.param("fail", false) then
    error("failing on purpose (fail=true)")
end
city.config{ dt_ms = 500, until_s = 600 }
city.road.grid{ nx = 3, ny = 3, spacing = 150, lanes = 1, speed = speed }
city.road.flow{ id = "we", from = "A0B0", to = "B2C2", begin = 0, ["end"] = city.until_s(), rate = rate, poisson = true }
city.kpi("arrived", function() return city.road.stats().arrived end)
city.kpi("mean_speed", function() return city.road.stats().mean_speed end)
city.check("moving", function() return city.road.stats().arrived > 0, "arrived " .. city.road.stats().arrived end)
