-- The run that fuzz_checkpoint restores fuzzed checkpoints into: a little
-- of every subsystem that saves state (road with lights and flows, power
-- grid with a controller, a controller's timer, sensors, walkers, air, the
-- script's own tables and closures, one made during the run), so each load
-- hook meets hostile bytes.
city.config{ name = "checkpoint", dt_ms = 1000, until_s = 3600 }
city.road.grid{ nx = 3, ny = 3, spacing = 200, lanes = 1, speed = 13.9, junction = "traffic_light" }
city.road.flow{ id = "we", from = "A1B1", to = "B1C1", begin = 0, ["end"] = 3600, rate = 600 }
city.road.flow{ id = "sn", from = "B0B1", to = "B1B2", begin = 0, ["end"] = 3600, rate = 400 }
city.grid.bus{ id = 1, type = "slack", kv = 22.9 }
city.grid.bus{ id = 2, kv = 22.9 }
city.grid.line{ id = 1, from = 1, to = 2, r_ohm = 0.182, x_ohm = 0.391, length_km = 1 }
city.grid.lights{ id = 1, bus = 2, count = 40, w_each = 150 }
city.grid.battery{ id = 1, bus = 2, energy_kwh = 100, power_kw = 50, soc = 0.5, mode = "idle" }
city.sensor.loops{ period_s = 10 }
city.sensor.add{ name = "feeder", kind = "feeder", quantity = "power", branch = 1, period_s = 10 }
city.control.actuator{ name = "lights", kind = "streetlight", lights = 1 }
city.control.attach{ file = "scenarios/controllers/night_dim.lua", name = "night_dim",
                     sensors = { "loop.A1B1_0" }, actuators = { "lights" }, period = 10, stale_s = 600,
                     params = { lights = "lights", quiet_veh = 20, low = 0.3 } }
city.control.actuator{ name = "pulse", kind = "generic" }
city.control.attach{ file = "tests/fuzz/ticker.lua", name = "ticker", actuators = { "pulse" } }
city.env.background{ pm25 = 15, pm10 = 25, nox = 30 }
city.env.air{ cell_m = 20 }
local hall = city.ped.room{ x0 = -60, y0 = -60, x1 = -30, y1 = -40 }
local exit = city.ped.room{ x0 = -30, y0 = -52, x1 = -10, y1 = -48 }
city.ped.door(hall, exit, 2)
city.ped.place{ name = "in", x = -55, y = -50, radius = 2 }
city.ped.place{ name = "out", x = -12, y = -50, radius = 1 }
city.ped.flow{ from = "in", to = "out", begin = 0, ["end"] = 3600, rate = 600 }
local seen = { ticks = 0, names = {} }
local function note(name) return function() seen.ticks = seen.ticks + 1; seen.names[#seen.names + 1] = name end end
city.every(5, note("every"))
city.at(7, note("at"))
-- a closure made during the run: saved as bytecode, checked against this file's functions on restore
city.at(3, function()
  local bonus = 2
  city.at(400, function() seen.ticks = seen.ticks + bonus; seen.names[#seen.names + 1] = "late" end)
end)
city.series("vehicles", function() return city.road.stats().running end, { every = 10 })
city.kpi("notes", function() return seen.ticks end)
