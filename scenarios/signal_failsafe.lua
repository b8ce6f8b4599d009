-- Fail-safe drill for signal controllers: three lights on an arterial, each with
-- a controller that stops at 300 s in its own way: one raises an error, one
-- loops for ever (its instruction budget stops it), and one (max-pressure)
-- loses its queue detectors (fault "dead" at 300 s; stale_s = 20). Each
-- light must be back on its fixed-time plan within the set time, and the
-- checks see it from the actuators' status and the fail-safe KPI.
local tb = require("signal_testbed")
city.config{ dt_ms = 500, until_s = 420, name = "signal_failsafe" }
local net = tb.grids{ copies = { "X" }, nx = 3, ny = 1, spacing = 250, entry = 300, gap = 0 }
for k, line in ipairs(net.X.lines) do
  city.road.flow{ id = "X." .. line.axis .. k, from = line.from, to = line.to, begin = 0, ["end"] = 420,
                  rate = line.axis == "ns" and 300 or 600 }
end
local lights = net.X.lights
for _, light in ipairs(lights) do city.control.actuator{ name = "sig." .. light, kind = "signal", tls = light } end
city.control.attach{ file = "controllers/faulty_signal.lua", name = "errs", actuators = { "sig." .. lights[1] }, period = 1,
                     params = { signal = "sig." .. lights[1], fail_at = 300, mode = "error" } }
city.control.attach{ file = "controllers/faulty_signal.lua", name = "loops", actuators = { "sig." .. lights[2] }, period = 1,
                     instructions = 1e5, params = { signal = "sig." .. lights[2], fail_at = 300, mode = "loop" } }
local params, sensors = tb.queue_wiring(lights[3], { fault = "dead", fault_at_s = 300 })
params.signal, params.slot = "sig." .. lights[3], 5
city.control.attach{ file = "controllers/max_pressure.lua", name = "blind", actuators = { "sig." .. lights[3] },
                     sensors = sensors, params = params, period = 1, stale_s = 20 }

-- When each actuator went to its safe default (and its light to its plan).
local safe_at = {}
city.every(0.5, function()
  for i, light in ipairs(lights) do
    local st = city.control.status("sig." .. light)
    if st.failsafe and st.value == -1 and not safe_at[i] then safe_at[i] = city.time() end
  end
end)
local limits = { 301, 301, 300 + 20 + 2 } -- error and budget: the next step; dead inputs: stale_s and a period
local names = { "error", "endless_loop", "dead_sensors" }
for i = 1, 3 do
  city.kpi("failsafe_at_" .. names[i] .. "_s", function() return safe_at[i] or -1 end)
  city.check("failsafe_" .. names[i], function()
    local t = safe_at[i]
    return t ~= nil and t >= 300 and t <= limits[i],
           string.format("safe default at %s s (limit %d s)", tostring(t), limits[i])
  end, { whole_run = true })
end
city.check("failsafe_events", function()
  local n = city.control.stats().failsafe_events
  return n == 3, string.format("%d fail-safe events", n)
end, { whole_run = true })
