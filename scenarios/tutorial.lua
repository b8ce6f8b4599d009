-- The README's tutorial: a small town of 3 x 3 signalised junctions with a
-- day of traffic, one streetlight circuit on a 22.9 kV feeder, loops on
-- every signal approach and the night-dimming controller
-- (scenarios/controllers/night_dim.lua) attached over the device API to the
-- loops of the centre junction.
--   citylab run scenarios/tutorial.lua
--   citylab view scenarios/tutorial.lua
--   citylab run scenarios/tutorial.lua --bridge mqtt://127.0.0.1:1883 --site town --bridge-all
--     (with the controller in citylab-agent: see the README's tutorial)
local H = 3600
city.config{ name = "tutorial", dt_ms = 1000, until_s = 24 * H }

-- Streets: 3 x 3 junctions 300 m apart, traffic lights, traffic by hour
city.road.grid{ nx = 3, ny = 3, spacing = 300, lanes = 1, speed = 13.9, junction = "traffic_light" }
local per_hour = { 20, 10, 10, 10, 20, 60, 300, 600, 400, 250, 250, 250,
                   250, 250, 250, 300, 400, 600, 450, 300, 200, 120, 60, 30 }
for h, rate in ipairs(per_hour) do -- half west-east, half south-north through the centre junction B1
  city.road.flow{ id = "we" .. h, from = "A1B1", to = "B1C1", begin = (h - 1) * H, ["end"] = h * H, rate = rate / 2 }
  city.road.flow{ id = "sn" .. h, from = "B0B1", to = "B1B2", begin = (h - 1) * H, ["end"] = h * H, rate = rate / 2 }
end

-- Power: a feeder with 40 streetlights of 150 W, on while the sun is down
city.grid.bus{ id = 1, type = "slack", kv = 22.9 }
city.grid.bus{ id = 2, kv = 22.9 }
city.grid.line{ id = 1, from = 1, to = 2, r_ohm = 0.182, x_ohm = 0.391, length_km = 1 }
city.grid.lights{ id = 1, bus = 2, count = 40, w_each = 150 }

-- Sensors and the controller
local n = city.sensor.loops{ period_s = 60 } -- loop.<lane>: every lane entering a light
local loops = { "loop.A1B1_0", "loop.C1B1_0", "loop.B0B1_0", "loop.B2B1_0" } -- the centre junction's approaches
city.control.actuator{ name = "lights", kind = "streetlight", lights = 1 }
city.control.attach{ file = "controllers/night_dim.lua", name = "night_dim", sensors = loops, actuators = { "lights" },
                     period = 60, stale_s = 600, params = { lights = "lights", quiet_veh = 20, low = 0.3 } }
city.log("tutorial", n .. " loops on the signal approaches")

-- What the run must show: dimmed in the small hours, full on in the rush
local level = {}
city.at(3 * H, function() level.night = city.control.status("lights").value end)
city.at(7.5 * H, function() level.rush = city.control.status("lights").value end)
city.check("dims_at_night", function()
  return level.night == 0.3 and level.rush == 1.0,
    ("lights at %.1f at 03:00, %.1f at 07:30"):format(level.night, level.rush)
end, { from = 3 * H, to = 7.5 * H })
city.series("light_level", function() return city.control.status("lights").value end, { every = 300, unit = "share" })
city.kpi("light_energy_kwh", function() return city.grid.totals().demand_kwh end)
