-- Signal control on a saturated grid: fixed-time vs gap-actuated vs
-- max-pressure, as three identical 3 x 3 grids of lights side by side in one
-- network that meet the same demand in the same run (uniformly spaced flows,
-- no random draws), so the comparison is paired and needs no second run.
--   copy F: the network's own fixed-time plan (31 s green, 3 s yellow);
--   copy A: controllers/gap_actuated.lua on every light (loop detectors 30 m
--           before each stop line);
--   copy M: controllers/max_pressure.lua on every light (queue detectors on
--           every incoming and outgoing lane).
-- Demand: 900 veh/h on every north-south approach (above the 31 s green's
-- capacity), 300 veh/h west-east, all straight through, for 30 min.
--   citylab run scenarios/signal_control.lua
-- KPIs: mean delay (time lost against the speed limit, s per vehicle) per
-- copy; checks: max-pressure and gap-actuated each beat fixed time.
local tb = require("signal_testbed")
local until_s = 1800
city.config{ dt_ms = 500, until_s = until_s, name = "signal_control" }

local copies = { "F", "A", "M" }
local net = tb.grids{ copies = copies, nx = 3, ny = 3, spacing = 250, entry = 400, gap = 600 }
local ns_rate, we_rate = city.param("ns_rate", 900), city.param("we_rate", 300)
for _, c in ipairs(copies) do
  for k, line in ipairs(net[c].lines) do
    city.road.flow{ id = string.format("%s.%s%d", c, line.axis, k), from = line.from, to = line.to, begin = 0,
                    ["end"] = until_s, rate = line.axis == "ns" and ns_rate or we_rate }
  end
end

-- Wiring: every light of copy A gets loops 30 m before its stop lines, every light of copy M queue detectors.
local function loop_before_stop_line(lane)
  return { kind = "loop", quantity = "count", lane = lane, pos_m = math.max(1, tb.lane_length(lane) - 30),
           period_s = 1 }
end
for _, light in ipairs(net.A.lights) do
  local params, sensors = tb.approach_wiring(light, "loop.", loop_before_stop_line)
  tb.attach(light, { file = "controllers/gap_actuated.lua", name = "ga." .. light, params = params,
                     extra = { min_green = 5, max_green = 50, gap = 3 }, sensors = sensors, stale_s = 30 })
end
for _, light in ipairs(net.M.lights) do
  local params, sensors = tb.queue_wiring(light)
  tb.attach(light, { file = "controllers/max_pressure.lua", name = "mp." .. light, params = params,
                     extra = { slot = 5 }, sensors = sensors, stale_s = 30 })
end

local delay = tb.delay_meter(copies, 13.89, 1)
city.kpi("delay_fixed_s", function() return delay("F") end)
city.kpi("delay_actuated_s", function() return delay("A") end)
city.kpi("delay_max_pressure_s", function() return delay("M") end)
city.check("max_pressure_beats_fixed", function()
  return delay("M") < delay("F"),
         string.format("mean delay: max-pressure %.1f s, fixed %.1f s", delay("M"), delay("F"))
end, { whole_run = true })
city.check("actuated_beats_fixed", function()
  return delay("A") < delay("F"),
         string.format("mean delay: gap-actuated %.1f s, fixed %.1f s", delay("A"), delay("F"))
end, { whole_run = true })
city.check("no_failsafe", function()
  local n = city.control.stats().failsafe_events
  return n == 0, string.format("%d fail-safe events", n)
end)
