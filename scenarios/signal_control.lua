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

-- Wiring: every light of copy A gets loops, every light of copy M queue detectors.
local function attach_actuated(light)
  local params = { signal = "sig." .. light, min_green = 5, max_green = 50, gap = 3 }
  local phases, sensors = {}, {}
  for _, ph in ipairs(tb.green_phases(light)) do
    phases[#phases + 1] = ph.index
    local dets = {}
    for _, name in ipairs(tb.in_lanes(ph, "loop.")) do
      local lane = name:sub(6)
      dets[#dets + 1] = tb.sensor{ name = name, kind = "loop", quantity = "count", lane = lane,
                                   pos_m = math.max(1, tb.lane_length(lane) - 30), period_s = 1 }
      sensors[#sensors + 1] = name
    end
    params["det_" .. ph.index] = table.concat(dets, " ")
  end
  params.phases = table.concat(phases, " ")
  city.control.actuator{ name = "sig." .. light, kind = "signal", tls = light }
  city.control.attach{ file = "controllers/gap_actuated.lua", name = "ga." .. light, sensors = sensors,
                       actuators = { "sig." .. light }, params = params, period = 1, stale_s = 30 }
end

local function attach_max_pressure(light)
  local params = { signal = "sig." .. light, slot = 5 }
  local phases, sensors, seen = {}, {}, {}
  local function queue(lane)
    local name = tb.sensor{ name = tb.sensor_name("q.", lane), kind = "queue", quantity = "count", lane = lane,
                            period_s = 1 }
    if not seen[name] then seen[name] = true; sensors[#sensors + 1] = name end
    return name
  end
  for _, ph in ipairs(tb.green_phases(light)) do
    phases[#phases + 1] = ph.index
    local ins, outs = {}, {}
    for _, m in ipairs(ph.moves) do
      ins[#ins + 1] = queue(m.from)
      outs[#outs + 1] = queue(m.to)
    end
    params["in_" .. ph.index], params["out_" .. ph.index] = table.concat(ins, " "), table.concat(outs, " ")
  end
  params.phases = table.concat(phases, " ")
  city.control.actuator{ name = "sig." .. light, kind = "signal", tls = light }
  city.control.attach{ file = "controllers/max_pressure.lua", name = "mp." .. light, sensors = sensors,
                       actuators = { "sig." .. light }, params = params, period = 1, stale_s = 30 }
end

for _, light in ipairs(net.A.lights) do attach_actuated(light) end
for _, light in ipairs(net.M.lights) do attach_max_pressure(light) end

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
