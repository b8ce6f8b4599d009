-- The in-process control benchmark's scenario (scripts/bench_control_inproc.sh):
-- a 10 x 10 grid of lights (100) with 500 veh/h on every line, queue and
-- emergency detectors on the lanes at every light (1 s), and with
-- controller = "max_pressure" or "preemption" that controller on every light
-- at a 1 s control period ("none": the lights run their fixed-time plan and
-- the detectors report to no one). Pre-emption with no emergency vehicle
-- never commands: its lights, hence the traffic, are those of "none".
--   citylab run scenarios/bench_control.lua --param controller=max_pressure
local tb = require("signal_testbed")
local controller = city.param("controller", "max_pressure")
city.config{ dt_ms = 500, until_s = 1800, name = "bench_control" }
local net = tb.grids{ copies = { "B" }, nx = 10, ny = 10, spacing = 200, entry = 200, gap = 0 }
for k, line in ipairs(net.B.lines) do
  city.road.flow{ id = "B." .. line.axis .. k, from = line.from, to = line.to, begin = 0, ["end"] = 1800, rate = 500 }
end
local function receiver(lane) return { kind = "emergency", quantity = "count", lane = lane, period_s = 1 } end
for _, light in ipairs(net.B.lights) do
  local mp, mp_sensors = tb.queue_wiring(light)
  local pe, pe_sensors = tb.approach_wiring(light, "ev.", receiver)
  if controller == "max_pressure" then
    tb.attach(light, { file = "controllers/max_pressure.lua", name = "mp." .. light, params = mp,
                       extra = { slot = 5 }, sensors = mp_sensors })
  elseif controller == "preemption" then
    tb.attach(light, { file = "controllers/preemption.lua", name = "pe." .. light, params = pe,
                       sensors = pe_sensors })
  end
end
