-- The in-process control benchmark's scenario (scripts/bench_control_inproc.sh):
-- a 10 x 10 grid of lights (100) with 500 veh/h on every line, queue detectors
-- on every lane that enters or leaves a light (1 s), and with controllers = 1
-- a max-pressure controller (controllers/max_pressure.lua) on every light at
-- a 1 s control period; with controllers = 0 the lights run their fixed-time
-- plan and the detectors report to no one.
--   citylab run scenarios/bench_control.lua --param controllers=1
local tb = require("signal_testbed")
local with = city.param("controllers", 1)
city.config{ dt_ms = 500, until_s = 1800, name = "bench_control" }
local net = tb.grids{ copies = { "B" }, nx = 10, ny = 10, spacing = 200, entry = 200, gap = 0 }
for k, line in ipairs(net.B.lines) do
  city.road.flow{ id = "B." .. line.axis .. k, from = line.from, to = line.to, begin = 0, ["end"] = 1800, rate = 500 }
end
for _, light in ipairs(net.B.lights) do
  local params, sensors = tb.queue_wiring(light)
  if with ~= 0 then
    tb.attach(light, { file = "controllers/max_pressure.lua", name = "mp." .. light, params = params,
                       extra = { slot = 5 }, sensors = sensors })
  end
end
